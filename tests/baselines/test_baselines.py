"""Every registered network builds at MNIST, CIFAR and upsampled sizes with readable layer names and
finite logits, has its published size, trains a step (one network per family), and honours the knobs."""

import keras
import numpy as np
import pytest
from keras import layers

from ablation_suite import baselines
from ablation_suite.baselines.blocks import layer_seed
from ablation_suite.baselines.cost import multiply_adds, parameters
from ablation_suite.config import Config

SHAPES = [(28, 28, 1), (32, 32, 3), (56, 56, 1)]  # MNIST, CIFAR, MNIST at input_scale=2
# One network per family module (the smallest where a family has several): trained one step and
# used for the knob tests; test_every_family_has_a_representative keeps the list complete.
REPRESENTATIVES = ["baseline2", "vgg11_cifar", "nin", "resnet20", "kth_resnet", "wrn_16_2", "simplenet", "resnext29"]
# Networks that differ from a smaller one only in the depth or width its builder is given: built at
# 32x32x3 only, the smaller one (resnet20, resnet18, vgg11, vgg11_cifar, wrn_16_2) at every size.
DEPTH_WIDTH_VARIANTS = [
    "resnet32",
    "resnet44",
    "resnet56",
    "resnet110",
    "resnet34",
    "vgg16",
    "vgg16_cifar",
    "wide_resnet",
    "wrn_16_4",
    "wrn_16_8",
    "wrn_16_16",
    "wrn_28_2",
    "wrn_28_4",
    "wrn_28_8",
    "wrn_28_16",
    "resnext_small2",
    "resnext_small3",
]
NORMALIZATION_LAYERS = (layers.BatchNormalization, layers.GroupNormalization)

# (network, input shape, classes, published parameters, source); each builder's docstring names the same figure.
# A float is a paper's rounded figure, met within 2%; an int is exact: the seed reports' own networks, whose
# reports give a layer list but no count, counted by hand from that list, layer by layer.
PUBLISHED_PARAMETERS = [
    ("vgg11", (224, 224, 3), 1000, 133e6, "Simonyan & Zisserman 2015, table 2"),
    ("vgg16", (224, 224, 3), 1000, 138e6, "Simonyan & Zisserman 2015, table 2"),
    ("vgg16_cifar", (32, 32, 3), 10, 15.0e6, "Li et al. 2017, table 1 (CIFAR-10)"),
    ("resnet20", (32, 32, 3), 10, 0.27e6, "He et al. 2016, table 6 (CIFAR-10)"),
    ("resnet32", (32, 32, 3), 10, 0.46e6, "He et al. 2016, table 6"),
    ("resnet44", (32, 32, 3), 10, 0.66e6, "He et al. 2016, table 6"),
    ("resnet56", (32, 32, 3), 10, 0.85e6, "He et al. 2016, table 6"),
    ("resnet110", (32, 32, 3), 10, 1.7e6, "He et al. 2016, table 6"),
    ("resnet18", (32, 32, 3), 1000, 11.7e6, "torchvision's ImageNet ResNet-18 (our 3x3 stem: 7,680 fewer)"),
    ("resnet34", (32, 32, 3), 1000, 21.8e6, "torchvision's ImageNet ResNet-34 (our 3x3 stem: 7,680 fewer)"),
    ("resnet18_imagenet", (32, 32, 3), 1000, 11.7e6, "He et al. 2016, table 1 (torchvision: 11,689,512)"),
    ("wrn_16_8", (32, 32, 3), 10, 11.0e6, "Zagoruyko & Komodakis 2016, table 4 (CIFAR-10)"),
    ("wide_resnet", (32, 32, 3), 10, 36.5e6, "Zagoruyko & Komodakis 2016, table 4 (WRN-28-10, CIFAR-10)"),
    ("simplenet", (32, 32, 3), 10, 5.48e6, "Hasanpour et al. 2016 (CIFAR-10)"),
    ("resnext29", (32, 32, 3), 100, 34.4e6, "Xie et al. 2017, table 7 (8x64d, CIFAR-100)"),
    ("res2net", (32, 32, 3), 100, 36.7e6, "Gao et al. 2021, table 3 (6c x 24w x 6s, CIFAR-100)"),
    ("nin_report", (32, 32, 3), 10, 380_426, "seed report 000, sec. 3.3: mlpconv 5x5 64, 3x3 128, 3x3 192"),
    ("nin_report", (28, 28, 1), 10, 377_226, "the same on MNIST: the first conv sees one channel"),
    ("kth_cnn", (32, 32, 3), 10, 550_570, "seed report 004 [4] (Brownlee), its authors' CNN.py BaseLine3"),
    ("resnext_small1", (32, 32, 3), 100, 71_764, "seed report 003, sec. 5.2 ResNext1, as read in resnext.py"),
    ("resnext_small2", (32, 32, 3), 100, 85_428, "seed report 003, sec. 5.2 ResNext2"),
    ("resnext_small3", (32, 32, 3), 100, 14_124, "seed report 003, sec. 5.2 ResNext3"),
]
CLASSES = {"resnext29": 100, "res2net": 100, "resnext_small1": 100}  # the CIFAR-100 networks, sized with 100 classes
# (network, published multiply-adds per image at 32x32x3, 10 classes) from Li et al. 2017, table 1.
PUBLISHED_FLOPS = [("vgg16_cifar", 3.13e8), ("resnet56", 1.25e8), ("resnet110", 2.53e8)]


