"""Which optimiser, at its default learning rate, trains the final network best?"""

from ablations import Ablation
from ablations._seed001 import AFTER_DECAY, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_DECAY,
    factors=dict(optimizer=["adam", "sgd", "rmsprop", "adamax", "nadam", "adagrad", "adadelta", "adamw", "ftrl"]),
    seeds=3,
    source=SOURCE + ", stage 7 (nine optimisers at default settings)",
    notes="Our learning rate is the base 1e-3 for every optimiser; `optimizer_lr` re-tunes it per optimiser.",
)
