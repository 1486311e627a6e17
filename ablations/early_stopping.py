"""Does early stopping help: how patient, watching which metric, with what threshold, and should the
best epoch's weights be restored at the end?"""

from ablation_suite.ablations import Ablation, Level
from ablation_suite.ablations._seed001 import AFTER_DECAY
from ablation_suite.ablations._seed004 import CHECKPOINT

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_DECAY,
    factors=dict(
        rule=[
            Level("report_001", early_stopping_patience=3, early_stopping_monitor="val_loss"),
            Level("off", early_stopping_patience=0),
            Level("patience_7", early_stopping_patience=7),
            Level("monitor_val_accuracy", early_stopping_monitor="val_accuracy"),
            Level("monitor_loss", early_stopping_monitor="loss"),
            Level("min_delta_1e-4", early_stopping_min_delta=1e-4),
            Level("restore_best", restore_best_weights=True),
            Level(
                "report_000", early_stopping_patience=7, early_stopping_monitor="loss", early_stopping_min_delta=1e-4
            ),
            Level("report_004_checkpoint", early_stopping_patience=0, **CHECKPOINT),
        ]
    ),
    seeds=3,
    source="seed reports 001 (stop after 3 epochs without a lower validation loss), 000 (7 epochs without a "
    "lower training loss, changes under 1e-4 ignored) and 004 (a best-model checkpoint on validation "
    "accuracy, BestResNet.py)",
    notes="The base is seed report 001's combined baseline2 (50 epochs) with its early stopping as Keras runs it, "
    "ending on the last epoch's weights (001 names no restoring). The levels change one knob of that rule at "
    "a time (patience 0 turns early stopping off), then give the other two reports' rules whole: 000's "
    "(patience 7 on the training loss, min_delta 1e-4, no restoring; its plateau halving is not a stopping "
    "rule and is left out) and 004's checkpoint (no early stopping: every epoch trained, ending on the weights "
    "of the epoch of best validation accuracy, checkpoint='val_accuracy').",
)
