"""config/: defaults, validation of every knob, the dropout grammar, --set parsing and formatting, replace,
and agreement of the name tuples with the object tables they index."""

import dataclasses
import math

import numpy as np
import pytest

from ablation_suite import config as C
from ablation_suite.config import Config, ConfigError, dropout_rates, format_override, parse_override

# (knob, names it accepts) for every string knob with a closed set of values.
STRING_KNOBS = [
    ("dataset", C.DATASETS),
    ("optimizer", C.OPTIMIZER_NAMES),
    ("bn", C.BN_PLACEMENTS),
    ("normalization", C.NORMALIZATION_NAMES),
    ("activation", C.ACTIVATION_NAMES),
    ("initializer", C.INITIALIZER_NAMES),
    ("regularizer", C.REGULARIZER_NAMES),
    ("early_stopping_monitor", C.MONITORS),
    ("reduce_lr_monitor", C.MONITORS),
    ("lr_schedule", C.LR_SCHEDULE_NAMES),
    ("label_noise_kind", C.LABEL_NOISE_KINDS),
    ("augment_in", C.AUGMENT_IN),
    ("standardize", C.STANDARDIZE_NAMES),
    ("checkpoint", C.CHECKPOINTS),
    ("dropout_sites", C.DROPOUT_SITES),
    ("normalization_scope", C.NORMALIZATION_SCOPES),
    ("initializer_scope", ("all", *C.LAYER_ROLES)),
    ("regularizer_scope", ("all", *C.LAYER_ROLES)),
]
# Fields under which a knob of config.IDLE_UNLESS acts (else setting it is refused as doing nothing).
ACTING = {
    "reduce_lr_monitor": dict(reduce_lr_on_plateau=True),
    "early_stopping_monitor": dict(early_stopping_patience=3),
    "label_noise_kind": dict(label_noise=0.2),
    "augment_in": dict(augmentation="flip"),
    "momentum": dict(optimizer="sgd"),
    "reg_strength": dict(regularizer="l2"),
    "reduce_lr_patience": dict(reduce_lr_on_plateau=True),
    "dropout_sites": dict(dropout="0.2"),
    "initializer_scope": dict(initializer="he_uniform"),
    "regularizer_scope": dict(regularizer="l2"),
}


# --- defaults -------------------------------------------------------------------------------------


@pytest.mark.unit
def test_defaults_construct_and_are_primitive():
    config = Config()
    assert config.dataset == "digits"
    assert config.optimizer == "adam"
    assert config.batch_size == 32 and config.epochs == 10
    assert config.learning_rate == pytest.approx(1e-3)
    values = config.to_dict()
    assert set(values) == {f.name for f in dataclasses.fields(Config)}
    assert all(isinstance(v, (str, int, float, bool)) for v in values.values())
    assert Config(**values) == config  # to_dict round-trips


@pytest.mark.unit
def test_config_is_frozen():
    config = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.batch_size = 64  # type: ignore[misc]
    assert config.batch_size == 32


# --- string knobs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("knob, allowed", STRING_KNOBS, ids=[k for k, _ in STRING_KNOBS])
@pytest.mark.unit
def test_string_knob_accepts_every_allowed_value(knob, allowed):
    for value in allowed:
        assert getattr(Config(**ACTING.get(knob, {}), **{knob: value}), knob) == value


@pytest.mark.parametrize("knob, allowed", STRING_KNOBS, ids=[k for k, _ in STRING_KNOBS])
@pytest.mark.unit
def test_string_knob_rejects_unknown_value_naming_it_and_the_allowed_ones(knob, allowed):
    with pytest.raises(ConfigError) as error:
        Config(**{knob: "no_such_value"})
    message = str(error.value)
    assert f"{knob}='no_such_value'" in message
    for name in allowed:
        assert name in message, f"{name!r} missing from: {message}"


@pytest.mark.parametrize("dataset", ["npz:/data/mine.npz", "idx:/data/mnist"])
@pytest.mark.unit
def test_dataset_accepts_file_prefixes(dataset):
    assert Config(dataset=dataset).dataset == dataset


