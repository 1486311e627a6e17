"""config.IDLE_UNLESS, the one table of knobs that act only under a condition: a knob set where its
condition is false in every cell is refused, naming it and the fix; where it acts in some cell of a study it is
accepted; defaults follow Keras."""

from types import SimpleNamespace

import pytest

from ablation_suite import config as C
from ablation_suite.config import Config, ConfigError

OTHER_OPTIMIZERS = [name for name in C.OPTIMIZER_NAMES if name not in C.MOMENTUM_OPTIMIZERS]
# knob -> (a value other than its default, fields under which it does nothing, fields under which it acts)
CASES = {
    "reduce_lr_patience": (5, [{}], [dict(reduce_lr_on_plateau=True)]),
    "reduce_lr_factor": (0.1, [{}], [dict(reduce_lr_on_plateau=True)]),
    "reduce_lr_monitor": ("loss", [{}], [dict(reduce_lr_on_plateau=True)]),
    "early_stopping_monitor": ("val_accuracy", [{}], [dict(early_stopping_patience=3)]),
    "restore_best_weights": (True, [{}], [dict(early_stopping_patience=3)]),
    "early_stopping_min_delta": (1e-4, [{}, dict(reduce_lr_on_plateau=True)], [dict(early_stopping_patience=3)]),
    "reduce_lr_min_delta": (1e-4, [{}, dict(early_stopping_patience=3)], [dict(reduce_lr_on_plateau=True)]),
    "regularizer_scope": ("dense", [{}], [dict(regularizer=name) for name in C.REGULARIZER_NAMES[1:]]),
    "initializer_scope": ("conv", [{}], [dict(initializer="he_uniform")]),
    "dropout_sites": ("convs", [{}, dict(dropout="off")], [dict(dropout="0.2"), dict(dropout="linear:0.1:0.3")]),
    "normalization_scope": ("conv", [dict(bn="none"), dict(normalization="none")], [{}, dict(bn="before")]),
    "momentum": (
        0.9,
        [dict(optimizer=name) for name in OTHER_OPTIMIZERS],
        [dict(optimizer=name) for name in C.MOMENTUM_OPTIMIZERS],
    ),
    "nesterov": (
        True,
        [dict(optimizer="sgd"), dict(optimizer="rmsprop", momentum=0.9), dict(optimizer="adam")],
        [dict(optimizer="sgd", momentum=0.9)],
    ),
    "label_noise_kind": ("class_dependent", [{}], [dict(label_noise=0.2)]),
    "warmup_epochs": (
        2,
        [dict(lr_schedule=name) for name in C.LR_SCHEDULE_NAMES if name not in C.WARMUP_SCHEDULES],
        [dict(lr_schedule=name) for name in C.WARMUP_SCHEDULES],
    ),
    "reg_strength": (1e-3, [{}], [dict(regularizer=name) for name in C.REGULARIZER_NAMES if name != "none"]),
    "bn": ("before", [dict(normalization="none")], [dict(normalization=name) for name in C.NORMALIZATION_NAMES[:-1]]),
    "normalization": ("layer", [dict(bn="none")], [dict(bn=placement) for placement in ("default", "before", "after")]),
    "bn_momentum": (
        0.9,
        [*(dict(normalization=name) for name in C.NORMALIZATION_NAMES[1:]), dict(bn="none")],
        [dict(normalization="batch"), dict(normalization="batch", bn="before")],
    ),
    "augment_in": ("pipeline", [{}], [dict(augmentation="cutout")]),
}
IDLE = [(knob, context) for knob, (_, idle, _) in CASES.items() for context in idle]
ACTING = [(knob, context) for knob, (_, _, acting) in CASES.items() for context in acting]


@pytest.mark.unit
def test_every_rule_of_the_table_is_exercised_and_names_config_fields():
    assert set(CASES) == set(C.IDLE_UNLESS)
    for knob, acts in C.IDLE_UNLESS.items():
        assert {knob, *acts.reads} <= set(C.FIELD_TYPES)
        assert CASES[knob][0] != getattr(Config(), knob)


