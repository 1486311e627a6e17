"""Several workers of one `run`/`search` command on one machine (``--workers N``, ``--gpus 0,1``).

The process the user started is worker 0; it starts the others as copies of its own command line
(without these options) on the same storage, which already shares cells safely between workers. The
storage reaches them, and worker 0 when it restarts itself, through the environment (``serve``'s
``env``), never on a command line, where every user of the machine could read its password in ``ps``.
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

from ablation_suite.workers.devices import physical_id

# Removed from the command line of the extra and restarted workers (--storage travels in their environment).
OPTIONS = ("--workers", "--gpus", "--carried", "--storage")


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
carried_state = json.loads  # argparse type of the hidden --carried option (run_workers() writes it)


def gpu_list(text: str) -> list[int]:
    """argparse type of --gpus: comma-separated distinct GPU indices, e.g. "0,1"."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() for part in parts):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of GPU indices; write comma-separated "
            "numbers as nvidia-smi shows them, for example --gpus 0,1"
        )
    gpus = [int(part) for part in parts]
    if len(set(gpus)) != len(gpus):
        raise argparse.ArgumentTypeError(f"{text!r} lists a GPU twice; use --workers N to run N workers per GPU")
    return gpus


def worker_plans(workers: int, gpus: list[int] | None, cores: list[int], visible: str | None = None) -> list[dict]:
    """Environment and CPU cores of each worker: ``workers`` in all, or ``workers`` per GPU with ``gpus``.

    Threads are cores // workers (at least 1); workers are pinned to disjoint cores when each can
    have one, otherwise they share all cores with fewer threads each. GPU indices count the GPUs
    TensorFlow sees in this environment (workers.devices.check_gpus checks them): with ``visible`` (the
    CUDA_VISIBLE_DEVICES this command was started with, e.g. by a cluster scheduler) GPU i is its i-th entry.
    """
    total = workers * len(gpus) if gpus else workers
    threads = max(1, len(cores) // total)
    plans = []
    for index in range(total):
        env = {
            "TF_NUM_INTRAOP_THREADS": str(threads),
            "TF_NUM_INTEROP_THREADS": str(min(threads, 2)),
            "OMP_NUM_THREADS": str(threads),
        }
        if gpus:
            env["CUDA_VISIBLE_DEVICES"] = physical_id(gpus[index // workers], visible)
            # TensorFlow takes nearly all of a GPU's memory up front; growing on demand lets several
            # workers share one GPU.
            env["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
        pinned = cores[index * threads : (index + 1) * threads] if total <= len(cores) else list(cores)
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


def start(command: list[str], workers: list[dict], env: dict | None = None) -> list[subprocess.Popen]:
    """Start the extra workers, each running ``command`` as the given worker with ``env`` added to its
    environment; output goes to ours."""
    return [subprocess.Popen(command, **as_worker(worker, env)) for worker in workers]


def as_worker(worker: dict, env: dict | None = None) -> dict:
    """subprocess keyword arguments that make the child the given worker: its environment (plus ``env``) and cores."""
    return {"env": {**os.environ, **(env or {}), **worker["env"]}, "preexec_fn": _pinning(worker["cores"])}


def stop(workers: list[subprocess.Popen]) -> None:
    """End extra workers started by ``start`` (used when this worker's own validation fails)."""
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait()


def _pinning(cores):
    return (lambda: os.sched_setaffinity(0, cores)) if hasattr(os, "sched_setaffinity") else None


def without_worker_options(argv: list[str], extra: tuple = ()) -> list[str]:
    """The command line minus --workers/--gpus/--carried/--storage and the ``extra`` options that take a value
    (as "--opt VALUE" or "--opt=VALUE", also abbreviated as argparse accepts, e.g. --sto)."""

    def ours(arg: str) -> bool:
        name = arg.split("=", 1)[0]
        return arg.startswith("--") and len(name) > 2 and any(option.startswith(name) for option in (*OPTIONS, *extra))

    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif ours(arg):
            skip = "=" not in arg
        else:
            kept.append(arg)
    return kept


def run_workers(
    command: list[str], plans: list[dict], carried: dict, prepare, work, log=print, env: dict | None = None
) -> tuple[dict, list[int]]:
    """Run this worker with its extra workers: the one place that spawns, adopts and restarts them.

    ``command`` starts a worker (without --workers/--gpus/--storage); ``env`` (the storage, as
    ``ABLATION_STORAGE``) is added to the environment of the extra workers and of this worker's restarts;
    ``plans[0]`` is this worker (pinned when there are others or GPUs), ``plans[1:]`` the extra workers,
    started at once so their TensorFlow start-up overlaps ours; ``prepare()`` validates before any
    training (the extra workers are stopped if it fails: they would fail the same way). ``work()``
    returns (counts, restart reason); with a reason this process re-executes itself as ``command`` with
    what it carries (the extra workers' PIDs and its counts so far), and the new process, given them as
    ``carried``, adopts the extra workers instead of starting them. Returns this worker's counts over
    its restarts and the extra workers' exit codes.
    """
    if carried:  # validated, pinned and with its extra workers started before the restart
        extra = [Adopted(pid) for pid in carried["extra"]]
    else:
        if len(plans) > 1 or "CUDA_VISIBLE_DEVICES" in plans[0]["env"]:
            become(plans[0])  # before prepare() initialises TensorFlow with this worker's threads
        extra = start(command, plans[1:], env)
        try:
            prepare()
        except BaseException:
            stop(extra)
            raise
    counts, reason = work()
    counts = {outcome: carried.get("counts", {}).get(outcome, 0) + n for outcome, n in counts.items()}
    if reason:
        log(f"restarting this worker to hand its memory back: {reason}", flush=True)
        restart([*command, CARRIED, json.dumps({"extra": [worker.pid for worker in extra], "counts": counts})], env)
    return counts, [worker.wait() for worker in extra]


CARRIED = "--carried"  # the hidden option that hands a restarted worker what its previous process knew
# The command the user typed (password masked), in the environment of the extra workers and of restarts: whichever
# worker creates the study records it, not its own command line (which lacks --workers and --storage).
COMMAND_ENV = "ABLATION_COMMAND"


def restart(command: list[str], env: dict | None = None) -> None:
    """Replace this process by a fresh run of ``command`` with ``env`` added to its environment (same PID, so
    the extra workers stay its children)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, {**os.environ, **(env or {})})


class Adopted:
    """An extra worker started by this process before it was re-executed (a child, known by PID)."""

    def __init__(self, pid: int):
        self.pid = pid

    def wait(self) -> int:
        return os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])

    def terminate(self) -> None:
        os.kill(self.pid, signal.SIGTERM)
