"""Shared set-up of seed report 003 (Image classification CIFAR-100): not an ablation itself."""

SOURCE = "seed report 003 (Image classification CIFAR-100: SimpleNet, ResNeXt, Res2Net, wide ResNets)"

# Section 3.4: Adam, He-normal initialisation, no augmentation; section 5.3: runs ended by early
# stopping. 50 epochs is the longest run the report gives (SimpleNet, 63.6%).
TRAINING = dict(
    dataset="cifar100",
    optimizer="adam",
    learning_rate=1e-3,
    initializer="he_normal",
    epochs=50,
    batch_size=128,
    early_stopping_patience=5,
)
NOTES = (
    "The report states the optimiser (Adam, section 3.4, taken at Keras's default rate), the initialiser and "
    "that an early stopper ended runs (section 5.3), but not the batch size, the patience or what it watched: "
    "128 and 5 epochs of validation loss are assumed, ending on the last epoch's weights (Keras's default). "
    "Its protocol was a time budget: 'the best performance ... within the allowed training time of 6 hours', "
    "with the epochs each model could run in that time estimated; the suite has no time budget, so every "
    "network but SimpleNet (whose 50 epochs the report prints) gets the same cap of 50 epochs and early "
    "stopping. The report's "
    "validation split is not stated: the suite's 20%. One run each in the report; 3 seeds here. "
)
