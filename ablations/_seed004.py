"""Shared set-up of seed report 004 (Investigations on a modern ConvNet, KTH DD2424): not an ablation itself.

The report states its methods but few of their values; where it is silent, the values are those of its
authors' code (github rgand1/DD2424_Final_Project, Code/), named in each ablation's notes as such.
"""

SOURCE = "seed report 004 (Investigations on a modern ConvNet, KTH DD2424, CIFAR-10)"
CODE = "its authors' code (github rgand1/DD2424_Final_Project)"

# Section 5.1: the baseline CNN "following [4]" (Brownlee), "The SGD optimizer was used with momentum and no
# regularization"; from CNN.py: SGD lr 0.001, momentum 0.9, batch 64, 100 epochs, He-uniform.
CNN_TRAINING = dict(
    model="kth_cnn",
    dataset="cifar10",
    optimizer="sgd",
    learning_rate=0.001,
    momentum=0.9,
    batch_size=64,
    epochs=100,
    initializer="he_uniform",
    val_fraction=0.1,
)
AUGMENTATION = "flip+shift"  # ImageDataGenerator(width_shift_range=0.1, height_shift_range=0.1, horizontal_flip=True)


# Section 4's ModelCheckpoint (BestResNet.py: on val_accuracy, save_best_only): every epoch trained, ending on the
# best one's weights.
CHECKPOINT = dict(checkpoint="val_accuracy")


NOTES = (
    "The report scales the CNN's pixels to [0, 1] ('normalized and converted from integers to floats', section "
    "5.1); its ResNet code standardises each image (standardize='image'), then normalises the input with a "
    "batch-norm layer as kth_resnet does. Its code validates on the test set; the suite holds out 10% "
    "of the training set (5,000 images, as CNN_alt.py and the normalisation notebook do) and keeps the test set "
    "for the result. One run per experiment in the report; 3 seeds here. "
)
