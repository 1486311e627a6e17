"""Which optimiser trains the final network best, each at its own tuned learning rate?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import AFTER_DECAY, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_DECAY,
    factors=dict(optimizer=["adam", "rmsprop", "sgd", "adamax"]),
    design="nested",
    search_space=dict(learning_rate=("log", 1e-5, 1.0)),
    sampler="tpe",
    n_trials=12,
    pruner="median",
    seeds=3,
    source=SOURCE + ", stage 8 (fig. 8: learning rate x optimiser), done as the Tuning Playbook recommends",
    notes="An extension of the report, not a reproduction (that is learning_rate). Fig. 8 compares the four best "
    "optimisers on a fixed LR grid; here each optimiser gets a 12-trial TPE search over 1e-5..1 (median "
    "pruning), and its best LR is re-run with 3 seeds. SGD and RMSprop run without momentum, as Keras "
    "defaults them; the report tested them with momentum: add --set momentum=0.9 (it acts on those two only) "
    "under another --study-name.",
)
