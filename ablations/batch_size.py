"""How does the training batch size change accuracy (with batch norm before the activation)?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import AFTER_BN, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_BN,
    factors=dict(batch_size=[32, 64, 128, 256, 512]),
    seeds=3,
    source=SOURCE + ", stage 2",
    notes="The report names 32 (base) and 256 (winner); the powers of two between and 512 fill the range.",
)
