"""Performance knobs train for real on CPU, worker options are validated and wired, the benchmark runs."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from common import REPO

from ablation_suite.cli import main as study
from ablation_suite.config import Config, ConfigError
from ablation_suite.training.caches import Caches
from ablation_suite.training.data import load_data
from ablation_suite.training.trainer import build_model, compile_model, train
from ablation_suite.workers import processes as workers
from ablation_suite.workers.memory import MemoryWatch

TINY = Config(dataset="digits", train_size=100, model="baseline1", batch_size=16)


@pytest.mark.parametrize("precision, compute_dtype", [("mixed_float16", "float16"), ("mixed_bfloat16", "bfloat16")])
def test_precision_knob_trains_a_step(precision, compute_dtype):
    config = TINY.replace(precision=precision)
    data = load_data(config)
    model = build_model(config, data)
    compile_model(model, config, steps_per_epoch=1)
    labels = keras.utils.to_categorical(data.y_train[:16], data.num_classes)  # the trainer's one-hot labels
    metrics = model.train_on_batch(data.x_train[:16], labels, return_dict=True)
    assert np.isfinite(metrics["loss"])
    assert model.get_layer("stage1_1_conv").compute_dtype == compute_dtype
    assert model.output.dtype == "float32"  # logits stay float32 for a stable loss
    assert keras.mixed_precision.global_policy().name == "float32"  # the next model starts from float32
    if precision == "mixed_float16":  # Keras scales the loss itself so float16 gradients do not underflow
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)


def test_xla_knob_trains_a_step_with_xla():
    """In a fresh process: op determinism, switched on for good by an earlier deterministic trial in this
    test process, makes Keras drop XLA."""
    probe = textwrap.dedent("""
        import sys
        import keras
        from ablation_suite.config import Config
        from ablation_suite.training.data import load_data
        from ablation_suite.training.trainer import build_model, compile_model
        config = Config(dataset="digits", train_size=100, model="baseline1", batch_size=16, jit_compile=True)
        data = load_data(config)
        model = build_model(config, data)
        compile_model(model, config, steps_per_epoch=1)
        labels = keras.utils.to_categorical(data.y_train[:16], data.num_classes)
        loss = model.train_on_batch(data.x_train[:16], labels, return_dict=True)["loss"]
        print(model.jit_compile, float(loss))
    """)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    )
    assert done.returncode == 0, done.stderr[-3000:]
    jit, loss = done.stdout.split()[-2:]
    assert jit == "True" and np.isfinite(float(loss))


@pytest.mark.parametrize(
    "changes, named",
    [
        (dict(precision="float16"), "mixed_bfloat16"),
        (dict(steps_per_execution=0), "steps_per_execution=0"),
        (dict(jit_compile=True, deterministic=True), "set one of them"),
    ],
)
@pytest.mark.unit
def test_bad_performance_knobs_are_refused(changes, named):
    with pytest.raises(ConfigError, match=named):
        TINY.replace(**changes)


@pytest.mark.parametrize(
    "option, message",
    [
        (["--workers", "0"], "0 must be at least 1"),
        (["--workers", "two"], "'two' is not a whole number"),
        (["--gpus", "0,a"], "not a list of GPU indices"),
        (["--gpus", "1,1"], "lists a GPU twice"),
        (["--recycle-mb", "-5"], "must be at least 0"),
        (["--recycle-mb", "lots"], "'lots' is not a number of megabytes"),
    ],
)
def test_bad_worker_options_exit_2(option, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        study.main(["run", "bn_placement", *option])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_a_finished_trial_leaves_no_traced_graph_alive_but_those_of_the_networks_kept_for_reuse(monkeypatch):
    # TensorFlow keeps a custom-gradient closure, and with it the whole training graph, per traced train
    # step (10-15 MB a trial); the trainer drops the ones it registered. The graphs of the compiled models kept
    # for later cells (training.reuse) stay, as many networks as ABLATION_REUSE_TRACES says.
    import gc

    from tensorflow.python.framework import ops
    from tensorflow.python.framework.func_graph import FuncGraph

    def custom_gradients():
        return {name for name in ops._gradient_registry._registry if name.startswith("CustomGradient-")}

    def graphs():
        gc.collect()
        return sum(isinstance(graph, FuncGraph) for graph in gc.get_objects())

    caches = Caches()  # what a worker holds between its trials
    monkeypatch.setenv("ABLATION_REUSE_TRACES", "1")
    before, graphs_before = custom_gradients(), graphs()
    train(TINY.replace(epochs=1), log=lambda *_: None, caches=caches)
    train(TINY.replace(epochs=1, bn="after"), log=lambda *_: None, caches=caches)
    assert custom_gradients() == before
    assert [dict(key[0])["bn"] for key in caches.compiled.entries] == ["after"]  # one network kept: the last one
    del caches  # the worker is done: its networks go with it
    assert graphs() <= graphs_before


@pytest.mark.unit
def test_memory_watch_asks_for_a_restart_before_the_limit_is_crossed():
    watch = MemoryWatch(limit_mb=40)
    assert watch.record()["process_trial"] == 1
    watch.record()
    before = watch.record()["rss_mb"]
    assert watch.restart_reason() == ""  # no growth to speak of
    ballast = b"\x01" * (64 << 20)  # 64 MB really resident, as a leak would be
    # (measured from the record just before it: memory the process handed back since its first trial, e.g.
    # another test's, may have moved the first record's figure)
    assert watch.record()["rss_mb"] >= before + 60
    assert "limit 40 MB" in watch.restart_reason()
    never = MemoryWatch(limit_mb=0)
    never.first_mb, never.trials = 0.0, 5  # as if it had grown by all this process's memory
    assert never.restart_reason() == ""
    del ballast


@pytest.mark.unit
def test_memory_handed_back_lowers_the_reference_so_a_later_leak_still_counts(monkeypatch):
    """Resident memory read as a process reports it: a first trial's peak, memory handed back, then a leak. (The
    real reading is the test above's; here the figures are given, as a freed ballast may be re-used in place.)"""
    readings = iter([500.0, 100.0, 100.0, 150.0, 150.0])  # after trials 1-3, and at each restart_reason
    monkeypatch.setattr("ablation_suite.workers.memory.resident_mb", lambda: next(readings))
    watch = MemoryWatch(limit_mb=40)
    watch.record()  # 500 MB: the first trial's peak
    assert watch.record()["rss_mb"] == 100.0 and watch.first_trial == 2  # handed back: the new reference
    assert watch.restart_reason() == ""
    watch.record()  # 150 MB: grew 50 MB after the reference (from the first record it would be 350 MB below)
    assert "grew 50 MB" in watch.restart_reason() and "limit 40 MB" in watch.restart_reason()


