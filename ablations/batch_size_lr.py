"""How does the batch size change accuracy once each batch size has its own tuned learning rate?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import AFTER_BN, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_BN,
    factors=dict(batch_size=[32, 64, 128, 256, 512]),
    design="nested",
    search_space=dict(learning_rate=("log", 1e-5, 1e-1)),
    sampler="tpe",
    n_trials=10,
    pruner="median",
    seeds=3,
    source=SOURCE + ", stage 2, with the learning rate re-tuned per batch size",
    notes="The report compared batch sizes at Adam's default 1e-3; a larger batch usually wants a larger LR, "
    "so each batch size gets a 10-trial TPE search over 1e-5..1e-1 before its 3-seed re-run.",
)
