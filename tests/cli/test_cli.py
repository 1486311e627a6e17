"""The CLI end to end: a real ablation into a real SQLite database, resume, report, bad input."""

import json
import os
import subprocess
import sys
import time

import optuna
import pytest
from common import REPO, TINY, run_until
from optuna.trial import TrialState

from ablation_suite.cli import main as study


def run_cli(*argv):
    return study.main([str(a) for a in argv])


def load(db, name="bn_placement"):
    return optuna.load_study(study_name=name, storage=f"sqlite:///{db}")


def test_run_trains_every_cell_once_with_results(finished_study):
    trials = load(finished_study).get_trials(states=(TrialState.COMPLETE,))
    cells = sorted((t.params["bn"], t.params["seed"]) for t in trials)
    assert cells == sorted((bn, seed) for bn in ("none", "before", "after") for seed in (0, 1))
    for trial in trials:
        attrs = trial.user_attrs
        assert 0.0 <= attrs["test_accuracy"] <= 1.0
        assert len(attrs["history"]["val_accuracy"]) == attrs["epochs_run"] == 1
        assert sum(map(sum, attrs["confusion_matrix"])) == 450  # the fixed digits test set
        assert attrs["images_per_second"] > 0 and attrs["params"] > 0
    study_attrs = load(finished_study).user_attrs
    assert study_attrs["base_config"]["dataset"] == "digits"
    assert study_attrs["ablation"]["factors"] == {"bn": ["none", "before", "after"]}


def test_second_run_adds_no_trials(finished_study):
    before = len(load(finished_study).trials)
    assert run_cli("run", "bn_placement", *TINY, "--storage", f"sqlite:///{finished_study}") == 0
    assert len(load(finished_study).trials) == before


def test_more_seeds_adds_only_the_new_cells(tmp_path, finished_study):
    db = tmp_path / "copy.db"
    db.write_bytes(finished_study.read_bytes())
    args = [a if a != "2" else "3" for a in TINY]  # --seeds 3
    assert run_cli("run", "bn_placement", *args, "--storage", f"sqlite:///{db}") == 0
    trials = load(db).get_trials(states=(TrialState.COMPLETE,))
    assert len(trials) == 9 and sorted(t.params["seed"] for t in trials) == [0] * 3 + [1] * 3 + [2] * 3


def test_status_lists_every_cell(finished_study, capsys):
    assert run_cli("status", "bn_placement", "--storage", f"sqlite:///{finished_study}") == 0
    out = capsys.readouterr().out
    assert "6 done" in out and out.count(" done ") >= 6


def test_report_renders_from_database_alone(finished_study, tmp_path):
    out = tmp_path / "report"
    assert run_cli("report", "bn_placement", "--storage", f"sqlite:///{finished_study}", "--out", out) == 0
    page = (out / "index.html").read_text()
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert {"bn_forest.png", "bn_curves.png", "bn_test_accuracy.png", "bn_confusion.png"} <= set(pngs)
    for name in pngs:
        assert f'src="{name}"' in page and (out / name).stat().st_size > 5000
    assert (
        "Where should batch normalisation sit" in page and "split fingerprints" in page and "data fingerprints" in page
    )
    provenance = load(finished_study).user_attrs["provenance"]  # recorded by the run, shown by the report
    assert provenance["libraries"]["tensorflow"].startswith("2.") and provenance["git"] in page
    assert f"{os.cpu_count()} cores" in page and "ablation-suite run bn_placement" in page
    assert (
        run_cli("report", "bn_placement", "--storage", f"sqlite:///{finished_study}", "--out", out, "--format", "pdf")
        == 0
    )
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")


def test_resume_with_a_different_base_is_refused(finished_study, capsys):
    before = len(load(finished_study).trials)
    code = run_cli("run", "bn_placement", *TINY, "--set", "batch_size=64", "--storage", f"sqlite:///{finished_study}")
    assert code == 2
    err = capsys.readouterr().err
    assert "batch_size: 32 -> 64" in err and "--study-name" in err
    assert len(load(finished_study).trials) == before