def test_a_network_newly_kept_for_reuse_is_growth_that_never_restarts_a_worker():
    caches = Caches()
    watch = MemoryWatch(limit_mb=40)
    watch.record(), watch.record()  # two trials, no network kept
    ballast = [b"\x01" * (64 << 20)]  # 64 MB really resident, with the trial that keeps its network
    train(TINY.replace(epochs=1), log=lambda *_: None, caches=caches)
    assert watch.record(caches.kept_networks())["kept_networks"] == 1  # recorded with the trial
    assert len(caches.compiled.entries) == 1 and watch.restart_reason() == ""
    ballast.append(b"\x02" * (64 << 20))  # growth after it still counts
    watch.record(caches.kept_networks())
    assert "limit 40 MB" in watch.restart_reason()


@pytest.mark.unit
def test_workers_share_the_cores_and_get_one_gpu_each():
    two = workers.worker_plans(2, None, [0, 1])
    assert [w["cores"] for w in two] == [[0], [1]]
    assert all(w["env"]["TF_NUM_INTRAOP_THREADS"] == "1" and "CUDA_VISIBLE_DEVICES" not in w["env"] for w in two)
    per_gpu = workers.worker_plans(2, [3, 5], [0, 1, 2, 3])  # two workers on each of two GPUs
    assert [w["env"]["CUDA_VISIBLE_DEVICES"] for w in per_gpu] == ["3", "3", "5", "5"]
    assert all(w["env"]["TF_FORCE_GPU_ALLOW_GROWTH"] == "true" for w in per_gpu)  # two workers fit on one GPU
    assert [w["cores"] for w in per_gpu] == [[0], [1], [2], [3]]
    crowded = workers.worker_plans(3, None, [0, 1])  # more workers than cores: one thread each, no pinning
    assert all(w["cores"] == [0, 1] and w["env"]["OMP_NUM_THREADS"] == "1" for w in crowded)
    assert workers.without_worker_options(["run", "x", "--workers", "2", "--gpus=0,1", "--seeds", "2"]) == [
        "run",
        "x",
        "--seeds",
        "2",
    ]


@pytest.mark.unit
def test_a_started_worker_sees_its_gpu_threads_and_cores(capfd):
    """The environment wiring of --gpus on a machine without GPUs: the started process reports what it got."""
    plan = workers.worker_plans(1, [1], workers.available_cores())[0]
    probe = (
        "import os; print(os.environ['CUDA_VISIBLE_DEVICES'], os.environ['TF_NUM_INTRAOP_THREADS'], "
        "sorted(os.sched_getaffinity(0)))"
    )
    [process] = workers.start([sys.executable, "-c", probe], [plan])
    assert process.wait() == 0
    assert capfd.readouterr().out.split(None, 2) == [
        "1",
        plan["env"]["TF_NUM_INTRAOP_THREADS"],
        str(plan["cores"]) + "\n",
    ]


