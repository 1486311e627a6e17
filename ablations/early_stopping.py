"""Does early stopping help: how patient, watching which metric, with what threshold, and should the
best epoch's weights be restored at the end?"""

from ablations import Ablation
from ablations._seed001 import AFTER_DECAY

ABLATION = Ablation(
    question=__doc__,
    base=AFTER_DECAY,
    factors=dict(early_stopping_patience=[3, 0, 7], early_stopping_monitor=["val_loss", "val_accuracy", "loss"],
                 min_delta=[0.0, 1e-4], restore_best_weights=[False, True]),
    seeds=3,
    source="seed reports 001 (stop after 3 epochs without a lower validation loss), 000 (7 epochs without a "
           "lower training loss, changes under 1e-4 ignored) and 004 (early stopping with a best-model checkpoint)",
    notes="The base is seed report 001's combined baseline2 (50 epochs) with its early stopping as Keras runs it, "
          "ending on the last epoch's weights (001 names no restoring); patience 0 turns early stopping off. "
          "Restoring the best epoch's weights is the level that stands for 004's best-model checkpoint. (A base "
          "that restored would set a knob that does nothing at the 'off' level, which the suite refuses.)",
)
