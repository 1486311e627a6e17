"""Which architecture classifies MNIST and CIFAR-10 best, and what does its accuracy cost in parameters?"""

from ablations import Ablation
from ablations._seed000 import SOURCE, TRAINING

ABLATION = Ablation(
    question=__doc__,
    base=TRAINING,
    factors=dict(model=["conv", "drop", "vgg11", "nin", "resnet20", "resnet32", "resnet56"],
                 dataset=["mnist", "cifar10"]),
    design="grid",
    seeds=3,
    source=SOURCE + ", section 6 (train vs test accuracy, accuracy vs log10 parameters, per-class accuracy)",
    notes="Every network is built as published (bn='default': batch norm in the ResNets only) and trained with "
          "the report's recipe. The report trained VGG-A with SGD (lr 0.01, momentum 0.1) because Adam made no "
          "progress; one recipe for all keeps this a single-factor comparison, so VGG-A gets Adam here (the "
          "input_scale ablation uses the report's VGG recipe). The dataset is a factor so both of the report's "
          "comparisons come from one study; the charts show one panel per dataset.",
)