def test_quick_benchmark_writes_the_measurements_asked_for(tmp_path):
    """The smoke test runs the in-process measurements; the worker, memory and pruning runs (study.py
    processes and searches, minutes on 2 cores) are left to `make bench`, whose last results the next
    test renders."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    only = ("throughput", "fixed_cost", "precision", "pipeline", "folder_pipeline")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", ",".join(only), "--out", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "latest.json").read_text())
    for key in only:
        assert key in results and results["seconds"][key] > 0
    assert not {"workers", "memory", "pruning"} & set(results)
    assert results["machine"]["gpus"] == "no GPU" and results["machine"]["matmul_peak_gflops"] > 0
    rates = results["throughput"]["images_per_second"]
    assert rates["trainer"] > 0 and rates["augmented_in_pipeline"] > 0 and rates["augmented_in_train_step"] > 0
    text = (tmp_path / "latest.md").read_text()
    assert "| 7. input pipeline overhead |" in text and "| 3. parallel workers" not in text
    assert "| 1. augmentation `flip+shift+cutout`: in the tf.data pipeline vs in the train step |" in text
    streamed = results["folder_pipeline"]  # real PNG files, decoded once into the file cache, then streamed
    assert streamed["steady_epoch_seconds"]["streamed"] > 0 and "| 8. image folder streamed" in text
    # rounds of adjacent pairs of epochs, one per variant each: a round's overhead is the median over its three
    # blocks of two pairs, inside its bootstrap interval; the overhead is the median of the rounds'
    for found in (streamed, results["pipeline"]):
        assert len(found["rounds"]) == 2 and found["overhead"] == np.median([r["overhead"] for r in found["rounds"]])
        for each in found["rounds"]:
            assert [len(seconds) for seconds in each["epoch_seconds"].values()] == [found["pairs"]] * 2
            low, high = each["overhead_interval_95"]
            assert low <= each["overhead"] <= high


@pytest.mark.unit
def test_a_pipeline_row_kept_from_a_run_before_rounds_still_renders():
    from benchmarks.report import table

    results = json.loads((REPO / "benchmarks" / "results" / "latest.json").read_text())
    for name in ("pipeline", "folder_pipeline"):  # as a run of 2026-11-30 13:52 wrote them
        results[name] = {key: value for key, value in results[name].items() if key not in ("rounds", "cpu_overhead")}
        results[name]["overhead_interval_95"] = [0.04, 0.064]
    text = table(results)
    assert text.count("one run, before rounds were taken: 95% interval +4.0% to +6.4%") == 2


@pytest.mark.unit
def test_the_table_renders_every_measurement_of_the_last_full_run():
    from benchmarks.report import table

    results = json.loads((REPO / "benchmarks" / "results" / "latest.json").read_text())
    text = table(results)
    for number in range(1, 9):
        assert f"| {number}. " in text
    assert text.count("| 5. pruning (") == len(results["pruning"]["searches"]) - 1


@pytest.mark.parametrize("only", ["speed", "throughput,warp", ","])
def test_an_unknown_measurement_is_refused_with_the_valid_names(only, capsys):
    from benchmarks.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["--quick", "--only", only])
    assert exit_.value.code == 2 and "choose from: throughput, fixed_cost, workers" in capsys.readouterr().err


@pytest.mark.unit
def test_an_only_run_keeps_the_other_measurements_of_the_same_scale(tmp_path):
    """`python -m benchmarks --only X` replaces X in latest.json and keeps the rest, each with its date."""
    from benchmarks.__main__ import kept_with

    previous = tmp_path / "latest.json"
    previous.write_text(
        json.dumps(
            {
                "scale": "full",
                "date": "monday",
                "workers": {"speed_up": 1.1},
                "memory": {"growth_mb": 3},
                "seconds": {"workers": 5, "memory": 7, "total": 12},
            }
        )
    )
    now = {"scale": "full", "date": "tuesday", "memory": {"growth_mb": 4}, "seconds": {"memory": 8, "total": 8}}
    merged = kept_with(now, previous)
    assert merged["memory"] == {"growth_mb": 4} and merged["workers"] == {"speed_up": 1.1}
    assert merged["earlier"] == {"workers": "monday"} and merged["seconds"]["workers"] == 5
    assert kept_with({**now, "scale": "quick"}, previous) == {**now, "scale": "quick"}  # scales never mix
