"""Where should batch normalisation sit: nowhere, before the activation, or after it?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import BASE, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=BASE,
    factors=dict(bn=["none", "before", "after"]),
    seeds=3,
    source=SOURCE + ", stage 1 (fig. 3, baseline 2)",
    notes="Baseline 2 only, as fig. 3; the report's text tested both baselines: bn_both_baselines.",
)
