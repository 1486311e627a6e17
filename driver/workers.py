"""Several workers of one `run`/`search` command on one machine (``--workers N``, ``--gpus 0,1``).

The process the user started is worker 0; it starts the others as copies of its own command line
(without these options) on the same storage, which already shares cells safely between workers.
Each worker gets its own share of the hardware through environment variables that TensorFlow reads
when it initialises: a slice of the CPU cores (intra-/inter-op threads, pinned to those cores where
there are enough) and, with ``--gpus``, one GPU through CUDA_VISIBLE_DEVICES.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys

OPTIONS = ("--workers", "--gpus")  # removed from the command line of the extra workers


def number_option(convert, minimum, what: str, example: str, meaning: str):
    """An argparse type: a number (``convert``: int or float) at least ``minimum``; errors say what it is."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}, for example {example}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text} must be at least {minimum} ({meaning})")
        return value
    return parse


worker_count = number_option(int, 1, "a whole number of worker processes", "--workers 2", "1 = this process only")
megabytes = number_option(float, 0, "a number of megabytes", "--recycle-mb 200", "0 = never restart a worker")


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
            # TensorFlow takes nearly all of a GPU's memory up front; growing on demand lets several
            # workers share one GPU.
            env["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
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
    return [subprocess.Popen(command, **as_worker(worker)) for worker in workers]


def as_worker(worker: dict) -> dict:
    """subprocess keyword arguments that make the child the given worker: its environment and cores."""
    return {"env": {**os.environ, **worker["env"]}, "preexec_fn": _pinning(worker["cores"])}


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


# Recycling. The trainer frees the trial graphs TensorFlow would keep (training/trainer.py), but a
# process can still grow, e.g. through a TensorFlow version or a model that leaks in new ways, and a
# long study must not take the machine's memory. A worker therefore re-executes itself between
# trials once its memory grew past a limit; everything it knows is in the storage, so the fresh
# process simply resumes the study, and the same PID keeps the children.
RECYCLED_ENV = "ABLATION_RECYCLED"  # JSON set on a re-executed worker: its extra workers' PIDs, counts so far
DEFAULT_RECYCLE_MB = 100


class RecycleWorker(BaseException):
    """Raised by the trial loops between trials when this worker should restart. A BaseException, so
    that no ``except Exception`` takes it for a failed trial."""


class MemoryWatch:
    """Resident memory of this process after each of its trials, against its first trial's."""

    def __init__(self, limit_mb: float = 0):
        self.reset(limit_mb)

    def reset(self, limit_mb: float) -> None:
        """Start over with a new limit (0 = never restart)."""
        self.limit_mb, self.trials, self.first_mb = limit_mb, 0, None

    def record(self) -> dict:
        """Count a finished trial; its number in this process and the resident memory now."""
        self.trials += 1
        rss = resident_mb()
        self.first_mb = rss if self.first_mb is None else self.first_mb
        return {"process_trial": self.trials, "rss_mb": round(rss, 1)}

    def check(self) -> None:
        """Raise RecycleWorker if one more trial would likely take memory past the limit (0 = never)."""
        if not self.limit_mb or self.trials < 2:
            return
        growth = resident_mb() - self.first_mb
        per_trial = max(growth, 0.0) / (self.trials - 1)
        if growth + per_trial > self.limit_mb:
            raise RecycleWorker(f"resident memory grew {growth:.0f} MB over {self.trials} trials (limit "
                                f"{self.limit_mb:g} MB, --recycle-mb)")


MEMORY = MemoryWatch()  # one per process: the trial loops record into it; `study.py run` sets a limit


def resident_mb() -> float:
    """This process's resident memory now (Linux /proc; elsewhere the peak so far, from getrusage)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB elsewhere


def recycled() -> dict:
    """What a re-executed worker carried over: {"extra": [PIDs], "counts": {...}}, or {} in a fresh one."""
    return json.loads(os.environ.get(RECYCLED_ENV, "{}"))


def restart(command: list[str], extra: list, counts: dict) -> None:
    """Replace this process by a fresh run of ``command``; it waits for ``extra`` and adds ``counts``."""
    os.environ[RECYCLED_ENV] = json.dumps({"extra": [worker.pid for worker in extra], "counts": counts})
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)


class Adopted:
    """An extra worker started by this process before it was re-executed (a child, known by PID)."""

    def __init__(self, pid: int):
        self.pid = pid

    def wait(self) -> int:
        return os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])

    def terminate(self) -> None:
        os.kill(self.pid, signal.SIGTERM)
