"""The columns of the seed reports' table (ablations/_reported.py): the values a row can state, the cells it
speaks of, the Row and the Experiment, and the experiments in the docs' order. Pure data and tiny helpers: no
TensorFlow."""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

# --- values -------------------------------------------------------------------------------------------------------
# A row's value is a plain value (every selected cell has it) or one of these.


@dataclass(frozen=True)
class OneOf:
    """Every selected cell has one of these (e.g. "He" initialisation: he_normal or he_uniform)."""

    values: tuple

    def __init__(self, *values):
        object.__setattr__(self, "values", values)

    def check(self, found: list, reference=None) -> bool:
        return all(any(same(value, allowed) for allowed in self.values) for value in found)


@dataclass(frozen=True)
class NoneOf:
    """No selected cell has any of these (e.g. augmentation "applied": not "none")."""

    values: tuple

    def __init__(self, *values):
        object.__setattr__(self, "values", values)

    def check(self, found: list, reference=None) -> bool:
        return not any(same(value, banned) for value in found for banned in self.values)


@dataclass(frozen=True)
class Includes:
    """The selected cells take each of these values between them (an element may be a OneOf or a NoneOf)."""

    values: tuple

    def __init__(self, *values):
        object.__setattr__(self, "values", values)

    def check(self, found: list, reference=None) -> bool:
        return all(any(matches(value, wanted) for value in found) for wanted in self.values)


@dataclass(frozen=True)
class Exactly:
    """The selected cells take these values and no other."""

    values: tuple

    def __init__(self, *values):
        object.__setattr__(self, "values", values)

    def check(self, found: list, reference=None) -> bool:
        return Includes(*self.values).check(found) and OneOf(*self.values).check(found)


@dataclass(frozen=True)
class Distinct:
    """The selected cells take this many different values."""

    count: int

    def check(self, found: list, reference=None) -> bool:
        return len({repr(value) for value in found}) == self.count


@dataclass(frozen=True)
class Above:
    """Every selected cell's value is greater than this."""

    bound: float

    def check(self, found: list, reference=None) -> bool:
        return all(value > self.bound for value in found)


@dataclass(frozen=True)
class Approx:
    """Every selected cell's value is within ``within`` of ``value`` ("approximately 93 thousand")."""

    value: float
    within: float

    def check(self, found: list, reference=None) -> bool:
        return all(abs(value - self.value) <= self.within for value in found)


@dataclass(frozen=True)
class ShareOf:
    """Every selected cell's value is below ``share`` of the same field's value in the cell ``of`` selects."""

    share: float
    of: str

    def check(self, found: list, reference=None) -> bool:
        return bool(reference) and all(value < self.share * min(reference) for value in found)


def same(value, expected) -> bool:
    """Equality, floats to rounding (1e-3 == 0.001 however it was computed), tuples element by element."""
    if isinstance(value, tuple) and isinstance(expected, tuple):
        return len(value) == len(expected) and all(map(same, value, expected))
    numbers = (int, float)
    if isinstance(value, numbers) and isinstance(expected, numbers) and bool not in (type(value), type(expected)):
        return math.isclose(value, expected, rel_tol=1e-9, abs_tol=0.0)
    return type(value) is type(expected) and value == expected


def matches(value, wanted) -> bool:
    return wanted.check([value]) if hasattr(wanted, "check") else same(value, wanted)


def holds(value, found: list, reference=None) -> bool:
    """Whether the values ``found`` in the selected cells satisfy a row's ``value``."""
    if hasattr(value, "check"):
        return value.check(found, reference)
    return all(same(item, value) for item in found)


# --- fields that are facts, not Config knobs -----------------------------------------------------------------------
# Read from the cell without building its network:
DERIVED = {
    "input_size": "the side in pixels of the images the network gets (image_size, else the dataset's x input_scale)",
    "level": "the cell's variant label (its factor levels joined by spaces)",
    "lr_phases": "the learning-rate schedule as (rate, share of the epochs) runs",
}
# Measured on the cell's built network (a few seconds each: rows that need one are few and pick one cell):
MEASURES = {
    "parameters": "trainable parameters",
    "imagenet_parameters": "trainable parameters of the network built for 224x224x3 images and 1000 classes",
    "weight_layers": "Conv2D and Dense layers",
    "conv_layers": "Conv2D layers",
    "conv_kernels": "each Conv2D's kernel side, in order",
    "dense_units": "each Dense layer's units, in order",
    "dropout_layers": 'each Dropout as (what it follows: "conv", "dense" or "pool", rate), in order',
    "dropout_rates": "the distinct dropout rates, ascending",
    "stem_filters": "the first Conv2D's filters",
    "stem_kernel": "the first Conv2D's kernel size",
    "stem_strides": "the first Conv2D's strides",
    "stem_padding": "the first Conv2D's padding",
    "stem_pool": "the first pooling layer's pool size",
}
# Config's `bn` is compared as the network builds it: "default" is the network's published placement.
RESOLVED = ("bn",)


