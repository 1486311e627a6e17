"""Does a step learning-rate schedule (0.1, then 0.01 from half-way, 0.001 for the last quarter) lift seed report
004's ResNet past the constant rate?"""

from ablation_suite.ablations import Ablation, Level
from ablation_suite.ablations._seed004 import AUGMENTATION, CHECKPOINT, CODE, NOTES, SOURCE

EPOCHS = 100

ABLATION = Ablation(
    question=__doc__,
    base=dict(
        model="kth_resnet",
        dataset="cifar10",
        optimizer="sgd",
        learning_rate=0.1,
        momentum=0.9,
        epochs=EPOCHS,
        batch_size=128,
        augmentation=AUGMENTATION,
        regularizer="l2",
        reg_strength=1e-4,
        initializer="he_uniform",
        regularizer_scope="conv",  # BestResNet.py: L2 and He-uniform on its 3x3 convolutions, not on the shortcut
        initializer_scope="conv",  # projection or the logits
        standardize="image",
        val_fraction=0.1,
        **CHECKPOINT,
    ),
    factors=dict(
        schedule=[
            Level("step", lr_schedule="step"),
            Level("step_deeper", lr_schedule="step", model="kth_resnet_deep"),  # fig. 3c
            Level("constant", lr_schedule="constant"),
            Level("exponential", lr_schedule="exponential"),
            Level("cnn_optimisation", learning_rate=0.001, batch_size=64),
        ]
    ),
    seeds=3,
    source=SOURCE + ", section 5.2 (fig. 3a the ResNet 'with same optimization as CNN'; 3b with the step schedule, "
    "93.36%; 3c 'deeper', 93.78% after 100 epochs; linear and exponential decays 'did not improve')",
    notes=NOTES + "The schedule is the report's: 0.1 for the first half of the epochs, 0.01 to three quarters, 0.001 "
    "for the last quarter (BestResNet.py's callback drops it two epochs later, after epochs 52 and 77). "
    "The report gives no architecture for either ResNet. Fig. 3b's is kth_resnet, the one "
    + CODE
    + " committed as 'Best model, accuracy of 93,09% after 100 epochs' (BestResNet.py: 64-128 filters, "
    "3+3 blocks, batch norm after each ReLU, dropout 0.2). Fig. 3c's 'deeper' network (level step_deeper) is "
    "kth_resnet_deep, the repository's one deeper ResNet with this schedule (ResNet_Jan.ipynb: 32-64 filters, "
    "3+9 blocks, no dropout); that notebook trained it 50 epochs with cutout and 5% noisy labels, while fig. "
    "3c plots 100 epochs with the drop near epoch 50, so it trains here as the others do (ResNet.py's 2-5-5-2 "
    "network of 32-256 filters is from before the schedule, trained with Adam). From BestResNet.py, not the "
    "report: SGD momentum 0.9, batch 128, L2 1e-4 and He-uniform on the 3x3 convolutions only, each image "
    "standardised, shifts of 10% and horizontal flips, and the checkpoint on validation accuracy (the best "
    "epoch's weights are kept, every epoch trained). Levels: 'constant' keeps 0.1 throughout; 'exponential' "
    "decays to 0.001 over the "
    "run (the report tried exponential and linear decays without values; the suite has no linear "
    "one); 'cnn_optimisation' is fig. 3a, the CNN's SGD (lr 0.001, batch 64, constant). The CIFAR-100 "
    "run (section 5.2.3, 71.39%) is this study with --dataset cifar100 --study-name "
    "resnet_step_lr_cifar100.",
)