def build(name, shape=(32, 32, 3), classes=10, **knobs):
    return baselines.create(name, shape, classes, Config(model=name, **knobs))


SIZES = {}  # (name, shape, classes) -> (parameters, multiply-adds): each network is built once per session


def build_and_measure(name, shape, classes):
    model = build(name, shape, classes)
    SIZES[name, shape, classes] = parameters(model), multiply_adds(model)
    return model


def measured(name, shape, classes=10):
    if (name, shape, classes) not in SIZES:
        build_and_measure(name, shape, classes)
        keras.utils.clear_session()
    return SIZES[name, shape, classes]


def producer(model, layer_name):
    """Name of the layer whose output the layer ``layer_name`` takes as its (first) input."""
    by_output = {id(layer.output): layer.name for layer in model.layers}
    inputs = model.get_layer(layer_name).input
    return by_output[id(inputs[0] if isinstance(inputs, list) else inputs)]


def chain(model, last, length):
    """The ``length`` layer names ending at ``last``, following first inputs backwards."""
    names = [last]
    while len(names) < length:
        names.insert(0, producer(model, names[0]))
    return names


def finite_logits(model, shape, classes):
    logits = model(np.random.default_rng(0).random((1, *shape), dtype=np.float32), training=False)
    return logits.shape == (1, classes) and np.isfinite(logits).all()


@pytest.mark.parametrize("name", [name for name in baselines.names() if name not in DEPTH_WIDTH_VARIANTS])
def test_builds_at_every_input_size_with_readable_names_and_finite_logits(name):
    """Built three times in one session: a name Keras generated would change (conv2d, conv2d_1, ...)."""
    classes = CLASSES.get(name, 10)
    models = [build_and_measure(name, shape, classes) for shape in SHAPES]
    for model in models:
        assert model.name == name and model.output_shape == (None, classes)
    changed = [(a.name, b.name) for a, b in zip(models[0].layers, models[-1].layers) if a.name != b.name]
    assert not changed, f"layers left with names Keras generated: {changed}"
    assert finite_logits(models[0], SHAPES[0], classes)
    keras.utils.clear_session()


@pytest.mark.parametrize("name", DEPTH_WIDTH_VARIANTS)
def test_depth_and_width_variants_build_and_give_finite_logits(name):
    model = build_and_measure(name, (32, 32, 3), 10)
    assert model.name == name and finite_logits(model, (32, 32, 3), 10)
    keras.utils.clear_session()


