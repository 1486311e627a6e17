"""On MNIST, does VGG-16 or ResNet-18 tolerate SGD learning rates better?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed002 import GRID, NOTES, SOURCE, TRAINING

ABLATION = Ablation(
    question=__doc__,
    base={**TRAINING, "dataset": "mnist", "epochs": 10},
    **GRID,
    source=SOURCE + ".B.1 and IV.C (MNIST, 10 epochs: VGG-16 9.8% / 99.5% / 99.5%, ResNet-18 99.2% / 99.4% / "
    "99.3% at lr 0.1 / 0.01 / 0.001)",
    notes=NOTES + "The report 'enlarged the images to 32 by 32 pixels'; the suite upsamples by integer factors only "
    "(input_scale), so the digits stay at 28 px, which both networks take (VGG-16's five poolings "
    "round up: 28-14-7-4-2-1). No augmentation (the report names it for CIFAR-10 only).",
)