# --- cells a row speaks of -----------------------------------------------------------------------------------------


def clauses(where: str) -> list[tuple[str, str, object]]:
    """``where`` as (name, operator, value) clauses: "all", or clauses joined by " and ", each ``name == value``,
    ``name != value``, ``name in (values)`` or ``name not in (values)`` with Python literals as values."""
    if where == "all":
        return []
    result = []
    for clause in where.split(" and "):
        for operator in (" not in ", " in ", " == ", " != "):
            if operator in clause:
                name, literal = clause.split(operator, 1)
                result.append((name.strip(), operator.strip(), ast.literal_eval(literal.strip())))
                break
        else:
            raise ValueError(f"where={where!r}: cannot read {clause!r}")
    return result


def selects(where: str, labels: dict, config) -> bool:
    """Whether a cell (its factor ``labels`` and its Config) is one ``where`` names. A name is a factor (matched
    by its level's label) or a Config field; a value matches either (``model == "vgg11"`` picks the level
    labelled vgg11_sgd, whose model is vgg11)."""

    def equals(name, value):
        return (name in labels and labels[name] == value) or getattr(config, name, None) == value

    tests = {
        "==": lambda name, value: equals(name, value),
        "!=": lambda name, value: not equals(name, value),
        "in": lambda name, values: any(equals(name, value) for value in values),
        "not in": lambda name, values: not any(equals(name, value) for value in values),
    }
    return all(tests[operator](name, value) for name, operator, value in clauses(where))


# --- the table -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Experiment:
    """One line of the docs' table: the report(s), the experiment, the ablation runs that reproduce it (each
    as its command line: NAME [--dataset D] [--study-name S]), how the docs name them, and what was chosen where
    the report is silent (CHOSEN; the ablations' notes say it at length)."""

    reports: str
    label: str
    runs: tuple
    shown: str = ""

    @property
    def chosen(self) -> str:
        return CHOSEN[self.label]

    def __post_init__(self):
        if not self.shown:
            object.__setattr__(self, "shown", ", ".join(f"`{run}`" for run in self.runs))


@dataclass(frozen=True)
class Row:
    """One value a report states, where it states it, and which cells of which ablations must carry it."""

    report: str  # "000" .. "004"
    lines: tuple  # line numbers in the report's .txt file
    quote: str  # verbatim; " ... " joins pieces of those lines, in their order
    experiments: tuple  # Experiment labels
    field: str  # a Config field, or one of DERIVED or MEASURES
    value: object  # a plain value or OneOf, NoneOf, Includes, Exactly, Distinct, Above, Approx, ShareOf
    where: str = "all"  # the cells it speaks of (see clauses)
    differs: str | None = None  # None, or the one sentence: the difference and its reason (the docs show it)
    runs: tuple = ()  # a subset of the experiments' runs (measured rows build one cell); () = all of them

    def ablation_runs(self) -> tuple:
        return self.runs or tuple(dict.fromkeys(run for label in self.experiments for run in EXPERIMENTS[label].runs))


def run_of(command: str) -> tuple[str, dict]:
    """An Experiment run's ablation name and its Config overrides: "resnet_step_lr --dataset cifar100" ->
    ("resnet_step_lr", {"dataset": "cifar100"}) (--study-name names the study only)."""
    name, *options = command.split()
    overrides = {}
    for option, value in zip(options[::2], options[1::2]):
        if option == "--dataset":
            overrides["dataset"] = value
        elif option != "--study-name":
            raise ValueError(f"{command!r}: {option} is not an option this table reads")
    return name, overrides


def row(report, lines, quote, experiments, field, value, where="all", differs=None, runs=()) -> Row:
    lines = (lines,) if isinstance(lines, int) else tuple(lines)
    experiments = (experiments,) if isinstance(experiments, str) else tuple(experiments)
    runs = (runs,) if isinstance(runs, str) else tuple(runs)
    return Row(report, lines, quote, experiments, field, value, where, differs, runs)


