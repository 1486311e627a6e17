"""Does data augmentation help the combined network: flips/shifts/zoom, cutout, mixup, or all of them?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import AFTER_DECAY, SOURCE

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_DECAY,
    factors=dict(augmentation=["none", "flip+shift+zoom", "cutout", "mixup", "flip+shift+zoom+cutout+mixup"]),
    seeds=3,
    source=SOURCE + ", stage 9 (test accuracy: none 83.7%, flip+shift+zoom 82.2%, mixup 83.7%, cutout 81.3%, "
    "all combined 78.6%)",
    notes="The report names the transforms but not their strengths; ours are fixed in training/augment.py: "
    "horizontal flips, shifts and zoom of +-10% (ImageDataGenerator-style, nearest-pixel fill), cutout of "
    "one 16x16 patch on 32x32 images (DeVries & Taylor 2017), mixup with alpha=1 (Zhang et al. 2017, "
    "CIFAR-10). The last level is the report's 'combined together'. Training batches only; validation "
    "and test data are never augmented. On digit data (digits, mnist) a mirrored digit is another or no "
    "digit, so there the flip levels measure harm, not help. The base is the report's combined model (83.7%: "
    "dropout 0.2/0.5/0.7, L2 1e-4, He, Adam 1e-3, batch 256, ReLU); it does not restate batch norm (carried, "
    "before the activation) or the epochs (50, as from the dropout stage on).",
)