@pytest.mark.parametrize("dataset", ["npz:", "idx:", "csv:/data/x.csv", "MNIST"])
@pytest.mark.unit
def test_dataset_rejects_empty_path_and_unknown_prefix(dataset):
    with pytest.raises(ConfigError, match="npz:PATH or idx:DIR") as error:
        Config(dataset=dataset)
    assert repr(dataset) in str(error.value)


# --- types ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "knob, value, type_name, kind",
    [
        ("batch_size", "32", "str", "int"),
        ("batch_size", True, "bool", "int"),
        ("batch_size", 32.0, "float", "int"),
        ("learning_rate", "x", "str", "float"),
        ("learning_rate", False, "bool", "float"),
        ("nesterov", 1, "int", "bool"),
        ("dataset", 5, "int", "str"),
        ("dropout", 0.3, "float", "str"),
        ("augmentation", 1, "int", "str"),
        ("restore_best_weights", 1, "int", "bool"),
        ("warmup_epochs", 2.0, "float", "int"),
    ],
)
@pytest.mark.unit
def test_wrong_types_rejected(knob, value, type_name, kind):
    with pytest.raises(ConfigError) as error:
        Config(**{knob: value})
    message = str(error.value)
    assert f"{knob}={value!r}" in message
    assert f"has type {type_name}" in message
    assert f"takes a {kind}" in message


@pytest.mark.unit
def test_int_is_accepted_for_a_float_field():
    config = Config(learning_rate=1, val_fraction=0.5)
    assert config.learning_rate == 1 and config.val_fraction == 0.5


# --- ranges ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "knob, value",
    [
        ("batch_size", 0),
        ("batch_size", -8),
        ("epochs", 0),
        ("input_scale", 0),
        ("train_size", -1),
        ("seed", -1),
        ("early_stopping_patience", -1),
        ("dropout", "1.0"),
        ("dropout", "-0.1"),
        ("dropout", "abc"),
        ("dropout", "0.2,1.5"),
        ("dropout", "linear:0.1"),
        ("dropout", "nan"),
        ("val_fraction", 0.0),
        ("val_fraction", 1.0),
        ("val_fraction", -0.2),
        ("learning_rate", 0.0),
        ("learning_rate", -1e-3),
        ("learning_rate", float("nan")),
        ("momentum", 1.0),
        ("momentum", -0.1),
        ("reduce_lr_factor", 1.0),
        ("reduce_lr_factor", 0.0),
        ("reg_strength", -1e-4),
        ("early_stopping_min_delta", -0.5),
        ("reduce_lr_min_delta", -0.5),
        ("label_noise", 1.0),
        ("label_noise", -0.1),
        ("label_noise", float("nan")),
        ("warmup_epochs", -1),
        ("reduce_lr_patience", 0),
        ("regularizer_scope", "dense+conv"),  # one spelling per scope: in LAYER_ROLES's order
        ("regularizer_scope", "conv+shortcut+dense+logits"),  # that is "all"
        ("initializer_scope", "conv+conv"),
        ("checkpoint", "best"),
    ],
)
@pytest.mark.unit
def test_out_of_range_values_rejected(knob, value):
    with pytest.raises(ConfigError) as error:
        Config(**{knob: value})
    assert f"{knob}={value!r}" in str(error.value)


@pytest.mark.parametrize(
    "knob, value",
    [
        ("batch_size", 1),
        ("epochs", 1),
        ("train_size", 0),
        ("momentum", 0.0),
        ("momentum", 0.9),
        ("val_fraction", 0.01),
        ("val_fraction", 0.99),
        ("dropout", "0.0,0.1"),
        ("dropout", "0.99"),
        ("reg_strength", 0.0),
        ("label_noise", 0.0),
        ("label_noise", 0.99),
        ("reduce_lr_patience", 1),
    ],
)
@pytest.mark.unit
def test_boundary_values_accepted(knob, value):
    assert getattr(Config(**ACTING.get(knob, {}), **{knob: value}), knob) == value


@pytest.mark.unit
def test_range_message_shows_the_interval():
    with pytest.raises(ConfigError, match=r"must be in \(0.0, 1.0\)"):
        Config(val_fraction=1.0)
    with pytest.raises(ConfigError, match=r"must be in \[0.0, 1.0\)"):
        Config(momentum=1.0)
    with pytest.raises(ConfigError, match="must be >= 1"):
        Config(epochs=0)


