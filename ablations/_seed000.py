"""Shared set-up of seed report 000 (Deeper networks for image classification): not an ablation itself."""

from ablation_suite.ablations import Level

SOURCE = "seed report 000 (Deeper networks for image classification, MNIST and CIFAR-10)"

# Section 5: Adam with its defaults, 85/15 train/validation split, the learning rate halved after 3
# epochs without a drop of the training loss of at least 1e-4 (Keras ReduceLROnPlateau), stopping after 7
# (EarlyStopping, ending on the last epoch's weights: Keras's default, the report names no restoring).
# Epochs: runs of 50, resumed "if the loss was still reducing"; here one run capped at 200 (see EPOCHS).
TRAINING = dict(
    optimizer="adam",
    learning_rate=1e-3,
    epochs=200,
    val_fraction=0.15,
    early_stopping_min_delta=1e-4,  # "The loss would be considered unchanged if it did not reduce by at least 0.0001"
    reduce_lr_min_delta=1e-4,
    reduce_lr_on_plateau=True,
    reduce_lr_patience=3,
    reduce_lr_factor=0.5,
    reduce_lr_monitor="loss",
    early_stopping_patience=7,
    early_stopping_monitor="loss",
)
# "In these cases [VGG] the default initial learning-rate of 0.01 was used with a momentum of 0.1."
SGD = dict(optimizer="sgd", learning_rate=0.01, momentum=0.1)
# VGG-A "resisted all attempts to train using the adam optimiser" (section 3.2): its levels carry SGD, and the
# L2 5e-4 of its two 4096 dense layers ("Dense[4096, L2]", section 3.2), on those layers only.
VGG_A = Level("vgg11_sgd", model="vgg11", **SGD, regularizer="l2", reg_strength=5e-4, regularizer_scope="dense")
NIN = "nin_report"  # the report's own NIN (section 3.3), not the authors' Caffe model `nin`

NOTES = (
    "Epochs: the report trained runs of 50 epochs and resumed a run 'if the loss was still reducing'; here one "
    "run, capped at 200 epochs (four such runs), in which early stopping (7 epochs without a training loss lower "
    "by 1e-4) is the real stop. A resumed Keras fit starts its EarlyStopping and ReduceLROnPlateau counters "
    "afresh (the halved learning rate stays with the saved optimiser), so the report's runs could go on a few "
    "epochs past where this single run stops; the report does not say how many runs any configuration needed. "
    "No restoring of the best weights (Keras's default; the report names none). Batch size: not stated, Keras's "
    "default 32. The 85/15 split is stratified here (the report does not say). One run per configuration in the "
    "report; 3 seeds here. "
    "Networks: nin_report is the report's NIN (section 3.3: mlpconv 5x5 64, 3x3 128, 3x3 192; 380,426 "
    "parameters on CIFAR-10), not the authors' Caffe model; its dropout is the 0.5 of the section 3.3 sketch, "
    "while section 6.2 speaks of 'the aggressive 70% dropout rate within the network'. VGG-A (vgg11_sgd) trains "
    "with SGD, lr 0.01, momentum 0.1, as the report did; every other network with Adam, which the report used "
    "'in the first instance for each configuration' (it names no other network that needed SGD). VGG-A has the "
    "report's L2 5e-4 on its two 4096 dense layers only ('Dense[4096, L2]': regularizer_scope='dense'). "
)
