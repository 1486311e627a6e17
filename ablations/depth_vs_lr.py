"""Does the deeper plain network (VGG-16) or the residual one (ResNet-18) tolerate SGD learning rates better?"""

from ablations import Ablation

ABLATION = Ablation(
    question=__doc__,
    base=dict(dataset="cifar10", epochs=20, optimizer="sgd", momentum=0.9, batch_size=128, bn="before",
              val_fraction=0.1),
    factors=dict(model=["vgg16", "resnet18"], learning_rate=[0.1, 0.01, 0.001]),
    design="grid",
    seeds=3,
    source="seed report 002 (Deeper networks for image classification: VGG-16 and ResNet-18), section IV",
    notes="The report trained 20 epochs on CIFAR-10 (10 on MNIST: run with --dataset mnist --epochs 10) and "
          "added batch normalisation to VGG-16 (bn='before' for both; ResNet-18 has it anyway). It does not state "
          "the batch size or SGD momentum: 128 and 0.9 are assumed. Its CIFAR-10 runs used data augmentation, "
          "which this suite does not apply.",
)
