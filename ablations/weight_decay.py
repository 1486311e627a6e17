"""Which kernel regulariser (L1, L2, L1L2) and how strong, with and without dropout?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import AFTER_DROPOUT, DECAY, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_DROPOUT,
    factors=dict(decay=DECAY, dropout=["0.2,0.5,0.7", "off"]),
    design="grid",
    seeds=3,
    source=SOURCE + ", stage 5 (fig. 6: L1, L2, L1L2 over magnitudes on a log scale; 'both with and without "
    "dropout layers')",
    notes="Each decay level sets the regulariser and its strength together, so the no-decay control is one level "
    "(not one per strength). The report sweeps a log scale from 1e-5 to past 1e-3 (L1 and L1L2 'drop off' "
    "beyond it): 1e-5..1e-2 here. Fig. 6 lists only L1, L2 and L1L2; the report's no-decay reference is its "
    "dropout stage (81.03% with the increasing dropout). L2 1e-4 was carried forward. The penalty is on the "
    "kernels of every conv and dense layer (not the biases), as the report says.",
)
