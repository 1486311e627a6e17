"""Measurement 8: an ablation of short trials as whole processes, the suite against the loops a user writes.

One learning-rate question (the `conv` network, 4 learning rates, one seed, 1 epoch, batch 128, 8,500
training images of MNIST's shape) run three ways, each as one whole process (Python and TensorFlow
start-up, data loading and exit included), interleaved within each repeat so a change of the shared
machine's load hits all three alike:

- ``suite``: ``study.py run`` of an ablation file on a fresh SQLite storage (stratified split, test
  evaluation, confusion matrix, storage, heartbeat, per-cell checkpoints: all it always does);
- ``plain``: ``benchmarks/hand_loop.py``, ``model.fit`` per learning rate after ``clear_session``,
  then one test evaluation;
- ``kerastuner``: ``benchmarks/kerastuner_grid.py``, KerasTuner's ``GridSearch`` over the same rates,
  then the best model's test evaluation (needs the ``bench`` extra).

Each is timed by the wall clock and by the CPU time the process used (``os.wait4``): on a machine
others share, CPU time moves less with their load. The suite's fixed cost is then broken down by
``benchmarks/short_trials_probe.py`` (a perf counter around each step of a real run), with
``jit_compile`` off and on.

Data: MNIST cannot be downloaded here, so the images are synthetic, 28x28 uint8 in 10 classes (a
noisy class template per image, so the network learns), written to an npz that the suite reads as
``npz:PATH`` and the two scripts with numpy.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LEARNING_RATES = ("1e-3", "3e-4", "3e-3", "1e-2")
WAYS = ("suite", "plain", "kerastuner")


@dataclass(frozen=True)
class ShortScale:
    train_images: int  # after the suite's 20% validation split (the scripts split the same way)
    test_images: int
    epochs: int
    batch_size: int


FULL = ShortScale(train_images=8500, test_images=2000, epochs=1, batch_size=128)
QUICK = ShortScale(train_images=400, test_images=200, epochs=1, batch_size=128)


def measure(directory: Path, scale: ShortScale, repeats: int, probe_repeats: int | None = None) -> dict:
    """The three ways' wall and CPU seconds (median of ``repeats``), their ratios and the suite's fixed cost
    (median of ``probe_repeats`` probes, default ``repeats``)."""
    load_at_start, date = os.getloadavg()[0], time.strftime("%Y-%m-%d %H:%M:%S %Z")
    directory = Path(directory) / "short_trials"
    directory.mkdir(parents=True, exist_ok=True)
    data = write_dataset(directory / "data.npz", scale)
    wall, cpu = {way: [] for way in WAYS}, {way: [] for way in WAYS}
    for repeat in range(repeats):
        for way in WAYS:
            seconds, used = run_whole(command(way, directory, data, scale, repeat), directory)
            wall[way].append(seconds)
            cpu[way].append(used)
            print(
                f"  short trials, repeat {repeat + 1}/{repeats}: {way} {seconds:.1f} s ({used:.1f} s CPU)", flush=True
            )
    medians = {way: _median(values) for way, values in wall.items()}
    cpu_medians = {way: _median(values) for way, values in cpu.items()}
    probes = {"jit_compile_off": [], "jit_compile_on": []}
    for repeat in range(repeats if probe_repeats is None else probe_repeats):
        for name, options in (("jit_compile_off", []), ("jit_compile_on", ["--set", "jit_compile=true"])):
            probes[name].append(probe(directory, data, scale, f"{name}_{repeat}", options))
    return {
        "date": date,
        "load_average": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],
        "question": f"learning_rate in {', '.join(LEARNING_RATES)}, model conv, 1 seed",
        "data": f"synthetic MNIST-shaped npz (28x28x1 uint8, 10 classes, noisy class templates): "
        f"{scale.train_images} training, {scale.train_images // 4} validation, {scale.test_images} test images",
        "epochs": scale.epochs,
        "batch_size": scale.batch_size,
        "cells": len(LEARNING_RATES),
        "seconds": medians,
        "cpu_seconds": cpu_medians,
        "repeats": {"seconds": wall, "cpu_seconds": cpu},
        "suite_vs_plain": medians["suite"] / medians["plain"],
        "suite_vs_kerastuner": medians["suite"] / medians["kerastuner"],
        "cpu_suite_vs_plain": cpu_medians["suite"] / cpu_medians["plain"],
        "cpu_suite_vs_kerastuner": cpu_medians["suite"] / cpu_medians["kerastuner"],
        "target_met": medians["suite"] <= medians["plain"] and medians["suite"] < medians["kerastuner"],
        "suite_fixed_cost": {name: merged(runs) for name, runs in probes.items()},
        "note": "ratios are suite/other wall time of whole processes (medians); cpu_*: the same with the CPU time "
        "each process used, which moves less with other processes' load on a shared machine",
    }


def write_dataset(path: Path, scale: ShortScale, seed: int = 0) -> Path:
    """MNIST-shaped npz: each image a class template (random pixels) at half strength plus uniform noise."""
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 256, (10, 28, 28))

    def images(count):
        labels = np.arange(count) % 10
        rng.shuffle(labels)
        noise = rng.integers(-96, 97, (count, 28, 28))
        return np.clip(templates[labels] * 0.5 + noise + 64, 0, 255).astype(np.uint8), labels

    x_train, y_train = images(scale.train_images * 5 // 4)  # the suite and the scripts hold 20% out
    x_test, y_test = images(scale.test_images)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def ablation_file(directory: Path, data: Path, scale: ShortScale) -> Path:
    """The question as a user writes it for the suite (study.py takes the path as NAME)."""
    path = directory / "lr_question.py"
    path.write_text(
        '"""Which learning rate for the conv network? (benchmark: four short trials)"""\n'
        "from ablation_suite import Ablation\n\n"
        f"ABLATION = Ablation(question=__doc__, base=dict(model='conv', dataset='npz:{data}', epochs={scale.epochs},\n"
        f"                    batch_size={scale.batch_size}),\n"
        f"                    factors=dict(learning_rate=[{', '.join(LEARNING_RATES)}]), seeds=1)\n"
    )
    return path


def command(way: str, directory: Path, data: Path, scale: ShortScale, repeat: int) -> list[str]:
    """The whole process of one way; every run starts on fresh storage (a new SQLite file, a new tuner directory)."""
    shape = [str(data), str(scale.epochs), str(scale.batch_size)]
    if way == "suite":
        return [sys.executable, str(REPO / "study.py"), *suite_arguments(directory, data, scale, f"suite_{repeat}")]
    if way == "plain":
        return [sys.executable, str(HERE / "hand_loop.py"), *shape, *LEARNING_RATES]
    return [
        sys.executable,
        str(HERE / "kerastuner_grid.py"),
        *shape,
        str(directory / f"tuner_{repeat}"),
        *LEARNING_RATES,
    ]


def suite_arguments(directory: Path, data: Path, scale: ShortScale, name: str, options=()) -> list[str]:
    return [
        "run",
        str(ablation_file(directory, data, scale)),
        "--storage",
        f"sqlite:///{directory / name}.db",
        *options,
    ]


def run_whole(argv: list[str], directory: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one process, start-up and exit included; a failure raises with its output."""
    log = directory / "output.txt"
    with open(log, "w") as output:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=directory, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:3])} failed ({process.returncode}):\n{log.read_text()[-3000:]}")
    return seconds, usage.ru_utime + usage.ru_stime


