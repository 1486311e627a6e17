"""Which architecture classifies MNIST and CIFAR-10 best, and what does its accuracy cost in parameters?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed000 import NIN, NOTES, SOURCE, TRAINING, VGG_A

ABLATION = Ablation(
    question=__doc__,
    base=TRAINING,
    factors=dict(model=["conv", "drop", VGG_A, NIN, "resnet20", "resnet32", "resnet56"], dataset=["mnist", "cifar10"]),
    design="grid",
    seeds=3,
    source=SOURCE + ", section 6 (train vs test accuracy, accuracy vs log10 parameters, per-class accuracy)",
    notes=NOTES + "Every network is built as published (bn='default': batch norm in the ResNets only). The dataset "
    "is a factor so both of the report's comparisons come from one study; the charts show one panel "
    "per dataset. Cells the report did not report: resnet32 (in its program, not its results), "
    "resnet56 on MNIST, conv and drop on CIFAR-10 (the text gives them on MNIST only) and NIN on MNIST "
    "at 28 px (tried and 'omitted' for doing 'very poorly'; its x3 run is input_scale_mnist). The "
    "ResNets take He et al.'s option A shortcuts (zero-padded identity, 0.27M for ResNet-20); the "
    "report followed 'the implementation of ResNet published as part of Keras', whose projection "
    "shortcuts add about 4k parameters to ResNet-20.",
)
