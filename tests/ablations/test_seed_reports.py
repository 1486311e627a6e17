"""Every value the seed reports state, as ablations/_reported.py transcribes it from their words, holds in the
cells of the ablations that reproduce them, without training.

One test per row of that table: the cells are ``ablations.load(NAME).configs(Config().replace(**ablation.base))``
(with the run's --dataset), the row's ``where`` picks some of them, and each picked cell's field (a Config field,
read so that a knob the Config lacks fails the row; a derived fact; or a fact of the built network) must hold the
stated value. A row with ``differs`` is a strict xfail whose reason is that sentence: the docs print it, and
the row passing means the difference is gone and the row's ``differs`` must go too. The docs' table is the one
``_reported.render()`` makes, so the two cannot drift; the quotes are checked against the reports where they are.
"""

import ast
import functools
import re
import runpy
from pathlib import Path

import pytest
from common import FIXTURES, REPO

from ablation_suite import ablations, baselines
from ablation_suite.ablations import _reported as reported
from ablation_suite.baselines.cost import parameters
from ablation_suite.config import DATASETS, Config

# The five reports as they were shared (../shared/seeds/00N_*.txt beside the repository), copied into the fixtures so
# that every clone checks the quotes; where the shared folder is present, the copies must be identical to it.
SEEDS = FIXTURES / "seed_reports"
SHARED = REPO.parent / "shared" / "seeds"
PAGE = "docs/reference/seed-reports.md"  # the documentation page that prints the table


class Missing:
    """What a cell holds for a field its Config does not have (yet): never equal to a stated value."""

    def __repr__(self):
        return "<no such Config field>"


MISSING = Missing()


def parametrized_rows():
    seen: dict = {}
    for row in reported.ROWS:
        key = f"{row.report}-L{row.lines[0]}-{row.field}"
        seen[key] = seen.get(key, 0) + 1
        marks = [pytest.mark.xfail(strict=True, reason=row.differs)] if row.differs else []
        if row.field not in reported.MEASURES:
            marks.append(pytest.mark.unit)  # no network is built
        yield pytest.param(row, id=key if seen[key] == 1 else f"{key}-{seen[key]}", marks=marks)


@functools.cache
def cells(run: str) -> tuple:
    """(factor labels, Config) of the seed-0 cell of every variant of an Experiment run ("NAME [--dataset D]")."""
    name, overrides = reported.run_of(run)
    ablation = ablations.load(name)
    configs = ablation.configs(Config().replace(**{**ablation.base, **overrides}), seeds=1)
    return tuple(zip(ablation.variants(), configs))


@functools.cache
def facts(config: Config, imagenet: bool = False) -> dict:
    """The MEASURES of the cell's network, built for its images (or for 224x224x3 and 1000 classes)."""
    import keras

    data = DATASETS[config.dataset]
    model = (
        baselines.create(config.model, (224, 224, 3), 1000, config)
        if imagenet
        else baselines.build(config, data.shape, data.classes)
    )
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    dropouts = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    pools = [
        layer for layer in model.layers if isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D))
    ]
    result = dict(
        parameters=parameters(model),
        weight_layers=len(convs) + len(dense),
        conv_layers=len(convs),
        conv_kernels=tuple(layer.kernel_size[0] for layer in convs),
        dense_units=tuple(layer.units for layer in dense),
        dropout_layers=tuple((follows(layer), layer.rate) for layer in dropouts),
        dropout_rates=tuple(sorted({layer.rate for layer in dropouts})),
        stem_filters=convs[0].filters,
        stem_kernel=tuple(convs[0].kernel_size),
        stem_strides=tuple(convs[0].strides),
        stem_padding=convs[0].padding,
        stem_pool=tuple(pools[0].pool_size) if pools else None,
    )
    result["imagenet_parameters"] = result["parameters"] if imagenet else None
    return result


def follows(layer) -> str:
    """What a Dropout layer follows: "conv", "dense" or "pool", looking through activations and normalisations."""
    import keras

    through = (
        keras.layers.ReLU,
        keras.layers.LeakyReLU,
        keras.layers.ELU,
        keras.layers.Activation,
        keras.layers.BatchNormalization,
        keras.layers.GroupNormalization,
        keras.layers.LayerNormalization,
        keras.layers.Dropout,
    )
    source = layer.input._keras_history.operation
    while isinstance(source, through):
        source = source.input._keras_history.operation
    kinds = {
        keras.layers.Conv2D: "conv",
        keras.layers.Dense: "dense",
        keras.layers.MaxPooling2D: "pool",
        keras.layers.AveragePooling2D: "pool",
    }
    return next((kind for cls, kind in kinds.items() if isinstance(source, cls)), type(source).__name__)


def lr_phases(config: Config) -> tuple:
    """The learning rate the optimiser gets, epoch by epoch, as (rate, share of the epochs) runs."""
    from ablation_suite.training.schedules import learning_rate

    steps = 4  # batches per epoch: enough to see a rate change inside an epoch
    schedule = learning_rate(config, steps)

    def at(step):
        return float(f"{float(schedule(step) if callable(schedule) else schedule):.6g}")

    phases: list = []
    for epoch in range(config.epochs):
        first, last = at(epoch * steps), at(epoch * steps + steps - 1)
        rate = first if first == last else (first, last)
        if phases and phases[-1][0] == rate:
            phases[-1][1] += 1
        else:
            phases.append([rate, 1])
    return tuple((rate, count / config.epochs) for rate, count in phases)


