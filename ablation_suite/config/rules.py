"""When a knob acts: the one table of knobs that change a run only under a condition, and the checks that
refuse a knob set where it would change nothing. ``config`` re-exports every public name."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from ablation_suite.config.names import REGULARIZER_NAMES, WARMUP_SCHEDULES, ConfigError


@dataclass(frozen=True)
class Acts:
    """When a knob changes the run: ``when(config)``, decided by the fields ``reads``; ``why`` it does nothing
    otherwise and the ``fix`` that makes it act."""

    reads: tuple
    when: Callable  # Config -> bool
    why: str
    fix: str


MOMENTUM_OPTIMIZERS = ("sgd", "rmsprop")  # the optimisers whose Keras class takes momentum (training/schedules.py)
_PLATEAU = Acts(
    ("reduce_lr_on_plateau",),
    lambda c: c.reduce_lr_on_plateau,
    "only the plateau cut reads it",
    "set reduce_lr_on_plateau=true",
)
_STOPPING = Acts(
    ("early_stopping_patience",),
    lambda c: c.early_stopping_patience > 0,
    "early stopping is off",
    "set early_stopping_patience to 1 or more",
)
_NO_LAYER = "no normalisation layer is placed"  # bn='none' or normalization='none': each idles the other
# The one table of knobs that act only under a condition (knob -> when it acts, why not otherwise, the fix).
# A knob set away from its default that acts in none of a study's cells would change nothing: check_knobs_act
# refuses it. The check runs over the study's cells, not one Config: a knob idle at one level of a factor and
# acting at the others is what that factor compares (label_noise_kind at a clean level, bn_momentum at bn="none").
# bn, normalization and bn_momentum are idle too on a network without normalisation sites: only its build shows.
IDLE_UNLESS = {
    "reduce_lr_patience": _PLATEAU,
    "reduce_lr_factor": _PLATEAU,
    "reduce_lr_monitor": _PLATEAU,
    "early_stopping_monitor": _STOPPING,
    "restore_best_weights": _STOPPING,
    "early_stopping_min_delta": _STOPPING,
    "reduce_lr_min_delta": _PLATEAU,
    "momentum": Acts(
        ("optimizer",),
        lambda c: c.optimizer in MOMENTUM_OPTIMIZERS,
        f"only {' and '.join(MOMENTUM_OPTIMIZERS)} have a momentum term",
        f"use optimizer={' or '.join(map(repr, MOMENTUM_OPTIMIZERS))}",
    ),
    "nesterov": Acts(
        ("optimizer", "momentum"),
        lambda c: c.optimizer == "sgd" and c.momentum > 0,
        "Nesterov's look-ahead is SGD's and moves nothing without momentum",
        "use optimizer='sgd' with momentum > 0, e.g. 0.9",
    ),
    "label_noise_kind": Acts(
        ("label_noise",), lambda c: c.label_noise > 0, "no training label is flipped", "set label_noise > 0, e.g. 0.2"
    ),
    "warmup_epochs": Acts(
        ("lr_schedule",),
        lambda c: c.lr_schedule in WARMUP_SCHEDULES,
        "that schedule has no warm-up",
        f"use lr_schedule={' or '.join(map(repr, WARMUP_SCHEDULES))}",
    ),
    "reg_strength": Acts(
        ("regularizer",),
        lambda c: c.regularizer != "none",
        "there is no regulariser to weigh",
        f"set regularizer to one of {', '.join(REGULARIZER_NAMES[1:])}",
    ),
    "regularizer_scope": Acts(
        ("regularizer",),
        lambda c: c.regularizer != "none",
        "there is no regulariser to place",
        f"set regularizer to one of {', '.join(REGULARIZER_NAMES[1:])}",
    ),
    "initializer_scope": Acts(
        ("initializer",),
        lambda c: c.initializer != "glorot_uniform",
        "layers outside the scope keep glorot_uniform, the initializer itself",
        "set initializer to another one, e.g. 'he_uniform'",
    ),
    "dropout_sites": Acts(
        ("dropout",),
        lambda c: c.dropout not in ("default", "off"),
        "the network's own dropout keeps its own sites, and 'off' has none",
        "set dropout to a rate or a schedule, e.g. dropout='0.2'",
    ),
    "bn": Acts(("normalization",), lambda c: c.normalization != "none", _NO_LAYER, "set normalization, e.g. 'batch'"),
    "normalization": Acts(("bn",), lambda c: c.bn != "none", _NO_LAYER, "set bn to 'before', 'after' or 'default'"),
    "normalization_scope": Acts(
        ("normalization", "bn"),
        lambda c: c.normalization != "none" and c.bn != "none",
        _NO_LAYER,
        "set normalization (e.g. 'batch') and bn to 'before', 'after' or 'default'",
    ),
    "bn_momentum": Acts(
        ("normalization", "bn"),
        lambda c: c.normalization == "batch" and c.bn != "none",
        "no batch normalisation layer is placed",
        "use normalization='batch' with bn not 'none'",
    ),
    "augment_in": Acts(
        ("augmentation",),
        lambda c: c.augmentation != "none",
        "there is nothing to augment",
        "set an augmentation, e.g. augmentation='flip+shift'",
    ),
}


def idle_knobs(config) -> dict:
    """Knob -> why it does nothing in this Config, for every knob of IDLE_UNLESS set away from its default."""
    idle = {}
    for name, acts in IDLE_UNLESS.items():
        value, default = getattr(config, name), _default(config, name)
        if value != default and not acts.when(config):
            state = ", ".join(f"{field}={getattr(config, field)!r}" for field in acts.reads)
            idle[name] = (
                f"{name}={value!r} does nothing with {state}: {acts.why}; to make it act, {acts.fix}; "
                f"else leave {name} at its default {default!r}"
            )
    return idle


def check_knobs_act(configs, skip=()) -> None:
    """Refuse a knob value that acts in none of the Configs (a study's cells) it is set in: it would train
    the same runs as its default, under another label. Knobs in ``skip`` (searched ones, which a sampler
    combines freely) are not checked."""
    seen: dict = {}  # (knob, value) -> why it is idle in every Config so far (None once it acts in one)
    for config in configs:
        idle = idle_knobs(config)
        for name in IDLE_UNLESS:
            key = (name, getattr(config, name))
            if name not in skip and key[1] != _default(config, name):
                seen[key] = idle.get(name) if seen.get(key, "") is not None else None
    for why in seen.values():
        if why:
            raise ConfigError(why + (" (in every cell)" if len(configs) > 1 else ""))


def effective(values: dict) -> dict:
    """Config fields with every knob that does nothing put back to its default: two set-ups that train the
    same runs compare equal (e.g. a study stored when restore_best_weights defaulted to True, without
    early stopping, resumed after the default became False)."""
    from ablation_suite.config import FIELD_TYPES, Config, upgraded

    config = Config(**{name: value for name, value in upgraded(values).items() if name in FIELD_TYPES})
    return {**config.to_dict(), **{name: _default(config, name) for name in idle_knobs(config)}}


def _default(config, name: str):
    return next(field.default for field in dataclasses.fields(config) if field.name == name)
