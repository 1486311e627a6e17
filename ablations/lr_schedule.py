"""Which learning-rate schedule trains best: constant, step, exponential, cosine, warm-up + cosine,
one-cycle, or cuts on a plateau?"""

from ablation_suite.ablations import Ablation
from ablation_suite.ablations._seed001 import AFTER_DECAY

# SGD with momentum at 0.1, the optimiser and base rate seed report 004 scheduled; no early stopping,
# which would cut a schedule short.
# The plateau rule is seed report 000's (halve after 3 epochs without a training loss lower by 1e-4); it acts
# at the reduce_lr_on_plateau=True level only.
BASE = {
    **AFTER_DECAY,
    "optimizer": "sgd",
    "momentum": 0.9,
    "learning_rate": 0.1,
    "early_stopping_patience": 0,
    "reduce_lr_monitor": "loss",
    "reduce_lr_patience": 3,
    "reduce_lr_factor": 0.5,
    "reduce_lr_min_delta": 1e-4,
}

ABLATION = Ablation(
    question=__doc__,
    base=BASE,
    # Plateau cuts are a switch that combines with any schedule; its level here cuts the constant rate.
    factors=dict(
        lr_schedule=["constant", "step", "exponential", "cosine", "warmup_cosine", "one_cycle"],
        reduce_lr_on_plateau=[False, True],
    ),
    seeds=3,
    source="seed report 004, sec. 5.2.1 (SGD: 0.1 for the first half of the epochs, 0.01 to three quarters, "
    "then 0.001, its breakthrough past 89%; linear and exponential decays did not help) and seed report "
    "000 (ReduceLROnPlateau: halve the LR after 3 epochs without a lower training loss)",
    notes="Seed report 004 trained a ResNet for 100 epochs (its experiment as it ran: resnet_step_lr); here the "
    "network is seed report 001's combined baseline2 (50 epochs, batch 256), so every schedule is compared on "
    "the suite's common base, an extension of both reports. The momentum "
    "(0.9) is our choice: 004 names SGD with momentum without its value. Exponential decay ends at LR/100 "
    "like the step schedule; cosine anneals to 0; warm-up lasts warmup_epochs=5 (Goyal et al. 2017); "
    "one-cycle follows PyTorch's OneCycleLR defaults with 5 rising epochs. The plateau level halves the "
    "constant rate as 000 did: after 3 epochs without a training loss lower by 1e-4.",
)
