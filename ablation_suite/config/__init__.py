"""The leaf of the suite: the one Config of a training run, its names and the dataset facts
(``config.names``), its multi-word grammars (``config.grammars``) and when each knob acts (``config.rules``).

Config is a frozen, flat dataclass of primitives, validated on creation. This module imports
nothing of ours and never TensorFlow, so ablation files, the CLI and the model zoo all validate
against it cheaply (the arrows: study -> driver -> training -> baselines -> config; ablations -> config).
The names allowed for each string knob are the ``*_NAMES`` tuples of ``config.names``; the objects they
map to live in one table each (``training.schedules.OPTIMIZERS``, ``baselines.blocks.INITIALIZERS``,
...), and a test checks the two agree.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields

from ablation_suite.config.names import (  # noqa: F401 (the names a Config field accepts, and the dataset facts)
    ACTIVATION_NAMES,
    AUGMENT_IN,
    AUGMENTATION_NAMES,
    BN_PLACEMENTS,
    CHECKPOINTS,
    CIFAR10_CLASSES,
    DATASET_SOURCES,
    DATASETS,
    DROPOUT_SITES,
    FASHION_CLASSES,
    INITIALIZER_NAMES,
    LABEL_NOISE_KINDS,
    LAYER_ROLES,
    LR_SCHEDULE_NAMES,
    MONITORS,
    NORMALIZATION_NAMES,
    NORMALIZATION_SCOPES,
    OPTIMIZER_NAMES,
    PRECISIONS,
    REGULARIZER_NAMES,
    RESIZED_SOURCES,
    STANDARDIZE_NAMES,
    WARMUP_SCHEDULES,
    XLA_AUGMENTATIONS,
    ConfigError,
    DatasetFacts,
    dataset_source,
)


@dataclass(frozen=True)
class Config:
    """Every knob of one training run. Each field is a primitive so Optuna can store it. A knob set where it
    would change nothing (IDLE_UNLESS: momentum with adam, reduce_lr_* with plateau cuts off, ...) is refused."""

    # data
    dataset: str = "digits"  # a name in DATASETS, or "npz:PATH" / "idx:DIR" / "folder:DIR" / "tfds:NAME[@DIR]"
    val_fraction: float = 0.2  # stratified share of the training set held out for validation
    train_size: int = 0  # stratified subsample of the training split for quick runs; 0 = all
    input_scale: int = 1  # integer upsampling factor applied in the input pipeline
    image_size: int = 0  # every image resized to image_size x image_size (bilinear), any source; 0 = as loaded
    # Pixels as the network sees them: "none" = [0, 1]; "channel" = each channel to zero mean and unit variance
    # by the mean and spread of the cell's training images (validation and test take the same shift and scale);
    # "pixel" = the same per pixel and channel; "image" = each image to zero mean and unit variance.
    standardize: str = "none"
    seed: int = 0  # split, weight initialisation and data order
    deterministic: bool = False  # TensorFlow op determinism: bit-identical reruns, slower on GPU
    # Training batches only, e.g. "none", "flip+shift+zoom", "cutout+mixup": names from AUGMENTATION_NAMES
    # joined by "+" in that order (the order they are applied); strengths in training/augment.py.
    augmentation: str = "none"
    # Where augmentation runs: "pipeline" (tf.data, on the CPU, overlapping training through prefetch: best
    # without a GPU), "train_step" (inside the model's training step, on the GPU when there is one) or
    # "auto" (train_step when TensorFlow sees a GPU, unless jit_compile cannot compile a step; else pipeline).
    augment_in: str = "auto"
    label_noise: float = 0.0  # share of training labels flipped to another class, in [0, 1)
    label_noise_kind: str = "symmetric"  # symmetric: any other class; class_dependent: class k -> k+1 mod K
    # model
    model: str = (
        "baseline2"  # a registered baseline (see `ablation-suite list`), or "path/to/file.py:build" / "pkg.mod:build"
    )
    bn: str = "default"  # normalisation before/after the activation, "none", or the network's published placement
    bn_momentum: float = 0.99  # moving-statistics momentum (Keras default); ~0.9 for runs of a few hundred steps
    normalization: str = "batch"  # the kind of layer placed by `bn` (Wu & He 2018); "none" = no layer
    normalization_scope: str = "all"  # "all": after convolutions and hidden dense layers; "conv": convolutions only
    activation: str = "relu"
    initializer: str = "glorot_uniform"  # kernel initialiser of the layers initializer_scope names
    # The layers initializer and regularizer reach: "all", or roles from LAYER_ROLES joined by "+" in that order
    # ("conv" = the convolutions of blocks; "shortcut" = residual projections; "dense" = hidden dense layers;
    # "logits"). Layers outside the scope keep Keras's defaults: glorot_uniform and no regulariser.
    initializer_scope: str = "all"
    # "default" = the network's own dropout (none for most), "off" = no dropout layer at all, "0.3" (every
    # site), "0.2,0.5,0.7" (one rate per site), "linear:0.1:0.5" (rising over the sites)
    dropout: str = "default"
    dropout_sites: str = "default"  # "default" = the network's sites; "convs" = after every convolution block
    regularizer: str = "none"  # kernel regulariser of the layers regularizer_scope names
    regularizer_scope: str = "all"  # as initializer_scope
    reg_strength: float = 1e-4  # its coefficient (both coefficients for l1l2)
    # optimisation
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.0  # sgd and rmsprop only
    nesterov: bool = False  # sgd only
    batch_size: int = 32
    epochs: int = 10
    lr_schedule: str = "constant"  # a name in LR_SCHEDULE_NAMES, from learning_rate (training/schedules.py)
    warmup_epochs: int = 5  # epochs of rising LR in warmup_cosine and one_cycle (Goyal et al. 2017: 5)
    early_stopping_patience: int = 0  # epochs without improvement before stopping; 0 = off
    early_stopping_monitor: str = "val_loss"
    early_stopping_min_delta: float = 0.0  # smallest change of early_stopping_monitor that counts as improvement
    # With early stopping: end on the best epoch's weights. Keras's default, as seed reports 000 and 001 ran: the last.
    restore_best_weights: bool = False
    # "none", or a metric from MONITORS: train every epoch and end on the weights of the epoch best by that metric
    # (ModelCheckpoint's save_best_only, kept in memory), never stopping early whatever the epochs (training.trainer).
    checkpoint: str = "none"
    # Cut the LR by reduce_lr_factor after reduce_lr_patience epochs without improvement of reduce_lr_monitor
    # (Keras ReduceLROnPlateau's rule), on top of any lr_schedule: the cut multiplies the schedule
    # (training/schedules.py). A switch of its own, not reduce_lr_patience=0 nor a schedule name ("plateau" was
    # one): a count that doubles as a switch, or a schedule that alone reads three other knobs, let those knobs
    # be set and do nothing; with a switch they are refused while it is off (IDLE_UNLESS), and switching it on
    # takes the documented rule. The defaults are seed report 000's patience and factor (it monitored "loss").
    reduce_lr_on_plateau: bool = False
    reduce_lr_patience: int = 3
    reduce_lr_factor: float = 0.5
    reduce_lr_monitor: str = "val_loss"
    reduce_lr_min_delta: float = 0.0  # smallest change of reduce_lr_monitor that counts as improvement
    # performance
    precision: str = "float32"  # Keras dtype policy; mixed_* compute in 16 bits (GPU/TPU), logits stay float32
    jit_compile: bool = False  # XLA-compile the train step: faster on GPU, slower on CPU (see benchmarks/)
    steps_per_execution: int = 16  # batches per call into the compiled graph: per-batch Python work (callbacks,
    # the NaN check) runs once per 16 batches instead of every batch (benchmarks/ measures the gain)

    def __post_init__(self):
        for field in fields(self):
            _check_type(field.name, getattr(self, field.name), field.type)
        _check_dataset(self.dataset)
        if self.dataset in DATASETS and DATASETS[self.dataset].shape[:2] == (self.image_size, self.image_size):
            raise ConfigError(
                f"image_size={self.image_size} is the size of every {self.dataset} image already: it would change "
                "nothing; leave image_size at 0, or choose another size"
            )
        _check_model(self.model)
        check_choice("optimizer", self.optimizer, OPTIMIZER_NAMES)
        check_choice("bn", self.bn, BN_PLACEMENTS)
        check_choice("normalization", self.normalization, NORMALIZATION_NAMES)
        check_choice("normalization_scope", self.normalization_scope, NORMALIZATION_SCOPES)
        check_choice("activation", self.activation, ACTIVATION_NAMES)
        check_choice("initializer", self.initializer, INITIALIZER_NAMES)
        check_choice("regularizer", self.regularizer, REGULARIZER_NAMES)
        check_choice("early_stopping_monitor", self.early_stopping_monitor, MONITORS)
        check_choice("reduce_lr_monitor", self.reduce_lr_monitor, MONITORS)
        check_choice("checkpoint", self.checkpoint, CHECKPOINTS)
        check_choice("standardize", self.standardize, STANDARDIZE_NAMES)
        check_choice("dropout_sites", self.dropout_sites, DROPOUT_SITES)
        layer_scope("initializer_scope", self.initializer_scope)  # validates the grammar
        layer_scope("regularizer_scope", self.regularizer_scope)
        if self.checkpoint != "none" and self.restore_best_weights:
            raise ConfigError(
                f"checkpoint={self.checkpoint!r} with restore_best_weights=True: two rules for the weights a run ends "
                "on; keep restore_best_weights (the best epoch early stopping saw) or checkpoint (the best epoch "
                "by its metric), not both"
            )
        if self.lr_schedule == "plateau":  # a schedule name until plateau cuts became a switch of their own
            raise ConfigError(
                "lr_schedule='plateau' is not a schedule any more: plateau cuts combine with every "
                "schedule; set reduce_lr_on_plateau=true with lr_schedule='constant' (what 'plateau' "
                f"was) or with any of: {', '.join(LR_SCHEDULE_NAMES[1:])}"
            )
        check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULE_NAMES)
        check_choice("label_noise_kind", self.label_noise_kind, LABEL_NOISE_KINDS)
        check_choice("augment_in", self.augment_in, AUGMENT_IN)
        dropout_rates(self.dropout, blocks=1)  # validates the grammar
        augmentation_steps(self.augmentation)  # validates the grammar
        _check_range("label_noise", self.label_noise, 0.0, 1.0, inclusive=False, low_inclusive=True)
        _check_range("val_fraction", self.val_fraction, 0.0, 1.0, inclusive=False)
        _check_range("reduce_lr_factor", self.reduce_lr_factor, 0.0, 1.0, inclusive=False)
        _check_range("momentum", self.momentum, 0.0, 1.0, inclusive=False, low_inclusive=True)
        _check_range("bn_momentum", self.bn_momentum, 0.0, 1.0, inclusive=False)
        for name in ("batch_size", "epochs", "input_scale"):
            _check_at_least(name, getattr(self, name), 1)
        for name in ("train_size", "seed", "early_stopping_patience", "warmup_epochs", "image_size"):
            _check_at_least(name, getattr(self, name), 0)
        if self.reduce_lr_patience < 1:  # 0 once meant "off"; refusing it catches configs written for that
            raise ConfigError(
                f"reduce_lr_patience={self.reduce_lr_patience!r} must be >= 1; LR cuts on a plateau are "
                "switched on and off by reduce_lr_on_plateau (true/false)"
            )
        if self.lr_schedule in WARMUP_SCHEDULES and not 1 <= self.warmup_epochs < self.epochs:
            raise ConfigError(
                f"warmup_epochs={self.warmup_epochs!r} with lr_schedule={self.lr_schedule!r} and epochs={self.epochs}: "
                "the warm-up needs at least 1 epoch and must end before the last epoch; "
                + (
                    f"set warmup_epochs between 1 and {self.epochs - 1}"
                    if self.epochs > 1
                    else "a run of 1 epoch has no room for one: set epochs to 2 or more (with warmup_epochs=1), "
                    f"or an lr_schedule without warm-up (not {' or '.join(WARMUP_SCHEDULES)})"
                )
            )
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ConfigError(f"learning_rate={self.learning_rate!r} must be a finite number > 0, for example 1e-3")
        for name in ("reg_strength", "early_stopping_min_delta", "reduce_lr_min_delta"):
            _check_at_least(name, getattr(self, name), 0.0)
        # performance
        check_choice("precision", self.precision, PRECISIONS)
        _check_at_least("steps_per_execution", self.steps_per_execution, 1)
        if self.jit_compile and self.deterministic:  # Keras would silently train without XLA
            raise ConfigError(
                "jit_compile=True cannot be combined with deterministic=True (XLA is off under "
                "TensorFlow op determinism); set one of them to false"
            )
        _check_xla_augmentation(self)

    def replace(self, **changes) -> Config:
        """A copy with some fields changed; unknown keys fail with the list of valid ones."""
        check_keys(changes)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


FIELD_TYPES = {f.name: f.type for f in fields(Config)}
# Knobs that were split or renamed: the old name -> what to write instead (refused with this, not just "unknown").
REPLACED = {
    "min_delta": "early_stopping_min_delta (early stopping) and reduce_lr_min_delta (plateau cuts), set apart",
}


def upgraded(values: dict) -> dict:
    """Config values stored by an earlier version, in today's spelling: min_delta set both thresholds it became,
    and dropout="none" meant the network's own dropout. (A study's resume compares its stored base this way.)"""
    values = dict(values)
    if "min_delta" in values:
        shared = values.pop("min_delta")
        values.setdefault("early_stopping_min_delta", shared)
        values.setdefault("reduce_lr_min_delta", shared)
    if values.get("dropout") == "none":
        values["dropout"] = DROPOUT_OWN
    return values


def check_keys(keys, where: str = "config") -> None:
    """Fail on any key that is not a Config field, listing the valid ones."""
    unknown = sorted(set(keys) - set(FIELD_TYPES))
    replaced = [key for key in unknown if key in REPLACED]
    if replaced:
        raise ConfigError(f"{where} key {replaced[0]!r} was replaced: write {REPLACED[replaced[0]]}")
    if unknown:
        raise ConfigError(
            f"unknown {where} key(s) {', '.join(map(repr, unknown))}; valid keys are: {', '.join(FIELD_TYPES)}"
        )


def parse_override(text: str) -> tuple[str, object]:
    """Parse one ``key=value`` of ``--set`` into the field's type."""
    if "=" not in text:
        raise ConfigError(f"--set expects key=value, got {text!r} (for example --set batch_size=64)")
    key, raw = (part.strip() for part in text.split("=", 1))
    check_keys([key], where="--set")
    kind = FIELD_TYPES[key]
    value: bool | int | float | str
    try:
        if kind == "bool":
            if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            value = raw.lower() in ("true", "1", "yes")
        elif kind == "int":
            value = int(raw)
        elif kind == "float":
            value = float(raw)
        else:
            value = raw
    except ValueError:
        raise ConfigError(
            f"--set {key}={raw!r}: {key} takes a {kind}, for example {key}={getattr(Config(), key)!r}"
        ) from None
    return key, value


