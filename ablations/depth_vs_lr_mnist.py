"""On MNIST, does VGG-16 or ResNet-18 tolerate SGD learning rates better?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed002 import GRID, NOTES, SOURCE, TRAINING

ABLATION = Ablation(
    question=__doc__,
    base={**TRAINING, "dataset": "mnist", "epochs": 10, "image_size": 32},  # "enlarged the images to 32 by 32"
    **GRID,
    source=SOURCE + ".B.1 and IV.C (MNIST, 10 epochs: VGG-16 9.8% / 99.5% / 99.5%, ResNet-18 99.2% / 99.4% / "
    "99.3% at lr 0.1 / 0.01 / 0.001)",
    notes=NOTES + "The report 'enlarged the images to 32 by 32 pixels': image_size=32, resized bilinearly (the method "
    "is not stated; PyTorch's transforms.Resize defaults to bilinear). No augmentation (the report names it for "
    "CIFAR-10 only).",
)