def value_of(field: str, labels: dict, config: Config):
    """A cell's value of a row's field: derived, measured, resolved (bn "default"), else the Config's."""
    if field == "level":
        return " ".join(str(value) for value in labels.values())
    if field == "input_size":
        side = getattr(config, "image_size", 0) or DATASETS[config.dataset].shape[0]
        return side * config.input_scale
    if field == "lr_phases":
        return lr_phases(config)
    if field in reported.MEASURES:
        return facts(config, imagenet=field == "imagenet_parameters")[field]
    if field in reported.RESOLVED and config.bn == "default":
        baselines.names()  # loads the families, which register their published placements
        return baselines._PLACEMENT.get(config.model, MISSING)
    return getattr(config, field, MISSING)


@pytest.mark.parametrize("row", parametrized_rows())
def test_stated_value(row):
    problems = []
    for run in row.ablation_runs():
        picked = [(labels, config) for labels, config in cells(run) if reported.selects(row.where, labels, config)]
        if not picked:
            problems.append(f"{run}: no cell where {row.where}")
            continue
        found = [value_of(row.field, labels, config) for labels, config in picked]
        if any(value is MISSING for value in found):
            problems.append(f"{run}: the Config has no field {row.field!r}")
            continue
        reference = None
        if isinstance(row.value, reported.ShareOf):
            of = [(labels, config) for labels, config in cells(run) if reported.selects(row.value.of, labels, config)]
            reference = [value_of(row.field, labels, config) for labels, config in of]
        if not reported.holds(row.value, found, reference):
            shown = sorted({repr(value) for value in found})
            problems.append(f"{run}: {row.field} is {', '.join(shown)} where {row.where}; the report: {row.value!r}")
    assert not problems, f"report {row.report}, line(s) {row.lines}: {row.quote!r}\n" + "\n".join(problems)


@pytest.mark.unit
def test_rows_name_known_reports_experiments_runs_and_cells():
    for row in reported.ROWS:
        where = f"report {row.report}, line(s) {row.lines}, {row.field}"
        assert row.report in {"000", "001", "002", "003", "004"} and row.lines and row.quote.strip(), where
        assert row.experiments and set(row.experiments) <= set(reported.EXPERIMENTS), where
        assert row.report in reported.EXPERIMENTS[row.experiments[0]].reports, where
        runs = {run for label in row.experiments for run in reported.EXPERIMENTS[label].runs}
        assert set(row.ablation_runs()) <= runs, where
        reported.clauses(row.where)  # readable
        if row.differs is not None:  # one sentence, printable in a Markdown table cell
            assert row.differs.endswith(".") and "|" not in row.differs and "\n" not in row.differs, where
        if row.field in reported.MEASURES:  # a network is built per picked cell: rows pick few
            assert row.where != "all" or len(row.ablation_runs()) == 1, where
    for experiment in reported.EXPERIMENTS.values():
        for run in experiment.runs:
            assert reported.run_of(run)[0] in ablations.names(), run
        assert any(experiment.label in row.experiments for row in reported.ROWS), experiment.label


@pytest.mark.unit
def test_quotes_are_the_reports_words_at_their_lines():
    copies = {path.name: path.read_bytes() for path in SEEDS.glob("00?_*.txt")}
    assert len(copies) == 5
    if SHARED.is_dir():
        assert copies == {path.name: path.read_bytes() for path in SHARED.glob("00?_*.txt")}
    texts = {path.name[:3]: path.read_text(encoding="utf-8").splitlines() for path in SEEDS.glob("00?_*.txt")}
    wrong = []
    for row in reported.ROWS:
        text = " ".join(" ".join(texts[row.report][line - 1].split()) for line in row.lines)
        at = 0
        for piece in row.quote.split(" ... "):
            found = text.find(" ".join(piece.split()), at)
            if found < 0:
                wrong.append(f"report {row.report}, line(s) {row.lines}: {piece!r}")
                break
            at = found + len(piece)
    assert not wrong, "quotes not found at their lines:\n" + "\n".join(wrong)


def docs_page() -> str:
    return (REPO / PAGE).read_text(encoding="utf-8")


@pytest.mark.unit
def test_docs_table_is_the_generated_one():
    section = docs_page()
    assert reported.render() in section, (
        "the docs' table differs from the table of ablations/_reported.py: paste the output of "
        "`python -m ablation_suite.ablations._reported` into " + PAGE
    )
    assert "python -m ablation_suite.ablations._reported" in section  # it says how the table is made


@pytest.mark.unit
def test_docs_count_the_differences_as_the_test_has_xfails():
    xfails = sum(row.differs is not None for row in reported.ROWS)
    assert reported.differences() == xfails
    counts = re.findall(r"(\d+) differences", docs_page())
    assert counts and all(int(count) == xfails for count in counts), (counts, xfails)


@pytest.mark.unit
def test_module_prints_the_table_and_imports_no_tensorflow(capsys):
    runpy.run_path(reported.__file__, run_name="__main__")  # what `python -m ablation_suite.ablations._reported` runs
    assert capsys.readouterr().out == reported.render() + "\n"
    for path in Path(reported.__file__).parent.glob("_reported*.py"):  # the table and its modules
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        ours = {"ablation_suite.ablations", "ablation_suite.ablations._reported_table"}
        assert imported <= {"__future__", "ast", "dataclasses", "math", *ours}, (path.name, imported)  # pure data
