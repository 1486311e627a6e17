"""Compound levels: a named level that sets several Config fields, in every design, stored and reported
under its name (unit tests, then one real tiny study through the CLI)."""

import json

import optuna
import pytest
from common import TINY

from ablation_suite import ablations
from ablation_suite.ablations import Ablation, AblationError, Level
from ablation_suite.cli import main as study
from ablation_suite.config import Config

NESTEROV = Level("sgd_nesterov", optimizer="sgd", learning_rate=0.01, momentum=0.9, nesterov=True)


@pytest.mark.unit
def test_a_compound_level_sets_all_its_fields_and_is_stored_by_name():
    ablation = Ablation(question="q", base={}, factors=dict(optimizer=["adam", NESTEROV]), seeds=2, name="opt")
    assert ablation.variants() == [{"optimizer": "adam"}, {"optimizer": "sgd_nesterov"}]
    configs = ablation.configs(Config())
    nesterov = [c for c in configs if c.optimizer == "sgd"]
    assert len(nesterov) == 2 and {(c.learning_rate, c.momentum, c.nesterov) for c in nesterov} == {(0.01, 0.9, True)}
    assert {c.optimizer for c in configs} == {"adam", "sgd"} and {
        c.momentum for c in configs if c.optimizer == "adam"
    } == {0.0}
    again = Ablation.from_spec(json.loads(json.dumps(ablation.spec())))
    assert again.factors == ablation.factors and again.configs(Config()) == configs
    assert (
        ablation.describe({"optimizer": "sgd_nesterov"})
        == "optimizer=sgd_nesterov (optimizer=sgd, learning_rate=0.01, momentum=0.9, nesterov=True)"
    )


@pytest.mark.unit
def test_a_factor_of_compound_levels_may_have_a_name_of_its_own_in_every_design():
    recipe = [
        Level("baseline"),
        Level("augmented", augmentation="flip"),
        Level("regularised", dropout="0.2", augmentation="flip"),
    ]
    for design, extra in (
        ("ofat", {}),
        ("grid", dict(factors=dict(recipe=recipe, bn=["none", "after"]))),
        ("nested", dict(search_space=dict(learning_rate=("log", 1e-4, 1e-2)))),
    ):
        ablation = Ablation(
            question="q", base={}, design=design, seeds=1, name=design, **{"factors": dict(recipe=recipe), **extra}
        )
        configs = ablation.configs(Config())
        assert {(c.augmentation, c.dropout) for c in configs} == {
            ("none", "default"),
            ("flip", "default"),
            ("flip", "0.2"),
        }
        assert (
            "baseline"
            in [comparison.label(level) for comparison in ablation.comparisons()[:1] for level in comparison.levels][0]
        )
    chained = Ablation(
        question="q",
        base={},
        design="chained",
        seeds=1,
        name="chain",
        stages=[dict(bn=["none", "after"]), dict(recipe=recipe)],
    )
    assert chained.factors["recipe"] == recipe and len(chained.configs(Config())) == 2 + 3


@pytest.mark.parametrize(
    "factors, message",
    [
        (dict(recipe=["adam", Level("x", optimizer="sgd")]), "unknown factor key(s) 'recipe'"),
        (
            dict(optimizer=["adam", Level("x", optimiser="sgd")]),
            "level 'x' sets optimiser, which is not a Config field",
        ),
        (dict(optimizer=["adam", Level("x", seed=3)]), "level 'x' sets seed"),
        (dict(optimizer=["adam", Level("", optimizer="sgd")]), "needs a name"),
        (dict(optimizer=["sgd", Level("sgd", optimizer="sgd", momentum=0.9)]), "at least two distinct levels"),
        (dict(optimizer=["adam", NESTEROV], momentum=[0.0, 0.5]), "momentum is set by the levels of two factors"),
    ],
)
@pytest.mark.unit
def test_impossible_compound_levels_are_refused_with_the_fix(factors, message):
    with pytest.raises(AblationError) as error:
        Ablation(question="q", base={}, factors=factors, design="grid")
    assert message in str(error.value)


@pytest.mark.unit
def test_a_compound_level_that_sets_a_searched_field_is_refused():
    with pytest.raises(AblationError, match="learning_rate is both varied by factor 'optimizer' and searched"):
        Ablation(
            question="q",
            base={},
            factors=dict(optimizer=["adam", NESTEROV]),
            design="nested",
            search_space=dict(learning_rate=("log", 1e-4, 1e-1)),
        )


def test_a_compound_study_runs_reports_and_gives_its_best_as_the_fields_it_sets(tmp_path, monkeypatch, capsys):
    question = tmp_path / "optimizers.py"
    question.write_text(
        '"""Adam or SGD with Nesterov momentum?"""\n'
        "from ablation_suite import Ablation, Level\n"
        "ABLATION = Ablation(question=__doc__, base=dict(model='baseline1'), seeds=1, factors=dict("
        "optimizer=['adam', Level('sgd_nesterov', optimizer='sgd', learning_rate=0.05, momentum=0.9, "
        "nesterov=True)]))\n"
    )
    monkeypatch.chdir(tmp_path)
    storage = ["--storage", f"sqlite:///{tmp_path / 's.db'}"]
    assert study.main(["run", str(question), *TINY[:4], "--seeds", "1", "--set", "train_size=200", *storage]) == 0
    trials = optuna.load_study(study_name="optimizers", storage=storage[1]).get_trials()
    nesterov = next(t for t in trials if t.params["optimizer"] == "sgd_nesterov")
    assert nesterov.user_attrs["history"]["learning_rate"][0] == pytest.approx(0.05)  # trained with the level's fields
    capsys.readouterr()
    assert study.main(["status", "optimizers", *storage]) == 0
    assert "sgd_nesterov" in capsys.readouterr().out
    assert study.main(["best", "optimizers", *storage]) == 0
    best = capsys.readouterr().out
    # every configuration is listed, a compound level as the fields it sets
    assert "--set optimizer=sgd --set learning_rate=0.05 --set momentum=0.9 --set nesterov=True   #" in best
    assert "--set optimizer=adam   #" in best
    assert study.main(["report", "optimizers", *storage, "--out", str(tmp_path / "r")]) == 0
    assert "sgd_nesterov" in (tmp_path / "r" / "index.html").read_text()
    assert ablations.load(str(question)).name == "optimizers"
