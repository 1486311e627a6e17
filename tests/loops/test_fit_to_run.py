"""A quick smoke run of a search is a normal thing to ask: the search space adapts what it can to a short run
(loops.space.fit_to_run) and says so; what the user or the ablation fixed is refused with a fix that exists."""

import optuna
import pytest

from ablation_suite import ablations
from ablation_suite.ablations import Ablation
from ablation_suite.cli import main as study
from ablation_suite.config import WARMUP_SCHEDULES, Config
from ablation_suite.loops.space import fit_to_run

SCHEDULES = ["constant", "cosine", "warmup_cosine", "one_cycle"]


def searching(**space):
    return Ablation(question="q", base={}, design="search", search_space=space, notes="Ours.")


@pytest.mark.unit
def test_one_epoch_leaves_the_warm_up_schedules_out_of_the_search():
    joint = ablations.load("joint")
    adapted, base, text = fit_to_run(joint, Config(epochs=1), fixed=set(joint.base))
    assert adapted.search_space["lr_schedule"] == ["constant", "step", "cosine"]
    assert {k: v for k, v in adapted.search_space.items() if k != "lr_schedule"} == {
        k: v for k, v in joint.search_space.items() if k != "lr_schedule"
    }
    assert base == Config(epochs=1)
    assert text == (
        "lr_schedule choices warmup_cosine, one_cycle left out of the search (a warm-up must end before "
        "the last epoch, and this run has 1)"
    )
    assert adapted.notes == f"{joint.notes} Adapted to this run: {text}."  # stored with the study's spec


@pytest.mark.unit
def test_a_short_run_gets_a_shorter_warm_up():
    adapted, base, text = fit_to_run(searching(lr_schedule=SCHEDULES), Config(epochs=3), fixed=set())
    assert base.warmup_epochs == 2 and adapted.search_space == {"lr_schedule": SCHEDULES}
    assert text.startswith("warmup_epochs 5 -> 2 for the searched warmup_cosine, one_cycle")
    assert fit_to_run(searching(lr_schedule=SCHEDULES), Config(epochs=6), fixed=set())[2] == ""  # 5 fits


@pytest.mark.parametrize(
    "epochs, space, base_warmup",
    [
        (4, {"warmup_epochs": ("int", 1, 3)}, 3),  # cut to what fits (the base's value too, as corners use it)
        (7, {"warmup_epochs": ("int", 1, 6)}, 5),
        (2, {}, 1),  # one value fits: it is fixed
        (1, {}, 5),  # none fits: the warm-up schedules leave, and warmup_epochs with them
    ],
)
@pytest.mark.unit
def test_a_searched_warm_up_is_cut_to_what_fits(epochs, space, base_warmup):
    ablation = searching(lr_schedule=SCHEDULES, warmup_epochs=("int", 1, 8), batch_size=[16, 32])
    adapted, base, text = fit_to_run(ablation, Config(epochs=epochs), fixed=set())
    assert {k: v for k, v in adapted.search_space.items() if k == "warmup_epochs"} == space
    assert base.warmup_epochs == base_warmup and text
    assert (epochs == 1) == (not set(WARMUP_SCHEDULES) & set(adapted.search_space["lr_schedule"]))
    adapted.configs(base, 1)  # every searched corner now fits


@pytest.mark.unit
def test_a_single_remaining_schedule_becomes_fixed():
    adapted, base, _ = fit_to_run(
        searching(lr_schedule=["cosine", "one_cycle"], batch_size=[16, 32]), Config(epochs=1), fixed=set()
    )
    assert "lr_schedule" not in adapted.search_space and base.lr_schedule == "cosine"


@pytest.mark.unit
def test_what_the_command_or_the_ablation_fixed_is_not_adapted():
    ablation = searching(lr_schedule=SCHEDULES)
    assert fit_to_run(ablation, Config(epochs=1, warmup_epochs=3), fixed={"warmup_epochs"}) == (
        ablation,
        Config(epochs=1, warmup_epochs=3),
        "",
    )


@pytest.mark.parametrize(
    "refused, message, fixed",
    [
        # a warm-up the command asked for, too long for the run
        (
            ["show", "joint", "--epochs", "3", "--set", "warmup_epochs=3"],
            "set warmup_epochs between 1 and 2",
            ["show", "joint", "--epochs", "3", "--set", "warmup_epochs=2"],
        ),
        (
            ["show", "joint", "--epochs", "1", "--set", "warmup_epochs=3"],
            "set epochs to 2 or more (with warmup_epochs=1)",
            ["show", "joint", "--epochs", "2", "--set", "warmup_epochs=1"],
        ),
        # warm-up schedules that are factor levels, not searched choices
        (
            ["show", "lr_schedule", "--epochs", "1"],
            "set epochs to 2 or more (with warmup_epochs=1)",
            ["show", "lr_schedule", "--epochs", "2", "--set", "warmup_epochs=1"],
        ),
    ],
)
def test_what_is_refused_suggests_a_fix_that_works(refused, message, fixed, capsys):
    assert study.main([*refused, "--dataset", "digits"]) == 2
    assert message in capsys.readouterr().err
    assert study.main([*fixed, "--dataset", "digits"]) == 0


def test_a_one_epoch_search_of_joint_runs_end_to_end(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.db'}"
    argv = ["search", "joint", "--epochs", "1", "--n-trials", "1", "--dataset", "digits", "--set", "train_size=200"]
    assert study.main(["show", *argv[1:]]) == 0
    said = "adapted to this run: lr_schedule choices warmup_cosine, one_cycle left out of the search"
    assert said in capsys.readouterr().out
    assert study.main([*argv, "--storage", url]) == 0
    out = capsys.readouterr().out
    assert said in out and "finished: 4 completed" in out  # one search trial, its best re-run with 3 seeds
    spec = optuna.load_study(study_name="joint", storage=url).user_attrs["ablation"]
    assert (
        "warmup_cosine" not in spec["search_space"]["lr_schedule"]
        and "Adapted to this run: lr_schedule" in spec["notes"]
    )
    assert study.main([*argv, "--storage", url]) == 0  # the same command resumes the adapted study
