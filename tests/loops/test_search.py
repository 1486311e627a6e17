"""Search designs for real: a nested search killed and resumed to its exact budget, pruning, the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import optuna
import pandas as pd
import pytest
from common import NESTED, REPO, run_until
from optuna.trial import TrialState

from ablation_suite.ablations import Ablation, AblationError
from ablation_suite.cli import main as study
from ablation_suite.config import Config
from ablation_suite.loops import search
from ablation_suite.loops.runner import Run
from ablation_suite.loops.space import SearchError, make_sampler
from ablation_suite.store import record, resume
from ablation_suite.store.storage import StorageError

# optimizer_lr (4 optimisers, each with its own learning-rate search) at toy size: 2 trials per level.


@pytest.fixture(scope="module")
def resumed_search(tmp_path_factory):
    """The nested search killed during the second trial of its first level, then resumed to the end with a
    TensorBoard tracker (its logs in the "tb" folder beside the database)."""
    tmp = tmp_path_factory.mktemp("search")
    url = f"sqlite:///{tmp / 's.db'}"
    argv = [sys.executable, str(REPO / "study.py"), *NESTED, "--storage", url]
    killed = run_until(argv, tmp, "trial 2/2] epoch 1/2", 0.0)
    resumed = subprocess.run([*argv, "--track", f"tensorboard={tmp / 'tb'}"], cwd=tmp, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return url, killed, resumed.stdout


def search_trials(url, level):
    return optuna.load_study(study_name=f"optimizer_lr/search/optimizer={level}", storage=url).get_trials()


def test_a_killed_search_resumes_to_exactly_its_budget(resumed_search):
    url, killed, _ = resumed_search
    assert "trial 1/2] test accuracy" in killed  # one trial had finished before the kill
    for level in ("adam", "rmsprop", "sgd", "adamax"):
        trials = search_trials(url, level)
        finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
        assert len(finished) == 2, f"{level}: {[t.state.name for t in trials]}"
        assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    interrupted = [t for t in search_trials(url, "adam") if t.state == TrialState.FAIL]
    assert len(interrupted) == 1  # the killed trial: failed on resume, its slot given to a new trial


def test_a_tracked_search_logs_each_nuisance_trial_and_tuned_cell_once(resumed_search):
    """The search resumed with --track: every finished search trial (those trained before the tracker was added
    too) is a run of role "search" with its own results, and every tuned cell a run of its own."""
    from tracked import tensorboard_runs

    url, _, _ = resumed_search
    runs = tensorboard_runs(Path(url.removeprefix("sqlite:///")).parent / "tb" / "optimizer_lr")
    finished = {
        f"optimizer={level} trial {t.number}": t
        for level in ("adam", "rmsprop", "sgd", "adamax")
        for t in search_trials(url, level)
        if t.state in (TrialState.COMPLETE, TrialState.PRUNED)
    }
    cells = optuna.load_study(study_name="optimizer_lr", storage=url).get_trials(states=(TrialState.COMPLETE,))
    assert set(runs) == {*finished, *(t.user_attrs["cell"] for t in cells), "study"}
    for name, trial in finished.items():
        assert "**role**: search" in runs[name]["tags"]
        assert runs[name]["final/val_accuracy"] == pytest.approx(trial.user_attrs["val_accuracy"])
    assert "optimizer: optimizer=" in runs["study"]["answer"]


def test_each_level_is_re_run_at_its_own_tuned_learning_rate(resumed_search):
    url, _, _ = resumed_search
    main = optuna.load_study(study_name="optimizer_lr", storage=url)
    cells = [t for t in main.get_trials() if t.state == TrialState.COMPLETE]
    assert sorted(t.params["optimizer"] for t in cells) == ["adam", "adamax", "rmsprop", "sgd"]
    for cell in cells:
        level = cell.params["optimizer"]
        best = max((t for t in search_trials(url, level) if t.state == TrialState.COMPLETE), key=lambda t: t.value)
        assert cell.params["learning_rate"] == best.params["learning_rate"]
        assert main.user_attrs[record.tuned_key({"optimizer": level})] == {
            "learning_rate": best.params["learning_rate"]
        }
    assert len({c.params["learning_rate"] for c in cells}) == 4  # every level tuned its own


def test_status_best_and_export_of_a_search(resumed_search, tmp_path, capsys):
    url, _, _ = resumed_search
    assert study.main(["status", "optimizer_lr", "--storage", url]) == 0
    out = capsys.readouterr().out
    assert "search optimizer=sgd: 2/2 trials" in out and "difference from base optimizer=adam" in out
    assert study.main(["best", "optimizer_lr", "--storage", url]) == 0
    best = capsys.readouterr().out.splitlines()[0]
    assert best.startswith("best ") and "--set optimizer=" in best and "--set learning_rate=" in best
    assert float(best.split("--set learning_rate=")[1].split()[0]) > 0
    for fmt in ("csv", "parquet"):
        out_file = tmp_path / f"trials.{fmt}"
        argv = ["export", "optimizer_lr", "--storage", url, "--format", fmt, "--out", str(out_file), "--trials"]
        assert study.main(argv) == 0
        table = pd.read_csv(out_file) if fmt == "csv" else pd.read_parquet(out_file)
        assert set(table["study"]) == {
            "optimizer_lr",
            *(f"optimizer_lr/search/optimizer={o}" for o in ("adam", "rmsprop", "sgd", "adamax")),
        }
        assert {"params_learning_rate", "user_attrs_test_accuracy", "state"} <= set(table.columns)
        assert len(table) == sum(
            len(optuna.load_study(study_name=n, storage=url).get_trials()) for n in set(table["study"])
        )


def test_pruning_stops_a_hopeless_trial_early_and_keeps_its_history(tmp_path):
    """Two good trials, then SGD at 1e-6 (no learning): the median pruner stops it after epoch 2 of 4."""
    ablation = Ablation(
        question="q",
        base={},
        factors={},
        design="search",
        pruner="median",
        n_trials=3,
        search_space=dict(learning_rate=("log", 1e-7, 1e-1), optimizer=["adam", "sgd"]),
    )
    base = Config(dataset="digits", model="baseline1", epochs=4, train_size=300, batch_size=32)
    url = f"sqlite:///{tmp_path / 'p.db'}"
    study_ = search.open_search(url, "p", {}, ablation)
    for params in (
        dict(learning_rate=1e-3, optimizer="adam"),
        dict(learning_rate=1e-3, optimizer="adam"),
        dict(learning_rate=1e-6, optimizer="sgd"),
    ):
        study_.enqueue_trial(params)
    counts = search.run_search(Run(url, study_, ablation, base, 1, log=lambda *a, **k: None), study_, {}).counts
    assert counts["completed"] == 2 and counts["pruned"] == 1
    hopeless = study_.get_trials()[2]
    assert hopeless.state == TrialState.PRUNED and hopeless.params["learning_rate"] == 1e-6
    assert hopeless.user_attrs["pruned_at_epoch"] == 2
    assert len(hopeless.user_attrs["history"]["val_accuracy"]) == 2 == len(hopeless.intermediate_values)
    assert study_.best_trial.number in (0, 1)  # a pruned trial never wins


def test_a_budget_already_spent_trains_nothing_more(tmp_path):
    ablation = Ablation(
        question="q",
        base={},
        factors={},
        design="search",
        n_trials=1,
        search_space=dict(learning_rate=("log", 1e-4, 1e-2)),
    )
    url = f"sqlite:///{tmp_path / 'b.db'}"
    study_ = search.open_search(url, "b", {}, ablation)
    study_.add_trial(
        optuna.trial.create_trial(
            params={"learning_rate": 1e-3},
            value=0.5,
            distributions={"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True)},
        )
    )
    counts = search.run_search(Run(url, study_, ablation, Config(), 1, log=lambda *a, **k: None), study_, {}).counts
    assert sum(counts.values()) == 0 and len(study_.get_trials()) == 1
    assert search.search_done(study_, 1) and not search.search_done(study_, 2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(factors=dict(bn=["none", "after"]), design="nested"), "design='nested' needs a `search_space`"),
        (dict(factors={}, design="search", search_space=dict(learning_rate=("log", 0, 1))), "low > 0 on a log scale"),
        (dict(factors={}, design="search", search_space=dict(batch_size=("log", 16, 512))), "batch_size takes a int"),
        (dict(factors={}, design="search", search_space=dict(learning_rate=("exp", 1, 2))), "is not a distribution"),
        (
            dict(factors=dict(bn=["none", "after"]), design="nested", search_space=dict(bn=["none", "before"])),
            "bn is both varied by factor 'bn' and searched",
        ),
        (
            dict(factors={}, design="search", sampler="grid", search_space=dict(learning_rate=("log", 1e-4, 1e-1))),
            "sampler='grid' needs a list of values",
        ),
        (
            dict(factors={}, design="search", sampler="bayes", search_space=dict(learning_rate=[1e-3, 1e-2])),
            "sampler='bayes' is not known",
        ),
        (
            dict(factors=dict(bn=["none", "after"]), search_space=dict(learning_rate=[1e-3, 1e-2])),
            "takes no `search_space`",
        ),
    ],
)
@pytest.mark.unit
def test_bad_search_definitions_are_refused(kwargs, message):
    with pytest.raises(AblationError) as error:
        Ablation(question="q", base={}, **kwargs)
    assert message in str(error.value)


@pytest.mark.unit
def test_samplers_that_cannot_run_are_refused_clearly():
    with pytest.raises(SearchError, match="cmaes' samples numeric ranges only, but optimizer"):
        make_sampler("cmaes", dict(learning_rate=("log", 1e-4, 1e-1), optimizer=["adam", "sgd"]))
    assert make_sampler("cmaes", dict(learning_rate=("log", 1e-4, 1e-1))) is not None
    try:
        import torch  # noqa: F401
    except ImportError:
        with pytest.raises(SearchError, match=r"sampler='gp' needs PyTorch.*pip install -e \.\[gp\]"):
            make_sampler("gp", {})
    else:
        assert make_sampler("gp", {}) is not None


@pytest.mark.parametrize(
    "argv, message",
    [
        (["search", "bn_placement"], "has design 'ofat', not a search"),
        (["run", "bn_placement", "--n-trials", "3"], "unrecognized arguments"),
        (["search", "optimizer_lr", "--n-trials", "0"], "n_trials=0 must be an integer >= 1"),
        (["search", "optimizer_lr", "--sampler", "grid"], "sampler='grid' needs a list of values"),
        (["search", "optimizer_lr", "--sampler", "annealing"], "invalid choice: 'annealing'"),
        (["search", "optimizer_lr", "--pruner", "patient"], "invalid choice: 'patient'"),
    ],
)
def test_bad_search_commands_exit_2_and_write_nothing(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    try:
        code = study.main([*argv, "--storage", f"sqlite:///{tmp_path / 's.db'}"])
    except SystemExit as exit_:  # argparse refuses unknown choices itself, with status 2
        code = exit_.code
    assert code == 2
    assert message in capsys.readouterr().err and list(tmp_path.iterdir()) == []


def test_a_nested_study_resumed_with_another_search_space_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    space = dict(learning_rate=("log", 1e-4, 1e-1))
    ablation = Ablation(question="q", base={}, factors=dict(bn=["none", "after"]), design="nested", search_space=space)
    resume.create_or_resume(url, "r", ablation, Config(), "test")
    wider = Ablation(
        question="q",
        base={},
        factors=dict(bn=["none", "after"]),
        design="nested",
        search_space=dict(learning_rate=("log", 1e-5, 1e-1)),
    )
    with pytest.raises(StorageError, match="different set-up"):
        resume.check_resumable(url, "r", wider, Config())
    assert json.dumps(
        optuna.load_study(study_name="r", storage=url).user_attrs["ablation"]["search_space"]
    ) == json.dumps({"learning_rate": ["log", 1e-4, 1e-1]})


def test_report_of_a_nested_search_has_every_level_search_and_notes_what_it_cannot_draw(resumed_search, tmp_path):
    url, _, _ = resumed_search
    assert study.main(["report", "optimizer_lr", "--storage", url, "--out", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text()
    for level in ("adam", "rmsprop", "sgd", "adamax"):
        stem = f"search_optimizer_lr_search_optimizer_{level}"
        for figure in ("history", "parallel", "slice", "intermediate"):
            assert f'src="{stem}_{figure}.png"' in page and (tmp_path / f"{stem}_{figure}.png").exists()
    assert 'src="search_isolation.png"' in page
    assert page.count("need at least 3 complete trials") == 4 and "_importance_" not in page  # 2 trials a level
