"""Every named ablation loads, uses only Config fields, and expands into valid cells."""

import pytest

from ablation_suite import ablations
from ablation_suite.ablations import Ablation, AblationError, Level
from ablation_suite.config import FIELD_TYPES, Config

SHIPPED = [
    "activation",
    "batch_size",
    "bn_placement",
    "dropout_schedule",
    "initializer",
    "learning_rate",
    "optimizer",
    "weight_decay",
    "augmentation",
    "lr_schedule",
    "label_noise",
    "early_stopping",
    "optimizer_lr",
    "batch_size_lr",
    "joint",
    "seed1_study",
    "architectures",
    "input_scale",
    "depth_vs_lr",
    "wide_resnet",
    "cifar100_zoo",
    "normalization",
    # issue 16: the seed reports' experiments as they ran them
    "baseline_depth",
    "bn_both_baselines",
    "input_scale_mnist",
    "depth_vs_lr_mnist",
    "cnn_regularisation",
    "resnet_step_lr",
]


@pytest.mark.unit
def test_the_issue_ablations_are_shipped():
    assert set(SHIPPED) <= set(ablations.names())


@pytest.mark.parametrize("name", ablations.names())
@pytest.mark.unit
def test_ablation_loads_and_every_cell_is_a_valid_config(name):
    ablation = ablations.load(name)
    assert ablation.name == name and ablation.question.strip()
    named = {name for name, levels in ablation.factors.items() if all(isinstance(level, Level) for level in levels)}
    assert set(ablation.base) <= set(FIELD_TYPES) and set(ablation.factors) - named <= set(FIELD_TYPES)
    base = Config().replace(**ablation.base)
    ablation.configs(base)  # every cell (and every end of a search range) is a valid Config
    cells = [base.replace(**ablation.overrides(cell)) for cell in ablation.cells()]
    assert len(cells) == len(ablation.variants()) * ablation.seeds
    assert len(set(cells)) == len(cells)  # no cell twice


@pytest.mark.unit
def test_ofat_shares_the_base_cell():
    ablation = Ablation(question="q", base={}, factors=dict(bn=["none", "before"], batch_size=[32, 64, 128]))
    variants = ablation.variants()
    assert variants[0] == {"bn": "none", "batch_size": 32}
    assert len(variants) == 1 + 1 + 2  # base once, then every other level of each factor


@pytest.mark.unit
def test_grid_is_the_full_factorial():
    ablation = Ablation(
        question="q", base={}, factors=dict(bn=["none", "before"], batch_size=[32, 64, 128]), design="grid", seeds=2
    )
    assert len(ablation.variants()) == 6 and len(ablation.cells()) == 12


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(factors=dict(colour=["red", "blue"])), "unknown factor key(s) 'colour'"),
        (dict(base=dict(epoch=3), factors=dict(bn=["none", "after"])), "unknown base key(s) 'epoch'"),
        (dict(factors=dict(bn=["none"])), "at least two distinct levels"),
        (dict(factors=dict(bn=["none", "after"]), design="random"), "design='random' is not known"),
        (dict(factors=dict(bn=["none", "after"]), seeds=0), "seeds=0 must be an integer >= 1"),
        (dict(factors=dict(seed=[0, 1])), "seeds are set with `seeds=N`"),
    ],
)
@pytest.mark.unit
def test_bad_ablation_definitions_are_refused(kwargs, message):
    with pytest.raises(ValueError) as error:
        Ablation(question="q", **{"base": {}, **kwargs})
    assert message in str(error.value)


@pytest.mark.unit
def test_a_level_that_is_not_a_valid_config_names_the_cell():
    ablation = Ablation(question="q", base={}, factors=dict(optimizer=["adam", "adamm"]), seeds=1)
    with pytest.raises(AblationError, match="cell .*'adamm'.*optimizer='adamm' is not known"):
        ablation.configs(Config())


@pytest.mark.parametrize(
    "source, message",
    [
        ("ABLATION = Ablation(question='q', base={}, factors=dict(bn=['none', 'after'])\n", "syntax error at line"),
        (
            "from ablation_suite import Ablation\n"
            "ABLATION = Ablation(question='q', base={}, factors=dict(bnn=['a', 'b']))\n",
            "unknown factor key(s) 'bnn'",
        ),
        ("X = 1\n", "defines no ABLATION"),
    ],
)
@pytest.mark.unit
def test_broken_ablation_files_give_clear_errors(source, message, tmp_path):
    path = tmp_path / "broken_question.py"
    path.write_text(source)
    with pytest.raises(AblationError) as error:
        ablations.load(str(path))
    assert message in str(error.value) and str(path) in str(error.value)


@pytest.mark.unit
def test_an_ablation_file_outside_the_catalogue_loads_and_is_named_after_the_file(tmp_path):
    path = tmp_path / "my_question.py"
    path.write_text(
        '"""Does BN help my net?"""\nfrom ablation_suite import Ablation\n'
        "ABLATION = Ablation(question=__doc__, base={}, factors=dict(bn=['none', 'after']), seeds=2)\n"
    )
    ablation = ablations.load(str(path))
    assert ablation.name == "my_question" and ablation.question == "Does BN help my net?"
    assert ablation.factors == {"bn": ["none", "after"]} and "my_question" not in ablations.names()
    with pytest.raises(AblationError, match="does not exist"):
        ablations.load(str(tmp_path / "missing.py"))


@pytest.mark.parametrize("name", ablations.names())
@pytest.mark.unit
def test_every_ablation_is_rebuilt_exactly_from_its_stored_spec(name):
    """Reports and status rebuild the Ablation from the spec stored with the study (JSON: tuples become lists)."""
    import json

    ablation = ablations.load(name)
    again = Ablation.from_spec(json.loads(json.dumps(ablation.spec())))
    assert again.spec() == ablation.spec() and again.variants() == ablation.variants()
    assert again.comparisons() == ablation.comparisons()


@pytest.mark.unit
def test_unknown_ablation_lists_the_known_ones():
    with pytest.raises(AblationError) as error:
        ablations.load("no_such")
    assert "choose one of: " + ", ".join(ablations.names()) in str(error.value)