def rows(report, lines, quote, experiments, where="all", differs=None, runs=(), **values) -> list[Row]:
    """One row per field of ``values``, all from the same words."""
    return [
        row(report, lines, quote, experiments, field, value, where, differs, runs) for field, value in values.items()
    ]


# Experiments, in the docs' order (docs/reference/seed-reports.md).
ARCH = "six networks on MNIST and CIFAR-10 (sec. 6)"
SCALE = "VGG-A and NIN upsampled, CIFAR-10 (secs. 4, 6.2)"
SCALE_MNIST = "VGG-A x1, x3 and NIN x3 on MNIST (sec. 6.1)"
DEPTH = "baseline 1 vs 2 (sec. 3, figs. 1-2)"
BN = "BN before/after, both baselines (stage 1, fig. 3)"
BATCH = "batch size (stage 2, fig. 4)"
INIT = "initialisers (stage 3, fig. 5)"
DROPOUT = "dropout, 20 and 50 epochs (stage 4)"
DECAY = "weight decay with and without dropout (stage 5, fig. 6)"
ACTIVATION = "activation x BN (stage 6, fig. 7)"
OPTIMIZERS = "nine optimisers at their defaults (stage 7, fig. 15)"
RATES = "learning rate x top four (stage 8, fig. 8)"
COMBINED = "combined model, then augmentation (stage 9)"
CHAIN = "the whole study in order"
VGG_RESNET = "VGG-16, ResNet-18 x SGD rate, CIFAR-10, 20 epochs (sec. IV.B.2)"
VGG_RESNET_MNIST = "the same on MNIST, 10 epochs (sec. IV.B.1)"
ZOO = "SimpleNet and ResNext1-3 (secs. 2.2, 5.2)"
RESNEXT = "the ResNeXt of sec. 3.4 after 10 epochs (sec. 3.5)"
WIDE = "wide ResNets, N x k (sec. 5.2)"
CNN = "CNN: baseline, + augmentation, + dropout, combined, best (sec. 5.1, figs. 1-2)"
NORMS = "BN vs layer, group, instance (sec. 5.1)"
RESNET = "ResNet, step schedule, deeper ResNet, 100 epochs (secs. 5.2.1-5.2.2, figs. 3a-c)"
RESNET_C100 = "ResNet on CIFAR-100 (sec. 5.2.3)"
STOPPING = "their stopping rules, 004's checkpoint (sec. 4)"

EXPERIMENTS = {
    experiment.label: experiment
    for experiment in (
        Experiment("000", ARCH, ("architectures",)),
        Experiment("000", SCALE, ("input_scale",)),
        Experiment("000", SCALE_MNIST, ("input_scale_mnist",)),
        Experiment("001", DEPTH, ("baseline_depth",)),
        Experiment(
            "001", BN, ("bn_placement", "bn_both_baselines"), "`bn_placement` (fig. 3), `bn_both_baselines` (text)"
        ),
        Experiment("001", BATCH, ("batch_size",)),
        Experiment("001", INIT, ("initializer",)),
        Experiment("001", DROPOUT, ("dropout_schedule",)),
        Experiment("001", DECAY, ("weight_decay",)),
        Experiment("001", ACTIVATION, ("activation",)),
        Experiment("001", OPTIMIZERS, ("optimizer",)),
        Experiment("001", RATES, ("learning_rate",), "`learning_rate` (`optimizer_lr`: a tuned extension)"),
        Experiment("001", COMBINED, ("augmentation",)),
        Experiment("001", CHAIN, ("seed1_study",)),
        Experiment("002", VGG_RESNET, ("depth_vs_lr",)),
        Experiment("002", VGG_RESNET_MNIST, ("depth_vs_lr_mnist",)),
        Experiment("003", ZOO, ("cifar100_zoo",)),
        Experiment("003", RESNEXT, ("cifar100_zoo",), "`cifar100_zoo` (its ResNeXts)"),
        Experiment("003", WIDE, ("wide_resnet",)),
        Experiment("004", CNN, ("cnn_regularisation",)),
        Experiment("004", NORMS, ("normalization",)),
        Experiment("004", RESNET, ("resnet_step_lr",)),
        Experiment("004", RESNET_C100, ("resnet_step_lr --dataset cifar100 --study-name resnet_step_lr_cifar100",)),
        Experiment(
            "000, 001, 004",
            STOPPING,
            ("early_stopping",),
            "`early_stopping` (each rule a level on 001's combined baseline 2)",
        ),
    )
}

