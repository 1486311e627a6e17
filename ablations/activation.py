"""Which activation works best, and does batch-norm placement change the answer?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import AFTER_DECAY, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_DECAY,
    factors=dict(activation=["relu", "leaky_relu", "sigmoid", "tanh"], bn=["before", "none", "after"]),
    design="grid",
    seeds=3,
    source=SOURCE + ", stage 6 (fig. 7: activation x BN placement)",
    notes="The base carries the stage 4 dropout (0.2/0.5/0.7, 50 epochs) and the stage 5 L2 1e-4; the report "
    "combines dropout, L2 and He 'now that these hyper-parameters have been explored' only after its "
    "optimiser stage, so whether they were on during this stage is not said. Leaky ReLU's slope is 0.3, "
    "Keras 2's default.",
)