@pytest.mark.parametrize("knob", ["reg_strength", "early_stopping_min_delta", "reduce_lr_min_delta"])
@pytest.mark.unit
def test_nan_rejected_for_non_negative_floats(knob):
    with pytest.raises(ConfigError):
        Config(**{knob: float("nan")})


@pytest.mark.unit
def test_infinite_learning_rate_rejected():
    with pytest.raises(ConfigError):
        Config(learning_rate=math.inf)


# --- augmentation grammar ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["none", *C.AUGMENTATION_NAMES, "flip+shift+zoom", "cutout+mixup", "+".join(C.AUGMENTATION_NAMES)]
)
@pytest.mark.unit
def test_augmentation_accepts_names_joined_in_the_order_they_are_applied(text):
    assert C.augmentation_steps(text) == (() if text == "none" else tuple(text.split("+")))
    assert Config(augmentation=text).augmentation == text


@pytest.mark.parametrize(
    "text, message",
    [
        ("blur", "'blur' not known"),
        ("flip+blur", "'blur' not known"),
        ("", "'' not known"),
        ("flip+", "'' not known"),
        ("none+flip", "'none' not known"),
        ("Flip", "'Flip' not known"),
        ("shift+flip", "write 'flip+shift'"),
        ("flip+flip", "write 'flip'"),
        ("mixup+cutout+flip", "write 'flip+cutout+mixup'"),
    ],
)
@pytest.mark.unit
def test_augmentation_bad_grammar_names_the_value_and_the_fix(text, message):
    with pytest.raises(ConfigError) as error:
        Config(augmentation=text)
    assert f"augmentation={text!r}" in str(error.value) and message in str(error.value)


# --- schedules and label noise --------------------------------------------------------------------


@pytest.mark.parametrize("schedule", C.WARMUP_SCHEDULES)
@pytest.mark.parametrize("epochs, warmup", [(5, 5), (5, 0), (1, 1), (3, 7)])
@pytest.mark.unit
def test_a_warmup_must_fit_in_the_run(schedule, epochs, warmup):
    with pytest.raises(ConfigError) as error:
        Config(lr_schedule=schedule, epochs=epochs, warmup_epochs=warmup)
    assert f"warmup_epochs={warmup} with lr_schedule={schedule!r} and epochs={epochs}" in str(error.value)


@pytest.mark.unit
def test_warmup_epochs_only_bind_warmup_schedules():
    assert Config(lr_schedule="warmup_cosine", epochs=2, warmup_epochs=1).warmup_epochs == 1
    assert Config(lr_schedule="cosine", epochs=2, warmup_epochs=5).epochs == 2  # the default: not checked there
    with pytest.raises(ConfigError, match="warmup_epochs=1 does nothing with lr_schedule='cosine'"):
        C.check_knobs_act([Config(lr_schedule="cosine", epochs=2, warmup_epochs=1)])


@pytest.mark.unit
def test_reduce_lr_patience_zero_explains_that_a_switch_turns_plateau_cuts_on_and_off():
    with pytest.raises(ConfigError, match="switched on and off by reduce_lr_on_plateau"):
        Config(reduce_lr_on_plateau=True, reduce_lr_patience=0)


# --- dropout grammar ------------------------------------------------------------------------------


@pytest.mark.unit
def test_dropout_off_and_default_give_zeros_and_the_old_none_is_refused_naming_both():
    assert dropout_rates("off", 3) == dropout_rates("default", 3) == [0.0, 0.0, 0.0]  # "default": none of its own
    with pytest.raises(ConfigError, match='write dropout="default" .* or dropout="off"'):
        Config(dropout="none")
    for zero in ("0", "0.0", "0,0,0", "linear:0:0"):  # one spelling per setting
        with pytest.raises(ConfigError, match='places no dropout: write dropout="off"'):
            Config(dropout=zero)


