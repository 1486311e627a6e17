"""How does the learning rate interact with the optimiser (the four best of the optimiser stage)?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import AFTER_DECAY, MOMENTUM, RATES, SOURCE, TOP_FOUR

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_DECAY,
    factors=dict(optimizer=TOP_FOUR, learning_rate=list(RATES)),
    design="grid",
    seeds=3,
    source=SOURCE + ", stage 8 (fig. 8: learning rate x optimiser: Adam, RMSprop, SGD, Adamax)",
    notes="The report's LR grid is on a log scale; 1e-4..1e-1 covers it, with Adam's default 1e-3 as base. RMSprop "
    f"and SGD keep the momentum ({MOMENTUM}, our choice) they were tested with in the optimiser stage; the "
    "report does not say whether its SGD of fig. 8 was the momentum or the Nesterov variant: momentum is "
    "taken.",
)
