"""The values seed report 001 states (CIFAR-10 ablation of a VGG-style baseline): rows of _reported.py."""

from ablation_suite.ablations._reported_table import (
    ACTIVATION,
    BATCH,
    BN,
    CHAIN,
    COMBINED,
    DECAY,
    DEPTH,
    DROPOUT,
    INIT,
    NO_DROPOUT,
    OPTIMIZERS,
    RATES,
    STOPPING,
    Above,
    Distinct,
    Exactly,
    Includes,
    NoneOf,
    OneOf,
    row,
    rows,
)

SITES = (
    "The increasing rates sit once per block, after its pooling, as the run's own sentence says (\"increasing values "
    'for each block of convolutional layer in Baseline-2: 0.2, 0.5, 0.7", line 80); "per layer" here would put '
    "them after each of the six convolutions, with three rates for six sites."
)
CHAIN_WINNERS = (
    "The chain carries the winners it measures, not the report's: from the dropout stage on it starts from the "
    "batch size and initialiser its own stages 2 and 3 chose (its cells list their first levels until then)."
)

EXPERIMENTS_001 = (DEPTH, BN, BATCH, INIT, DROPOUT, DECAY, ACTIVATION, OPTIMIZERS, RATES, COMBINED, CHAIN)
AFTER_STAGE_3 = (DROPOUT, DECAY, ACTIVATION, OPTIMIZERS, RATES, COMBINED)  # "Going forward, He ... and 256"
HE = OneOf("he_normal", "he_uniform")  # "He" initialisation, normal or uniform not said

