"""Do VGG-A and Network-in-Network gain from upsampling small images (1x, 2x, 3x, 5x)?"""

from ablations import Ablation
from ablations._seed000 import SGD, SOURCE, TRAINING

ABLATION = Ablation(
    question=__doc__,
    base={**TRAINING, **SGD, "dataset": "cifar10"},
    factors=dict(model=["vgg11", "nin"], input_scale=[1, 2, 3, 5]),
    design="grid",
    seeds=3,
    source=SOURCE + ", sections 4 and 6.2 (VGG-A at x1..x5 and NIN at x1, x3 on CIFAR-10)",
    notes="Images are upsampled (nearest neighbour) per batch in the input pipeline. The report's VGG recipe "
          "(SGD, lr 0.01, momentum 0.1) is used for both networks; it does not say which optimiser NIN used. "
          "The report's scales were 1, 3, 5 (and 3 for NIN on MNIST); 2 is added to see the trend.",
)