@pytest.mark.unit
def test_a_study_stored_before_min_delta_was_split_and_none_respelled_compares_as_today():
    from ablation_suite.config import effective, upgraded

    stored = upgraded(dict(min_delta=1e-4, dropout="none", early_stopping_patience=3, reduce_lr_on_plateau=True))
    assert stored == dict(
        early_stopping_min_delta=1e-4,
        reduce_lr_min_delta=1e-4,
        dropout="default",
        early_stopping_patience=3,
        reduce_lr_on_plateau=True,
    )
    today = Config(early_stopping_min_delta=1e-4, reduce_lr_min_delta=1e-4, early_stopping_patience=3)
    assert effective(dict(min_delta=1e-4, dropout="none", early_stopping_patience=3)) == effective(
        today.replace(reduce_lr_min_delta=0.0).to_dict()
    )  # the plateau's threshold does nothing without plateau cuts
    with pytest.raises(ConfigError, match="'min_delta' was replaced: write early_stopping_min_delta"):
        Config().replace(min_delta=1e-4)


@pytest.mark.unit
def test_dropout_single_rate_for_every_block():
    assert dropout_rates("0.3", 4) == [0.3, 0.3, 0.3, 0.3]
    assert dropout_rates(" 0.3 ", 2) == [0.3, 0.3]  # surrounding spaces are ignored


@pytest.mark.unit
def test_dropout_per_block_list():
    assert dropout_rates("0.2,0.5,0.7", 3) == [0.2, 0.5, 0.7]


@pytest.mark.unit
def test_dropout_linear_schedule():
    assert dropout_rates("linear:0.1:0.5", 5) == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
    assert dropout_rates("linear:0.5:0.1", 3) == pytest.approx([0.5, 0.3, 0.1])
    assert dropout_rates("linear:0.1:0.5", 1) == pytest.approx([0.1])  # one block: the first rate


@pytest.mark.parametrize("schedule", ["abc", "linear:0.1", "linear:a:b", "0.2,,0.5", ""])
@pytest.mark.unit
def test_dropout_bad_grammar_explains_it(schedule):
    with pytest.raises(ConfigError, match="is not a schedule") as error:
        dropout_rates(schedule, 3)
    message = str(error.value)
    assert repr(schedule) in message and "linear:FIRST:LAST" in message


@pytest.mark.parametrize("schedule, bad", [("1.0", 1.0), ("0.2,1.2", 1.2), ("linear:-0.1:0.5", -0.1)])
@pytest.mark.unit
def test_dropout_rate_out_of_range_names_it(schedule, bad):
    with pytest.raises(ConfigError, match=r"\[0, 1\)") as error:
        dropout_rates(schedule, 3)
    assert f"got {bad}" in str(error.value)


# --- parse_override -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, key, value, kind",
    [
        ("batch_size=64", "batch_size", 64, int),
        (" epochs = 3 ", "epochs", 3, int),
        ("learning_rate=1e-2", "learning_rate", 0.01, float),
        ("val_fraction=0.25", "val_fraction", 0.25, float),
        ("nesterov=true", "nesterov", True, bool),
        ("nesterov=Yes", "nesterov", True, bool),
        ("nesterov=1", "nesterov", True, bool),
        ("nesterov=false", "nesterov", False, bool),
        ("nesterov=0", "nesterov", False, bool),
        ("nesterov=no", "nesterov", False, bool),
        ("optimizer=sgd", "optimizer", "sgd", str),
        ("augmentation=flip+cutout", "augmentation", "flip+cutout", str),
        ("restore_best_weights=false", "restore_best_weights", False, bool),
        ("dataset=npz:/tmp/a=b.npz", "dataset", "npz:/tmp/a=b.npz", str),  # splits on the first '='
    ],
)
@pytest.mark.unit
def test_parse_override_converts_to_the_field_type(text, key, value, kind):
    parsed_key, parsed = parse_override(text)
    assert parsed_key == key
    assert type(parsed) is kind
    assert parsed == value
    assert getattr(Config(optimizer="sgd", momentum=0.9).replace(**{parsed_key: parsed}), key) == value  # nesterov acts


@pytest.mark.unit
def test_parse_override_without_equals():
    with pytest.raises(ConfigError, match="expects key=value") as error:
        parse_override("batch_size64")
    assert "'batch_size64'" in str(error.value)


