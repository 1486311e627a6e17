"""Several workers of one `run`/`search` command on one machine (``--workers N``, ``--gpus 0,1``).

The process the user started is worker 0; it starts the others as copies of its own command line
(without these options) on the same storage, which already shares cells safely between workers.
Each worker gets its own share of the hardware through environment variables that TensorFlow reads
when it initialises: a slice of the CPU cores (intra-/inter-op threads, pinned to those cores where
there are enough) and, with ``--gpus``, one GPU through CUDA_VISIBLE_DEVICES.
"""

from __future__ import annotations

import argparse
import os
import subprocess

OPTIONS = ("--workers", "--gpus")  # removed from the command line of the extra workers


def worker_count(text: str) -> int:
    """argparse type of --workers: a whole number >= 1."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; give how many worker processes "
                                         "to run, for example --workers 2") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"{count} must be at least 1 (1 = this process only)")
    return count


def gpu_list(text: str) -> list[int]:
    """argparse type of --gpus: comma-separated distinct GPU indices, e.g. "0,1"."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() for part in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of GPU indices; write comma-separated "
                                         "numbers as nvidia-smi shows them, for example --gpus 0,1")
    gpus = [int(part) for part in parts]
    if len(set(gpus)) != len(gpus):
        raise argparse.ArgumentTypeError(f"{text!r} lists a GPU twice; use --workers N to run N workers per GPU")
    return gpus


def plan(workers: int, gpus: list[int] | None, cores: list[int]) -> list[dict]:
    """Environment and CPU cores of each worker: ``workers`` in all, or ``workers`` per GPU with ``gpus``.

    Threads are cores // workers (at least 1); workers are pinned to disjoint cores when each can
    have one, otherwise they share all cores with fewer threads each.
    """
    total = workers * len(gpus) if gpus else workers
    threads = max(1, len(cores) // total)
    plans = []
    for index in range(total):
        env = {"TF_NUM_INTRAOP_THREADS": str(threads), "TF_NUM_INTEROP_THREADS": str(min(threads, 2)),
               "OMP_NUM_THREADS": str(threads)}
        if gpus:
            env["CUDA_VISIBLE_DEVICES"] = str(gpus[index // workers])
        pinned = cores[index * threads:(index + 1) * threads] if total <= len(cores) else list(cores)
        plans.append({"env": env, "cores": pinned})
    return plans


def available_cores() -> list[int]:
    """The CPU cores this process may run on."""
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))


def become(worker: dict) -> None:
    """Make this process the given worker; must run before TensorFlow initialises to take effect."""
    os.environ.update(worker["env"])
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, worker["cores"])


def start(command: list[str], workers: list[dict]) -> list[subprocess.Popen]:
    """Start the extra workers, each running ``command`` as the given worker; output goes to ours."""
    return [subprocess.Popen(command, env={**os.environ, **worker["env"]},
                             preexec_fn=_pinning(worker["cores"])) for worker in workers]


def stop(workers: list[subprocess.Popen]) -> None:
    """End extra workers started by ``start`` (used when this worker's own validation fails)."""
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait()


def _pinning(cores):
    return (lambda: os.sched_setaffinity(0, cores)) if hasattr(os, "sched_setaffinity") else None


def without_worker_options(argv: list[str]) -> list[str]:
    """The command line minus --workers/--gpus (either as "--opt VALUE" or "--opt=VALUE")."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in OPTIONS:
            skip = True
        elif not arg.startswith(tuple(option + "=" for option in OPTIONS)):
            kept.append(arg)
    return kept
