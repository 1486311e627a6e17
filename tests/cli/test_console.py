"""The console says what matters: no TensorFlow C++ start-up lines unless --verbose, a run led by its study,
plan and device, the hardware recorded per trial, and --gpus refused when TensorFlow does not see the GPU.

The GPU paths run on this CPU machine with a stand-in for TensorFlow's device API (``FakeTF``)."""

import dataclasses
import os
import re
import subprocess
import sys
from types import SimpleNamespace

import optuna
import pytest
from common import REPO, TINY

from ablation_suite.cli import console
from ablation_suite.cli import main as study
from ablation_suite.store import provenance
from ablation_suite.training import quiet
from ablation_suite.workers import devices
from ablation_suite.workers import processes as workers

# What TensorFlow's C++ libraries write while they load (absl's format: severity, date, time, thread, file:line).
TF_LINE = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+:\d+\]|absl::InitializeLog|oneDNN|cuda|cpu_feature_guard", re.I | re.M
)


def study_py(*argv, env_changes=None):
    """study.py in a fresh process with TensorFlow's own log level unset (as a user's shell has it)."""
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, str(REPO / "study.py"), *argv],
        capture_output=True,
        text=True,
        env={**env, **(env_changes or {})},
        cwd=REPO,
        timeout=600,
    )


def test_show_prints_no_tensorflow_start_up_lines_unless_verbose():
    quiet = study_py("show", "bn_placement", "--dataset", "digits")
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert not TF_LINE.search(quiet.stderr) and not TF_LINE.search(quiet.stdout), quiet.stderr[-2000:]
    assert quiet.stderr == ""
    assert quiet.stdout.splitlines()[0].startswith("bn_placement: Where should batch normalisation sit")
    verbose = study_py("show", "bn_placement", "--dataset", "digits", "--verbose")  # the check above can fail
    assert verbose.returncode == 0 and TF_LINE.search(verbose.stderr)
    assert verbose.stdout == quiet.stdout


@pytest.mark.unit
def test_a_failing_import_shows_what_was_held(capfd):
    with quiet.stderr_held():
        os.write(2, b"start-up chatter\n")
    with pytest.raises(ImportError), quiet.stderr_held():
        os.write(2, b"why the import failed\n")
        raise ImportError("no tensorflow")
    err = capfd.readouterr().err
    assert "start-up chatter" not in err and "why the import failed" in err


