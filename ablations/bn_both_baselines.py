"""Where should batch normalisation sit, on the shallow and on the deep baseline?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import BASE, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=BASE,
    factors=dict(model=["baseline2", "baseline1"], bn=["none", "before", "after"]),
    design="grid",
    seeds=3,
    source=SOURCE + ", stage 1 ('Both baselines were tested with BN before and after the activation functions')",
    notes="The report's fig. 3 shows baseline 2 only (bn_placement, the suite's demo ablation); this grid runs the "
    "placements on both baselines, as its text says. 'none' is each baseline as first trained.",
)
