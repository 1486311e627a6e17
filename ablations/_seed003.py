"""Shared set-up of seed report 003 (Image classification on CIFAR-100): not an ablation itself."""

SOURCE = "seed report 003 (Image classification CIFAR-100: SimpleNet, ResNeXt, Res2Net, wide ResNets)"

# Section 3.4: Adam, He-normal initialisation, no augmentation; section 5.3: runs ended by early
# stopping. 50 epochs is the longest run the report gives (SimpleNet, 63.6%).
TRAINING = dict(dataset="cifar100", optimizer="adam", learning_rate=1e-3, initializer="he_normal", epochs=50,
                batch_size=128, early_stopping_patience=5)
NOTES = ("The report states the optimiser, initialiser and early stopping but not the batch size or patience: "
         "128 and 5 epochs are assumed. ")
