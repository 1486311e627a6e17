"""Does the deeper baseline (six conv layers) classify CIFAR-10 better than the shallow one (two)?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import BASE, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base={k: v for k, v in BASE.items() if k != "bn"},  # both are published without normalisation
    factors=dict(model=["baseline1", "baseline2"]),
    seeds=3,
    source=SOURCE + ", section 3 (figs. 1 and 2: baseline 1 64.89%, baseline 2 73.67% on the test set)",
    notes="Both baselines as the report trained them first: Adam 1e-3, batch 32, 80/20 stratified split, early "
    "stopping after 3 epochs without a lower validation loss, ending on the last epoch's weights (the report "
    "names no restoring), at most 20 epochs (the report gives 20 for its dropout stage only). The filter "
    "widths are our reading: the report's architecture figures are missing (see each network's docstring).",
)
