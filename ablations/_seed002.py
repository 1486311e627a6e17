"""Shared set-up of seed report 002 (Deeper networks for image classification: VGG-16 and ResNet-18): not an
ablation itself."""

SOURCE = "seed report 002 (Deeper networks for image classification: VGG-16 and ResNet-18), section IV"

# Section IV.B: SGD at 0.1, 0.01 and 0.001, cross-entropy, no early stopping, the last epoch's test accuracy;
# VGG-16 "added batch normalisation ... and some dropout" (section III.B); ResNet-18 with its ImageNet stem.
TRAINING = dict(optimizer="sgd", momentum=0.9, batch_size=128, bn="before", bn_momentum=0.9, val_fraction=0.1)
# Both datasets' studies: each network at each SGD learning rate (sections IV.B and IV.C).
GRID: dict = dict(
    factors=dict(model=["vgg16", "resnet18_imagenet"], learning_rate=[0.1, 0.01, 0.001]), design="grid", seeds=3
)
NOTES = (
    "Not stated by the report and chosen here: SGD momentum 0.9 (PyTorch's default is 0, but VGG-16 with batch "
    "norm diverging at lr 0.1, and reaching 89% in 20 epochs at lr 0.001, both point to momentum), batch size "
    "128, and batch-norm momentum 0.9 (PyTorch's BatchNorm default, momentum=0.1 in its convention). VGG-16's "
    "batch norm sits before each ReLU, on its two 4096 dense layers too (torchvision's vgg16_bn has it on the "
    "convolutions only; the report says only that it was added); its 'some dropout' is 0.5 after each 4096 "
    "layer. ResNet-18 is resnet18_imagenet: the report's 7x7/2 stem and 3x3/2 max-pool (its table prints a bias "
    "on every conv, PyTorch's default; a conv followed by batch norm has none here). PyTorch's default weight "
    "initialisation (uniform, +-1/sqrt(fan_in)) has no counterpart here: Keras's glorot_uniform. The report "
    "trained on all training images and printed the test accuracy after the last epoch; the suite holds out 10% "
    "for validation (it cannot train without), and reports the last epoch's test accuracy too (no early "
    "stopping, no restoring). Input pixels are scaled to [0, 1] (the report does not say how it normalised). "
    "One run per cell in the report; 3 seeds here. "
)
