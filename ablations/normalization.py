"""Which normalisation layer works best: batch, layer, group, instance, or none?"""

from ablations import Ablation

ABLATION = Ablation(
    question=__doc__,
    base=dict(model="kth_resnet", dataset="cifar10", bn="before", optimizer="adam", learning_rate=1e-3,
              regularizer="l2", reg_strength=5e-3, initializer="he_uniform", batch_size=64, epochs=10,
              train_size=10000, val_fraction=0.1),
    factors=dict(normalization=["batch", "layer", "group", "instance", "none"]),
    seeds=3,
    source="seed report 004 (Investigations on a modern ConvNet, KTH DD2424), section 5.1",
    notes="The report's comparison (its project_code notebook) trained its plain CNN for 10 epochs on 10,000 "
          "CIFAR-10 images with Adam 1e-3, L2 5e-3, dropout 0.2 and batch 64, normalising after each ReLU; here "
          "the report's residual network (kth_resnet) is used with that recipe. Its instance-normalisation result "
          "(chance level) is what normalising per channel after an activation does where the map is then averaged "
          "(or is a dense layer): the features become constants. The suite refuses that, so the normalisation is "
          "placed before each activation (bn='before') for every kind. Layer normalisation is over (H, W, C) per "
          "image (Wu & He 2018), not Keras's per-pixel default.",
)
