"""Does dropout after each conv block help, and is a constant or an increasing rate better?"""

from ablations import Ablation
from ablations._seed001 import AFTER_INIT, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base={**AFTER_INIT, "epochs": 50},
    factors=dict(dropout=["none", "0.2", "0.5", "0.2,0.5,0.7"]),
    seeds=3,
    source=SOURCE + ", stage 4 (constant 0.2, constant 0.5, increasing 0.2/0.5/0.7 per block)",
)