def test_a_study_from_before_a_knob_existed_resumes(finished_study, tmp_path, capsys):
    """A Config field added after the study was created (here: one removed from its record) held its
    default there, so the same command resumes it instead of calling the set-up different."""
    db = tmp_path / "old.db"
    db.write_bytes(finished_study.read_bytes())
    old = load(db)
    base = dict(old.user_attrs["base_config"])
    del base["steps_per_execution"]  # at its default in TINY
    old.set_user_attr("base_config", base)
    before = len(old.trials)
    assert run_cli("run", "bn_placement", *TINY, "--storage", f"sqlite:///{db}") == 0
    assert "6 already done, 0 waiting to run" in capsys.readouterr().out and len(load(db).trials) == before


def test_list_and_show(capsys):
    assert run_cli("list") == 0
    out = capsys.readouterr().out
    assert "bn_placement" in out and "baseline2" in out and "conv" in out
    assert run_cli("show", "weight_decay") == 0
    out = capsys.readouterr().out
    assert "grid, 26 variants x 3 seeds = 78 cells" in out  # 13 decay levels (none first) x with/without dropout


def test_show_prints_the_size_of_every_variant_network(capsys):
    """baseline2 on 8x8 digits, counted by hand: convs 3x3 1-32-32 at 8x8, 32-64-64 at 4x4, 64-128-128
    at 2x2, logits 128-10. Parameters 320 + 9,248 + 18,496 + 36,928 + 73,856 + 147,584 + 1,290;
    multiply-adds 64*288 + 64*9,216 + 16*18,432 + 16*36,864 + 4*73,728 + 4*147,456 + 1,280."""
    assert run_cli("show", "bn_placement", "--dataset", "digits") == 0
    lines = capsys.readouterr().out.splitlines()
    base = next(line for line in lines if "bn=none" in line and "params" in line)
    assert "287,722 params" in base and "2.38M FLOPs" in base
    before = next(
        line for line in lines if "bn=before" in line and "params" in line
    )  # BN's scale and shift replace the conv bias
    assert f"{287_722 - (32 + 32 + 64 + 64 + 128 + 128) + 2 * (32 + 32 + 64 + 64 + 128 + 128):,} params" in before


def test_same_cell_twice_gives_the_same_result(tmp_path):
    """Repeatability: one cell run in two separate studies with op determinism on (the second with --no-reuse, so it
    trains its cells instead of taking the first study's results: loops.reuse)."""
    accuracies = []
    for name, reuse in (("first", []), ("second", ["--no-reuse"])):
        argv = [
            "run",
            "bn_placement",
            "--dataset",
            "digits",
            "--epochs",
            "1",
            "--seeds",
            "1",
            "--set",
            "train_size=200",
            "--set",
            "deterministic=true",
            "--storage",
            f"sqlite:///{tmp_path / 'r.db'}",
            "--study-name",
            name,
            *reuse,
        ]
        assert run_cli(*argv) == 0
        trials = load(tmp_path / "r.db", name).get_trials(states=(TrialState.COMPLETE,))
        assert not any("reused_from" in t.user_attrs for t in trials)  # trained, both times
        accuracies.append(
            sorted((t.params["bn"], t.user_attrs["test_accuracy"], t.user_attrs["history"]["loss"][0]) for t in trials)
        )
    assert accuracies[0] == accuracies[1] and len(accuracies[0]) == 3


def test_export_writes_one_tidy_row_per_cell_and_a_long_history_on_request(finished_study, tmp_path, capsys):
    """What pandas, R and a spreadsheet read as they are: factor columns, seed, pair, status and plain metrics, no
    params_*/user_attrs_* columns nor JSON text; --history adds every epoch's metrics as a long table."""
    import pandas as pd

    out = tmp_path / "cells.csv"
    storage = ["--storage", f"sqlite:///{finished_study}"]
    assert study.main(["export", "bn_placement", *storage, "--out", str(out), "--history"]) == 0
    cells = pd.read_csv(out, keep_default_na=False)
    assert list(cells.columns[:8]) == [
        *("study", "number", "bn", "seed", "pair", "status", "far_from_its_level", "test_accuracy")
    ]
    assert not [column for column in cells.columns if column.startswith(("params_", "user_attrs_"))]
    assert sorted(zip(cells["bn"], cells["seed"])) == sorted(
        (bn, seed) for bn in ("none", "before", "after") for seed in (0, 1)
    )
    assert (cells["pair"] == cells["seed"]).all() and set(cells["status"]) == {"done"}
    assert cells["test_accuracy"].between(0, 1).all() and (cells["epochs_run"] >= 1).all()
    history = pd.read_csv(tmp_path / "cells_history.csv")
    assert list(history.columns) == ["study", "number", "bn", "seed", "epoch", "metric", "value"]
    losses = history[history["metric"] == "loss"]
    assert len(losses) == cells["epochs_run"].sum()  # one row per epoch trained, per cell
    assert study.main(["export", "bn_placement", *storage, "--trials", "--history"]) == 2
    assert "--history is the tidy export's" in capsys.readouterr().err