# Where a report is silent: what each experiment chose, in short (the docs' last column; its ablation's notes
# give the reasons at length). A value the report states is a Row, never here.
_SILENT_000 = (
    "Batch 32 and a stratified split; ResNets with option A shortcuts (the report follows 'the implementation of "
    "ResNet published as a part of Keras', which projects: ~4k more parameters on RES20); no restoring of the best "
    "weights (Keras's default)"
)
_SILENT_001 = (
    "Filter widths are our reading (the architecture figures are missing); Adam 1e-3 (the report names no optimiser "
    "before stage 7: Keras's default assumed) and at most 20 epochs with its early stopping (it gives 20 for the "
    "dropout stage only)"
)
_SILENT_002 = (
    "Momentum 0.9 and batch 128 (PyTorch's default momentum is 0, but VGG-16 diverging at 0.1 points to momentum); "
    "flips and 10% shifts (the suite has no padded random crop); BN on VGG-16's dense layers too; Glorot "
    "initialisation, not PyTorch's default; [0, 1] inputs; 10% held out (the report trained on all images)"
)
_SILENT_003 = "Batch 128 and patience 5 on the validation loss"
_RESNET = (
    "The networks are the authors' BestResNet.py (fig. 3b) and ResNet_Jan.ipynb (fig. 3c's deeper one); from that "
    "code: momentum 0.9, batch 128, L2 1e-4 and He-uniform on the 3x3 convolutions only, each image standardised, "
    "shifts and flips, the checkpoint on validation accuracy (of a held-out split; the code watched the test set); "
    "steps after epochs 50 and 75 as the text says (the code: 52 and 77)"
)
CHOSEN = {
    ARCH: _SILENT_000 + ". Extra cells: resnet32, resnet56 on MNIST, conv/drop on CIFAR-10, NIN x1 on MNIST",
    SCALE: _SILENT_000 + "; nearest-neighbour upsampling; x2 for both and x5 for NIN added",
    SCALE_MNIST: _SILENT_000 + "; NIN x1, left out of the report's results, is run",
    DEPTH: _SILENT_001,
    BN: _SILENT_001,
    BATCH: _SILENT_001 + "; 64, 128 and 512 added (the report names 32 and 256)",
    INIT: _SILENT_001 + "; 'He' is not said to be normal or uniform: later stages carry he_normal; LeCun added",
    DROPOUT: "Where within a block the per-block rates sit (the figure is missing); no-dropout controls added",
    DECAY: "Magnitudes 1e-5..1e-2 (the axis values are in a missing figure); a no-decay level added",
    ACTIVATION: "Dropout and L2 carried from stages 4-5 (the report does not say whether they were on)",
    OPTIMIZERS: "Which nine: tf.keras 2's eight built-ins, RMSprop with momentum, SGD with momentum and with "
    "Nesterov; momentum 0.9",
    RATES: "Rates 1e-4..1e-1; SGD with momentum, not Nesterov",
    COMBINED: "Transform strengths are the suite's; batch norm and 50 epochs carried (not restated)",
    CHAIN: "As its stages",
    VGG_RESNET: _SILENT_002,
    VGG_RESNET_MNIST: _SILENT_002 + "; bilinear resizing",
    ZOO: _SILENT_003 + "; ResNext1-3 are our reading of an ambiguous table (cardinality, halving conv and head "
    "chosen: `resnext_small*` docstring); Res2Net not run (no result: its implementation was not finished)",
    RESNEXT: "Its stages are resnext_small2's, the table's one configuration with a 64-filter first layer",
    WIDE: _SILENT_003 + "; architecture and dropout 0.3 from the WRN paper (sec. 4.4 is empty); N read as blocks "
    "per stage (N = 2: WRN-16); N = 4 with k = 8, 16 added",
    CNN: "Values from the authors' CNN.py (the report names methods only); 'combined' joins its single-method "
    "settings (no file has all four); the best CNN at 400 and at 100 epochs (fig. 2d's caption and sec. 5.3 "
    "disagree); held-out validation (the code validates on the test set)",
    NORMS: "The authors' notebook's set-up, vertical flips included; instance norm on the convolutions only (the "
    "notebook also put it after the dense layer, where it outputs constants: its chance result)",
    RESNET: _RESNET,
    RESNET_C100: _RESNET,
    STOPPING: "The rules compared on 001's combined baseline 2, not on each report's network",
}

# A difference several reports share (the docs print each sentence once per experiment).
NO_DROPOUT = ("none", "default", "off")  # the dropout knob's values that add no dropout to these networks
