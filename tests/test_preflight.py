"""Preflight refuses, before anything is written, a factor level the network ignores: it would train the
same network under two labels (real Keras builds of a real baseline and of one that ignores the knobs)."""

import keras
import pytest

import baselines
from ablations import Ablation, Level
from config import Config
from driver.preflight import CellError, preflight


@pytest.fixture
def knob_deaf():
    """A registered network built from raw Keras layers, never from the shared blocks: every knob misses it."""
    @baselines.register
    def knob_deaf(input_shape, num_classes, config):
        """Flatten and one dense layer, built without the shared blocks."""
        inputs = keras.Input(input_shape)
        return keras.Model(inputs, keras.layers.Dense(num_classes)(keras.layers.Flatten()(inputs)), name="knob_deaf")

    yield "knob_deaf"
    baselines._REGISTRY.pop("knob_deaf")  # the registry is per process: leave it as the other tests know it
    baselines._PLACEMENT.pop("knob_deaf")


BASE = Config(dataset="digits", epochs=1, train_size=200)


@pytest.mark.parametrize("factors", [dict(bn=["none", "after"]), dict(activation=["relu", "tanh"]),
                                     dict(recipe=[Level("plain"), Level("regularised", regularizer="l2",
                                                                        reg_strength=1e-3)])])
def test_a_level_the_network_ignores_is_refused_naming_the_knob_and_the_fix(knob_deaf, factors):
    ablation = Ablation(question="q", base=dict(model=knob_deaf), factors=factors, seeds=1, name="deaf")
    with pytest.raises(CellError) as error:
        preflight(ablation, BASE.replace(model=knob_deaf), 1)
    message = str(error.value)
    assert "builds the same network as the base level" in message and "model='knob_deaf'" in message
    assert "shared blocks of baselines/blocks.py" in message


def test_the_same_levels_pass_on_a_network_built_from_the_blocks():
    ablation = Ablation(question="q", base=dict(model="baseline1"), factors=dict(bn=["none", "after"],
                        activation=["relu", "tanh"]), seeds=1, name="blocks")
    preflight(ablation, BASE.replace(model="baseline1"), 1)  # raises nothing