def probe(directory: Path, data: Path, scale: ShortScale, name: str, options: list[str]) -> dict:
    """The suite's run with a perf counter around each step (benchmarks/short_trials_probe.py), as its breakdown."""
    out = directory / f"{name}.json"
    launched = time.time()
    # --recycle-mb 0: a worker restarting itself (XLA's compilations grow its memory) would continue as a plain
    # study.py process, without the counters.
    seconds, _ = run_whole(
        [
            sys.executable,
            str(HERE / "short_trials_probe.py"),
            str(out),
            repr(launched),
            *suite_arguments(directory, data, scale, name, [*options, "--recycle-mb", "0"]),
        ],
        directory,
    )
    counted = json.loads(out.read_text())
    return breakdown(counted, seconds, launched)


def breakdown(counted: dict, wall: float, launched: float) -> dict:
    """Seconds of the whole process by step, and per trial (mean over the trials), from one probe run.

    A trial's training is its calls into the compiled train function; the first call's excess over the
    median of the later full calls is the tracing (and first step) of the train function. Its fixed
    cost is the rest of the trial: set-up, tracing, the evaluation passes and the recording.
    """
    steps = {name: sum(values) for name, values in counted["steps"].items()}
    calls = {name: len(values) for name, values in counted["steps"].items()}
    trials = calls["trial"]
    marks = counted["marks"]
    process = {
        "python start-up": marks["python start-up"],
        "suite imports": marks["suite imports"],
        "tensorflow import": marks["tensorflow import"],
        "command set-up (arguments, ablation, storage check, header, device)": marks["study.main"]
        - steps["preflight"]
        - steps["create the study"]
        - steps["trial loop"],
        "preflight (data load, validation, network builds)": steps["preflight"],
        "preflight network builds": steps.get("preflight: network builds", 0.0),
        "create the study (storage, provenance)": steps["create the study"],
        "trials": steps["trial"],
        "between trials (queue, ask, duplicate check)": steps["trial loop"] - steps["trial"],
        "exit": launched + wall - counted["ended"],
    }
    traced, trained, validation = [], [], []
    for fit in counted["executions"]:
        full = fit["train_calls"][1:-1] or fit["train_calls"][1:] or fit["train_calls"]
        excess = max(fit["train_calls"][0] - _median(full), 0.0)
        traced.append(excess)
        trained.append(sum(fit["train_calls"]) - excess)
        validation.append(sum(fit["validation"]))
    per_trial = {
        "trial: other (worker record, heartbeat, log)": (
            steps["trial"] - steps["train"] - steps["record: result"] - steps["record: tell Optuna"]
        )
        / trials,
        "data: load and split": steps["data: load and split"] / trials,
        "build the network": steps["build the network"] / trials,
        "compile": steps["compile"] / trials,
        "fit: trace and first call of the train function": sum(traced) / trials,
        "fit: training (steady)": sum(trained) / trials,
        "fit: validation pass": sum(validation) / trials,
        "fit: other (callbacks, iterators, checkpoints)": (steps["fit"] - sum(traced) - sum(trained) - sum(validation))
        / trials,
        "evaluation passes after fit": steps["evaluation passes"] / trials,
        "evaluation: count": calls["evaluation passes"] / trials,
        "confusion matrix and parameters": (steps["confusion matrix"] + steps["count parameters"]) / trials,
        "train(): other": (
            steps["train"]
            - steps["data: load and split"]
            - steps["build the network"]
            - steps["compile"]
            - steps["fit"]
            - steps["evaluation passes"]
            - steps["confusion matrix"]
            - steps["count parameters"]
        )
        / trials,
        "record the result in Optuna": (steps["record: result"] + steps["record: tell Optuna"]) / trials,
    }
    fixed_per_trial = steps["trial"] / trials - per_trial["fit: training (steady)"]
    return {
        "wall": wall,
        "trials": trials,
        "process": process,
        "per_trial": per_trial,
        "fixed_per_trial": fixed_per_trial,
        "fixed_whole_process": wall - sum(trained),
        "training_whole_process": sum(trained),
    }


