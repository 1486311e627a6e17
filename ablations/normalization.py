"""Which normalisation layer works best: batch, layer, group, instance, or none?"""

from ablations import Ablation

ABLATION = Ablation(
    question=__doc__,
    base=dict(model="kth_resnet", dataset="cifar10", bn="after", optimizer="adam", learning_rate=1e-3,
              regularizer="l2", reg_strength=5e-3, initializer="he_uniform", batch_size=64, epochs=10,
              train_size=10000, val_fraction=0.1),
    factors=dict(normalization=["batch", "layer", "group", "instance", "none"]),
    seeds=3,
    source="seed report 004 (Investigations on a modern ConvNet, KTH DD2424), section 5.1",
    notes="The report's comparison (its project_code notebook) trained for 10 epochs on 10,000 CIFAR-10 images "
          "with Adam 1e-3, L2 5e-3, dropout 0.2, batch 64 and the normalisation after each ReLU; it used its "
          "plain CNN, here the report's residual network (kth_resnet) is used. Its instance-normalisation "
          "result (chance level) came from normalising a dense layer, where instance normalisation outputs a "
          "constant; kth_resnet has no dense hidden layer, and the suite refuses instance normalisation there. "
          "Layer normalisation here is over (H, W, C) per image (Wu & He 2018), not Keras's per-pixel default.",
)