ROWS = [
    row(
        "001",
        9,
        "inputs RGB values are normalized to be between $[0, 1]$",
        EXPERIMENTS_001,
        "standardize",
        "none",
    ),
    *rows(
        "001",
        43,
        "These were trained on an 80/20 split of the training data (training, validation) and had callbacks "
        "monitoring validation loss that would halt training if no improvement was seen for three epochs.",
        EXPERIMENTS_001,
        val_fraction=0.2,
        early_stopping_monitor="val_loss",
        early_stopping_patience=3,
    ),
    *rows(
        "001",
        43,
        "had callbacks monitoring validation loss that would halt training if no improvement was seen for three "
        "epochs.",
        STOPPING,
        where='rule == "report_001"',
        early_stopping_monitor="val_loss",
        early_stopping_patience=3,
    ),
    row(
        "001",
        (55, 89),
        "These models' convolutional layers use ReLU activation functions ... The project had so far made use of ReLU",
        (DEPTH, BN, BATCH, INIT, DROPOUT, DECAY),
        "activation",
        "relu",
    ),
    row("001", 64, "when compared to TensorFlow's default batch size of 32", (DEPTH, BN), "batch_size", 32),
    row(
        "001",
        (9, 15),
        "we begin with a smaller-sized network with only two convolutional layers and a fully connected (dense) "
        "output layer ... In the first baseline the dense layer is used only as an output layer.",
        DEPTH,
        "conv_layers",
        2,
        where='model == "baseline1"',
    ),
    row(
        "001",
        9,
        "the second baseline expands on this by increasing the depth of the network by four additional "
        "convolutional layers",
        DEPTH,
        "conv_layers",
        6,
        where='model == "baseline2"',
    ),
    *[
        row(
            "001",
            11,
            "The filter sizes scale upwards with each convolutional block whereas kernel size is kept at 3×3",
            DEPTH,
            "conv_kernels",
            kernels,
            where=f'model == "{model}"',
        )
        for model, kernels in (("baseline1", (3, 3)), ("baseline2", (3, 3, 3, 3, 3, 3)))
    ],
    row(
        "001",
        (15, 29),
        "In the first baseline the dense layer is used only as an output layer. ... as the dense layer within the "
        "baseline is also the output layer",
        DEPTH,
        "dense_units",
        (10,),
    ),
    row("001", 57, "Batch Normalization is then introduced to combat this overfitting.", DEPTH, "bn", "none"),
    *[
        row(
            "001",
            57,
            "Both baselines were tested with BN before and after the activation functions",
            BN,
            "bn",
            Includes("before", "after"),
            where=f'model == "{model}"',
            runs="bn_both_baselines",
        )
        for model in ("baseline1", "baseline2")
    ],
    *rows(
        "001",
        62,
        "Figure 3. Baseline-2: validation loss and validation accuracy with BN applied before and after activation "
        "functions",
        BN,
        runs="bn_placement",
        bn=Includes("before", "after"),
        model="baseline2",
    ),
    row(
        "001",
        57,
        "Both baselines were tested with BN before and after the activation functions",
        CHAIN,
        "bn",
        Includes("before", "after"),
    ),
    *rows(
        "001",
        64,
        "Maintaining applying BN before the activation function for Baseline-2 and testing different settings for "
        "batch size",
        BATCH,
        bn="before",
        model="baseline2",
    ),
    row(
        "001",
        64,
        "A batch size of 256 seemingly outperformed the others ... compared to TensorFlow's default batch size of 32",
        (BATCH, CHAIN),
        "batch_size",
        Includes(32, 256),
    ),
    row(
        "001",
        (27, 71),
        "randomly sampled from Gaussian or uniform distributions [9] however ... a form of *Glorot* (Xavier) "
        "initialization is used [8] whereas ... *He* initialization is preferred [11]. ... initializing the weights "
        "to zero ... *He* initialization worked best",
        (INIT, CHAIN),
        "initializer",
        Includes(
            "zeros", "random_normal", "random_uniform", OneOf("glorot_uniform", "glorot_normal"), OneOf(*HE.values)
        ),
    ),
    *rows(
        "001",
        71,
        "Going forward, *He* initialization and batch size 256 are applied to all experiments.",
        AFTER_STAGE_3,
        initializer=HE,
        batch_size=256,
    ),
    *rows(
        "001",
        71,
        "Going forward, *He* initialization and batch size 256 are applied to all experiments.",
        CHAIN,
        where='run == "d0.2_20ep"',
        differs=CHAIN_WINNERS,
        initializer=HE,
        batch_size=256,
    ),
    row(
        "001",
        73,
        "The first dropout tests used a constant dropout factor of 0.2 on each convolutional layer.",
        (DROPOUT, CHAIN),
        "dropout_sites",
        "convs",
        where='run in ("d0.2_20ep", "d0.5_20ep", "d0.5_50ep")',
    ),
    row(
        "001",
        29,
        "we solely experiment with dropout applied after the convolutional layers. Both fixed rates and "
        "increasingly large dropout rates per layer are tested.",
        (DROPOUT, CHAIN),
        "dropout_sites",
        "convs",
        where='run == "d0.2-0.5-0.7_50ep"',
        differs=SITES,
    ),
    *rows(
        "001",
        73,
        "The first dropout tests used a constant dropout factor of 0.2 on each convolutional layer. After twenty "
        "epochs",
        (DROPOUT, CHAIN),
        where='run == "d0.2_20ep"',
        dropout="0.2",
        epochs=20,
    ),
    *rows(
        "001",
        73,
        "Increasing dropout factor to a constant 0.5 had a negative effect and dropped the test accuracy score to "
        "75.54% after twenty epochs.",
        (DROPOUT, CHAIN),
        where='run == "d0.5_20ep"',
        dropout="0.5",
        epochs=20,
    ),
    *rows(
        "001",
        73,
        "a constant 0.5 ... epochs were increased to 50 and this was tested once again.",
        (DROPOUT, CHAIN),
        where='run == "d0.5_50ep"',
        dropout="0.5",
        epochs=50,
    ),
    row(
        "001",
        80,
        "ing values for each block of convolutional layer in Baseline-2: 0.2, 0.5, 0.7.",
        (DROPOUT, CHAIN),
        "dropout",
        "0.2,0.5,0.7",
        where='run == "d0.2-0.5-0.7_50ep"',
    ),
    row(
        "001",
        (31, 82),
        "Techniques for doing so are $L1$, $L2$, and $L1 L2$ ... tested are L1, L2, and L1.L2.",
        (DECAY, CHAIN),
        "regularizer",
        Includes("l1", "l2", "l1l2"),
    ),
    row(
        "001",
        82,
        "This image shows fairly similar performance in the 1×10^{-5} to 1×10^{-3} range. Past this L1 and L1.L2 "
        "drop off",
        (DECAY, CHAIN),
        "reg_strength",
        Includes(1e-5, 1e-3, 1e-2),
        where='regularizer != "none"',
    ),
    row(
        "001",
        82,
        "varying amount of weight regularization applied to each trainable layer in the network",
        (DECAY, CHAIN),
        "regularizer_scope",
        "all",
        where='regularizer != "none"',
    ),
    row(
        "001",
        31,
        "we test the regularizing effect of weight decay at different orders of magnitude both with and without "
        "dropout layers.",
        DECAY,
        "dropout",
        Includes(OneOf("off", "default"), NoneOf(*NO_DROPOUT)),
    ),
    *rows(
        "001",
        (33, 35),
        "The activation function experiments in this project test ReLU, Leaky ReLU ... sigmoid, and tanh. ... "
        "tested in the context of: before a batch normalization layer, with no BN, after a BN layer.",
        (ACTIVATION, CHAIN),
        activation=Exactly("relu", "leaky_relu", "sigmoid", "tanh"),
        bn=Exactly("before", "none", "after"),
    ),
    row("001", 91, "A total of nine were initially tested (Appendix A, Figure 15)", OPTIMIZERS, "level", Distinct(9)),
    row(
        "001",
        37,
        "After testing a range of these algorithms at their default settings - bar RMSprop [13] and stochastic "
        "gradient descent, which are tested with momentum and momentum and Nesterov momentum [29] respectively",
        (OPTIMIZERS, CHAIN),
        "momentum",
        Above(0.0),
        where='optimizer in ("rmsprop", "sgd")',
    ),
    row(
        "001",
        37,
        "stochastic gradient descent, which are tested with momentum and momentum and Nesterov momentum [29] "
        "respectively",
        (OPTIMIZERS, CHAIN),
        "nesterov",
        Includes(False, True),
        where='optimizer == "sgd"',
    ),
    row(
        "001",
        37,
        "After testing a range of these algorithms at their default settings",
        OPTIMIZERS,
        "learning_rate",
        0.01,
        where='optimizer == "sgd"',
    ),
    row(
        "001",
        37,
        "After testing a range of these algorithms at their default settings",
        OPTIMIZERS,
        "learning_rate",
        1e-3,
        where='optimizer != "sgd"',
    ),
    row(
        "001",
        (91, 103),
        "the top four best performing were explored in greater depths by varying the initial value for learning "
        "rate. ... RMSprop and Adam's performances ... Stochastic gradient descent and Adamax both perform better at "
        "large initial learning rates",
        RATES,
        "optimizer",
        Exactly("adam", "rmsprop", "sgd", "adamax"),
    ),
    row(
        "001",
        103,
        "the default learning rate for Adam (1×10^{-3}) appears well suited.",
        RATES,
        "learning_rate",
        Includes(1e-3),
        where='optimizer == "adam"',
    ),
    *rows(
        "001",
        105,
        "incrementally increasing dropout rates per convolutional layer, L2 weight decay (1×10^{-4}), and He weight "
        "initialization, into one model. This model uses the Adam optimizer with an initial learning rate of "
        "1×10^{-3} , a batch size of 256 for training, and ReLU activation functions in the convolutional layers.",
        COMBINED,
        regularizer="l2",
        reg_strength=1e-4,
        initializer=HE,
        optimizer="adam",
        learning_rate=1e-3,
        batch_size=256,
        activation="relu",
    ),
    row(
        "001",
        105,
        "incrementally increasing dropout rates per convolutional layer",
        COMBINED,
        "dropout_sites",
        "convs",
        differs=SITES,
    ),
    row(
        "001",
        105,
        "This model scores 83.7% on the CIFAR-10 test set. ... Applying width and height shifts, horizontal flips, "
        "and zooms yielded an accuracy of 82.2%. More recent techniques such as mixup [34] and cutout [6] performed "
        "similarly ... When combined together",
        (COMBINED, CHAIN),
        "augmentation",
        Includes("none", "flip+shift+zoom", "mixup", "cutout", "flip+shift+zoom+cutout+mixup"),
    ),
]
