"""Studies whose cells train side by side (--fuse, loops.fusing): the same numbers as one at a time, cell for cell,
the console saying so; two workers claiming groups never train a cell twice; a bad --fuse is refused."""

import json
import math
from collections import Counter

import optuna
import pytest
from common import CELLS, TINY, assert_every_cell_trained_once, start_workers
from optuna.trial import TrialState

from ablation_suite.cli import main as study
from ablation_suite.config import Config
from ablation_suite.loops import fusing
from ablation_suite.loops.runner import Run
from ablation_suite.training.caches import Caches

DETERMINISTIC = [*TINY, "--set", "deterministic=true", "--no-reuse"]
RESULTS = ("test_accuracy", "test_loss", "val_accuracy", "history", "confusion_matrix")


def cell(trial) -> tuple:
    values = json.loads(trial.user_attrs["cell"])
    return values["bn"], values["seed"]


def results(storage: str) -> dict:
    trials = optuna.load_study(study_name="bn_placement", storage=storage).get_trials()
    return {cell(t): {key: t.user_attrs[key] for key in RESULTS} for t in trials if t.state == TrialState.COMPLETE}


def test_a_fused_study_has_the_numbers_of_one_trained_cell_by_cell(tmp_path, capsys):
    """bn_placement's three levels train side by side, seed by seed (the second group on the first group's traced
    functions), and every cell ends with the history, accuracy and loss it has when the cells train one at a time."""
    fused, alone = f"sqlite:///{tmp_path / 'fused.db'}", f"sqlite:///{tmp_path / 'alone.db'}"
    assert study.main(["run", "bn_placement", *DETERMINISTIC, "--fuse", "3", "--storage", fused]) == 0
    out = capsys.readouterr().out
    assert out.count("3 cells fused") == 2, out
    assert out.count("completed;") == len(CELLS)
    assert study.main(["run", "bn_placement", *DETERMINISTIC, "--fuse", "off", "--storage", alone]) == 0
    assert "cells fused" not in capsys.readouterr().out
    assert sorted(results(fused)) == CELLS
    assert results(fused) == results(alone)


def test_two_workers_claiming_groups_train_every_cell_once(tmp_path):
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    outputs = assert_every_cell_trained_once(storage, start_workers(2, storage, tmp_path, "--fuse", "2"))
    assert any("2 cells fused" in out for out in outputs), outputs


@pytest.mark.unit
@pytest.mark.parametrize("value", ["0", "17", "two", "-1", ""])
def test_a_bad_fuse_is_refused_before_anything_is_written(value, tmp_path, capsys):
    db = tmp_path / "s.db"
    with pytest.raises(SystemExit) as exit:
        study.main(["run", "bn_placement", *TINY, "--fuse", value, "--storage", f"sqlite:///{db}"])
    assert exit.value.code == 2 and not db.exists()
    assert "auto, off, or a number of cells from 2 to 16" in capsys.readouterr().err


@pytest.mark.unit
def test_fuse_widths():
    assert [fusing.parse(value) for value in ("auto", "OFF", "1", "4", "16")] == ["auto", "off", "off", "4", "16"]
    config = Config()
    assert fusing.width(Run("", None, None, config, 1, fuse="off"), config) == 1
    assert fusing.width(Run("", None, None, config, 1, fuse="5"), config) == 5


@pytest.mark.unit
def test_auto_trains_a_large_step_alone_and_fuses_a_small_one():
    """The rule of --fuse auto (loops.fusing): by the multiply-adds of one batch through the network."""
    caches = Caches()
    small = Config(model="baseline1", batch_size=32)
    large = Config(model="vgg11_cifar", input_scale=4, batch_size=128)
    assert fusing.step_multiply_adds(small, caches) <= fusing.AUTO_MAX_MULTIPLY_ADDS
    assert fusing.step_multiply_adds(large, caches) > fusing.AUTO_MAX_MULTIPLY_ADDS
    assert fusing.width(Run("", None, None, small, 1, caches=caches), small) == fusing.AUTO_WIDTH
    assert fusing.width(Run("", None, None, large, 1, caches=caches), large) == 1


@pytest.mark.unit
def test_fuse_k_is_bounded_by_a_gpus_memory_and_says_so():
    """On a GPU, --fuse K trains at most the cells that fit in its memory (loops.fusing.gpu_width); the memory is
    given here, as this machine has no GPU (where nothing bounds K)."""
    caches, lines = Caches(), []
    small = Config(model="conv", input_scale=3, batch_size=32)
    run = Run("", None, None, small, 1, caches=caches, fuse="8", log=lines.append)
    per_cell = fusing.cell_bytes(small, caches)
    large_batch = Config(model="conv", input_scale=3, batch_size=256)
    assert fusing.cell_bytes(large_batch, caches) > 4 * per_cell  # a batch's layer outputs dominate
    memory = math.ceil(3.5 * per_cell / fusing.GPU_SHARE / 2**20)
    assert fusing.gpu_width(run, small, gpu_mib=memory) == 3
    assert fusing.gpu_width(run, large_batch, gpu_mib=memory) == 1
    assert lines[0].startswith(f"--fuse 8: 3 cell(s) of conv at batch 32 fit side by side in this GPU's {memory} MiB")
    assert fusing.gpu_width(run, small) == fusing.MAX_WIDTH and fusing.width(run, small) == 8  # no GPU here