BAD_INPUTS = [
    (["run", "no_such_ablation"], "unknown ablation 'no_such_ablation'"),
    (["run", "bn_placement", "--track", "neptune"], "unknown tracker 'neptune' in 'neptune'; the trackers are mlflow"),
    (["run", "bn_placement", "--track", "tensorboard"], "--track tensorboard needs a directory"),
    (["run", "bn_placement", "--tensorboard", "tb"], "--tensorboard is now --track tensorboard=DIR"),
    (["run", "bn_placement", "--track", "wandb", "--track", "wandb=p"], "each tracker once"),
    (  # reached before anything is written; the password never shown
        ["run", "bn_placement", "--track", "mlflow=http://bob:secret@127.0.0.1:9"],
        "the MLflow tracking server at http://bob:***@127.0.0.1:9 cannot be reached",
    ),
    (["run", "bn_placement", "--set", "optimizer=adamm"], "optimizer='adamm' is not known"),
    (["run", "bn_placement", "--set", "batch_size=abc"], "batch_size takes a int"),
    (["run", "bn_placement", "--set", "batch_size=0"], "batch_size=0 must be >= 1"),
    (["run", "bn_placement", "--set", "dropout=1.0"], "every rate must be in [0, 1)"),
    (["run", "bn_placement", "--set", "colour=red"], "unknown --set key(s) 'colour'"),
    (["run", "bn_placement", "--set", "nokeyvalue"], "--set expects key=value"),
    (["run", "bn_placement", "--set", "bn=after"], "bn is varied by factor 'bn' of ablation"),
    (["run", "bn_placement", "--seeds", "0"], "seeds=0 must be an integer >= 1"),
    (["run", "bn_placement", "--rope", "1"], "only act with seeds='auto'"),
    (["run", "bn_placement", "--seeds", "3", "--rope", "0.5"], "--rope only act with seeds='auto'"),  # its default
    (["run", "bn_placement", "--alpha", "0.05", "--max-seeds", "10"], "--alpha, --max-seeds only act with"),
    (["run", "bn_placement", "--seeds", "auto", "--max-seeds", "2"], "max_seeds=2 must be an integer >= 3"),
    (["run", "optimizer_lr", "--seeds", "auto"], "seeds='auto' is not available with design='nested'"),
    (["run", "bn_placement", "--dataset", "imagenet"], "dataset='imagenet' is not known"),
    (["run", "bn_placement", "--dataset", "npz:/nonexistent.npz"], "no such file"),
    (["run", "bn_placement", "--storage", "redis://x"], "unknown scheme"),
    (["run", "bn_placement", "--dataset", "digits", "--set", "model=conv"], "needs inputs of at least 18x18"),
    (["run", "bn_placement", "--dataset", "digits", "--set", "model=resnet9000"], "not a registered baseline"),
    (
        ["show", "input_scale", "--dataset", "digits"],
        "model='vgg11' needs inputs of at least 17x17 pixels but gets 8x8; set input_scale=3",
    ),
    (["run", "bn_placement", "--set", "normalization=batchnorm"], "normalization='batchnorm' is not known"),
    (["status", "bn_placement"], "does not exist yet"),
    (["report", "bn_placement"], "does not exist yet"),
]


