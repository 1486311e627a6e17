"""The command line's arguments: one argparse parser for every ablation-suite command.

cli.main owns what each command does; this module owns what each command accepts, so that the
options of a design (search budgets, adaptive seeds) or of a launcher are declared in one place.
"""

from __future__ import annotations

import argparse

from ablation_suite.ablations import AUTO, PRUNERS, SAMPLERS
from ablation_suite.ablations.designs import DESIGNS
from ablation_suite.loops import fusing
from ablation_suite.store.storage import ENV
from ablation_suite.workers.launchers import DEFAULT_MINUTES, LAUNCHERS
from ablation_suite.workers.memory import DEFAULT_RECYCLE_MB
from ablation_suite.workers.processes import CARRIED, carried_state, gpu_list, megabytes, number_option, worker_count

minutes = number_option(int, 1, "a whole number of minutes", "--time 120", "the time limit of each array task")
cpu_count = number_option(int, 1, "a whole number of CPUs", "--cpus-per-worker 4", "CPUs of each worker")
gpu_count = number_option(int, 0, "a whole number of GPUs", "--gpus-per-worker 1", "0 = CPU only")

DESCRIPTION = "The study driver: run, resume and report named hyperparameter ablations."


def parser(handlers: dict) -> argparse.ArgumentParser:
    """The CLI's argument parser; ``handlers`` maps each command name to the function that does it."""
    top = argparse.ArgumentParser(prog="ablation-suite", description=DESCRIPTION)
    verbose = dict(action="store_true", help="also show TensorFlow's own C++ log (start-up, CUDA probes)")
    top.add_argument("--verbose", **verbose)
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("list", help="list named ablations and baselines").set_defaults(handler=handlers["list"])
    for name, help_text in (
        ("show", "print an ablation's cells, budget and training protocol"),
        ("run", "run a named ablation, resuming it if its study exists"),
        ("search", "run or resume an ablation with a search design (search budget options)"),
    ):
        sub = commands.add_parser(name, help=help_text)
        _study_arguments(sub)
        sub.add_argument("--dataset", help="dataset name, npz:PATH or idx:DIR (default: the ablation's)")
        sub.add_argument("--epochs", type=int, help="epochs per cell (default: the ablation's)")
        sub.add_argument(
            "--factor",
            action="append",
            default=[],
            metavar="FIELD=V1,V2",
            help="ask a question of your own, no file needed: a factor and its levels, the first the base "
            "(repeatable; NAME then names the new question); ';' between levels that hold commas",
        )
        sub.add_argument(
            "--levels",
            action="append",
            default=[],
            metavar="FIELD=V1,V2",
            help="replace the levels of one of the ablation's factors, e.g. --levels dataset=digits (repeatable)",
        )
        sub.add_argument("--design", choices=tuple(DESIGNS), help="with --factor: the design (default ofat)")
        sub.add_argument(
            "--seeds",
            type=seed_count,
            help="seeds per variant, or auto: each level trains seeds until "
            "it is decided better, worse or equivalent (default: the ablation's)",
        )
        sub.add_argument(
            "--rope",
            type=float,
            help="with --seeds auto: margin of practical equivalence in accuracy points (default 0.5)",
        )
        sub.add_argument(
            "--alpha",
            type=float,
            help="with --seeds auto: chance of any false decision in the family --family names (default 0.05)",
        )
        sub.add_argument("--min-seeds", type=int, help="with --seeds auto: seeds every level starts with (default 3)")
        sub.add_argument("--max-seeds", type=int, help="with --seeds auto: most seeds a level gets (default 10)")
        sub.add_argument(
            "--family",
            help="with --seeds auto: what --alpha covers, study (every decision of the study, the default) or "
            "comparison (each factor's decisions on their own)",
        )
        sub.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a base Config field, e.g. --set batch_size=64 (repeatable)",
        )
        if name in ("run", "search"):
            sub.add_argument(
                "--workers",
                type=worker_count,
                default=1,
                help="worker processes on this machine sharing the storage, each with its share of "
                "the CPU cores (per GPU with --gpus; default 1)",
            )
            sub.add_argument(
                "--gpus",
                type=gpu_list,
                metavar="LIST",
                help="GPU indices, e.g. 0,1: one worker (or --workers per GPU) on each",
            )
            sub.add_argument(
                "--recycle-mb",
                type=megabytes,
                default=DEFAULT_RECYCLE_MB,
                metavar="MB",
                help="restart a worker process between trials once its memory grew by MB since its "
                f"lowest after a trial (TensorFlow leaks a few MB per trial); 0 = never (default "
                f"{DEFAULT_RECYCLE_MB})",
            )
            sub.add_argument(
                "--track",
                action="append",
                metavar="TRACKER",
                help="also log the study to a tracker, as each cell finishes: mlflow[=URI], wandb[=[ENTITY/]PROJECT] "
                "or tensorboard=DIR (repeat for several): a parent run per study, a run per cell, the answer",
            )
            sub.add_argument(
                "--no-reuse",
                action="store_true",
                help="train every cell, even one whose twin (same Config, seed, data and code) finished in another "
                "study of the storage (by default it takes that result: no cell is trained twice)",
            )
            sub.add_argument(
                "--fuse",
                type=fuse_choice,
                default="auto",
                metavar="auto|off|K",
                help="train K cells side by side, every call stepping each of them (same data and batch size; a cell's "
                "weights and history are those it has alone; on a GPU, K is bounded by its memory); auto (default) "
                "fuses where it measured faster (see the performance page, 'Cells side by side'), off trains one "
                "cell at a time",
            )
            sub.add_argument("--tensorboard", dest="old_tensorboard", help=argparse.SUPPRESS)  # refused: --track
            sub.add_argument(CARRIED, type=carried_state, default={}, help=argparse.SUPPRESS)
            _launcher_arguments(sub)
        if name in ("show", "search"):
            sub.add_argument(
                "--n-trials",
                type=int,
                help="search budget, per level in a nested design, counted across restarts (default: the ablation's)",
            )
            sub.add_argument("--sampler", choices=SAMPLERS, help="Optuna sampler (default: the ablation's)")
            sub.add_argument("--pruner", choices=PRUNERS, help="pruner of search trials (default: the ablation's)")
        sub.set_defaults(handler=handlers[name])
    status = commands.add_parser("status", help="show cells, statistics against the base and warnings")
    _study_arguments(status)
    status.add_argument("--test", choices=("t", "wilcoxon"), default="t", help="paired test against the base level")
    status.set_defaults(handler=handlers["status"])
    best = commands.add_parser("best", help="print the best configuration as --set overrides")
    _study_arguments(best)
    best.set_defaults(handler=handlers["best"])
    export = commands.add_parser(
        "export", help="write one row per cell: factor columns, seed, pair, status and metrics (tidy)"
    )
    _study_arguments(export)
    export.add_argument("--format", choices=("csv", "parquet"), default="csv")
    export.add_argument("--out", help="output file (default runs/exports/STUDY_NAME.csv|parquet)")
    export.add_argument(
        "--history", action="store_true", help="also write every epoch's metrics as a long table (OUT_history.csv)"
    )
    export.add_argument(
        "--trials",
        action="store_true",
        help="instead, every trial of the study and its searches as Optuna gives them (params_*, user_attrs_*)",
    )
    export.add_argument(
        "--to",
        action="append",
        metavar="TRACKER",
        help="instead of a file, back-fill a tracker from the database: mlflow[=URI], wandb[=[ENTITY/]PROJECT] or "
        "tensorboard=DIR (what it already holds is not written twice)",
    )
    export.set_defaults(handler=handlers["export"])
    recover = commands.add_parser("recover", help="list running trials; re-queue those whose worker is gone")
    _study_arguments(recover)
    recover.add_argument(
        "--grace",
        type=float,
        default=None,
        help="seconds without heartbeat after which a running trial is stale (default 120)",
    )
    recover.set_defaults(handler=handlers["recover"])
    report = commands.add_parser("report", help="render the figure report from the study database")
    _study_arguments(report)
    report.add_argument("--out", help="output directory (default runs/reports/STUDY_NAME)")
    report.add_argument(
        "--format",
        choices=("html", "pdf"),
        default="html",
        help="html: index.html with PNG figures; pdf: one multi-page report.pdf",
    )
    report.add_argument("--svg", action="store_true", help="also write every figure as SVG (html format)")
    report.set_defaults(handler=handlers["report"])
    serve = commands.add_parser("serve", help="serve the storage through Optuna's gRPC proxy (no authentication)")
    serve.add_argument(
        "--storage",
        default=None,
        help=f"the storage to serve (default ${ENV}, else sqlite:///runs/studies.db); not a journal file",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only, reach it over an SSH tunnel)",
    )
    serve.add_argument("--port", type=int, required=True, help="port to listen on")
    serve.set_defaults(handler=handlers["serve"])
    for sub in commands.choices.values():  # --verbose after the command too
        sub.add_argument("--verbose", **verbose, default=argparse.SUPPRESS)
    return top