def test_a_run_leads_with_study_plan_and_device_and_records_the_hardware(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert (
        study.main(["run", "bn_placement", *TINY[:4], "--seeds", "1", "--set", "train_size=200", "--storage", url]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0] == f"study bn_placement in {url}: Where should batch normalisation sit: nowhere, before the "
        "activation, or after it?"
    )
    assert lines[1] == "design: ofat, 3 variants x 1 seeds = 3 cells, 1 epoch each (up to 3 epochs)"
    assert re.fullmatch(
        rf"worker pid {os.getpid()} trains on: CPU .+, \d+ of {os.cpu_count()} cores "
        r"\(TensorFlow 2\.\d+\.\d+ sees no GPU\)",
        lines[2],
    ), lines[2]
    # 200 images for 1 epoch: 7 steps cannot settle batch norm's statistics, which the run says before training
    assert lines[3].startswith("warning: batch norm's moving statistics cannot settle in baseline2 cells")
    assert lines[4].startswith("study bn_placement: 3 cells, 0 already done, 3 waiting")
    # the three levels are small steps of different networks: --fuse auto trains them side by side (loops.fusing)
    assert lines[5] == "[1/3] bn=none seed=0 | 3 cells fused: trained side by side, every call steps each of them"
    assert " epoch 1/1 " in lines[6]
    for trial in optuna.load_study(study_name="bn_placement", storage=url).get_trials():
        worker = trial.user_attrs["worker"]
        assert worker["gpus"] == worker["gpu_details"] == [] and worker["cores_available"] >= 1
        assert worker["tensorflow"].startswith("2.") and "cuda" in worker and "cudnn" in worker


@pytest.mark.unit
def test_a_password_in_the_storage_url_is_not_printed():
    lines = []
    from ablation_suite.ablations import Ablation
    from ablation_suite.config import Config

    ablation = Ablation(question="Q?", base={}, factors={"bn": ["none", "before"]})
    for seeds in (ablation, dataclasses.replace(ablation, seeds="auto")):  # both plans
        console.run_header(
            "s", "postgresql://me:secret@host:5432/db", seeds, Config(epochs=2), seeds.seed_cap, "", log=lines.append
        )
    assert lines[0] == "study s in postgresql://me:***@host:5432/db: Q?" and "secret" not in "".join(lines)


# --- --gpus ---------------------------------------------------------------------------------------------


def test_gpus_that_tensorflow_does_not_see_are_refused_before_anything_is_written(tmp_path, monkeypatch, capsys):
    found = devices.probe()  # TensorFlow asked in a fresh process, as the command does
    if found["gpus"]:
        pytest.skip(f"TensorFlow sees GPU(s) here ({found['gpus']}): --gpus 0 is not a missing GPU")
    monkeypatch.chdir(tmp_path)
    assert study.main(["run", "bn_placement", "--gpus", "0", "--storage", f"sqlite:///{tmp_path / 's.db'}"]) == 2
    err = capsys.readouterr().err
    assert "--gpus 0: TensorFlow sees no GPU" in err and "pip install -e '.[gpu]'" in err
    assert "leave out --gpus to train on the CPU" in err and list(tmp_path.iterdir()) == []


A100 = {"index": 0, "name": "NVIDIA A100-SXM4-40GB", "compute_capability": "8.0", "memory_mib": 40960}
FOUND = dict(tensorflow="2.21.0", cuda_build=True, cuda="12.5.1", cudnn="9", cuda_visible_devices=None)


@pytest.mark.unit
def test_a_missing_gpu_is_named_with_the_gpus_tensorflow_sees():
    two = {**FOUND, "gpus": [A100, {**A100, "index": 1}]}
    devices.check_gpus([0, 1], two)
    with pytest.raises(devices.DeviceError) as error:
        devices.check_gpus([0, 7], two)
    assert str(error.value) == (
        "--gpus 0,7: TensorFlow sees no GPU 7; it sees GPU(s) 0 (NVIDIA A100-SXM4-40GB), "
        "1 (NVIDIA A100-SXM4-40GB); choose among them, e.g. --gpus 0"
    )


@pytest.mark.parametrize(
    "found, smi, reason",
    [
        ({**FOUND, "gpus": []}, None, "nvidia-smi not found"),
        (
            {**FOUND, "gpus": []},
            ["GPU 0: NVIDIA A100 (UUID: GPU-1)"],
            "nvidia-smi lists 1 GPU(s) (GPU 0: NVIDIA A100 (UUID: GPU-1)), so TensorFlow 2.21.0 "
            "(built for CUDA 12.5.1, cuDNN 9) is missing its CUDA libraries: install them with pip install -e '.[gpu]'",
        ),
        ({**FOUND, "gpus": [], "cuda_build": False}, None, "built without CUDA"),
        ({**FOUND, "gpus": [], "cuda_visible_devices": ""}, None, "(CUDA_VISIBLE_DEVICES= limits what it sees)"),
    ],
)
@pytest.mark.unit
def test_no_gpu_at_all_says_why_and_how_to_fix_it(found, smi, reason, monkeypatch):
    monkeypatch.setattr(devices, "nvidia_smi_gpus", lambda: smi)
    with pytest.raises(devices.DeviceError) as error:
        devices.check_gpus([0], found)
    assert str(error.value).startswith("--gpus 0: TensorFlow sees no GPU") and reason in str(error.value)


class FakeTF:
    """TensorFlow's device API as a GPU machine answers it."""

    __version__ = "2.21.0"

    def __init__(self, names):
        devices_ = [SimpleNamespace(name=f"/physical_device:GPU:{i}", kind=name) for i, name in enumerate(names)]
        self.config = SimpleNamespace(
            list_physical_devices=lambda kind: devices_ if kind == "GPU" else [],
            experimental=SimpleNamespace(
                get_device_details=lambda d: {"device_name": d.kind, "compute_capability": (8, 0)}
            ),
        )
        self.sysconfig = SimpleNamespace(
            get_build_info=lambda: {"is_cuda_build": True, "cuda_version": "12.5.1", "cudnn_version": "9"}
        )


@pytest.mark.unit
def test_a_gpu_worker_records_its_gpu_memory_and_cuda_versions(monkeypatch):
    """A worker started with --gpus 3 sees one GPU, TensorFlow's GPU 0, whose memory is nvidia-smi's GPU 3."""
    smi = "0, GPU-aaa, 16384\n3, GPU-ddd, 40960\n"
    monkeypatch.setattr(devices, "nvidia_smi_memory", lambda: devices.parse_memory(smi))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    found = devices.seen(FakeTF(["NVIDIA A100-SXM4-40GB"]))
    assert found["gpus"] == [A100] and found["cuda"] == "12.5.1" and found["cuda_visible_devices"] == "3"
    hardware = {"cpu": "AMD EPYC", "cpu_cores": 64, "cores_available": 8, **found, "gpu_details": found["gpus"]}
    assert provenance.describe(hardware) == (
        "GPU 0: NVIDIA A100-SXM4-40GB, 40960 MiB, compute capability 8.0 (CUDA_VISIBLE_DEVICES=3); TensorFlow 2.21.0 "
        "built for CUDA 12.5.1, cuDNN 9; CPU AMD EPYC, 8 of 64 cores"
    )
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-aaa")  # a UUID, as schedulers may set it
    assert devices.seen(FakeTF(["T4"]))["gpus"][0]["memory_mib"] == 16384


@pytest.mark.unit
def test_gpu_indices_count_the_gpus_left_visible_to_the_command():
    """Under CUDA_VISIBLE_DEVICES=2,3 (a scheduler's), TensorFlow sees two GPUs; --gpus 1 is the second."""
    [worker] = workers.worker_plans(1, [1], [0], visible="2,3")
    assert worker["env"]["CUDA_VISIBLE_DEVICES"] == "3"
    assert [w["env"]["CUDA_VISIBLE_DEVICES"] for w in workers.worker_plans(1, [0, 1], [0, 1])] == ["0", "1"]