BAD_DATA = [  # (file name, what is wrong, expected message)
    ("truncated.npz", "truncated", "corrupt or truncated"),
    ("no_y_test.npz", "missing_key", "missing arrays ['y_test']"),
    ("label_out_of_range.npz", "label_out_of_range", "expected 0..2"),
    ("shape_mismatch.npz", "shape_mismatch", "train images are (8, 8, 1) but test images are (9, 9, 1)"),
    ("singleton_class.npz", "singleton_class", "cannot stratify"),
    ("one_class.npz", "one_class", "every training label is class 0"),
    ("nan_pixels.npz", "nan_pixels", "NaN or infinite pixels"),
    ("idx_truncated", "idx_truncated", "truncated or corrupt"),
    ("idx_bad_magic", "idx_bad_magic", "not an IDX file"),
]
BAD_INPUTS += [
    (["run", "bn_placement", "--epochs", "0"], "epochs=0 must be >= 1"),
    (["run", "bn_placement", "--set", "learning_rate=-1"], "learning_rate=-1.0 must be a finite number > 0"),
    (["run", "bn_placement", "--set", "nesterov=maybe"], "nesterov takes a bool"),
    (["run", "bn_placement", "--set", "input_scale=0"], "input_scale=0 must be >= 1"),
    (["run", "bn_placement", "--dataset", "digits", "--set", "train_size=100000"], "train_size=100000 is not smaller"),
    (["run", "bn_placement", "--storage", "sqlite:///no/such/dir/s.db"], "directory no/such/dir does not exist"),
    (["show", "bn_placement", "--set", "batch_size=-8"], "batch_size=-8 must be >= 1"),
    (["run", "bn_placement", "--set", "augmentation=shift+flip"], "write 'flip+shift'"),
    (["run", "bn_placement", "--set", "augmentation=blur"], "'blur' not known"),
    (["run", "bn_placement", "--set", "lr_schedule=linear"], "lr_schedule='linear' is not known"),
    (
        ["run", "bn_placement", "--epochs", "3", "--set", "lr_schedule=one_cycle"],
        "warmup_epochs=5 with lr_schedule='one_cycle' and epochs=3",
    ),
    (["run", "bn_placement", "--set", "label_noise=1.5"], "label_noise=1.5 is out of range"),
    (["run", "bn_placement", "--set", "label_noise_kind=pairs"], "label_noise_kind='pairs' is not known"),
    (["run", "bn_placement", "--set", "reduce_lr_patience=0"], "switched on and off by reduce_lr_on_plateau"),
    # knobs that would do nothing (config.IDLE_UNLESS)
    (
        ["run", "bn_placement", "--set", "reduce_lr_monitor=loss"],
        "reduce_lr_monitor='loss' does nothing with reduce_lr_on_plateau=False",
    ),
    (["run", "bn_placement", "--set", "lr_schedule=plateau"], "set reduce_lr_on_plateau=true"),
    (["run", "bn_placement", "--set", "momentum=0.9"], "momentum=0.9 does nothing with optimizer='adam'"),
    (
        ["run", "lr_schedule", "--set", "restore_best_weights=true"],
        "restore_best_weights=True does nothing with early_stopping_patience=0",
    ),
    (["run", "bn_placement", "--set", "restore_best_weights=maybe"], "restore_best_weights takes a bool"),
    (["run", "bn_placement", "--gpus", "99"], "TensorFlow sees no GPU"),  # asked before any worker starts
    # the knobs the seed reports needed (issue 29): old spellings refused with their replacement, idle or impossible
    # settings refused with what would make them act
    (["run", "bn_placement", "--set", "dropout=none"], 'write dropout="default" for the network\'s own dropout'),
    (["run", "bn_placement", "--set", "dropout=0"], 'places no dropout: write dropout="off"'),
    (["run", "bn_placement", "--set", "min_delta=0.01"], "'min_delta' was replaced: write early_stopping_min_delta"),
    (["run", "bn_placement", "--set", "regularizer_scope=dense+conv"], "write 'conv+dense'"),
    (
        ["run", "bn_placement", "--set", "regularizer_scope=dense"],
        "regularizer_scope='dense' does nothing with regularizer='none'",
    ),
    (["run", "bn_placement", "--set", "dropout_sites=convs"], "dropout_sites='convs' does nothing with dropout="),
    (
        ["run", "bn_placement", "--dataset", "digits", "--set", "model=resnet20", "--set", "dropout=0.2"]
        + ["--set", "dropout_sites=convs"],
        "dropout_sites='convs': model='resnet20' places dropout at its own sites only",
    ),
    (["run", "bn_placement", "--dataset", "digits", "--set", "image_size=8"], "image_size=8 is the size of every"),
    (
        ["run", "bn_placement", "--set", "early_stopping_patience=3", "--set", "restore_best_weights=true"]
        + ["--set", "checkpoint=val_accuracy"],
        "two rules for the weights a run ends on",
    ),
    (["run", "bn_placement", "--set", "standardize=zscore"], "standardize='zscore' is not known"),
    # questions asked on the command line (cli.questions)
    (["run", "lr_digits", "--factor", "learning_rate=abc,1e-2"], "learning_rate takes a float"),
    (["run", "lr_digits", "--factor", "learning_rate=1e-3,1e-3"], "a level is listed twice"),
    (["run", "lr_digits", "--factor", "learning_rate"], "write FIELD=LEVEL,LEVEL"),
    (["run", "lr_digits", "--factor", "colour=red,blue"], "unknown key(s) 'colour'; valid keys are: dataset"),
    (["run", "bn_placement", "--factor", "learning_rate=1e-3,1e-2"], "'bn_placement' is a catalogue ablation"),
    (["run", "bn_placement", "--levels", "colour=red"], "has no factor 'colour'; its factors: bn"),
    (["run", "optimizer", "--levels", "optimizer=adam,sgd"], "has compound levels"),
    (["run", "bn_placement", "--design", "grid"], "--design goes with --factor"),
    (["run", "lr_digits", "--factor", "momentum=0.5,0.9"], "momentum=0.5 does nothing with optimizer='adam'"),
] + [(["run", "bn_placement", "--dataset", f"DATA/{name}"], message) for name, _, message in BAD_DATA]


