"""Questions asked on the command line (cli.questions): ad-hoc factors that run, resume and report with no file,
the file `show` prints for them (which asks the very same question), and level overrides of catalogue ablations."""

import pytest

from ablation_suite.cli import main as study
from ablation_suite.cli import questions

TINY_ADHOC = ["--dataset", "digits", "--epochs", "1", "--seeds", "2", "--set", "train_size=200"]
TINY_ADHOC += ["--set", "model=baseline1"]


@pytest.mark.unit
def test_levels_are_parsed_as_their_fields_type_with_semicolons_for_levels_that_hold_commas():
    factors = questions.levels_of(["learning_rate=1e-3,1e-2", "dropout=off;0.2,0.5"], "--factor")
    assert factors == {"learning_rate": [0.001, 0.01], "dropout": ["off", "0.2,0.5"]}
    assert questions.levels_of(["bn=none, before"], "--levels") == {"bn": ["none", "before"]}


@pytest.mark.unit
def test_a_catalogue_ablation_takes_other_levels_and_is_validated_again(capsys):
    assert study.main(["show", "architectures", "--levels", "dataset=digits"]) == 2  # as a file's levels would be:
    assert "needs inputs of at least" in capsys.readouterr().err  # its networks need more than 8x8 pixels
    assert study.main(["show", "architectures", "--levels", "dataset=digits", "--set", "input_scale=4"]) == 0


def test_a_question_asked_on_the_command_line_runs_resumes_reports_and_saves_as_the_same_file(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    storage = ["--storage", f"sqlite:///{tmp_path / 's.db'}"]
    asked = ["lr_digits", "--factor", "learning_rate=0.003,0.0003", *TINY_ADHOC]
    assert study.main(["run", *asked, *storage]) == 0
    assert "finished: 4 completed" in capsys.readouterr().out
    assert study.main(["run", *asked, *storage]) == 0  # resumed: nothing left to train
    assert "finished: 0 completed" in capsys.readouterr().out
    assert study.main(["status", "lr_digits", *storage]) == 0
    assert "learning_rate=0.0003:" in capsys.readouterr().out
    assert study.main(["report", "lr_digits", *storage, "--out", str(tmp_path / "report")]) == 0
    assert "learning_rate" in (tmp_path / "report" / "index.html").read_text()
    # the file show prints asks the same question: run as a file, it resumes the same study, training nothing
    assert study.main(["show", *asked]) == 0
    shown = capsys.readouterr().out
    (tmp_path / "lr_digits.py").write_text(shown.split("run it with: ablation-suite run lr_digits.py):\n\n")[1])
    assert study.main(["run", str(tmp_path / "lr_digits.py"), "--seeds", "2", *storage]) == 0
    assert "finished: 0 completed" in capsys.readouterr().out
