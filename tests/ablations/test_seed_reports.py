"""Each seed report's experiments resolve to the report's settings, value by value, without training.

One test per seed report (the README's "Reproducing the seed reports" table): the cells of its ablations,
as ``ablations.load(NAME).configs(Config().replace(**ablation.base))`` resolves them, carry the report's
optimiser and its hyper-parameters, learning-rate schedule and plateau rule, early stopping, epochs, batch
size, augmentation and network; the networks the reports describe have the size counted from their text.
Where a report is silent, the value asserted is the one the ablation's notes state (marked "chosen").
"""

import pytest

from ablation_suite import ablations, baselines
from ablation_suite.baselines.cost import parameters
from ablation_suite.config import DATASETS, Config

NO_PLATEAU = dict(reduce_lr_on_plateau=False, lr_schedule="constant")
NO_STOPPING = dict(early_stopping_patience=0, restore_best_weights=False)


def cells(name: str) -> dict:
    """Variant label ("vgg11_sgd cifar10") -> the Config of its seed-0 cell."""
    ablation = ablations.load(name)
    configs = ablation.configs(Config().replace(**ablation.base), seeds=1)
    return {
        " ".join(str(value) for value in variant.values()): config
        for variant, config in zip(ablation.variants(), configs)
    }


def check(config: Config, where: str, **expected) -> None:
    wrong = {key: (getattr(config, key), value) for key, value in expected.items() if getattr(config, key) != value}
    assert not wrong, f"{where}: (resolved, report) differ: {wrong}"


def check_all(name: str, **expected) -> dict:
    resolved = cells(name)
    for label, config in resolved.items():
        check(config, f"{name} [{label}]", **expected)
    return resolved


def size(config: Config) -> int:
    facts = DATASETS[config.dataset]
    return parameters(baselines.build(config, facts.shape, facts.classes))


def test_report_000_deeper_networks():
    """Adam at its defaults, SGD 0.01 with momentum 0.1 for VGG-A; LR halved after 3 epochs without a training
    loss lower by 1e-4, stop after 7; 85/15 split; Keras's batch 32 and glorot-uniform; runs resumed in 50s while
    the loss fell (a cap of 200, chosen); the report's own NIN; CONV ~93k; RES20 < 2% of VGG-A."""
    protocol = dict(
        val_fraction=0.15,
        epochs=200,
        batch_size=32,
        augmentation="none",
        initializer="glorot_uniform",
        lr_schedule="constant",
        reduce_lr_on_plateau=True,
        reduce_lr_patience=3,
        reduce_lr_factor=0.5,
        reduce_lr_monitor="loss",
        min_delta=1e-4,
        early_stopping_patience=7,
        early_stopping_monitor="loss",
        restore_best_weights=False,
        regularizer="none",
        bn="default",
    )
    sgd, adam = (
        dict(optimizer="sgd", learning_rate=0.01, momentum=0.1, nesterov=False),
        dict(optimizer="adam", learning_rate=1e-3),
    )
    seen = set()
    for name in ("architectures", "input_scale", "input_scale_mnist"):
        for label, config in check_all(name, **protocol).items():
            check(config, f"{name} [{label}]", **(sgd if config.model == "vgg11" else adam))
            seen.add((name, config.model, config.dataset, config.input_scale))
    architectures = {(model, dataset) for name, model, dataset, _ in seen if name == "architectures"}
    assert architectures == {
        (model, dataset)
        for dataset in ("mnist", "cifar10")
        for model in ("conv", "drop", "vgg11", "nin_report", "resnet20", "resnet32", "resnet56")
    }
    scales = {(model, dataset, scale) for name, model, dataset, scale in seen if name != "architectures"}
    assert {("vgg11", "cifar10", s) for s in (1, 3, 5)} | {("nin_report", "cifar10", s) for s in (1, 3)} <= scales
    assert {("vgg11", "mnist", 1), ("vgg11", "mnist", 3), ("nin_report", "mnist", 3)} <= scales
    mnist = cells("architectures")
    assert size(mnist["nin_report cifar10"]) == 380_426 and size(mnist["nin_report mnist"]) == 377_226
    assert size(mnist["conv mnist"]) == 93_322  # "approximately 93 thousand trainable parameters"
    assert size(mnist["resnet20 mnist"]) < 0.02 * size(mnist["vgg11_sgd mnist"])  # "fewer than 2%" (section 6.1)
    rules = cells("early_stopping")  # the report's stopping rule as one level of the suite's comparison
    check(
        rules["report_000"],
        "early_stopping [report_000]",
        early_stopping_patience=7,
        early_stopping_monitor="loss",
        min_delta=1e-4,
        restore_best_weights=False,
    )


