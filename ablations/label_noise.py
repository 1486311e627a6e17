"""How much accuracy does the network lose when a share of its training labels is wrong?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import AFTER_DECAY

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_DECAY,
    factors=dict(label_noise=[0.0, 0.1, 0.2, 0.4]),
    seeds=3,
    source="seed report 004, sec. 4 (noisy labels: flipping a percentage of the training labels to test "
    "robustness; its conclusion lists them as not investigated further)",
    notes="004 gives neither levels nor results; 0.1, 0.2 and 0.4 are common symmetric-noise rates in the survey "
    "it cites (Song et al.). The network is seed report 001's combined baseline2. Noise is symmetric (each "
    "flipped label goes to one of the other classes); run with --set label_noise_kind=class_dependent (pair "
    "flips k -> k+1) as a separate --study-name. Validation and test labels stay clean, so early "
    "stopping and the ranking see true labels; each trial records the share it flipped "
    "(extra.label_noise_flipped).",
)
