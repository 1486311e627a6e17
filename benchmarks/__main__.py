"""``python -m benchmarks [--quick] [--only A,B] [--out DIR]``: run the measurements, write latest.json and
latest.md."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, when run from elsewhere

from ablation_suite.training.quiet import prepare_tensorflow  # noqa: E402

prepare_tensorflow()  # before measure imports TensorFlow: its C++ start-up lines kept out, as in study.py

from benchmarks import adaptive_seeds, cell_reuse, fused, input_pipeline, measure, short_trials  # noqa: E402
from benchmarks.machine import describe, matmul_peak  # noqa: E402
from benchmarks.report import ROWS, table  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    scale = measure.QUICK if args.quick else measure.FULL
    results = run(scale, "quick" if args.quick else "full", args.only)
    out = Path(args.out) if args.out else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    results = kept_with(results, out / "latest.json")
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    text = table(results)
    (out / "latest.md").write_text(text)
    print(text)
    print(f"written: {out / 'latest.json'} and {out / 'latest.md'}")
    return 0


def kept_with(results: dict, previous: Path) -> dict:
    """``results`` plus the measurements of the previous file that this run did not repeat (``--only``), each
    marked with the date of its own run in ``earlier`` (a full run of the same scale replaces everything)."""
    if not previous.exists():
        return results
    old = json.loads(previous.read_text())
    if old.get("scale") != results["scale"]:
        return results
    measured = set(results["seconds"]) - {"total"}
    kept = {
        key: value
        for key, value in old.items()
        if key not in results and key not in ("seconds", "earlier") and key in ROWS
    }
    if not kept:
        return results
    earlier = {key: old.get("earlier", {}).get(key) or _own_date(kept[key]) or old.get("date") for key in kept}
    return {
        **results,
        **kept,
        "earlier": earlier,
        "seconds": {**{k: v for k, v in old.get("seconds", {}).items() if k in kept}, **results["seconds"]},
        "measured_now": sorted(measured),
    }


def _own_date(measurement) -> str | None:
    """The date a measurement recorded of its own run (input_pipeline's, made apart from the table)."""
    return measurement.get("measured_separately", {}).get("date") if isinstance(measurement, dict) else None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    top.add_argument("--quick", action="store_true", help="tiny sizes and one repeat: a smoke test, not a measurement")
    top.add_argument("--out", help=f"directory for latest.json and latest.md (default {RESULTS})")
    top.add_argument(
        "--only",
        type=measurements,
        default=list(ROWS),
        metavar="A,B",
        help=f"comma-separated subset of: {', '.join(ROWS)} (default: all)",
    )
    return top


def measurements(text: str) -> list[str]:
    """The --only list, refused (exit 2) with the valid names when one is unknown."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in ROWS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown measurement(s) {', '.join(unknown) or '(none given)'}; choose from: {', '.join(ROWS)}"
        )
    return names


def run(scale: measure.Scale, name: str, only=tuple(ROWS)) -> dict:
    """The measurements ``only`` at the given scale, with the machine description and each one's timing."""
    started = time.perf_counter()
    results = {
        "scale": name,
        "repeats": scale.repeats,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": describe(),
        "seconds": {},
    }
    peak = matmul_peak()
    results["machine"]["matmul_peak_gflops"] = peak / 1e9
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        dataset = measure.synthetic_dataset(directory, images=int(scale.train_size / 0.8) + 128)
        steps = {
            "throughput": lambda: measure.throughput(
                measure.base_config(dataset, scale.train_size, scale.epochs), scale.repeats, peak
            ),
            "fixed_cost": lambda: measure.fixed_cost(
                measure.base_config(dataset, scale.train_size, scale.epochs), scale.repeats, directory
            ),
            "pipeline": lambda: input_pipeline.pipeline_overhead(
                measure.base_config(dataset, scale.train_size, scale.epochs), scale
            ),
            "precision": lambda: measure.precision_and_xla(
                measure.base_config(dataset, scale.precision_train_size, 2), scale.repeats
            ),
            "memory": lambda: measure.memory(dataset, scale, directory),
            "pruning": lambda: measure.pruning(scale, directory),
            "workers": lambda: measure.parallel_workers(dataset, scale, directory),
            "adaptive_seeds": lambda: adaptive_seeds.measure(scale is measure.QUICK, directory),
            "cell_reuse": lambda: cell_reuse.measure(),
            "fused": lambda: fused.measure(scale is measure.QUICK, cell_reuse=cell_reuse.measure()),
            "folder_pipeline": lambda: input_pipeline.folder_pipeline(scale, directory),
            "short_trials": lambda: short_trials.measure(
                directory, short_trials.QUICK if scale is measure.QUICK else short_trials.FULL, scale.repeats
            ),
        }
        for key, step in ((key, steps[key]) for key in steps if key in only):
            step_started = time.perf_counter()
            print(f"measuring {key} ...", flush=True)
            results[key] = step()
            results["seconds"][key] = time.perf_counter() - step_started
    results["machine"]["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    results["seconds"]["total"] = time.perf_counter() - started
    return results


if __name__ == "__main__":
    sys.exit(main())