@pytest.mark.parametrize(
    "name, shape, classes, figure, source",
    PUBLISHED_PARAMETERS,
    ids=[f"{row[0]}-{row[1][0]}px" for row in PUBLISHED_PARAMETERS],
)
def test_parameter_count_is_the_published_figure(name, shape, classes, figure, source):
    """Within 2% of a paper's rounded figure; exactly a count made from a seed report's layer list."""
    count, _ = measured(name, shape, classes)
    tolerance = 0 if isinstance(figure, int) else 0.02
    assert abs(count - figure) <= tolerance * figure, (
        f"{name}: {count:,} parameters, published {figure:,.0f} ({source})"
    )


@pytest.mark.parametrize("name, figure", PUBLISHED_FLOPS, ids=[row[0] for row in PUBLISHED_FLOPS])
def test_multiply_adds_match_the_published_flops(name, figure):
    _, count = measured(name, (32, 32, 3))
    assert abs(count - figure) <= 0.01 * figure, f"{name}: {count:,} multiply-adds, published {figure:,.0f}"


@pytest.mark.unit
def test_multiply_adds_of_a_tiny_model_counted_by_hand():
    inputs = keras.Input((8, 8, 2))
    x = layers.Conv2D(4, 3)(inputs)  # 6x6 positions x 3x3x2 inputs x 4 filters = 2,592
    x = layers.Conv2D(6, 3, padding="same", groups=2)(x)  # 6x6 x 3x3x(4/2) x 6 = 3,888
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dense(5)(layers.Flatten()(x))  # 3x3x6 = 54 inputs x 5 = 270
    model = keras.Model(inputs, x)
    assert multiply_adds(model) == 2_592 + 3_888 + 270
    assert parameters(model) == (3 * 3 * 2 * 4 + 4) + (3 * 3 * 2 * 6 + 6) + (54 * 5 + 5)


@pytest.mark.unit
def test_a_layer_the_count_does_not_know_is_refused():
    inputs = keras.Input((8, 8, 2))
    model = keras.Model(inputs, layers.DepthwiseConv2D(3, name="depthwise")(inputs))
    with pytest.raises(ValueError, match="cannot count the multiply-adds of layer 'depthwise'"):
        multiply_adds(model)


@pytest.mark.unit
def test_every_family_has_a_representative():
    families = {baselines._REGISTRY[name].__module__ for name in baselines.names()}
    represented = {baselines._REGISTRY[name].__module__ for name in REPRESENTATIVES}
    assert families == represented


@pytest.mark.parametrize(
    "name", REPRESENTATIVES + ["conv", "drop", "baseline1", "kth_cnn", "nin_report", "resnext_small3"]
)
def test_trains_one_step_with_finite_loss_and_logits(name):
    """Eager (no graph to trace) on the smallest input the network takes: the step is checked, not the speed."""
    shape = (24, 24, 3) if name in ("conv", "drop", "vgg11_cifar", "simplenet") else (8, 8, 3)
    model = build(name, shape, classes=3)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), run_eagerly=True)
    x = np.random.default_rng(0).random((4, *shape), dtype=np.float32)
    before = [w.numpy().copy() for w in model.trainable_weights]
    loss = model.train_on_batch(x, np.arange(4) % 3)
    logits = model.predict_on_batch(x)
    assert logits.shape == (4, 3) and np.isfinite(logits).all() and np.isfinite(loss)
    assert all(not np.array_equal(a, b.numpy()) for a, b in zip(before, model.trainable_weights))
    keras.utils.clear_session()


@pytest.mark.unit
def test_conv_has_the_published_93322_parameters():
    """Seed report 000 / Chollet's Deep Learning with Python 5.1: 93,322 on 28x28x1, 10 classes."""
    assert parameters(build("conv", (28, 28, 1))) == 93_322


@pytest.mark.unit
def test_drop_is_conv_plus_dropout_before_the_output():
    model = build("drop", (28, 28, 1))
    dropouts = [layer for layer in model.layers if isinstance(layer, layers.Dropout)]
    assert [d.rate for d in dropouts] == [0.5] and parameters(model) == 93_322


