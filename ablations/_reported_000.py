"""Seed report 000 (Deeper networks for image classification): the values it states (rows of ablations/_reported.py)."""

from ablation_suite.ablations._reported_table import (
    ARCH,
    SCALE,
    SCALE_MNIST,
    STOPPING,
    Approx,
    Exactly,
    Includes,
    ShareOf,
    row,
    rows,
)

EPOCHS_000 = (
    "One run capped at 200 epochs, early stopping being the real stop: the report resumed runs of 50 epochs while "
    "the loss still fell (each resumption restarting the stopping and plateau counters) and does not say how many "
    "runs any configuration needed."
)
NIN_70 = (
    "NIN's dropout is 0.5, as the section 3.3 sketch draws it; section 6.2 speaks of a 70% rate, and one network "
    "cannot have both."
)

EXPERIMENTS_000 = (ARCH, SCALE, SCALE_MNIST)
VGG = 'model == "vgg11"'
VGG_MNIST = 'model == "vgg11" and dataset == "mnist"'

ROWS = [
    *rows(
        "000",
        134,
        "All pixel intensities in the range 0–255 were normalised into the range 0–1.",
        EXPERIMENTS_000,
        standardize="none",
    ),
    *rows(
        "000",
        134,
        "The **adam** (adaptive momentum) optimiser was used in the first instance for each configuration with "
        "default parameters.",
        EXPERIMENTS_000,
        where='model != "vgg11"',
        optimizer="adam",
        learning_rate=1e-3,
    ),
    row(
        "000",
        134,
        "An initial run of 50 epochs were run for each configuration. If the loss was still reducing after each run "
        "of 50 epochs the training would be resumed for another run.",
        EXPERIMENTS_000,
        "epochs",
        50,
        differs=EPOCHS_000,
    ),
    row(
        "000",
        134,
        "Weight initialisation uses the Keras-default of *glorot-uniform*",
        EXPERIMENTS_000,
        "initializer",
        "glorot_uniform",
    ),
    row("000", 134, "A training/validation split of 85%/15% was selected", EXPERIMENTS_000, "val_fraction", 0.15),
    *rows(
        "000",
        136,
        "reduce the learning rate by half if no reduction in training-set loss was shown over 3 epochs "
        "(**ReduceLROnPlateau**)",
        EXPERIMENTS_000,
        reduce_lr_on_plateau=True,
        reduce_lr_factor=0.5,
        reduce_lr_patience=3,
        reduce_lr_monitor="loss",
    ),
    *rows(
        "000",
        136,
        "stopping of training if no reduction in training-set loss was shown over 7 epochs (**EarlyStopping**)",
        EXPERIMENTS_000,
        early_stopping_patience=7,
        early_stopping_monitor="loss",
    ),
    *rows(
        "000",
        136,
        "The loss would be considered unchanged if it did not reduce by at least 0.0001.",
        EXPERIMENTS_000,
        early_stopping_min_delta=1e-4,
        reduce_lr_min_delta=1e-4,
    ),
    *rows(
        "000",
        (84, 138),
        "the VGG models resisted all attempts to train using the **adam** optimiser and so the slower-to-converge "
        "**SGD** optimiser was used instead ... the default initial learning-rate of 0.01 was used with a momentum "
        "of 0.1.",
        EXPERIMENTS_000,
        where=VGG,
        optimizer="sgd",
        learning_rate=0.01,
        momentum=0.1,
    ),
    *rows(
        "000",
        (66, 73),
        "regularised by weight decay (the L2 penalty multiplier set to $5 \\cdot 10^{-4}$ ) ... -> Dense[4096, L2] "
        "-> Dropout[0.5]",
        EXPERIMENTS_000,
        where=VGG,
        regularizer="l2",
        reg_strength=5e-4,
        regularizer_scope="dense",
    ),
    row(
        "000",
        (66, 73, 74),
        "dropout will be applied to the *outputs* of the fully-connected hidden layers ... -> Dense[4096, L2] -> "
        "Dropout[0.5] ... -> Dense[4096, L2] -> Dropout[0.5]",
        ARCH,
        "dropout_layers",
        (("dense", 0.5), ("dense", 0.5)),
        where=VGG_MNIST,
    ),
    row(
        "000",
        84,
        "The A variant has approximately 133 *million* trainable parameters when using a 224x224 input shape.",
        ARCH,
        "imagenet_parameters",
        Approx(133e6, 0.5e6),
        where=VGG_MNIST,
    ),
    row("000", 246, "Run VGG-A (11 layers) arch", ARCH, "weight_layers", 11, where=VGG_MNIST),
    row(
        "000",
        58,
        "After the final convolutional layer there are two fully-connected layers of 4,096 neurons using ReLU "
        "activations and then a final $K$ -neuron softmax layer",
        ARCH,
        "dense_units",
        (4096, 4096, 10),
        where=VGG_MNIST,
    ),
    row(
        "000",
        (44, 45),
        "Conv[32] -> MaxPool[2] -> Conv[64] -> MaxPool[2] -> Conv[64] -> Dense[64] -> Softmax[K]",
        ARCH,
        "dense_units",
        (64, 10),
        where='model == "conv" and dataset == "mnist"',
    ),
    row(
        "000",
        (95, 103, 104, 105),
        "mlpconv[3x3, 64] := Conv_3x3[64] -> Conv_1x1[64] -> Conv_1x1[64] ... mlpconv[5x5, 64] -> ... -> "
        "mlpconv[3x3, 128] -> ... -> mlpconv[3x3, 192] # n.b. final 1x1 outputs N features",
        ARCH,
        "conv_kernels",
        (5, 1, 1, 3, 1, 1, 3, 1, 1),
        where='model == "nin_report" and dataset == "cifar10"',
    ),
    row(
        "000",
        48,
        "This network has approximately 93 thousand trainable parameters.",
        ARCH,
        "parameters",
        Approx(93_000, 500),
        where='model == "conv" and dataset == "mnist"',
    ),
    row(
        "000",
        50,
        "A counterpart to CONV is DROP which is identical apart from the addition of a *dropout* layer",
        ARCH,
        "dropout_layers",
        (),
        where='model == "conv" and dataset == "mnist"',
    ),
    row(
        "000",
        50,
        "This layer is placed between the fully-connected hidden layer and the $K$ -neuron output layer with the "
        "probability of dropout set to 50%.",
        ARCH,
        "dropout_layers",
        (("dense", 0.5),),
        where='model == "drop" and dataset == "mnist"',
    ),
    row(
        "000",
        (100, 103, 104),
        "dropout is applied on the outputs of all but the last mlpconv layers ... mlpconv[5x5, 64] -> MaxPool[2] -> "
        "Dropout[0.5] ... -> mlpconv[3x3, 128] -> MaxPool[2] -> Dropout[0.5]",
        ARCH,
        "dropout_layers",
        (("pool", 0.5), ("pool", 0.5)),
        where='model == "nin_report" and dataset == "cifar10"',
    ),
    row(
        "000",
        176,
        "This is perhaps influenced/encouraged by the aggressive 70% dropout rate within the network.",
        ARCH,
        "dropout_rates",
        (0.7,),
        where='model == "nin_report" and dataset == "cifar10"',
        differs=NIN_70,
    ),
    row(
        "000",
        (117, 120),
        "Each convolutional layer is followed by batch normalisation (BN): ... Conv[16] -> BN -> ReLU -> Conv[16] -> "
        "BN -> + -> ReLU",
        ARCH,
        "bn",
        "before",
        where='model in ("resnet20", "resnet32", "resnet56")',
    ),
    row(
        "000",
        124,
        "ResNet20 which means there are 20 trainable layers in the network",
        ARCH,
        "weight_layers",
        20,
        where='model == "resnet20" and dataset == "mnist"',
    ),
    row(
        "000",
        158,
        "The RES20 architecture achieves an improvement of 0.1% over VGG-A despite having fewer than 2% of the "
        "trainable parameters.",
        ARCH,
        "parameters",
        ShareOf(0.02, VGG_MNIST),
        where='model == "resnet20" and dataset == "mnist"',
    ),
    row(
        "000",
        140,
        "The MNIST and CIFAR-10 datasets used were accessed using the **tf.keras.datasets** module.",
        ARCH,
        "dataset",
        Exactly("mnist", "cifar10"),
    ),
    row(
        "000",
        (156, 158),
        "inferior to the baseline models ... VGG-A fails to exceed the baseline model performance ... The RES20 "
        "architecture achieves an improvement of 0.1% over VGG-A",
        ARCH,
        "model",
        Includes("conv", "drop", "vgg11", "resnet20"),
        where='dataset == "mnist"',
    ),
    row(
        "000",
        124,
        "This report looks at ResNet20 for MNIST and CIFAR-10 and ResNet56 for CIFAR-10.",
        ARCH,
        "model",
        Includes("resnet20", "resnet56"),
        where='dataset == "cifar10"',
    ),
    row(
        "000",
        156,
        "VGG-A fails to exceed the baseline model performance on the unscaled 28x28 images but shows notable "
        "improvement when using inputs upsampled by a factor of 3.",
        SCALE_MNIST,
        "input_size",
        Includes(28, 84),
        where=VGG,
    ),
    row(
        "000",
        156,
        "when the images were upsampled by a factor of 3 to 84x84 it performed much better",
        SCALE_MNIST,
        "input_size",
        Includes(84),
        where='model == "nin_report"',
    ),
    row(
        "000",
        174,
        "The images scaled by a factor of 5 (x160) stand out a little from the others",
        SCALE,
        "input_size",
        Includes(160),
        where=VGG,
    ),
    row(
        "000",
        176,
        "the higher training-accuracy for the upscaled (x96) images but lower test accuracy when compared to the "
        "unscaled (x32) images",
        SCALE,
        "input_size",
        Includes(32, 96),
        where='model == "nin_report"',
    ),
    *rows(
        "000",
        136,
        "stopping of training if no reduction in training-set loss was shown over 7 epochs (**EarlyStopping**)",
        STOPPING,
        where='rule == "report_000"',
        early_stopping_patience=7,
        early_stopping_monitor="loss",
    ),
    row(
        "000",
        136,
        "The loss would be considered unchanged if it did not reduce by at least 0.0001.",
        STOPPING,
        "early_stopping_min_delta",
        1e-4,
        where='rule == "report_000"',
    ),
]