def _launcher_arguments(sub):
    """run/search on a cluster (workers/launchers.py): --workers N workers as a SLURM job array or Ray tasks."""
    group = sub.add_argument_group(
        "launchers",
        "start the --workers N workers on a cluster instead of this "
        "machine; the storage must be shareable (postgresql:// or grpc://)",
    )
    group.add_argument(
        "--launcher",
        choices=LAUNCHERS,
        help="slurm: one job array through submitit; ray: Ray tasks on the cluster at --address",
    )
    group.add_argument("--address", help="Ray: the cluster's address, e.g. 10.0.0.1:6379 or auto")
    group.add_argument("--partition", help="SLURM: the partition to submit to (default: the cluster's)")
    group.add_argument(
        "--time",
        type=minutes,
        metavar="MINUTES",
        help="SLURM: time limit of each array task "
        f"(default {DEFAULT_MINUTES}); a task at its limit is requeued and resumes",
    )
    group.add_argument("--cpus-per-worker", type=cpu_count, metavar="N", help="CPUs of each worker (default 1)")
    group.add_argument("--gpus-per-worker", type=gpu_count, metavar="N", help="GPUs of each worker (default 0)")
    group.add_argument(
        "--slurm-logs",
        metavar="DIR",
        help="SLURM: where the array tasks' logs go (default runs/slurm/STUDY_NAME; on a file system the nodes share)",
    )
    group.add_argument(
        "--print-sbatch",
        action="store_true",
        help="SLURM: print an equivalent sbatch script and exit without submitting",
    )


def _study_arguments(sub):
    sub.add_argument(
        "name", metavar="NAME", help="a named ablation (see `ablation-suite list`) or an ablation file's path"
    )
    sub.add_argument(
        "--storage",
        default=None,
        help=f"Optuna storage URL (default ${ENV}, else "
        "sqlite:///runs/studies.db); shown and recorded with its password masked",
    )
    sub.add_argument("--study-name", default=None, help="study name in the storage (default: the ablation's name)")


def seed_count(text: str) -> int | str:
    """--seeds: a whole number, or "auto"."""
    if text == AUTO:
        return AUTO
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a number of seeds nor {AUTO!r}") from None


def fuse_choice(text: str) -> str:
    """--fuse's value (loops.fusing.parse), refused by argparse with the choices."""
    try:
        return fusing.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