def format_override(key: str, value) -> str:
    """``key=value`` text that ``parse_override`` reads back as exactly ``value``: a float by its repr (every
    digit it needs), a numpy scalar (a trials table may give numbers back as numpy types) as its Python value."""
    if hasattr(value, "item"):
        value = value.item()
    return f"{key}={value!r}" if isinstance(value, float) else f"{key}={value}"


def _check_xla_augmentation(config: Config) -> None:
    """Refuse what would fail at the first training step: an XLA-compiled train step cannot augment with
    steps that have no XLA kernel. ("auto" never puts such steps in the train step.)"""
    blocked = [name for name in augmentation_steps(config.augmentation) if name not in XLA_AUGMENTATIONS]
    if config.augment_in == "train_step" and config.jit_compile and blocked:
        raise ConfigError(
            f"augment_in='train_step' with jit_compile=True cannot compile augmentation={config.augmentation!r}: "
            f"{', '.join(blocked)} {'has' if len(blocked) == 1 else 'have'} no XLA kernel (only "
            f"{', '.join(XLA_AUGMENTATIONS)} do); set augment_in='pipeline' (or 'auto'), or jit_compile=false"
        )


def _check_type(name, value, kind):
    types: dict[str, type | tuple[type, ...]] = {"str": str, "int": int, "float": (int, float), "bool": bool}
    expected = types[kind]
    if isinstance(value, bool) and kind != "bool" or not isinstance(value, expected):
        raise ConfigError(f"{name}={value!r} has type {type(value).__name__}; {name} takes a {kind}")


