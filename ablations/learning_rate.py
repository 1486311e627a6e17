"""How does the learning rate interact with the optimiser (the four best of the optimiser stage)?"""

from ablations import Ablation
from ablations._seed001 import AFTER_DECAY, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_DECAY,
    factors=dict(optimizer=["adam", "rmsprop", "sgd", "adamax"], learning_rate=[1e-3, 1e-4, 1e-2, 1e-1]),
    design="grid",
    seeds=3,
    source=SOURCE + ", stage 8 (fig. 8: learning rate x optimiser)",
    notes="The report's LR grid is on a log scale; 1e-4..1e-1 covers it, with Adam's default 1e-3 as base.",
)
