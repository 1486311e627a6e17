"""One trial: datasets and splits, augmentation, optimisers, schedules, ``train(config) -> TrialResult``.

Importing this package is cheap: TensorFlow/Keras are imported only by the modules that need them
(``training.trainer``, ``training.augment``, ``training.schedules``);
``training.data`` needs numpy and scikit-learn only. The Config itself is the leaf package ``config``.
"""