@pytest.mark.parametrize(
    "name", REPRESENTATIVES + ["res2net", "kth_cnn", "nin_report", "resnext_small1", "resnet18_imagenet"]
)
def test_bn_none_leaves_no_normalisation_layer(name):
    model = build(name, bn="none")
    assert not [layer for layer in model.layers if isinstance(layer, NORMALIZATION_LAYERS)]
    assert all(layer.use_bias for layer in model.layers if isinstance(layer, (layers.Conv2D, layers.Dense)))


@pytest.mark.parametrize("placement, expected", [("before", ["conv", "bn", "relu"]), ("after", ["conv", "relu", "bn"])])
@pytest.mark.unit
def test_bn_placement_orders_conv_bn_activation(placement, expected):
    model = build("baseline2", bn=placement)
    names = [layer.name for layer in model.layers if layer.name.startswith("stage1_1_")]
    assert [name.rsplit("_", 1)[1] for name in names] == expected
    conv = model.get_layer("stage1_1_conv")
    assert conv.use_bias == (placement != "before")  # BN's shift replaces the bias


# (network, the layer ending a block, its chain with bn="before", with bn="after"), read off the graph
PLACEMENTS = [
    ("vgg11", "block1_1_relu", ["block1_1_conv", "block1_1_bn", "block1_1_relu"], ["block1_1_conv", "block1_1_relu"]),
    (
        "resnet20",
        "stage1_block1_2_relu",  # post-activation residual merge: BN on the branch, before the sum
        ["stage1_block1_2_conv", "stage1_block1_2_bn", "stage1_block1_2_add", "stage1_block1_2_relu"],
        ["stage1_block1_2_conv", "stage1_block1_2_add", "stage1_block1_2_relu"],
    ),
    (
        "wrn_16_2",
        "stage1_block2_1_conv",  # pre-activation: the block starts with norm and activation
        ["stage1_block1_add", "stage1_block2_1_bn", "stage1_block2_1_relu", "stage1_block2_1_conv"],
        ["stage1_block1_add", "stage1_block2_1_relu", "stage1_block2_1_bn", "stage1_block2_1_conv"],
    ),
    (
        "resnext29",
        "stage1_block1_grouped_relu",
        ["stage1_block1_grouped_conv", "stage1_block1_grouped_bn", "stage1_block1_grouped_relu"],
        ["stage1_block1_grouped_conv", "stage1_block1_grouped_relu"],
    ),
]


@pytest.mark.parametrize("name, last, before, after", PLACEMENTS, ids=[row[0] for row in PLACEMENTS])
def test_bn_placement_is_read_off_the_graph_of_every_kind_of_block(name, last, before, after):
    assert chain(build(name, bn="before"), last, len(before)) == before
    model = build(name, bn="after")
    assert chain(model, last, len(after)) == after
    if not name.startswith("wrn"):  # after the activation the norm follows it
        assert producer(model, last.replace("_relu", "_bn")) == last


def test_default_placement_is_the_published_one_and_the_knob_overrides_it():
    def placements(name, **knobs):
        model = build(name, **knobs)
        return {
            producer(model, layer.name).rsplit("_", 1)[1]
            for layer in model.layers
            if isinstance(layer, layers.BatchNormalization) and not layer.name.startswith("input")
        }

    assert placements("vgg11") == set() and placements("conv", shape=(28, 28, 1)) == set()
    assert placements("resnet20") == {"conv"}  # He et al.: conv -> BN -> ReLU
    assert placements("kth_resnet") == {"relu"}  # seed report 004: ReLU -> BN
    assert placements("kth_cnn") == set() and placements("kth_cnn", bn="after") == {"relu"}  # 004's CNN: ReLU -> BN
    assert placements("resnext_small1") == {"conv"} and placements("resnet18_imagenet") == {"conv"}
    assert placements("vgg11", bn="before") == {"conv", "dense"} and placements("resnet20", bn="none") == set()


