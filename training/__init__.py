"""One trial: Config, datasets and splits, optimisers, ``train(config) -> TrialResult``.

Importing this package is cheap: TensorFlow is only imported by the modules that need it
(``training.trainer``, ``training.optimizers``), so ablation files and the CLI's validation stay fast.
"""