@pytest.mark.unit
def test_report_001_baseline_ablation():
    """Adam 1e-3, batch 32, 80/20 stratified split, early stopping after 3 epochs without a lower validation loss
    (no restoring), 20 epochs; then BN before, batch 256, He; dropout runs at 20 and 50 epochs; decay with and
    without dropout; nine optimisers at their defaults; the combined model and its augmentations."""
    common = dict(
        dataset="cifar10",
        val_fraction=0.2,
        early_stopping_patience=3,
        early_stopping_monitor="val_loss",
        restore_best_weights=False,
        **NO_PLATEAU,
    )
    adam = dict(optimizer="adam", learning_rate=1e-3)
    first = dict(common, **adam, batch_size=32, epochs=20, augmentation="none")
    check(
        cells("early_stopping")["report_001"],
        "early_stopping [report_001]",
        early_stopping_patience=3,
        early_stopping_monitor="val_loss",
        min_delta=0.0,
        restore_best_weights=False,
    )
    depth = check_all("baseline_depth", **first, bn="default")  # both are published without normalisation
    assert {c.model for c in depth.values()} == {"baseline1", "baseline2"}
    from ablation_suite import baselines

    baselines.names()  # loads the families, which register their published placements
    assert {baselines._PLACEMENT[c.model] for c in depth.values()} == {"none"}
    placements = check_all("bn_both_baselines", **first)
    assert {(c.model, c.bn) for c in placements.values()} == {
        (m, bn) for m in ("baseline1", "baseline2") for bn in ("none", "before", "after")
    }
    assert {c.bn for c in check_all("bn_placement", **first, model="baseline2").values()} == {"none", "before", "after"}
    batches = check_all("batch_size", **{k: v for k, v in first.items() if k != "batch_size"}, bn="before")
    assert {32, 256} <= {c.batch_size for c in batches.values()}  # the two the report names
    after_batch = dict(common, **adam, batch_size=256, bn="before", augmentation="none")
    init = check_all("initializer", **after_batch, epochs=20)
    assert {"zeros", "random_normal", "random_uniform", "glorot_uniform", "he_normal"} <= {
        c.initializer for c in init.values()
    }
    after_init = dict(after_batch, initializer="he_normal")
    runs = {(c.dropout, c.epochs) for c in check_all("dropout_schedule", **after_init).values()}
    assert {("0.2", 20), ("0.5", 20), ("0.5", 50), ("0.2,0.5,0.7", 50)} <= runs  # the report's four runs
    decay = check_all("weight_decay", **after_init, epochs=50)
    assert {(c.regularizer, c.reg_strength, c.dropout) for c in decay.values() if c.regularizer != "none"} == {
        (kind, strength, dropout)
        for kind in ("l1", "l2", "l1l2")
        for strength in (1e-5, 1e-4, 1e-3, 1e-2)
        for dropout in ("0.2,0.5,0.7", "none")
    }
    assert {c.dropout for c in decay.values() if c.regularizer == "none"} == {"0.2,0.5,0.7", "none"}
    combined = dict(
        common,
        batch_size=256,
        bn="before",
        initializer="he_normal",
        dropout="0.2,0.5,0.7",
        epochs=50,
        regularizer="l2",
        reg_strength=1e-4,
        activation="relu",
        augmentation="none",
    )
    nine = check_all("optimizer", **combined)
    assert {(c.optimizer, c.learning_rate, c.momentum, c.nesterov) for c in nine.values()} == {
        ("adam", 1e-3, 0.0, False),
        ("sgd", 0.01, 0.9, False),
        ("sgd", 0.01, 0.9, True),
        ("rmsprop", 1e-3, 0.9, False),
        ("adamax", 1e-3, 0.0, False),
        ("nadam", 1e-3, 0.0, False),
        ("adagrad", 1e-3, 0.0, False),
        ("adadelta", 1e-3, 0.0, False),
        ("ftrl", 1e-3, 0.0, False),
    }  # Keras defaults; momentum 0.9 chosen
    rates = check_all("learning_rate", **combined)
    assert {(c.optimizer, c.momentum) for c in rates.values()} == {
        ("adam", 0.0),
        ("rmsprop", 0.9),
        ("sgd", 0.9),
        ("adamax", 0.0),
    }
    assert {c.learning_rate for c in rates.values()} == {1e-4, 1e-3, 1e-2, 1e-1}
    augmented = check_all("augmentation", **{k: v for k, v in combined.items() if k != "augmentation"}, **adam)
    assert {c.augmentation for c in augmented.values()} == {
        "none",
        "flip+shift+zoom",
        "cutout",
        "mixup",
        "flip+shift+zoom+cutout+mixup",
    }