@pytest.mark.parametrize(
    "kind, layer_type, groups",
    [
        ("batch", layers.BatchNormalization, None),
        ("layer", layers.GroupNormalization, lambda c: 1),
        ("group", layers.GroupNormalization, lambda c: min(32, c)),
        ("instance", layers.GroupNormalization, lambda c: c),
    ],
)
@pytest.mark.unit
def test_normalization_kinds_produce_the_right_layers(kind, layer_type, groups):
    model = build("resnet20", normalization=kind)
    norms = [layer for layer in model.layers if isinstance(layer, NORMALIZATION_LAYERS)]
    assert len(norms) == 19 and all(type(layer) is layer_type for layer in norms)  # 19 convs, one norm each
    if groups:
        assert all(layer.groups == groups(layer.input.shape[-1]) for layer in norms)


@pytest.mark.unit
def test_normalization_none_removes_the_layers_and_restores_biases():
    model = build("resnet20", normalization="none")
    assert not [layer for layer in model.layers if isinstance(layer, NORMALIZATION_LAYERS)]
    assert model.get_layer("stage1_block1_1_conv").use_bias


@pytest.mark.unit
def test_group_norm_refuses_a_channel_count_it_cannot_split_into_32_groups():
    with pytest.raises(ValueError, match="has 144 channels, not a multiple of 32"):
        build("res2net", normalization="group")


@pytest.mark.unit
def test_instance_norm_on_a_dense_layer_is_refused():
    with pytest.raises(ValueError, match="normalization='instance' .* 'fc1' is a dense layer"):
        build("conv", (28, 28, 1), bn="before", normalization="instance")


@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "gelu", "swish", "sigmoid", "tanh"])
@pytest.mark.unit
def test_activation_knob_reaches_every_block(activation):
    model = build("baseline2", activation=activation)
    assert sum(layer.name.endswith(f"_{activation}") for layer in model.layers) == 6
    model = build("resnet20", activation=activation)
    assert sum(layer.name.endswith(f"_{activation}") for layer in model.layers) == 19


def test_initializer_and_regularizer_knobs():
    model = build("baseline1", initializer="zeros", regularizer="l2", reg_strength=1e-3)
    conv = model.get_layer("stage1_1_conv")
    assert not np.any(conv.get_weights()[0])
    assert isinstance(conv.kernel_regularizer, keras.regularizers.L2)
    assert len(model.losses) == 3  # two convs and the output layer carry the penalty
    model = build("resnext29", (16, 16, 3), regularizer="l2")
    convs = [layer for layer in model.layers if isinstance(layer, (layers.Conv2D, layers.Dense))]
    assert all(isinstance(layer.kernel_regularizer, keras.regularizers.L2) for layer in convs)


@pytest.mark.unit
def test_dropout_schedule_per_block():
    model = build("baseline2", dropout="0.2,0.5,0.7")
    assert [layer.rate for layer in model.layers if isinstance(layer, layers.Dropout)] == [0.2, 0.5, 0.7]
    model = build("baseline2", dropout="linear:0.1:0.3")
    assert np.allclose([layer.rate for layer in model.layers if isinstance(layer, layers.Dropout)], [0.1, 0.2, 0.3])


@pytest.mark.parametrize(
    "name, knob, rates",
    [
        ("wrn_16_2", "default", [0.3] * 6),  # the WRN paper's dropout inside every block
        ("wrn_16_2", "off", []),  # switched off
        ("resnet20", "default", []),  # He et al.'s ResNets have none...
        ("resnet20", "linear:0.0:0.4", [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4]),  # ...but take one per block
        ("vgg11", "default", [0.5, 0.5]),  # after each 4096 layer
        ("vgg11", "off", []),
        ("nin_report", "default", [0.5, 0.5]),  # seed report 000, sec. 3.3: after the first two mlpconv blocks
        ("kth_cnn", "default", []),  # seed report 004's baseline CNN has none...
        ("kth_cnn", "0.2", [0.2] * 4),  # ...its dropout level 0.2 after each pooling and after the dense layer...
        ("kth_cnn", "0.2,0.3,0.4,0.5", [0.2, 0.3, 0.4, 0.5]),  # ...its best CNN an increasing rate
    ],
)
def test_dropout_sites_of_the_zoo(name, knob, rates):
    model = build(name, dropout=knob)
    assert np.allclose([layer.rate for layer in model.layers if isinstance(layer, layers.Dropout)], rates)


