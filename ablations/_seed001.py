"""Shared set-up of seed report 001 (CIFAR-10, baseline 2): not an ablation itself.

Each stage of that study carried the winners of the earlier stages forward; the bases below do the
same, so each named ablation reproduces its stage as the report ran it.
"""

SOURCE = "seed report 001 (CIFAR-10 ablation of a VGG-style baseline)"

# Baseline 2 as trained before any stage: Adam 1e-3, batch 32, 80/20 stratified split,
# early stopping on val_loss with patience 3 (ending on the last epoch's weights, Keras's default: the
# report names no restoring), twenty epochs.
BASE = dict(model="baseline2", dataset="cifar10", epochs=20, batch_size=32, bn="none", optimizer="adam",
            learning_rate=1e-3, val_fraction=0.2, early_stopping_patience=3)
AFTER_BN = {**BASE, "bn": "before"}  # stage 1 winner
AFTER_BATCH = {**AFTER_BN, "batch_size": 256}  # stage 2 winner
AFTER_INIT = {**AFTER_BATCH, "initializer": "he_normal"}  # stage 3 winner
AFTER_DROPOUT = {**AFTER_INIT, "dropout": "0.2,0.5,0.7", "epochs": 50}  # stage 4 winner, longer runs
AFTER_DECAY = {**AFTER_DROPOUT, "regularizer": "l2", "reg_strength": 1e-4}  # stage 5 choice
