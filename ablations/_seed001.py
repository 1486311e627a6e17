"""Shared set-up of seed report 001 (CIFAR-10, baseline 2): not an ablation itself.

Each stage of that study carried the winners of the earlier stages forward; the bases below do the
same, so each named ablation reproduces its stage as the report ran it.
"""

from ablation_suite.ablations import Level

SOURCE = "seed report 001 (CIFAR-10 ablation of a VGG-style baseline)"

# Baseline 2 as trained before any stage: Adam 1e-3, batch 32, 80/20 stratified split,
# early stopping on val_loss with patience 3 (ending on the last epoch's weights, Keras's default: the
# report names no restoring), twenty epochs.
BASE = dict(
    model="baseline2",
    dataset="cifar10",
    epochs=20,
    batch_size=32,
    bn="none",
    optimizer="adam",
    learning_rate=1e-3,
    val_fraction=0.2,
    early_stopping_patience=3,
)
AFTER_BN = {**BASE, "bn": "before"}  # stage 1 winner
AFTER_BATCH = {**AFTER_BN, "batch_size": 256}  # stage 2 winner
AFTER_INIT = {**AFTER_BATCH, "initializer": "he_normal"}  # stage 3 winner
AFTER_DROPOUT = {**AFTER_INIT, "dropout": "0.2,0.5,0.7", "epochs": 50}  # stage 4 winner, longer runs
AFTER_DECAY: dict = {**AFTER_DROPOUT, "regularizer": "l2", "reg_strength": 1e-4}  # stage 5 choice

# Stage 4, the report's four dropout runs (each with its epoch budget) and the network without dropout at both:
# "a constant dropout factor of 0.2 on each convolutional layer" (six sites); the increasing rates are "for each
# block of convolutional layer" (three).
DROPOUT_RUNS = [
    Level("none_20ep", dropout="off", epochs=20),
    Level("d0.2_20ep", dropout="0.2", dropout_sites="convs", epochs=20),
    Level("d0.5_20ep", dropout="0.5", dropout_sites="convs", epochs=20),
    Level("none_50ep", dropout="off", epochs=50),
    Level("d0.5_50ep", dropout="0.5", dropout_sites="convs", epochs=50),
    Level("d0.2-0.5-0.7_50ep", dropout="0.2,0.5,0.7", epochs=50),
]
# Stage 5 (fig. 6): L1, L2, L1L2 over magnitudes on a log scale, each regulariser and strength one level, after
# the no-decay control.
STRENGTHS = (1e-5, 1e-4, 1e-3, 1e-2)
DECAY = [Level("none", regularizer="none")] + [
    Level(f"{kind}_{strength:.0e}", regularizer=kind, reg_strength=strength)
    for kind in ("l2", "l1", "l1l2")
    for strength in STRENGTHS
]

# Stage 7: "a range of these algorithms at their default settings - bar RMSprop and stochastic gradient descent,
# which are tested with momentum and momentum and Nesterov momentum respectively"; "a total of nine".
MOMENTUM = 0.9  # the report names momentum, not its value
RMSPROP_MOMENTUM = Level("rmsprop_momentum", optimizer="rmsprop", momentum=MOMENTUM)
SGD_MOMENTUM = Level("sgd_momentum", optimizer="sgd", momentum=MOMENTUM)
SGD_DEFAULT_LR = 0.01  # Keras's default for SGD; every other optimiser's default is the base's 1e-3
SGD_MOMENTUM_AT_DEFAULT = Level("sgd_momentum", optimizer="sgd", learning_rate=SGD_DEFAULT_LR, momentum=MOMENTUM)
NINE = [
    "adam",
    SGD_MOMENTUM_AT_DEFAULT,
    Level("sgd_nesterov", optimizer="sgd", learning_rate=SGD_DEFAULT_LR, momentum=MOMENTUM, nesterov=True),
    RMSPROP_MOMENTUM,
    "adamax",
    "nadam",
    "adagrad",
    "adadelta",
    "ftrl",
]
NINE_NOTES = (
    "The nine optimisers are never named; read from the text: every optimiser tf.keras 2 had (SGD, RMSprop, Adam, "
    "Adadelta, Adagrad, Adamax, Nadam, Ftrl: eight) at its default settings, RMSprop tested with momentum and "
    "SGD with momentum and with Nesterov momentum, which makes nine (AdamW, not in tf.keras 2, is left out). "
    "Defaults are Keras's: learning rate 0.01 for SGD, 1e-3 for the others. The momentum (0.9) is our choice: "
    "the report gives no value. "
)
TOP_FOUR = ["adam", RMSPROP_MOMENTUM, SGD_MOMENTUM, "adamax"]  # stage 8 (fig. 8), with their stage 7 momentum
TOP_FOUR_AT_DEFAULTS = ["adam", RMSPROP_MOMENTUM, SGD_MOMENTUM_AT_DEFAULT, "adamax"]  # as stage 7 ran them
RATES = (1e-3, 1e-4, 1e-2, 1e-1)  # fig. 8's log scale (its values are not given), Adam's default first


def at_rate(optimizer, rate: float):
    """A stage 7 optimiser level (of NINE) at a learning rate, as one level named e.g. adam_lr0.01: the stage 7
    level itself at its own (default) rate, so a chain never trains one run under two names."""
    if isinstance(optimizer, Level):
        name, sets = optimizer.name, optimizer.sets
    else:
        name, sets = optimizer, {"optimizer": optimizer}
    if sets.get("learning_rate", BASE["learning_rate"]) == rate:
        return optimizer
    return Level(f"{name}_lr{rate:g}", **{**sets, "learning_rate": rate})