@pytest.mark.unit
def test_dropout_after_every_convolution_on_the_plain_cnns_and_refused_by_networks_with_their_own_sites():
    model = build("baseline2", dropout="0.2", dropout_sites="convs")  # seed report 001: "on each convolutional layer"
    names = [layer.name for layer in model.layers]
    drops = [name for name in names if name.endswith("_dropout")]
    assert drops == [f"stage{s}_{c}_dropout" for s in (1, 2, 3) for c in (1, 2)]
    assert all(names[names.index(drop) - 1].endswith("_relu") for drop in drops)  # each right after its conv block
    with_dense = build("kth_cnn", dropout="0.2", dropout_sites="convs")
    assert sum(isinstance(layer, layers.Dropout) for layer in with_dense.layers) == 7  # six convolutions and the dense
    with pytest.raises(ValueError, match="dropout_sites='convs': model='resnet20' places dropout at its own sites"):
        build("resnet20", dropout="0.2", dropout_sites="convs")


@pytest.mark.unit
def test_initializer_and_regularizer_reach_the_layers_their_scope_names():
    def reached(model, attribute):
        return {
            layer.name: type(getattr(layer, attribute)).__name__
            for layer in model.layers
            if isinstance(layer, (layers.Conv2D, layers.Dense))
        }

    every = reached(build("kth_resnet", regularizer="l2", initializer="he_uniform"), "kernel_regularizer")
    assert set(every.values()) == {"L2"}  # "all": the shortcut projection and the logits too
    scopes = dict(regularizer_scope="conv", initializer_scope="conv")  # seed report 004's BestResNet.py
    scoped = build("kth_resnet", regularizer="l2", initializer="he_uniform", **scopes)
    penalties, starts = reached(scoped, "kernel_regularizer"), reached(scoped, "kernel_initializer")
    outside = {name for name in penalties if name.endswith("shortcut_conv") or name == "logits"}
    assert outside and all(penalties[name] == "NoneType" for name in outside)
    assert all(starts[name] == "GlorotUniform" for name in outside)  # Keras's default, as BestResNet.py leaves them
    assert all(penalties[name] == "L2" and starts[name] == "HeUniform" for name in set(penalties) - outside)
    vgg = reached(build("vgg11", regularizer="l2", regularizer_scope="dense"), "kernel_regularizer")
    assert {name for name, kind in vgg.items() if kind == "L2"} == {"fc1_dense", "fc2_dense"}  # seed report 000


@pytest.mark.unit
def test_dropout_list_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="lists 2 rates but model='baseline2' has 3 dropout sites"):
        build("baseline2", dropout="0.2,0.5")


@pytest.mark.parametrize(
    "name, shape, message",
    [
        ("conv", (8, 8, 1), "needs inputs of at least 18x18.*input_scale=3"),
        ("vgg11", (8, 8, 1), "needs inputs of at least 17x17.*input_scale=3"),  # five poolings
        ("simplenet", (12, 12, 3), "needs inputs of at least 17x17.*input_scale=2"),
        ("resnet18", (4, 4, 1), "needs inputs of at least 5x5.*input_scale=2"),
    ],
)
@pytest.mark.unit
def test_too_small_input_suggests_input_scale(name, shape, message):
    with pytest.raises(ValueError, match=message):
        build(name, shape)


@pytest.mark.unit
def test_build_upsamples_the_input_as_the_pipeline_does():
    model = baselines.build(Config(model="vgg11", input_scale=3), (8, 8, 1), 10)
    assert model.input_shape == (None, 24, 24, 1)


@pytest.mark.unit
def test_unknown_name_lists_the_registered_ones():
    with pytest.raises(ValueError, match="choose one of: baseline1, baseline2, conv, drop, kth_cnn, kth_resnet"):
        baselines.create("resnet9000", (32, 32, 3), 10, Config())