@pytest.mark.parametrize("knob, context", IDLE, ids=[f"{k}-{c}" for k, c in IDLE])
@pytest.mark.unit
def test_a_knob_changed_where_it_cannot_act_is_refused_with_the_state_and_the_fix(knob, context):
    value, acts = CASES[knob][0], C.IDLE_UNLESS[knob]
    idle = Config(**context)  # at its default the knob is never refused
    assert not acts.when(idle) and C.check_knobs_act([idle]) is None
    with pytest.raises(ConfigError) as error:
        C.check_knobs_act([Config(**context, **{knob: value})])
    message = str(error.value)
    assert f"{knob}={value!r} does nothing with " in message
    for field in acts.reads:
        assert f"{field}={getattr(idle, field)!r}" in message
    assert acts.fix in message and f"its default {getattr(idle, knob)!r}" in message


@pytest.mark.parametrize("knob, context", ACTING, ids=[f"{k}-{c}" for k, c in ACTING])
@pytest.mark.unit
def test_the_same_change_is_accepted_where_the_knob_acts(knob, context):
    config = Config(**context, **{knob: CASES[knob][0]})
    assert C.IDLE_UNLESS[knob].when(config) and C.check_knobs_act([config]) is None
    assert C.idle_knobs(config) == {}


@pytest.mark.unit
def test_a_knob_that_acts_in_some_cells_of_a_study_is_accepted_one_that_acts_in_none_is_not():
    from ablation_suite.ablations import Ablation, AblationError

    # class-dependent noise against a clean baseline: the kind is idle at the clean level only
    noise = Ablation(
        question="q",
        base=dict(label_noise_kind="class_dependent"),
        factors=dict(label_noise=[0.0, 0.2]),
        seeds=1,
        name="noise",
    )
    assert [c.label_noise_kind for c in noise.configs(Config(label_noise_kind="class_dependent"))] == [
        "class_dependent"
    ] * 2
    # a factor level that acts in no cell would train the base's network under another label
    momentum = Ablation(question="q", base={}, factors=dict(momentum=[0.0, 0.9]), seeds=1, name="momentum")
    with pytest.raises(AblationError, match="ablation 'momentum': momentum=0.9 does nothing with optimizer='adam'"):
        momentum.configs(Config())
    grid = Ablation(
        question="q",
        base={},
        factors=dict(momentum=[0.0, 0.9], optimizer=["adam", "sgd"]),
        seeds=1,
        design="grid",
        name="grid",
    )
    assert len(grid.configs(Config())) == 4  # momentum acts with sgd: the adam cells are what the grid compares
    # a base knob acting nowhere, e.g. `--set momentum=0.9` on an adam study
    with pytest.raises(AblationError, match=r"momentum=0\.9 does nothing .* \(in every cell\)"):
        noise.configs(Config(momentum=0.9))


@pytest.mark.unit
def test_a_study_stored_with_an_idle_knob_at_another_default_resumes_as_the_same_set_up():
    stored = dict(Config().to_dict(), restore_best_weights=True)  # the old default, without early stopping
    assert C.effective(stored) == C.effective(Config().to_dict())
    assert C.effective(dict(stored, early_stopping_patience=3)) != C.effective(
        Config(early_stopping_patience=3).to_dict()
    )


@pytest.mark.unit
def test_the_momentum_rules_agree_with_the_optimizers_table():
    from ablation_suite.training.schedules import OPTIMIZERS

    for name, create in OPTIMIZERS.items():
        optimizer = create(SimpleNamespace(momentum=0.5, nesterov=True), 0.01)
        assert (getattr(optimizer, "momentum", None) == 0.5) == (name in C.MOMENTUM_OPTIMIZERS), name
        assert (getattr(optimizer, "nesterov", None) is True) == (name == "sgd"), name


@pytest.mark.unit
def test_early_stopping_ends_on_the_last_weights_by_default_as_in_keras():
    import inspect

    import keras

    keras_default = inspect.signature(keras.callbacks.EarlyStopping).parameters["restore_best_weights"].default
    assert Config().restore_best_weights is keras_default is False
    assert Config().reduce_lr_on_plateau is False


@pytest.mark.unit
def test_the_plateau_schedule_name_points_to_the_switch():
    with pytest.raises(ConfigError) as error:
        Config(lr_schedule="plateau")
    message = str(error.value)
    assert "lr_schedule='plateau'" in message and "set reduce_lr_on_plateau=true with lr_schedule='constant'" in message
    assert Config(reduce_lr_on_plateau=True, lr_schedule="cosine").reduce_lr_on_plateau
