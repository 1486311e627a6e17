"""One `study.py run` as a whole process, with a perf counter around each step of its fixed cost.

``python benchmarks/short_trials_probe.py OUT.json LAUNCHED study.py-arguments...`` (LAUNCHED: the parent's
``time.time()`` just before it started this process) runs study.py as ``python study.py ARGUMENTS`` would
(``runpy``, the ending of its ``__main__`` included) after timing the
suite's imports and TensorFlow's, with every step listed in ``STEPS`` wrapped in a counter (the real
functions run; only their time is taken) and a Keras callback timing each call into the compiled train
and validation functions. It writes the seconds per step and per trial to OUT.json (benchmarks/short_trials.py
turns them into the fixed-cost breakdown). Counters cost microseconds per call, against steps of
tens of milliseconds and more.
"""

import time

ENTERED = time.time()

import importlib  # noqa: E402
import json  # noqa: E402
import runpy  # noqa: E402
import sys  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository

# (module, attribute, step): what each counter measures. Nested steps are counted in their parent too.
STEPS = (
    ("ablation_suite.store.resume", "check_resumable", "check resumable"),
    ("ablation_suite.cli.console", "device_line", "describe the device"),
    ("ablation_suite.workers.preflight", "preflight", "preflight"),
    ("ablation_suite.workers.preflight", "_build", "preflight: network builds"),
    ("ablation_suite.store.resume", "create_or_resume", "create the study"),
    ("ablation_suite.loops.runner", "run_cells", "trial loop"),
    ("ablation_suite.loops.runner", "run_trial", "trial"),
    ("ablation_suite.store.record", "record_worker", "record: worker"),
    ("ablation_suite.training.trainer", "train", "train"),
    ("ablation_suite.training.trainer", "load_data", "data: load and split"),
    ("ablation_suite.training.trainer", "build_model", "build the network"),
    ("ablation_suite.training.trainer", "compile_model", "compile"),
    ("keras.Model", "fit", "fit"),
    ("ablation_suite.training.trainer", "evaluate", "evaluation passes"),
    ("ablation_suite.training.trainer", "confusion_matrix", "confusion matrix"),
    ("ablation_suite.training.trainer", "parameters", "count parameters"),
    ("ablation_suite.store.record", "record_result", "record: result"),
    ("optuna.Study", "tell", "record: tell Optuna"),
)
SECONDS = defaultdict(list)  # step -> seconds of each call
EXECUTIONS = []  # per fit: seconds of each call into the train function, and the validation pass


def counted(function, step):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SECONDS[step].append(time.perf_counter() - started)

    wrapper.__wrapped__ = function
    return wrapper


def install():
    for module, attribute, step in STEPS:
        owner = _owner(module)
        setattr(owner, attribute, counted(getattr(owner, attribute), step))
    trainer = importlib.import_module("ablation_suite.training.trainer")
    train = trainer.train.__wrapped__

    def train_with_timer(*args, callbacks=(), **kwargs):
        return train(*args, callbacks=[*callbacks, ExecutionTimer()], **kwargs)

    trainer.train = counted(train_with_timer, "train")


def _owner(dotted: str):
    """The module, or the class inside a module (``keras.Model``), that holds the attribute."""
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError:
        module, name = dotted.rsplit(".", 1)
        return getattr(importlib.import_module(module), name)


def execution_timer_class():
    import keras

    class ExecutionTimer(keras.callbacks.Callback):
        """Seconds of every call into the compiled train function (steps_per_execution batches each) and of the
        validation pass that ends each epoch."""

        def on_train_begin(self, logs=None):
            self.calls, self.validation = [], []
            EXECUTIONS.append({"train_calls": self.calls, "validation": self.validation})

        def on_train_batch_begin(self, batch, logs=None):
            self.started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.calls.append(time.perf_counter() - self.started)

        def on_test_begin(self, logs=None):
            self.validating = time.perf_counter()

        def on_test_end(self, logs=None):
            self.validation.append(time.perf_counter() - self.validating)

    return ExecutionTimer


def main(out: str, launched: float, argv: list[str]) -> int:
    marks = {"python start-up": ENTERED - launched}
    started = time.perf_counter()
    from ablation_suite.cli import main as study  # the suite's imports, as `python study.py` makes them
    from ablation_suite.training.quiet import prepare_tensorflow

    marks["suite imports"] = time.perf_counter() - started
    prepare_tensorflow()
    started = time.perf_counter()
    import keras  # noqa: F401  (TensorFlow and Keras, which the run loads later anyway)
    import tensorflow  # noqa: F401

    marks["tensorflow import"] = time.perf_counter() - started
    global ExecutionTimer
    ExecutionTimer = execution_timer_class()
    install()
    started = time.perf_counter()
    sys.argv = [study.__file__, *argv]
    try:  # study.py as `python study.py ARGS` runs it, its ending included
        runpy.run_path(study.__file__, run_name="__main__")
    except SystemExit as stop:
        marks["study.main"] = time.perf_counter() - started
        Path(out).write_text(
            json.dumps(
                {"marks": marks, "steps": SECONDS, "executions": EXECUTIONS, "ended": time.time(), "status": stop.code}
            )
        )
        raise


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), sys.argv[3:])
