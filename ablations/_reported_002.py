"""Seed report 002 (VGG-16 and ResNet-18 under SGD): the values it states (rows of ablations/_reported.py)."""

from ablation_suite.ablations._reported_table import (
    VGG_RESNET,
    VGG_RESNET_MNIST,
    Exactly,
    NoneOf,
    OneOf,
    row,
    rows,
)

ROWS = [
    row(
        "002",
        51,
        "two different models (VGG-16, and ResNet18) were employed",
        (VGG_RESNET, VGG_RESNET_MNIST),
        "model",
        Exactly("vgg16", "resnet18_imagenet"),
    ),
    row(
        "002",
        210,
        "using the Stochastic gradient descent optimizer with many different learning rates",
        (VGG_RESNET, VGG_RESNET_MNIST),
        "optimizer",
        "sgd",
    ),
    row("002", 210, "I ran 10 epoch for the MNIST set", VGG_RESNET_MNIST, "epochs", 10),
    row("002", 210, "and 20 epochs for the CIFAR10 set", VGG_RESNET, "epochs", 20),
    *[
        row(
            "002",
            (210, lines),
            "I evaluated each model over three different learning rates for each dataset ... 0.1 0.01 0.001 0.1 0.01 "
            "0.001",
            experiment,
            "learning_rate",
            Exactly(0.1, 0.01, 0.001),
            where=f'model == "{model}"',
        )
        for experiment, lines in ((VGG_RESNET_MNIST, 346), (VGG_RESNET, 354))
        for model in ("vgg16", "resnet18_imagenet")
    ],
    row(
        "002",
        214,
        "I enlarged the images to 32 by 32 pixels and ran 10 epochs on this dataset",
        VGG_RESNET_MNIST,
        "input_size",
        32,
    ),
    row(
        "002",
        274,
        "the input images are already set to 32x32, so we don't need to change its dimensions.",
        VGG_RESNET,
        "input_size",
        32,
    ),
    row("002", 274, "data augmentation has been applied", VGG_RESNET, "augmentation", NoneOf("none")),
    row(
        "002",
        185,
        "resized the image to 32x32, added batch normalisation to speed up training times",
        (VGG_RESNET, VGG_RESNET_MNIST),
        "bn",
        OneOf("before", "after"),
        where='model == "vgg16"',
    ),
    row(
        "002",
        185,
        "and some dropout for better accuracy",
        VGG_RESNET,
        "dropout_layers",
        NoneOf(()),
        where='model == "vgg16" and learning_rate == 0.1',
    ),
    row(
        "002",
        57,
        "It introduces five VGG blocks where each are composed of a 3x3 convolutional layer with 1 padding",
        VGG_RESNET,
        "conv_kernels",
        (3,) * 13,
        where='model == "vgg16" and learning_rate == 0.1',
    ),
    row(
        "002",
        57,
        "the first two blocks have two convolutional layers with their respective ReLU layer while the next three "
        "blocks have three convolutional",
        VGG_RESNET,
        "conv_layers",
        13,
        where='model == "vgg16" and learning_rate == 0.1',
    ),
    row(
        "002",
        59,
        "This flattened vector is then fed into three fully connected layers where the first two have 4096 neurons "
        "each. ... the last fully connected layer has a few neurons equal to the number of classes",
        VGG_RESNET,
        "dense_units",
        (4096, 4096, 10),
        where='model == "vgg16" and learning_rate == 0.1',
    ),
    row(
        "002",
        109,
        "The ResNet-18 architecture starts with a 7x7 convolutional layer and a batch normalisation that is activated "
        "by a ReLU function",
        (VGG_RESNET, VGG_RESNET_MNIST),
        "bn",
        "before",
        where='model == "resnet18_imagenet"',
    ),
    *rows(
        "002",
        109,
        "The ResNet-18 architecture starts with a 7x7 convolutional layer and a batch normalisation that is activated "
        "by a ReLU function and followed by 3x3 max pooling layer.",
        VGG_RESNET,
        where='model == "resnet18_imagenet" and learning_rate == 0.1',
        stem_kernel=(7, 7),
        stem_pool=(3, 3),
    ),
]