@pytest.fixture(scope="module")
def bad_data(tmp_path_factory):
    """Broken datasets, written for real: npz archives and IDX directories."""
    import gzip

    import numpy as np

    folder = tmp_path_factory.mktemp("bad_data")
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (60, 8, 8), dtype=np.uint8), np.arange(60) % 3
    good = dict(x_train=x, y_train=y, x_test=x[:12], y_test=y[:12])
    variants = {
        "missing_key": {k: v for k, v in good.items() if k != "y_test"},
        "label_out_of_range": {**good, "y_test": np.r_[y[:11], 3]},
        "shape_mismatch": {**good, "x_test": rng.integers(0, 256, (12, 9, 9), dtype=np.uint8)},
        "singleton_class": {**good, "y_train": np.r_[np.arange(59) % 2, 2]},
        "one_class": {**good, "y_train": np.zeros_like(y), "y_test": np.zeros(12, dtype=y.dtype)},
        "nan_pixels": {**good, "x_train": np.where(x > 250, np.nan, x / 255.0)},
    }
    for name, kind, _ in BAD_DATA:
        path = folder / name
        if kind == "truncated":
            np.savez(path, **good)
            path.write_bytes(path.read_bytes()[:500])
        elif kind.startswith("idx"):
            path.mkdir()
            for stem in (
                "train-images-idx3-ubyte",
                "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte",
            ):
                images = "images" in stem
                magic = bytes([0, 0, 8, 3 if images else 1])
                dims = (60, 8, 8) if images else (60,)
                body = (x if images else y.astype(np.uint8)).tobytes()
                raw = magic + b"".join(d.to_bytes(4, "big") for d in dims) + body
                if kind == "idx_truncated":
                    raw = raw[:-10]
                elif images:
                    raw = b"\x12\x34" + raw[2:]
                (path / (stem + ".gz")).write_bytes(gzip.compress(raw))
        else:
            np.savez(path, **variants[kind])
    return folder