@pytest.mark.unit
def test_parse_override_unknown_key_lists_valid_keys():
    with pytest.raises(ConfigError) as error:
        parse_override("batchsize=64")
    message = str(error.value)
    assert "'batchsize'" in message
    for name in C.FIELD_TYPES:
        assert name in message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("batch_size=6.5", "batch_size takes a int, for example batch_size=32"),
        ("batch_size=abc", "batch_size takes a int"),
        ("learning_rate=fast", "learning_rate takes a float, for example learning_rate=0.001"),
        ("nesterov=maybe", "nesterov takes a bool, for example nesterov=False"),
    ],
)
@pytest.mark.unit
def test_parse_override_bad_value(text, expected):
    with pytest.raises(ConfigError) as error:
        parse_override(text)
    assert expected in str(error.value)


# Values of each field type beside the default, as Python and as numpy scalars (a trials table's numbers).
OVERRIDE_VALUES = {
    "float": [1e-05, 0.1 + 0.2, 1 / 3, 0, np.float64(0.1 + 0.2), np.float64(1e-05)],
    "int": [0, 7, 123_456_789_012, np.int64(64)],
    "bool": [True, False, np.bool_(True), np.bool_(False)],
    "str": ["sgd", "flip+cutout", "npz:/tmp/a=b.npz", "linear:0.1:0.5", np.str_("adam")],
}


@pytest.mark.parametrize("key", list(C.FIELD_TYPES))
@pytest.mark.unit
def test_format_override_is_read_back_exactly_by_parse_override(key):
    kind = C.FIELD_TYPES[key]
    for value in [getattr(Config(), key), *OVERRIDE_VALUES[kind]]:
        text = format_override(key, value)
        assert parse_override(text) == (key, value), text
        assert type(parse_override(text)[1]) is {"float": float, "int": int, "bool": bool, "str": str}[kind], text


@pytest.mark.unit
def test_format_override_writes_floats_with_every_digit():
    assert format_override("learning_rate", np.float64(0.1 + 0.2)) == "learning_rate=0.30000000000000004"
    assert format_override("nesterov", np.bool_(True)) == "nesterov=True"


# --- replace --------------------------------------------------------------------------------------


@pytest.mark.unit
def test_replace_returns_a_validated_copy():
    base = Config()
    changed = base.replace(batch_size=64, optimizer="sgd")
    assert (changed.batch_size, changed.optimizer) == (64, "sgd")
    assert (base.batch_size, base.optimizer) == (32, "adam")
    with pytest.raises(ConfigError, match="batch_size=0"):
        base.replace(batch_size=0)


@pytest.mark.unit
def test_replace_unknown_key_lists_valid_keys():
    with pytest.raises(ConfigError) as error:
        Config().replace(lr=0.1, batch_size=8)
    message = str(error.value)
    assert "'lr'" in message and "'batch_size'" not in message.split(";")[0]
    for name in C.FIELD_TYPES:
        assert name in message


# --- name tuples vs object tables -----------------------------------------------------------------


def _assert_same_names(names, table, label):
    assert len(set(names)) == len(names), f"config.{label} has duplicates: {names}"
    only_config = sorted(set(names) - set(table))
    only_table = sorted(set(table) - set(names))
    assert not only_config and not only_table, (
        f"{label}: only in config/names.py {only_config}; only in the object table {only_table}"
    )


@pytest.mark.unit
def test_name_tuples_match_object_tables():
    from ablation_suite.baselines import blocks
    from ablation_suite.training import augment, data, schedules

    _assert_same_names(C.OPTIMIZER_NAMES, schedules.OPTIMIZERS, "OPTIMIZERS")
    _assert_same_names(C.INITIALIZER_NAMES, blocks.INITIALIZERS, "INITIALIZERS")
    _assert_same_names(C.ACTIVATION_NAMES, blocks.ACTIVATIONS, "ACTIVATIONS")
    _assert_same_names(C.REGULARIZER_NAMES, blocks.REGULARIZERS, "REGULARIZERS")
    _assert_same_names(C.AUGMENTATION_NAMES, augment.AUGMENTATIONS, "AUGMENTATIONS")
    _assert_same_names(C.LR_SCHEDULE_NAMES, schedules.LR_SCHEDULES, "LR_SCHEDULES")
    _assert_same_names(C.LABEL_NOISE_KINDS, data.LABEL_FLIPS, "LABEL_NOISE_KINDS")
    _assert_same_names(C.NORMALIZATION_NAMES, blocks.NORMALIZATIONS, "NORMALIZATIONS")
