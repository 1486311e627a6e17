"""Every registered baseline builds, trains a step, gives finite logits and honours the knobs."""

import keras
import numpy as np
import pytest
from keras import layers

import baselines
from training.config import Config

SHAPES = [(28, 28, 1), (32, 32, 3)]


@pytest.mark.parametrize("name", baselines.names())
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_builds_and_trains_one_step(name, shape):
    config = Config(model=name)
    model = baselines.create(name, shape, 10, config)
    assert model.name == name
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(0).random((8, *shape), dtype=np.float32)
    y = np.arange(8) % 10
    loss = model.train_on_batch(x, y)
    logits = model.predict(x, verbose=0)
    assert logits.shape == (8, 10) and np.isfinite(logits).all() and np.isfinite(loss)


def test_conv_has_the_published_93322_parameters():
    """Seed report 000 / Chollet's Deep Learning with Python 5.1: 93,322 on 28x28x1, 10 classes."""
    assert baselines.create("conv", (28, 28, 1), 10, Config(model="conv")).count_params() == 93_322


def test_drop_is_conv_plus_dropout_before_the_output():
    model = baselines.create("drop", (28, 28, 1), 10, Config(model="drop"))
    dropouts = [layer for layer in model.layers if isinstance(layer, layers.Dropout)]
    assert [d.rate for d in dropouts] == [0.5] and model.count_params() == 93_322


def test_bn_none_leaves_no_batch_norm():
    model = baselines.create("baseline2", (32, 32, 3), 10, Config(bn="none"))
    assert not [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)]


@pytest.mark.parametrize("placement, expected", [("before", ["conv", "bn", "relu"]), ("after", ["conv", "relu", "bn"])])
def test_bn_placement_orders_conv_bn_activation(placement, expected):
    model = baselines.create("baseline2", (32, 32, 3), 10, Config(bn=placement))
    names = [layer.name for layer in model.layers if layer.name.startswith("stage1_1_")]
    assert [name.rsplit("_", 1)[1] for name in names] == expected
    conv = model.get_layer("stage1_1_conv")
    assert conv.use_bias == (placement != "before")  # BN's shift replaces the bias


@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "gelu", "swish", "sigmoid", "tanh"])
def test_activation_knob_reaches_every_block(activation):
    model = baselines.create("baseline2", (32, 32, 3), 10, Config(activation=activation))
    assert sum(layer.name.endswith(f"_{activation}") for layer in model.layers) == 6


def test_initializer_and_regularizer_knobs():
    model = baselines.create("baseline1", (32, 32, 3), 10,
                             Config(initializer="zeros", regularizer="l2", reg_strength=1e-3))
    conv = model.get_layer("stage1_1_conv")
    assert not np.any(conv.get_weights()[0])
    assert isinstance(conv.kernel_regularizer, keras.regularizers.L2)
    assert len(model.losses) == 3  # two convs and the output layer carry the penalty


def test_dropout_schedule_per_block():
    model = baselines.create("baseline2", (32, 32, 3), 10, Config(dropout="0.2,0.5,0.7"))
    assert [layer.rate for layer in model.layers if isinstance(layer, layers.Dropout)] == [0.2, 0.5, 0.7]
    model = baselines.create("baseline2", (32, 32, 3), 10, Config(dropout="linear:0.1:0.3"))
    assert np.allclose([layer.rate for layer in model.layers if isinstance(layer, layers.Dropout)], [0.1, 0.2, 0.3])


def test_dropout_list_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="lists 2 rates but model='baseline2' has 3 dropout sites"):
        baselines.create("baseline2", (32, 32, 3), 10, Config(dropout="0.2,0.5"))


def test_too_small_input_suggests_input_scale():
    with pytest.raises(ValueError, match="needs inputs of at least 18x18.*input_scale=3"):
        baselines.create("conv", (8, 8, 1), 10, Config(model="conv"))


def test_unknown_name_lists_the_registered_ones():
    with pytest.raises(ValueError, match="choose one of: baseline1, baseline2, conv, drop"):
        baselines.create("resnet9000", (32, 32, 3), 10, Config())
