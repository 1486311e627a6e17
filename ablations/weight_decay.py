"""Which kernel regulariser (L1, L2, L1L2) and how strong?"""

from ablations import Ablation
from ablations._seed001 import AFTER_DROPOUT, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_DROPOUT,
    factors=dict(regularizer=["l2", "l1", "l1l2"], reg_strength=[1e-5, 1e-4, 1e-3, 1e-2]),
    design="grid",
    seeds=3,
    source=SOURCE + ", stage 5",
    notes="The report sweeps a log scale from 1e-5 upwards; L2 1e-4 was carried forward.",
)
