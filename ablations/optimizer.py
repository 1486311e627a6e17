"""Which optimiser, at its default settings, trains the final network best?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import AFTER_DECAY, NINE, NINE_NOTES, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_DECAY,
    factors=dict(optimizer=NINE),
    seeds=3,
    source=SOURCE + ", stage 7 (nine optimisers at default settings, RMSprop with momentum, SGD with momentum "
    "and with Nesterov momentum; appendix fig. 15)",
    notes=NINE_NOTES + "`optimizer_lr` re-tunes the learning rate per optimiser.",
)
