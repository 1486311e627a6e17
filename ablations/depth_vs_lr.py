"""Does the deeper plain network (VGG-16) or the residual one (ResNet-18) tolerate SGD learning rates better?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed002 import GRID, NOTES, SOURCE, TRAINING

ABLATION = Ablation(
    question=__doc__,
    base={**TRAINING, "dataset": "cifar10", "epochs": 20, "augmentation": "flip+shift"},
    **GRID,
    source=SOURCE + ".B.2 and IV.C (CIFAR-10, 20 epochs: VGG-16 10% / 87.1% / 89.2%, ResNet-18 88.7% / 90% / "
    "90.1% at lr 0.1 / 0.01 / 0.001)",
    notes=NOTES + "CIFAR-10 'data augmentation has been applied' without saying which: horizontal flips and shifts "
    "of up to 10% (the suite's; PyTorch's usual CIFAR recipe is a 32 px random crop after 4 px "
    "padding). MNIST (10 epochs, no augmentation) is depth_vs_lr_mnist.",
)
