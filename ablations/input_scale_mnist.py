"""Do VGG-A and Network-in-Network classify MNIST better when its 28 px digits are upsampled three times?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed000 import NIN, NOTES, SOURCE, TRAINING, VGG_A

ABLATION = Ablation(
    question=__doc__,
    base={**TRAINING, "dataset": "mnist"},
    factors=dict(model=[VGG_A, NIN], input_scale=[1, 3]),
    design="grid",
    seeds=3,
    source=SOURCE + ", section 6.1 (MNIST: VGG-A at x1 and x3, NIN at x3 (84 px); NIN at x1 'did very poorly' "
    "and was omitted)",
    notes=NOTES + "Images are upsampled by nearest neighbour per batch in the input pipeline. The NIN x1 cell is "
    "the run the report made and left out of its results.",
)
