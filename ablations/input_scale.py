"""Do VGG-A and Network-in-Network gain from upsampling small images (1x, 2x, 3x, 5x)?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed000 import NIN, NOTES, SOURCE, TRAINING, VGG_A

ABLATION = Ablation(
    question=__doc__,
    base={**TRAINING, "dataset": "cifar10"},
    factors=dict(model=[VGG_A, NIN], input_scale=[1, 2, 3, 5]),
    design="grid",
    seeds=3,
    source=SOURCE + ", sections 4 and 6.2 (VGG-A at x1..x5 and NIN at x1, x3 on CIFAR-10)",
    notes=NOTES + "Images are upsampled by an integer factor per batch in the input pipeline, nearest neighbour (the "
    "report does not name the method). The report's CIFAR-10 scales: VGG-A at several, including x5 "
    "(x1, x3 and x5 are named), NIN at x1 and x3; x2 for both and x5 for NIN are added to see the "
    "trend. MNIST (x1 and x3) is input_scale_mnist.",
)
