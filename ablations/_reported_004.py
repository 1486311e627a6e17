"""Seed report 004 (Investigations on a modern ConvNet): the values it states (rows of ablations/_reported.py)."""

from ablation_suite.ablations._reported_table import (
    CNN,
    NO_DROPOUT,
    NORMS,
    RESNET,
    RESNET_C100,
    STOPPING,
    Above,
    Distinct,
    Includes,
    NoneOf,
    OneOf,
    Row,
    row,
    rows,
)

NO_ADAM = "No Adam level: the report names Adam among the optimisers it tried on the ResNet, without settings."
NO_LINEAR = (
    "No linear decay: the suite has no linear schedule (exponential decay, the other one the report tried, is a level)."
)

STEP = 'schedule == "step"'

BEST_RESNET = [
    row(
        "004",
        141,
        "started at a learning rate of 0.1 for the first half of the epochs of training",
        RESNET,
        "learning_rate",
        0.1,
        where=STEP,
    ),
    row(
        "004",
        141,
        "started at a learning rate of 0.1 for the first half of the epochs of training, then it changed to 0.01, "
        "and then the last quarter of the epochs it was 0.001.",
        RESNET,
        "lr_phases",
        ((0.1, 0.5), (0.01, 0.25), (0.001, 0.25)),
        where=STEP,
    ),
    row(
        "004",
        141,
        "*SGD* with a learning rate schedule was what the *ResNet* needed to improve beyond 89%.",
        RESNET,
        "optimizer",
        "sgd",
        where=STEP,
    ),
    row(
        "004",
        17,
        "Our best model achieved an accuracy of 93.78% after 100 training epochs.",
        RESNET,
        "epochs",
        100,
        where=STEP,
    ),
    *rows(
        "004",
        (26, 28),
        "In our best model we used *Dropout*, *Weight Decay*, *Batch Normalization*, ... *Data Augmentation, "
        "Scheduled Learning Rate*",
        RESNET,
        where=STEP,
        regularizer=NoneOf("none"),
        bn=OneOf("before", "after"),
        augmentation=NoneOf("none"),
        lr_schedule=NoneOf("constant"),
    ),
    row(
        "004",
        (26, 28),
        "In our best model we used *Dropout*, *Weight Decay*, *Batch Normalization*, ... *Data Augmentation, "
        "Scheduled Learning Rate*",
        RESNET,
        "dropout_layers",
        NoneOf(()),
        where=STEP,
    ),
]


def on_cifar100(rows_: list[Row]) -> list[Row]:
    """Section 5.2.3 ran the best ResNet on CIFAR-100 'Without any changes' (section 3): its rows, with those words."""
    return [
        Row(
            r.report,
            (41, *r.lines),
            "Without any changes, we still achieved 71.39 % accuracy. ... " + r.quote,
            (RESNET_C100,),
            r.field,
            r.value,
            r.where,
            r.differs,
        )
        for r in rows_
    ]


ROWS = [
    row(
        "004",
        82,
        "With the goal to build a model that would reach 90% test accuracy on the *CIFAR-10* data set",
        (CNN, NORMS, RESNET),
        "dataset",
        "cifar10",
    ),
    row(
        "004",
        (82, 84),
        "we started off by following [4] to set up a baseline *CNN*. The data was normalized and converted from ... "
        "integers to floats",
        (CNN, NORMS),
        "standardize",
        "none",
    ),
    *rows(
        "004",
        84,
        "The *SGD* optimizer was used with momentum and no regularization to begin with.",
        CNN,
        where='step == "baseline"',
        optimizer="sgd",
        momentum=Above(0.0),
        regularizer="none",
    ),
    *rows(
        "004",
        (76, 84),
        "Popular, but not always sufficient techniques are *data augmentation*, *weight decay*, *dropout* and *batch "
        "normalization*. ... The *SGD* optimizer was used with momentum and no regularization to begin with.",
        CNN,
        where='step == "baseline"',
        augmentation="none",
        bn="none",
    ),
    row(
        "004",
        (76, 84),
        "Popular, but not always sufficient techniques are *data augmentation*, *weight decay*, *dropout* and *batch "
        "normalization*. ... The *SGD* optimizer was used with momentum and no regularization to begin with.",
        CNN,
        "dropout_layers",
        (),
        where='step == "baseline"',
    ),
    row(
        "004",
        84,
        "showing how the model performed with *data augmentation* Fig.2a",
        CNN,
        "augmentation",
        NoneOf("none"),
        where='step == "augmentation"',
    ),
    row("004", 84, "and *dropout* Fig.2b", CNN, "dropout", NoneOf(*NO_DROPOUT), where='step == "dropout"'),
    *rows(
        "004",
        84,
        "By combining them, together with *batch normalization* and *weight decay* with *L2-norm*, a test accuracy "
        "of 84% was achieved",
        CNN,
        where='step == "combined"',
        augmentation=NoneOf("none"),
        dropout=NoneOf(*NO_DROPOUT),
        bn=OneOf("before", "after"),
        regularizer="l2",
    ),
    row(
        "004", 111, "(d) Best performing CNN, training for 400 epochs.", CNN, "epochs", 400, where='step == "best_cnn"'
    ),
    row(
        "004",
        153,
        "The best performing *CNN* reached a test accuracy of 88.62% in 100 epochs",
        CNN,
        "epochs",
        100,
        where='step == "best_cnn_100ep"',
    ),
    row(
        "004",
        84,
        "To ensure *batch normalization* performs best, we tested it against *layer*, *group*, and *instance "
        "normalization*.",
        NORMS,
        "normalization",
        Includes("batch", "layer", "group", "instance"),
    ),
    *BEST_RESNET,
    row(
        "004",
        145,
        "With the learning rate schedule implemented, the depth was investigated again and this time a deeper "
        "network improved the performance",
        RESNET,
        "model",
        Distinct(2),
        where='lr_schedule == "step"',  # kth_resnet and the deeper kth_resnet_deep
    ),
    row(
        "004",
        141,
        "Different optimizers, such as *Adam* and *SGD* with different learning rates, with both linear and "
        "exponential decays, had been investigated",
        RESNET,
        "optimizer",
        Includes("adam", "sgd"),
        differs=NO_ADAM,
    ),
    row(
        "004",
        141,
        "with both linear and exponential decays, had been investigated but did not improve the final accuracy.",
        RESNET,
        "lr_schedule",
        Includes("exponential", "linear"),
        differs=NO_LINEAR,
    ),
    *rows(
        "004",
        (84, 119),
        "The *SGD* optimizer was used with momentum ... (a) ResNet with same optimization as CNN.",
        RESNET,
        where='schedule == "cnn_optimisation"',
        optimizer="sgd",
        momentum=Above(0.0),
    ),
    row(
        "004",
        149,
        "we trained a *ResNet* with the same structure as our best performing *ResNet* (the only difference being "
        "the output layer containing 100 nodes instead of 10) on the *CIFAR-100* dataset.",
        RESNET_C100,
        "dataset",
        "cifar100",
    ),
    row(
        "004",
        149,
        "the only difference being the output layer containing 100 nodes instead of 10",
        RESNET_C100,
        "dense_units",
        (100,),
        where=STEP,
    ),
    *on_cifar100(BEST_RESNET),
    row(
        "004",
        74,
        "it evaluates the model after each epoch regarding loss or accuracy and saves either the entire model or "
        "just the weights ... one could simply load and use the best performing model instead of relying on the "
        "last training epoch.",
        STOPPING,
        "checkpoint",
        OneOf("loss", "accuracy", "val_loss", "val_accuracy"),
        where='rule == "report_004_checkpoint"',
    ),
]
