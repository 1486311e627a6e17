"""Shared set-up of seed report 000 (Deeper networks for image classification): not an ablation itself."""

SOURCE = "seed report 000 (Deeper networks for image classification, MNIST and CIFAR-10)"

# Section 5: Adam with its defaults, 85/15 train/validation split, the learning rate halved after 3
# epochs without a drop of the training loss of at least 1e-4 (Keras ReduceLROnPlateau), stopping after 7
# (EarlyStopping, ending on the last epoch's weights: Keras's default); 50 epochs per run.
TRAINING = dict(optimizer="adam", learning_rate=1e-3, epochs=50, val_fraction=0.15, min_delta=1e-4,
                reduce_lr_on_plateau=True, reduce_lr_patience=3, reduce_lr_factor=0.5, reduce_lr_monitor="loss",
                early_stopping_patience=7, early_stopping_monitor="loss")
# "In these cases [VGG] the default initial learning-rate of 0.01 was used with a momentum of 0.1."
SGD = dict(optimizer="sgd", learning_rate=0.01, momentum=0.1)
