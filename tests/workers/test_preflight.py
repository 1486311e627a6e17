"""Preflight refuses, before anything is written, a factor level the network ignores: it would train the
same network under two labels (real Keras builds of a real baseline and of one that ignores the knobs)."""

import keras
import pytest

from ablation_suite import baselines
from ablation_suite.ablations import Ablation, Level
from ablation_suite.config import Config
from ablation_suite.workers.preflight import CellError, preflight


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


@pytest.mark.parametrize(
    "factors",
    [
        dict(bn=["none", "after"]),
        dict(activation=["relu", "tanh"]),
        dict(recipe=[Level("plain"), Level("regularised", regularizer="l2", reg_strength=1e-3)]),
    ],
)
def test_a_level_the_network_ignores_is_refused_naming_the_knob_and_the_fix(knob_deaf, factors):
    ablation = Ablation(question="q", base=dict(model=knob_deaf), factors=factors, seeds=1, name="deaf")
    with pytest.raises(CellError) as error:
        preflight(ablation, BASE.replace(model=knob_deaf), 1)
    message = str(error.value)
    assert "builds the same network as the base level" in message and "model='knob_deaf'" in message
    assert "shared blocks of baselines/blocks.py" in message


def test_the_same_levels_pass_on_a_network_built_from_the_blocks():
    ablation = Ablation(
        question="q",
        base=dict(model="baseline1"),
        factors=dict(bn=["none", "after"], activation=["relu", "tanh"]),
        seeds=1,
        name="blocks",
    )
    built = {
        level: baselines.build(BASE.replace(model="baseline1", bn=level), (8, 8, 1), 10) for level in ("none", "after")
    }
    assert any(type(layer).__name__ == "BatchNormalization" for layer in built["after"].layers)
    assert not any(type(layer).__name__ == "BatchNormalization" for layer in built["none"].layers)
    warnings = preflight(ablation, BASE.replace(model="baseline1"), 1)  # accepted: the levels build other networks
    assert all("cannot settle" in warning for warning in warnings)  # (7 steps: batch norm's statistics, said)


def test_a_base_network_knob_the_network_ignores_is_refused_and_accepted_where_it_acts():
    """baseline1 is published without batch norm: bn_momentum set for it alone does nothing."""
    ablation = Ablation(
        question="q", base=dict(model="baseline1"), factors=dict(activation=["relu", "tanh"]), seeds=1, name="momentum"
    )
    with pytest.raises(CellError, match="bn_momentum=0.9 builds the same network as bn_momentum=0.99 in every cell"):
        preflight(ablation, BASE.replace(model="baseline1", bn_momentum=0.9), 1)
    assert all(
        "cannot settle" in w
        for w in preflight(ablation, BASE.replace(model="baseline1", bn="after", bn_momentum=0.9), 1)
    )


def test_through_the_cli_a_factor_the_users_network_ignores_exits_2_and_writes_nothing(
    tmp_path_factory, monkeypatch, capsys
):
    """The user's own network, built from raw Keras layers, with a BN-placement factor: refused, nothing written."""
    from ablation_suite.cli import main as study

    mine = tmp_path_factory.mktemp("mine")
    (mine / "models.py").write_text(
        "import keras\n\n\ndef plain(input_shape, num_classes, config):\n"
        "    inputs = keras.Input(input_shape)\n"
        "    x = keras.layers.Flatten()(inputs)\n"
        "    return keras.Model(inputs, keras.layers.Dense(num_classes)(x), name='plain')\n"
    )
    (mine / "question.py").write_text(
        "from ablation_suite import Ablation\n"
        f"ABLATION = Ablation(question='Does BN help my net?', base=dict(model={str(mine / 'models.py') + ':plain'!r}),"
        " factors=dict(bn=['none', 'after']), seeds=1)\n"
    )
    work = tmp_path_factory.mktemp("work")
    monkeypatch.chdir(work)
    code = study.main(
        [
            "run",
            str(mine / "question.py"),
            "--dataset",
            "digits",
            "--epochs",
            "1",
            "--storage",
            f"sqlite:///{work / 's.db'}",
        ]
    )
    assert code == 2 and "level 'after' builds the same network as the base level 'none'" in capsys.readouterr().err
    assert list(work.iterdir()) == []