def merged(runs: list[dict]) -> dict:
    """Medians over repeated breakdowns, key by key."""
    first = runs[0]
    out = {}
    for key, value in first.items():
        if isinstance(value, dict):
            out[key] = {name: _median([run[key][name] for run in runs]) for name in value}
        else:
            out[key] = _median([run[key] for run in runs])
    return out


def _median(values) -> float:
    return float(statistics.median(values))


def rows(results: dict) -> list[tuple]:
    """The benchmark table's rows for this measurement (benchmarks/report.py)."""
    short = results["short_trials"]
    seconds, cpu = short["seconds"], short["cpu_seconds"]
    off, on = short["suite_fixed_cost"]["jit_compile_off"], short["suite_fixed_cost"]["jit_compile_on"]
    when = (
        f" ({short['date']}, load average {short['load_average'][0]} to {short['load_average'][1]})"
        if "date" in short
        else ""
    )
    trial = off["per_trial"]
    return [
        (
            f"10. short trials: {short['cells']} cells of `conv`, {short['epochs']} epoch, whole processes{when}",
            f"suite {seconds['suite']:.1f} s, plain fit loop {seconds['plain']:.1f} s, KerasTuner grid "
            f"{seconds['kerastuner']:.1f} s: suite/plain {short['suite_vs_plain']:.2f}, suite/KerasTuner "
            f"{short['suite_vs_kerastuner']:.2f} (CPU time: {short['cpu_suite_vs_plain']:.2f}, "
            f"{short['cpu_suite_vs_kerastuner']:.2f}; CPU s {cpu['suite']:.1f}, {cpu['plain']:.1f}, "
            f"{cpu['kerastuner']:.1f})",
            "suite <= plain, < KerasTuner",
            short["target_met"],
        ),
        *_before(short),
        (
            "10. suite's fixed cost per trial",
            f"{off['fixed_per_trial']:.2f} s next to {trial['fit: training (steady)']:.2f} s of training: trace "
            f"{trial['fit: trace and first call of the train function']:.2f}, validation in fit "
            f"{trial['fit: validation pass']:.2f}, evaluation after fit {trial['evaluation passes after fit']:.2f} "
            f"({trial['evaluation: count']:.0f} pass(es)), set-up "
            f"{trial['data: load and split'] + trial['build the network'] + trial['compile']:.2f}, recording "
            f"{trial['record the result in Optuna']:.2f} s; per process: start-up and imports "
            f"{sum(off['process'][k] for k in ('python start-up', 'suite imports', 'tensorflow import')):.1f} s, "
            f"preflight {off['process']['preflight (data load, validation, network builds)']:.2f} s, study creation "
            f"{off['process']['create the study (storage, provenance)']:.2f} s, exit {off['process']['exit']:.2f} s. "
            f"With jit_compile: {on['fixed_per_trial']:.2f} s per trial (trace and first call "
            f"{on['per_trial']['fit: trace and first call of the train function']:.2f} s)",
            "reported",
            None,
        ),
    ]


def _before(short: dict) -> list[tuple]:
    """The same measurement of the code before the short-trial changes, when latest.json keeps it."""
    if "before_changes" not in short:
        return []
    before = short["before_changes"]
    return [
        (
            f"10. the same before the short-trial changes (commit {before['commit']}, {before['date']}, load "
            f"average {before['load_average'][0]} to {before['load_average'][1]})",
            f"suite/plain {before['suite_vs_plain']:.2f}, suite/KerasTuner {before['suite_vs_kerastuner']:.2f} "
            f"(CPU time: {before['cpu_suite_vs_plain']:.2f}, {before['cpu_suite_vs_kerastuner']:.2f}); fixed cost "
            f"{before['fixed_per_trial']:.2f} s per trial, exit {before['exit']:.2f} s",
            "suite <= plain, < KerasTuner",
            before["target_met"],
        )
    ]
