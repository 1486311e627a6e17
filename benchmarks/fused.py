"""Cells side by side (training.fused, --fuse) against one cell after another, and --fuse auto's choice.

A workload is trained from a fresh process (data loading, model builds and tracing included, as a study's first
round pays them), one cell after another as today (each cell on the traced functions of an earlier cell with its
network: training.reuse), side by side (``fused``: every round one group), or as --fuse auto decides. Workloads:
a round of 4 seeds of one network: seed report 001's base network (`baseline1`, two conv layers, on digits' own
8x8 images) at batch 32, for 2 epochs and for the suite's default 10; at batch 32 and 128 the small `conv` (24x24
inputs) and the larger `baseline2`; `baseline2` at CIFAR-10's 32x32 and batch 128 (4.9 billion multiply-adds a
batch); and 4 levels of different networks at 2 seeds, the two rounds a study queues seed by seed. Each repeat runs
the modes in turn (each mode first in turn: the machine drifts within a repeat), each in a process of its own, on
digits (the suite's default data, 1,437 training images); ratios are of medians.

``speedup_small_batch``: seed report 001's base network at batch 32, 2 epochs, 4 fused against one after another
(``speedup_small_batch_conv``: the same for `conv`; ``speedup_small_batch_10_epochs``: for 10 epochs).
``speedup_auto_worst``: over every workload, the worst of one after another's time over --fuse auto's, auto's
decision (a network build to count its multiply-adds, loops.fusing.width) timed with it.
``catalogue_trainings_saved``: cell reuse's saving over the seed-001 catalogue (benchmarks/cell_reuse.py).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

WIDTH = 4
EPOCHS = 2  # the benchmark's usual epochs: a round's fixed costs (builds, tracing) weigh most on short rounds
# (name, batch size, settings, levels, epochs): a round is each level at seeds 0..WIDTH-1 (one level: WIDTH seeds of
# one network), or, with several levels, the levels at seeds 0 and 1 (two rounds, as a study queues them seed by seed)
LEVELS = [{"bn": "none"}, {"bn": "before"}, {"bn": "after"}, {"bn": "before", "dropout": "0.3"}]
WORKLOADS = [
    ("baseline1 (seed report 001's base network)", 32, {"model": "baseline1"}, [{}], EPOCHS),
    ("conv", 32, {"model": "conv", "input_scale": 3}, [{}], EPOCHS),
    ("baseline1, the suite's default 10 epochs", 32, {"model": "baseline1"}, [{}], 10),
    ("conv", 128, {"model": "conv", "input_scale": 3}, [{}], EPOCHS),
    ("baseline2", 32, {"model": "baseline2"}, [{}], EPOCHS),
    ("baseline2", 128, {"model": "baseline2"}, [{}], EPOCHS),
    ("baseline2 at 32x32 (CIFAR-10's size)", 128, {"model": "baseline2", "input_scale": 4}, [{}], EPOCHS),
    ("conv, 4 bn/dropout levels x 2 seeds", 32, {"model": "conv", "input_scale": 3}, LEVELS, EPOCHS),
]
MODES = ("off", "fused", "auto")
REPEATS = 5  # identical rounds vary by 10-15% between repeats on this VM: medians of 3 moved by as much


def rounds(batch: int, settings: dict, levels: list[dict], epochs: int) -> list[list]:
    """The workload's rounds of Configs, in a study's order."""
    from ablation_suite.config import Config

    seeds = range(WIDTH) if len(levels) == 1 else range(2)
    made = [
        [Config(batch_size=batch, epochs=epochs, seed=seed, **settings, **level) for level in levels] for seed in seeds
    ]
    return [[config for group in made for config in group]] if len(levels) == 1 else made


def one_workload(batch: int, settings: dict, levels: list[dict], mode: str, epochs: int) -> dict:
    """Train the workload's rounds in this process; returns the seconds and, for auto, whether it fused."""
    from types import SimpleNamespace

    from ablation_suite.loops import fusing
    from ablation_suite.training.caches import Caches
    from ablation_suite.training.fused import train_fused
    from ablation_suite.training.trainer import train

    caches = Caches()
    quiet = lambda *args, **kwargs: None  # noqa: E731
    started = time.perf_counter()
    fused = []
    for group in rounds(batch, settings, levels, epochs):
        # auto as the runner decides it (loops.fusing.width)
        fuse = mode == "fused" or (
            mode == "auto" and fusing.width(SimpleNamespace(fuse="auto", caches=caches), group[0]) > 1
        )
        fused.append(fuse)
        if fuse:
            train_fused(group, [""] * len(group), log=quiet, caches=caches)
        else:
            for config in group:
                train(config, log=quiet, caches=caches)
    return {"seconds": time.perf_counter() - started, "fused": all(fused)}


def _in_process(batch, settings, levels, mode, epochs) -> dict:
    code = (
        "import json, sys; from benchmarks.fused import one_workload; "
        f"print('RESULT', json.dumps(one_workload({batch}, {settings!r}, {levels!r}, {mode!r}, {epochs})))"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def measure(quick: bool = False, repeats: int = REPEATS, cell_reuse: dict | None = None) -> dict:
    from ablation_suite.loops import fusing

    workloads = [(*WORKLOADS[0][:4], 1)] if quick else WORKLOADS
    rows = []
    for name, batch, settings, levels, epochs in workloads:
        seconds: dict[str, list[float]] = {mode: [] for mode in MODES}
        chose = set()
        for repeat in range(1 if quick else repeats):
            for mode in MODES[repeat % len(MODES) :] + MODES[: repeat % len(MODES)]:  # each mode first in turn
                result = _in_process(batch, settings, levels, mode, epochs)
                seconds[mode].append(result["seconds"])
                if mode == "auto":
                    chose.add(result["fused"])
        medians = {mode: statistics.median(values) for mode, values in seconds.items()}
        rows.append(
            {
                "network": name,
                "batch_size": batch,
                "epochs": epochs,
                "settings": settings,
                "seconds": seconds,
                "median_seconds": medians,
                "speedup_fused": medians["off"] / medians["fused"],
                "speedup_auto": medians["off"] / medians["auto"],
                "auto_fused": sorted(chose),
            }
        )
    return {
        "speedup_small_batch": rows[0]["speedup_fused"],
        "speedup_small_batch_conv": rows[1]["speedup_fused"] if len(rows) > 1 else None,
        "speedup_small_batch_10_epochs": rows[2]["speedup_fused"] if len(rows) > 2 else None,
        "speedup_auto_worst": min(row["speedup_auto"] for row in rows),
        "catalogue_trainings_saved": (cell_reuse or {}).get("catalogue_trainings_saved"),
        "width": WIDTH,
        "epochs": rows[0]["epochs"],
        "auto_max_multiply_adds": fusing.AUTO_MAX_MULTIPLY_ADDS,
        "workloads": rows,
        "method": f"a round of {WIDTH} seeds on digits from a fresh process per mode and repeat, medians",
    }