def check_choice(name, value, allowed, error=ConfigError):
    """Refuse a value outside ``allowed``, naming them (ablations raise their own error class)."""
    if value not in allowed:
        raise error(f"{name}={value!r} is not known; choose one of: {', '.join(allowed)}")


def _check_dataset(value):
    kind, argument = dataset_source(value)
    if value in DATASETS or (kind in DATASET_SOURCES and argument):
        return
    raise ConfigError(
        f"dataset={value!r} is not known; choose one of: {', '.join(DATASETS)}, "
        + " or ".join(f"{kind}:{what}" for kind, what in DATASET_SOURCES.items())
    )


def _check_model(value):
    """A registered name (checked where networks are built, baselines.create) or a user builder, "FILE.py:FUNCTION"
    or "package.module:FUNCTION": only its form is checked here (config never imports the zoo or user code)."""
    if ":" not in value:
        return
    where, _, function = value.rpartition(":")
    module = all(part.isidentifier() for part in where.split("."))
    if not (function.isidentifier() and (where.endswith(".py") or module)):
        raise ConfigError(
            f"model={value!r} is neither a registered baseline nor a builder of your own; write "
            '"path/to/models.py:build" or "package.module:build" (a function (input_shape, '
            "num_classes, config) -> keras.Model), or a name from `ablation-suite list`"
        )


def _check_range(name, value, low, high, inclusive=True, low_inclusive=None):
    low_ok = value >= low if (inclusive if low_inclusive is None else low_inclusive) else value > low
    high_ok = value <= high if inclusive else value < high
    if not (low_ok and high_ok):
        brackets = (
            ("[" if (inclusive if low_inclusive is None else low_inclusive) else "(")
            + f"{low}, {high}"
            + ("]" if inclusive else ")")
        )
        raise ConfigError(f"{name}={value!r} is out of range; it must be in {brackets}")


def _check_at_least(name, value, low):
    if not (math.isfinite(value) and value >= low):
        raise ConfigError(f"{name}={value!r} must be >= {low}")


# The multi-word grammars, and when a knob acts (imported last: its checks build Configs).
from ablation_suite.config.grammars import (  # noqa: E402,F401
    DROPOUT_OFF,
    DROPOUT_OWN,
    augmentation_steps,
    dropout_rates,
    layer_scope,
)
from ablation_suite.config.rules import IDLE_UNLESS, MOMENTUM_OPTIMIZERS, Acts, check_knobs_act, effective, idle_knobs  # noqa: E402,F401