@pytest.mark.unit
def test_per_channel_normalisation_before_global_average_pooling_is_refused():
    """After the last activation, instance norm sets every channel's spatial mean to its shift: constant features."""
    with pytest.raises(ValueError, match="normalization='instance' after the last activation .* output constants"):
        build("kth_resnet", normalization="instance")  # kth_resnet normalises after the activation
    assert parameters(build("kth_resnet", normalization="instance", bn="before")) > 0


def _kernels(config):
    keras.utils.clear_session()
    model = baselines.create(config.model, (8, 8, 1), 10, config)
    return {w.path: w.numpy() for w in model.weights if w.path.endswith("kernel")}


@pytest.mark.parametrize(
    "level", [dict(bn="before"), dict(dropout="0.3"), dict(activation="tanh"), dict(regularizer="l2")]
)
def test_seed_k_starts_every_level_from_the_same_weights(level):
    """Seeds are paired: a layer present at two levels starts with the same kernel for the same seed,
    whatever the level adds before it; other seeds and other layers get other weights."""
    base, other = _kernels(Config(seed=3, bn="none")), _kernels(Config(seed=3, bn="none").replace(**level))
    assert base.keys() == other.keys()
    assert all(np.array_equal(base[k], other[k]) for k in base)
    reseeded = _kernels(Config(seed=4, bn="none"))
    assert not any(np.array_equal(base[k], reseeded[k]) for k in base)
    seeds = {layer_seed(Config(seed=3), name) for name in base}
    assert len(seeds) == len(base)  # same-shaped layers never share initial weights


@pytest.mark.unit
def test_kth_cnn_puts_dropout_after_each_pooling_and_after_the_dense_layer():
    """Seed report 004's CNN (its authors' CNN.py): pool -> dropout per block, Dense(128) -> dropout -> output."""
    model = build("kth_cnn", dropout="0.2")
    assert [producer(model, f"stage{s}_dropout") for s in (1, 2, 3)] == ["stage1_pool", "stage2_pool", "stage3_pool"]
    assert producer(model, "fc1_dropout") == "fc1_relu" and producer(model, "logits") == "fc1_dropout"


@pytest.mark.unit
def test_nin_report_is_the_sketch_of_seed_report_000():
    model = build("nin_report")
    spatial = [model.get_layer(f"mlpconv{b}_spatial_conv") for b in (1, 2, 3)]
    assert [(layer.kernel_size, layer.filters) for layer in spatial] == [((5, 5), 64), ((3, 3), 128), ((3, 3), 192)]
    assert [model.get_layer(f"mlpconv{b}_pool").pool_size for b in (1, 2)] == [(2, 2), (2, 2)]
    assert model.get_layer("mlpconv3_classes_conv").filters == 10


@pytest.mark.parametrize(
    "name, stem, stages",
    [
        ("resnext_small1", 32, [(32, 16), (16, 8)]),
        ("resnext_small2", 64, [(64, 32), (32, 16), (16, 8)]),
        ("resnext_small3", 16, [(16, 8), (8, 4), (4, 4)]),
    ],
)
def test_small_resnexts_follow_the_reading_of_seed_report_003(name, stem, stages):
    """A valid 3x3 stem of "init" filters; per stage "a, b": three blocks of width a (grouped conv in a/4
    groups), then a stride-2 conv to b channels; the last map flattened into the logits."""
    model = build(name, classes=100)
    assert model.get_layer("stem_conv").filters == stem and model.get_layer("stem_conv").output.shape[1] == 30
    for s, (width, after) in enumerate(stages, start=1):
        grouped = [model.get_layer(f"stage{s}_block{b}_grouped_conv") for b in (1, 2, 3)]
        assert all(layer.filters == width and layer.groups == max(1, width // 4) for layer in grouped)
        halve = model.get_layer(f"stage{s}_halve_conv")
        assert halve.filters == after and halve.strides == (2, 2)
    assert producer(model, "logits") == "flatten"