@pytest.mark.parametrize("argv, message", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_exits_2_and_writes_nothing(argv, message, bad_data, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("DATA/", f"npz:{bad_data}/" if a.endswith(".npz") else f"idx:{bad_data}/") for a in argv]
    storage = [] if "--storage" in argv else ["--storage", f"sqlite:///{tmp_path / 's.db'}"]
    assert run_cli(*argv, *storage) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# Every bad input of `run` but those of its storage and its workers (options `show` does not take): `show` resolves
# through the same checks.
RUN_ONLY = ("--storage", "--gpus", "--workers", "--launcher", "--recycle-mb", "--tensorboard", "--track")
RUN_REFUSALS = [
    (argv, message)
    for argv, message in BAD_INPUTS
    if argv[0] == "run" and not any(arg.split("=")[0] in RUN_ONLY for arg in argv)
]


@pytest.mark.parametrize("argv, message", RUN_REFUSALS)
def test_show_refuses_what_run_refuses(argv, message, bad_data, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("DATA/", f"npz:{bad_data}/" if a.endswith(".npz") else f"idx:{bad_data}/") for a in argv]
    assert run_cli("show", *argv[1:]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_show_refuses_a_network_knob_no_network_of_the_study_has():
    """The issue's case: baseline_depth's networks have no batch norm, so bn_momentum would change nothing; `show`
    said nothing of it and listed the knob. No data is loaded for it (CIFAR-10, offline here): the network is
    checked for CIFAR-10's known shape."""
    assert run_cli("show", "baseline_depth", "--set", "bn_momentum=0.9") == 2


@pytest.mark.unit
def test_a_bad_reuse_setting_exits_2_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ABLATION_REUSE_TRACES", "lots")
    assert run_cli("run", "bn_placement", *TINY, "--storage", f"sqlite:///{tmp_path / 's.db'}") == 2
    assert "ABLATION_REUSE_TRACES='lots' must be a whole number" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "source, message",
    [
        (
            "from ablation_suite import Ablation\n"
            "ABLATION = Ablation(question='q', base={}, factors=dict(bn=['none', 'after']\n",
            "syntax error at line",
        ),
        (
            "from ablation_suite import Ablation\n"
            "ABLATION = Ablation(question='q', base={}, factors=dict(bnn=['a', 'b']))\n",
            "unknown factor key(s) 'bnn'",
        ),
    ],
)
def test_broken_ablation_file_exits_2_and_writes_nothing(source, message, tmp_path_factory, monkeypatch, capsys):
    question = tmp_path_factory.mktemp("questions") / "broken.py"  # outside the folder that must stay empty
    question.write_text(source)
    work = tmp_path_factory.mktemp("work")
    monkeypatch.chdir(work)
    assert run_cli("run", question, "--storage", f"sqlite:///{work / 's.db'}") == 2
    assert message in capsys.readouterr().err and list(work.iterdir()) == []


def test_an_ablation_file_from_any_folder_runs_reports_and_resumes_under_its_name(tmp_path, monkeypatch, capsys):
    question = tmp_path / "questions" / "my_bn.py"
    question.parent.mkdir()
    question.write_text(
        '"""Does BN after the activation help?"""\nfrom ablation_suite import Ablation\n'
        "ABLATION = Ablation(question=__doc__, base=dict(model='baseline1'), "
        "factors=dict(bn=['none', 'after']), seeds=1)\n"
    )
    monkeypatch.chdir(tmp_path)
    storage = ["--storage", f"sqlite:///{tmp_path / 's.db'}"]
    assert run_cli("run", question, *TINY[:4], "--seeds", "1", "--set", "train_size=200", *storage) == 0
    assert "Report: ablation-suite report " + str(question) in capsys.readouterr().out
    assert [s.study_name for s in optuna.get_all_study_summaries(storage[1])] == ["my_bn"]
    assert run_cli("status", "my_bn", *storage) == 0 and "2 done" in capsys.readouterr().out
    assert run_cli("run", question, *TINY[:4], "--seeds", "1", "--set", "train_size=200", *storage) == 0
    assert "0 completed" in capsys.readouterr().out


KILL_POINTS = [  # (where, the output line that triggers SIGKILL, extra delay in seconds)
    ("between trials", "completed;", 0.0),
    ("mid-epoch", "epoch 1/3", 0.3),
    ("during evaluation", "epoch 3/3", 0.0),
    ("during evaluation or recording", "epoch 3/3", 0.4),
]


def finished_results(db):
    return {
        t.number: (t.user_attrs["cell"], t.value, t.user_attrs["test_accuracy"], t.user_attrs["history"])
        for t in load(db).get_trials()
        if t.state == TrialState.COMPLETE
    }


def test_killed_at_several_points_and_resumed_each_time(tmp_path):
    """SIGKILL between trials, mid-epoch and during evaluation/recording, resuming each time: at the end
    every cell is complete exactly once, the killed cell continued from its checkpoint, and no finished
    result was lost or changed."""
    db = tmp_path / "k.db"
    argv = [
        sys.executable,
        str(REPO / "study.py"),
        "run",
        "bn_placement",
        "--dataset",
        "digits",
        "--epochs",
        "3",
        "--seeds",
        "2",
        "--set",
        "train_size=300",
        "--storage",
        f"sqlite:///{db}",
    ]
    outputs, kept = [], {}
    for where, trigger, delay in KILL_POINTS:
        outputs.append(run_until(argv, tmp_path, trigger, delay))
        results = finished_results(db)
        assert all(results[n] == kept[n] for n in kept), f"a finished result changed after the kill {where}"
        kept = results
    assert len(kept) < 6, "the kills came too late to interrupt anything"

    resumed = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    # an interrupted cell continued at its epoch, not at epoch 0 (it is re-queued last, so any later run)
    assert any("resuming from the checkpoint" in out for out in [*outputs[1:], resumed.stdout])
    trials = load(db).get_trials()
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    cells = [json.loads(t.user_attrs["cell"]) for t in complete]
    assert sorted((c["bn"], c["seed"]) for c in cells) == sorted(
        (bn, seed) for bn in ("none", "before", "after") for seed in (0, 1)
    )
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    assert all(t.user_attrs["epochs_run"] == 3 and len(t.user_attrs["history"]["loss"]) == 3 for t in complete)
    final = finished_results(db)
    assert all(final[n] == kept[n] for n in kept)


def test_recover_requeues_a_trial_whose_worker_vanished(finished_study, tmp_path, capsys):
    """A RUNNING trial from another host with an old heartbeat is stale: recover fails it and re-queues."""
    db = tmp_path / "r.db"
    db.write_bytes(finished_study.read_bytes())
    study_ = load(db)
    orphan = study_.ask()
    cell = json.dumps({"bn": "after", "seed": 7}, sort_keys=True)
    orphan.set_user_attr("cell", cell)
    orphan.set_user_attr("worker", {"host": "gone-machine", "pid": 1, "started": time.time() - 1000})
    orphan.set_user_attr("heartbeat", time.time() - 900)
    alive = study_.ask()
    alive.set_user_attr("cell", json.dumps({"bn": "none", "seed": 8}, sort_keys=True))
    alive.set_user_attr("worker", {"host": "busy-machine", "pid": 1, "started": time.time()})
    alive.set_user_attr("heartbeat", time.time())

    assert run_cli("recover", "bn_placement", "--storage", f"sqlite:///{db}") == 0
    out = capsys.readouterr().out
    assert "2 running trial(s), 1 stale" in out and "no heartbeat from gone-machine:1" in out
    trials = load(db).get_trials()
    assert trials[orphan.number].state == TrialState.FAIL
    assert trials[alive.number].state == TrialState.RUNNING
    waiting = [t for t in trials if t.state == TrialState.WAITING]
    assert [t.user_attrs["cell"] for t in waiting] == [cell]


def test_run_with_a_tensorboard_tracker_logs_every_cell_as_it_finishes(finished_study):
    """The shared study ran with --track tensorboard=DIR: a log folder per cell with its per-epoch history and
    final results as the database holds them (read back with TensorBoard's own reader), and the study's."""
    from tracked import tensorboard_runs

    runs = tensorboard_runs(finished_study.parent / "tensorboard" / "bn_placement")
    cells = {t.user_attrs["cell"]: t for t in load(finished_study).get_trials(states=(TrialState.COMPLETE,))}
    assert set(runs) == {*cells, "study"}
    for cell, trial in cells.items():
        assert runs[cell]["final/test_accuracy"] == pytest.approx(trial.user_attrs["test_accuracy"])
        assert runs[cell]["epoch/val_accuracy"] == pytest.approx(trial.user_attrs["history"]["val_accuracy"])
    assert "bn: bn=before:" in runs["study"]["answer"]