def test_report_002_vgg16_and_resnet18_under_sgd():
    """SGD at 0.1, 0.01 and 0.001 (momentum 0.9 and batch 128 chosen), no early stopping, the last epoch;
    CIFAR-10 for 20 epochs with augmentation, MNIST for 10; VGG-16 with batch norm and dropout; ResNet-18 with
    its 7x7/2 stem and 3x3/2 max-pool; PyTorch's BN momentum (0.9 in Keras's convention)."""
    sgd = dict(
        optimizer="sgd",
        momentum=0.9,
        nesterov=False,
        batch_size=128,
        bn="before",
        bn_momentum=0.9,
        **NO_PLATEAU,
        **NO_STOPPING,
        regularizer="none",
    )
    for name, dataset, epochs, augmentation in (
        ("depth_vs_lr", "cifar10", 20, "flip+shift"),
        ("depth_vs_lr_mnist", "mnist", 10, "none"),
    ):
        resolved = check_all(name, **sgd, dataset=dataset, epochs=epochs, augmentation=augmentation)
        assert {(c.model, c.learning_rate) for c in resolved.values()} == {
            (model, rate) for model in ("vgg16", "resnet18_imagenet") for rate in (0.1, 0.01, 0.001)
        }
    config = cells("depth_vs_lr")["resnet18_imagenet 0.1"]
    facts = DATASETS[config.dataset]
    model = baselines.build(config, facts.shape, facts.classes)
    stem = model.get_layer("stem_conv")
    assert stem.kernel_size == (7, 7) and stem.strides == (2, 2) and model.get_layer("stem_pool").pool_size == (3, 3)
    assert parameters(model) == 11_689_512 - 990 * 513  # torchvision's ResNet-18 with a 10-class head
    vgg = baselines.build(cells("depth_vs_lr")["vgg16 0.1"], facts.shape, facts.classes)
    assert sum("_bn" in layer.name for layer in vgg.layers) == 15  # batch norm added: 13 convs, 2 dense
    assert [layer.rate for layer in vgg.layers if layer.name.endswith("_dropout")] == [0.5, 0.5]


def test_report_003_cifar100():
    """Adam, He-normal, no augmentation, early stopping (batch 128, patience 5 and the 50-epoch cap chosen);
    SimpleNet with BN moving-average fraction 0.95; the table's three small ResNeXts; the WRN N x k grid."""
    protocol = dict(
        dataset="cifar100",
        optimizer="adam",
        learning_rate=1e-3,
        initializer="he_normal",
        augmentation="none",
        batch_size=128,
        epochs=50,
        early_stopping_patience=5,
        early_stopping_monitor="val_loss",
        restore_best_weights=False,
        **NO_PLATEAU,
    )
    zoo = check_all("cifar100_zoo", **protocol)
    assert {c.model: c.bn_momentum for c in zoo.values()} == {
        "simplenet": 0.95,
        "resnext_small1": 0.99,
        "resnext_small2": 0.99,
        "resnext_small3": 0.99,
    }
    counts = {c.model: size(c) for c in zoo.values() if c.model.startswith("resnext_small")}
    assert counts == {"resnext_small1": 71_764, "resnext_small2": 85_428, "resnext_small3": 14_124}  # our reading
    simplenet = size(zoo["simplenet"])  # 5.48M with 10 classes (Hasanpour et al.), a 100-way head here
    assert abs(simplenet - (5.48e6 + 90 * 257)) <= 0.02 * 5.48e6
    wide = check_all("wide_resnet", **protocol, dropout="none")  # the WRN paper's 0.3 inside each block
    assert {f"wrn_{d}_{k}" for d, k in ((16, 2), (16, 4), (16, 8), (16, 16), (28, 2), (28, 4))} <= {
        c.model for c in wide.values()
    }


