"""The whole study of seed report 001, stage by stage, each stage starting from the earlier winners."""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import (
    BASE,
    DECAY,
    DROPOUT_RUNS,
    NINE,
    NINE_NOTES,
    RATES,
    SOURCE,
    TOP_FOUR_AT_DEFAULTS,
    at_rate,
)

ABLATION = Ablation(
    question=__doc__,
    base=BASE,
    design="chained",
    stages=[
        dict(bn=["none", "before", "after"]),
        dict(batch_size=[32, 64, 128, 256, 512]),
        dict(
            initializer=[
                "glorot_uniform",
                "zeros",
                "random_normal",
                "random_uniform",
                "glorot_normal",
                "he_uniform",
                "he_normal",
                "lecun_uniform",
                "lecun_normal",
            ]
        ),
        dict(run=DROPOUT_RUNS),
        dict(decay=DECAY),  # 'none' first: the stages before it start without decay
        dict(activation=["relu", "leaky_relu", "sigmoid", "tanh"], bn=["before", "none", "after"]),
        dict(optimizer=NINE),
        dict(optimizer=[at_rate(optimizer, rate) for optimizer in TOP_FOUR_AT_DEFAULTS for rate in RATES]),
        dict(augmentation=["none", "flip+shift+zoom", "cutout", "mixup", "flip+shift+zoom+cutout+mixup"]),
    ],
    seeds=3,
    source=SOURCE + ", stages 1-9 in the report's order (BN, batch size, initialiser, dropout, weight decay, "
    "activation x BN, optimiser, learning rate x optimiser, augmentation)",
    notes="Unlike the separate stage ablations, which carry the report's winners forward, this chain carries "
    "the winners it measures itself (best mean validation accuracy). Stages 1-3 train 20 epochs; the "
    "dropout stage's levels are the report's runs, each with its epoch budget (20 or 50), and the winner's "
    "budget is carried on (the report trained 50 from there). Weight decay is one stage, the report's fig. 6 "
    "grid (L1, L2, L1L2 x 1e-5..1e-2) as single levels, with no decay as its first level (the chain's start "
    "before that stage; fig. 6 shows no such level, the report compared with its dropout result). "
    + NINE_NOTES
    + "Stage 8 takes the four optimisers of the report's fig. 8 (RMSprop and SGD with their "
    "momentum) whatever stage 7 found, each at four learning rates; an optimiser and its rate are one level "
    "there, because stage 7 already sets SGD's rate.",
)
