"""Which activation works best, and does batch-norm placement change the answer?"""

from ablations import Ablation
from ablations._seed001 import AFTER_DECAY, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_DECAY,
    factors=dict(activation=["relu", "leaky_relu", "sigmoid", "tanh"], bn=["before", "none", "after"]),
    design="grid",
    seeds=3,
    source=SOURCE + ", stage 6 (fig. 7: activation x BN placement)",
)
