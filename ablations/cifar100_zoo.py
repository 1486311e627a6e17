"""Which of SimpleNet, ResNeXt-29, WRN-28-10 and Res2NeXt-29 classifies CIFAR-100 best for its size?"""

from ablations import Ablation
from ablations._seed003 import NOTES, SOURCE, TRAINING

ABLATION = Ablation(
    question=__doc__,
    base=TRAINING,
    factors=dict(model=["simplenet", "resnext29", "wide_resnet", "res2net"]),
    seeds=3,
    source=SOURCE + ", section 5 (the four models)",
    notes=NOTES + "Each network is built as published (batch norm before the activations); the report's own "
                  "ResNeXt and Res2Net were smaller, unfinished versions.",
)