QUESTION = '''"""Does a learning rate a thousand times too small stop the network from learning?"""
from ablation_suite.ablations import Ablation

ABLATION = Ablation(
    question=__doc__,
    base=dict(model="baseline1", dataset="digits", epochs=1, train_size=300, batch_size=32, deterministic=True),
    factors=dict(learning_rate=[0.003, 0.002, 0.000003]),
    seeds="auto", min_seeds=3, max_seeds=4,
)
'''


def test_seeds_auto_rounds_fused_decide_as_unfused(tmp_path, capsys):
    """--seeds auto hands its rounds to the same runner: forced side by side (--fuse 3), each round's cells train as
    groups, and the study trains the same seeds to the same numbers and decisions as one cell at a time."""
    question = tmp_path / "lr_floor.py"
    question.write_text(QUESTION)
    answers = {}
    for fuse in ("3", "off"):
        storage = f"sqlite:///{tmp_path / f'{fuse}.db'}"
        assert study.main(["run", str(question), "--fuse", fuse, "--no-reuse", "--storage", storage]) == 0
        out = capsys.readouterr().out
        assert ("3 cells fused" in out) == (fuse == "3"), out
        trials = optuna.load_study(study_name="lr_floor", storage=storage).get_trials(states=(TrialState.COMPLETE,))
        answers[fuse] = (
            sorted(
                (
                    json.loads(t.user_attrs["cell"])["learning_rate"],
                    json.loads(t.user_attrs["cell"])["seed"],
                    t.user_attrs["test_accuracy"],
                    t.user_attrs["test_loss"],
                )
                for t in trials
            ),
            [line for line in out.splitlines() if line.startswith("  ") and " seeds" in line],  # the decisions
        )
        assert "3e-06: worse" in out
    assert answers["3"] == answers["off"]


BATCHES = '''"""Which batch size?"""
from ablation_suite.ablations import Ablation

ABLATION = Ablation(
    question=__doc__,
    base=dict(model="baseline1", dataset="digits", epochs=1, train_size=200),
    factors=dict(batch_size=[32, 64]),
    seeds=1,
)
'''


def test_a_cell_claimed_in_a_race_that_does_not_fit_is_trained_on_its_own(tmp_path, monkeypatch, capsys):
    """A worker looks at the next waiting cell, which fits its group, but another worker claims it first: the cell
    it claims instead (another batch size, so it cannot step in turn) is trained after the group, once."""
    question = tmp_path / "batches.py"
    question.write_text(BATCHES)
    storage = f"sqlite:///{tmp_path / 's.db'}"
    # the race: the cell looked at is always the first one (which fits with itself); the one claimed is the next
    monkeypatch.setattr(fusing, "_next_waiting", lambda study: study.get_trials(deepcopy=False)[0])
    assert study.main(["run", str(question), "--fuse", "2", "--storage", storage]) == 0
    trials = optuna.load_study(study_name="batches", storage=storage).get_trials()
    trained = Counter(json.loads(t.user_attrs["cell"])["batch_size"] for t in trials if "test_accuracy" in t.user_attrs)
    assert trained == Counter({32: 1, 64: 1}), capsys.readouterr().out
    assert all(t.state == TrialState.COMPLETE for t in trials)


def test_a_search_says_its_trials_train_one_at_a_time_and_fuses_its_tuned_seeds(tmp_path):
    """--fuse K cannot group a search's trials (each is chosen from the ones before it): the run says so, then
    trains the seeds of the best values side by side."""
    from ablation_suite.ablations import Ablation
    from ablation_suite.loops import search

    base = dict(dataset="digits", train_size=200, epochs=1, batch_size=32)
    space = dict(learning_rate=("log", 1e-3, 1e-2))
    ablation = Ablation(question="q", base=base, factors={}, design="search", n_trials=2, search_space=space)
    url = f"sqlite:///{tmp_path / 's.db'}"
    main = optuna.create_study(study_name="s", storage=url)
    lines: list[str] = []
    search.run_search_design(Run(url, main, ablation, Config(**base), 2, fuse="2", log=lines.append))
    said = "\n".join(lines)
    assert "--fuse 2: a search's trials train one at a time" in said, said
    assert sum("cells fused" in line for line in lines) == 1 and "2 cells fused" in said, said
    tuned = [t for t in main.get_trials() if t.state == TrialState.COMPLETE]
    assert sorted(json.loads(t.user_attrs["cell"])["seed"] for t in tuned) == [0, 1]
