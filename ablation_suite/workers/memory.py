"""Worker recycling: a worker's resident memory after each trial, and when to restart it between trials.

The trainer frees the trial graphs TensorFlow would keep (training/trainer.py), but a process can
still grow, e.g. through a TensorFlow version or a model that leaks in new ways, and a long study
must not take the machine's memory. A worker therefore re-executes itself between trials once its
memory would grow past a limit (workers.processes.run_workers does the restart); everything it knows is in
the storage, so the fresh process simply resumes the study.
"""

from __future__ import annotations

import gc
import os
import sys

DEFAULT_RECYCLE_MB = 100


class MemoryWatch:
    """Resident memory of this process after each of its trials, against its lowest after a trial.

    The trial loops call ``record`` after every trial (stored with the trial) and ``restart_reason``
    between trials; a non-empty reason makes them stop and return it. A trial after which the worker keeps
    more networks for re-use than ever before (training.reuse: their graphs and variables, growth by
    design and bounded) becomes the new reference, so that growth never restarts a worker (a restart
    would drop them). So does a trial after which memory is lower than the reference's: a process hands
    memory back now and then (the first trial's tracing peak, freed later), and growth measured from a
    peak would hide a leak that starts below it."""

    def __init__(self, limit_mb: float = 0):
        self.limit_mb, self.trials, self.first_mb = limit_mb, 0, None  # limit 0 = never restart
        self.first_trial, self.most_kept = 0, 0  # the reference trial; the most networks kept after a trial

    def record(self, kept: int = 0) -> dict:
        """Count a finished trial; its number in this process, the resident memory now and the ``kept`` networks
        (training.caches.Caches.kept_networks)."""
        self.trials += 1
        rss = resident_mb()
        if self.first_mb is None or kept > self.most_kept or rss < self.first_mb:
            self.first_mb, self.first_trial, self.most_kept = rss, self.trials, max(kept, self.most_kept)
        return {"process_trial": self.trials, "rss_mb": round(rss, 1), "kept_networks": kept}

    def restart_reason(self) -> str:
        """Why this worker should restart before its next trial ("" when it need not): one more trial
        would likely take its memory past the limit."""
        if not self.limit_mb or self.trials <= self.first_trial:
            return ""
        growth = resident_mb() - self.first_mb
        per_trial = max(growth, 0.0) / (self.trials - self.first_trial)
        if growth + per_trial > self.limit_mb:
            return (
                f"resident memory grew {growth:.0f} MB over {self.trials - self.first_trial + 1} trials "
                f"(limit {self.limit_mb:g} MB, --recycle-mb)"
            )
        return ""


def resident_mb() -> float:
    """This process's resident memory now (Linux /proc; elsewhere the peak so far, from getrusage)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB elsewhere


def freeze_start_up() -> None:
    """Take what start-up loaded (TensorFlow, Keras, Optuna, scikit-learn: millions of objects that live as long
    as the process) out of the garbage collector's sight (``gc.freeze``).

    A full collection walks every tracked object: with TensorFlow loaded one takes 0.3-1 s on 2 cores, and
    short trials trigger several each (tracing allocates heavily); the benchmark measured 7 s of full
    collections in a 4-trial run, 0.7 s once frozen. Python's exit runs them too (1.5 s of a run's end).
    Called in a process of its own command, once TensorFlow is loaded and before any model is built, so no
    model is ever frozen: what becomes garbage later is collected as before.
    """
    import keras  # noqa: F401  (the trainer's modules, loaded now so they are frozen with the rest)

    import ablation_suite.training.trainer  # noqa: F401

    gc.freeze()
