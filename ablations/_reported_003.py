"""Seed report 003 (Image classification CIFAR-100): the values it states (rows of ablations/_reported.py)."""

from ablation_suite.ablations._reported_table import (
    RESNEXT,
    WIDE,
    ZOO,
    Above,
    Exactly,
    Includes,
    row,
    rows,
)

BUDGET = (
    "No time budget: the networks train for epochs, not for the epochs each could run in 6 hours (SimpleNet the 50 "
    "the report prints, the others a cap of 50 with early stopping; the suite counts training in epochs)."
)

RESNEXTS = 'model in ("resnext_small1", "resnext_small2", "resnext_small3")'
RESNEXT_35_CELL = 'model == "resnext_sec3.5"'  # the level that runs section 3.5's network

ROWS = [
    row("003", 1, "# Image Classification CIFAR100", (ZOO, RESNEXT, WIDE), "dataset", "cifar100"),
    *rows(
        "003",
        36,
        "we used batch-normalization with moving average fraction of 0.95 before any ReLU non-linearity.",
        ZOO,
        where='model == "simplenet"',
        bn_momentum=0.95,
        bn="before",
    ),
    row(
        "003",
        (29, 36),
        "We propose a simple convolutional network with 13 layers. The network employs a homogeneous design "
        "utilizing 3 X 3 kernels for convolutional layer ... The only layers which do not use 3 X 3 kernels are 11th "
        "and 12th layers, these layers, utilize 1 X 1 convolutional kernels.",
        ZOO,
        "conv_kernels",
        (3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 1, 3),
        where='model == "simplenet"',
    ),
    row("003", 62, "After training for 50 epochs: 0.6356", ZOO, "epochs", 50, where='model == "simplenet"'),
    row(
        "003",
        156,
        "The best performance obtained by different models within the allowed training time of 6 hours was "
        "calculated. For every model, number of epochs that we would be able to execute within the permitted time "
        "were estimated.",
        (ZOO, WIDE),
        "time_budget_hours",
        6,
        differs=BUDGET,
    ),
    row(
        "003",
        (158, 165, 166, 167),
        "SimpleNet: 63.56 % ... ResNext1 init: 32; 1: 32, 16; 2: 16, 8 ... ResNext2 init: 64; 1: 64, 32; 2: 32, 16; "
        "3: 16, 8 ... ResNext3 init: 16; 1: 16, 8; 2: 8, 4; 3: 4, 4",
        ZOO,
        "model",
        Exactly("simplenet", "resnext_small1", "resnext_small2", "resnext_small3"),
    ),
    row(
        "003",
        112,
        "Conv2D and Dense initializers: he normal",
        (ZOO, RESNEXT),
        "initializer",
        "he_normal",
        where=RESNEXTS,
    ),
    row(
        "003",
        112,
        "Conv2D and Dense initializers: he normal",
        (ZOO, RESNEXT),
        "initializer_scope",
        "all",
        where=RESNEXTS,
    ),
    row("003", 114, "Optimizer: Adam", (ZOO, RESNEXT), "optimizer", "adam", where=RESNEXTS),
    row("003", 116, "Data Augmentation Used: None", (ZOO, RESNEXT), "augmentation", "none", where=RESNEXTS),
    row(
        "003",
        162,
        "Finally a Dense Layer with number of classes neurons(100)",
        ZOO,
        "dense_units",
        (100,),
        where=RESNEXTS,
    ),
    row(
        "003",
        120,
        "Completed training and testing of Resnext After training for 10 epochs: 56.25",
        RESNEXT,
        "epochs",
        10,
        where=RESNEXT_35_CELL,
    ),
    row(
        "003",
        98,
        "Conv2D: 64 filters, 3x3 kernel, stride 1x1, padding none",
        RESNEXT,
        "stem_filters",
        64,
        where=RESNEXT_35_CELL,
    ),
    *rows(
        "003",
        98,
        "Conv2D: 64 filters, 3x3 kernel, stride 1x1, padding none",
        (ZOO, RESNEXT),
        where=RESNEXTS,
        stem_kernel=(3, 3),
        stem_strides=(1, 1),
        stem_padding="valid",
    ),
    row(
        "003",
        110,
        "Dense Layer i.e. single fully connected layer with 100 neurons",
        RESNEXT,
        "dense_units",
        (100,),
        where=RESNEXTS,
    ),
    row(
        "003",
        (171, 174, 179),
        "N is number of residual conv blocks in Resnet and k is width of of ... WideResnet1 N=2 k=2 ... "
        "WideResnet6 N=4 k=4",
        WIDE,
        "model",
        Includes("wrn_16_2", "wrn_16_4", "wrn_16_8", "wrn_16_16", "wrn_28_2", "wrn_28_4"),
    ),
    row(
        "003",
        183,
        "Note: We had implemented an early-stopper due which results are slightly altered.",
        WIDE,
        "early_stopping_patience",
        Above(0),
    ),
]