@pytest.mark.unit
def test_report_004_cnn_and_resnet():
    """The CNN series on SGD with momentum (lr 0.001, momentum 0.9, batch 64, 100 epochs, from its code): baseline,
    + augmentation, + dropout, combined with BN and L2, the best CNN; the ResNet with SGD 0.1 momentum 0.9, the
    step schedule at 1/2 and 3/4, 100 epochs, augmentation and the best-epoch checkpoint; the normalisation
    comparison on the CNN."""
    cnn = dict(
        model="kth_cnn",
        dataset="cifar10",
        optimizer="sgd",
        learning_rate=0.001,
        momentum=0.9,
        nesterov=False,
        batch_size=64,
        initializer="he_uniform",
        **NO_PLATEAU,
        **NO_STOPPING,
    )
    series = check_all("cnn_regularisation", **cnn)
    plain = dict(augmentation="none", dropout="none", bn="default", regularizer="none", epochs=100)
    expected = {
        "baseline": plain,
        "augmentation": dict(plain, augmentation="flip+shift"),
        "dropout": dict(plain, dropout="0.2"),
        "combined": dict(
            augmentation="flip+shift", dropout="0.2", bn="after", regularizer="l2", reg_strength=1e-3, epochs=100
        ),
        "best_cnn": dict(
            augmentation="flip+shift", dropout="0.2,0.3,0.4,0.5", bn="after", regularizer="none", epochs=400
        ),
        "best_cnn_100ep": dict(
            augmentation="flip+shift", dropout="0.2,0.3,0.4,0.5", bn="after", regularizer="none", epochs=100
        ),
    }
    assert set(series) == set(expected)
    for label, values in expected.items():
        check(series[label], f"cnn_regularisation [{label}]", **values)
    assert size(series["baseline"]) == 550_570  # Brownlee's VGG3 + Dense(128), the report's reference [4]

    resnet = check_all(
        "resnet_step_lr",
        model="kth_resnet",
        dataset="cifar10",
        optimizer="sgd",
        momentum=0.9,
        nesterov=False,
        epochs=100,
        augmentation="flip+shift",
        regularizer="l2",
        reg_strength=1e-4,
        initializer="he_uniform",
        bn="default",
        reduce_lr_on_plateau=False,
        early_stopping_monitor="val_accuracy",
        restore_best_weights=True,
    )
    step = resnet["step"]
    check(step, "resnet_step_lr [step]", lr_schedule="step", learning_rate=0.1, batch_size=128)
    assert all(c.early_stopping_patience >= c.epochs for c in resnet.values())  # a checkpoint: never stops early
    from ablation_suite.training.schedules import LR_SCHEDULES

    steps = 10  # batches per epoch; epochs counted from 0: 0-49 the first half, 75-99 the last quarter
    schedule = LR_SCHEDULES["step"](step, steps)
    expected = {0: 0.1, 49: 0.1, 50: 0.01, 74: 0.01, 75: 0.001, 99: 0.001}
    for epoch, rate in expected.items():
        assert [float(schedule(epoch * steps + batch)) for batch in (0, steps - 1)] == pytest.approx([rate] * 2)
    check(
        resnet["cnn_optimisation"],
        "resnet_step_lr [cnn_optimisation]",
        lr_schedule="constant",
        learning_rate=0.001,
        batch_size=64,
    )
    saved = cells("early_stopping")["report_004_checkpoint"]
    check(
        saved,
        "early_stopping [report_004_checkpoint]",
        early_stopping_monitor="val_accuracy",
        restore_best_weights=True,
    )
    assert saved.early_stopping_patience >= saved.epochs

    norms = check_all(
        "normalization",
        model="kth_cnn",
        bn="after",
        optimizer="adam",
        learning_rate=1e-3,
        regularizer="l2",
        reg_strength=5e-3,
        initializer="he_uniform",
        dropout="0.2",
        batch_size=64,
        epochs=10,
        train_size=10000,
        val_fraction=0.1,
        augmentation="flip+shift",
        **NO_PLATEAU,
        **NO_STOPPING,
    )
    assert {"batch", "layer", "group"} <= {c.normalization for c in norms.values()}
