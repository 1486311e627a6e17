"""Studies written by an earlier version keep opening: tests/fixtures/studies_v1.db was made by the code
of commit 54e2882 (an ofat, a grid, a chained and a nested study on tiny digits), and the best outputs
that code printed for them are kept beside it; the status outputs were re-recorded when status gained
the answers and the paired difference's interval and lost p-values under 3 pairs (issues 17 and 21), and `best`
prints values in today's spelling (dropout "none" is "default" since issue 29: the command lines it prints run).
Today's code must print the same, render their reports and resume them without training anything."""

import shutil
from pathlib import Path

import pytest

from ablation_suite.cli import main as study

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STUDIES = ("bn_placement", "fx_grid", "fx_chain", "fx_nested")


@pytest.fixture
def old_db(tmp_path):
    db = tmp_path / "studies_v1.db"
    shutil.copy(FIXTURES / "studies_v1.db", db)
    return db


@pytest.mark.parametrize("name", STUDIES)
@pytest.mark.parametrize("command", ("status", "best"))
def test_status_and_best_print_what_the_old_code_printed(old_db, name, command, capsys):
    assert study.main([command, name, "--storage", f"sqlite:///{old_db}"]) == 0
    assert capsys.readouterr().out == (FIXTURES / f"{command}_{name}.txt").read_text()


@pytest.mark.parametrize("name", STUDIES)
def test_reports_of_old_studies_render(old_db, tmp_path, name):
    out = tmp_path / "report"
    assert study.main(["report", name, "--storage", f"sqlite:///{old_db}", "--out", str(out)]) == 0
    page = (out / "index.html").read_text()
    assert "Provenance" in page and len(list(out.glob("*.png"))) >= 5


def test_an_old_study_resumes_without_training_again(old_db, capsys):
    """restore_best_weights defaulted to True then; bn_placement stops early, so there it acted: resuming under
    today's default (False) is another set-up and is refused, naming it; saying the old value resumes."""
    argv = [
        "run",
        "bn_placement",
        "--dataset",
        "digits",
        "--epochs",
        "1",
        "--seeds",
        "2",
        "--set",
        "model=baseline1",
        "--set",
        "train_size=300",
        "--storage",
        f"sqlite:///{old_db}",
        "--recycle-mb",
        "0",
    ]
    assert study.main(argv) == 2
    assert "different set-up (restore_best_weights: True -> False)" in capsys.readouterr().err
    assert study.main([*argv, "--set", "restore_best_weights=true"]) == 0
    assert "0 completed, 0 diverged, 0 pruned, 0 failed" in capsys.readouterr().out


def test_an_old_study_whose_changed_default_did_nothing_resumes_as_it_is(old_db, capsys):
    """fx_grid ran without early stopping: the old restore_best_weights=True did nothing there, so today's
    default is the same set-up."""
    import shutil

    questions = old_db.parent / "questions"
    questions.mkdir()
    shutil.copy(FIXTURES / "fx_grid.py", questions / "fx_grid.py")
    assert (
        study.main(["run", str(questions / "fx_grid.py"), "--storage", f"sqlite:///{old_db}", "--recycle-mb", "0"]) == 0
    )
    assert "0 completed, 0 diverged, 0 pruned, 0 failed" in capsys.readouterr().out
