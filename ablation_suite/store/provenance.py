"""Provenance: the code, libraries and machine that made a study (recorded at creation, and each
trial's worker hardware), and the provenance table a report prints from what was recorded."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from pathlib import Path

from ablation_suite.workers import devices

from ablation_suite.store import record
from ablation_suite.store.storage import masked, masked_command
from ablation_suite.workers.launchers import scheduler_task
from ablation_suite.workers.processes import available_cores

LIBRARIES = ("tensorflow", "keras", "optuna", "numpy", "scikit-learn", "pandas", "scipy", "seaborn", "matplotlib")
REPO = Path(__file__).resolve().parents[1]


def provenance(configs=()) -> dict:
    """What produced the study: code version, libraries and the machine that created it (workers on other
    machines record theirs per trial, see ``hardware``), and the files of the networks of the user's own that
    the study's cells (``configs``) build."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return {"git": git_commit(), "python": sys.version.split()[0], "platform": platform.platform(),
            "libraries": {name: installed(name) for name in LIBRARIES}, **model_files(configs), **hardware()}


def model_files(configs) -> dict:
    """{"model_files": {model: {"file", "sha256"}}} for every network of the user's own ("FILE.py:FUNCTION",
    "package.module:FUNCTION") among the Configs; {} when all are the zoo's (whose code the git commit names)."""
    from ablation_suite.baselines import user

    files = {}
    for model in sorted({config.model for config in configs if user.is_user_model(config.model)}):
        path = user.source_file(model)
        files[model] = {"file": str(path) if path else "no file", "sha256": user.file_sha256(model) or "none"}
    return {"model_files": files} if files else {}


def git_commit() -> str:
    """The code's commit, with "+dirty" when tracked files differ from it ("unknown" outside a git checkout)."""
    def git(*args):
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=30)

    try:
        commit = git("rev-parse", "HEAD")
        if commit.returncode != 0:
            return "unknown (not a git checkout)"
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (git not available)"
    return commit.stdout.strip() + ("+dirty" if dirty else "")


def hardware() -> dict:
    """Host, CPU model, cores (of the machine, and those this process may run on) and, when TensorFlow is
    already loaded (as in a training process: importing it here would slow down every command), the GPUs
    it sees with their memory and the CUDA/cuDNN versions it was built for (``workers.devices.seen``)."""
    cpu = platform.processor() or "unknown"
    try:
        models = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")]
        cpu = models[0] if models else cpu
    except OSError:
        pass  # not Linux: platform.processor() is the best there is
    info = {"host": socket.gethostname(), "cpu": cpu, "cpu_cores": os.cpu_count(),
            "cores_available": len(available_cores()), **scheduler_task()}
    if "tensorflow" in sys.modules:
        found = devices.seen(sys.modules["tensorflow"])
        info.update({**found, "gpus": [gpu["name"] for gpu in found["gpus"]], "gpu_details": found["gpus"]})
    return info


def report_provenance(study, frame, url: str) -> dict:
    """How the study was made, as recorded when it was created and by each trial's worker (not this machine);
    the storage URL and the command without any password (studies made before masking stored it)."""
    made = record.creation(study)
    created, base, spec = made["provenance"], made["base"], record.stored_spec(study)
    workers = {_machine(record.trial_worker(t)) for t in study.get_trials(deepcopy=False) if record.trial_worker(t)}
    return {"study": study.study_name, "storage": masked(url), "question": spec.get("question"),
            "source": spec.get("source"), "command": made["command"] and masked_command(made["command"]),
            "created": made["created"], "git commit": created.get("git", "not recorded"),
            "python": created.get("python", "not recorded"), "platform": created.get("platform", "not recorded"),
            **{f"version.{k}": v for k, v in created.get("libraries", {}).items()},
            **{f"model file {model}": f"{entry['file']} (sha256 {entry['sha256']})"
               for model, entry in created.get("model_files", {}).items()},
            "workers (hardware)": "; ".join(sorted(workers)) or "no trial started yet",
            "dataset": base.get("dataset"),
            "split fingerprints": ", ".join(sorted(frame["split_fingerprint"].dropna().unique())),
            "data fingerprints": ", ".join(sorted(set(frame["data_fingerprint"].dropna()) - {""}))
            or "not recorded (trials of an older version)",
            **{f"base.{k}": v for k, v in base.items()}}


def _machine(worker: dict) -> str:
    """One trial worker's machine in words (trials from before hardware was recorded have only the host)."""
    if "cpu" not in worker:
        return f"{worker.get('host')}: hardware not recorded"
    if "gpu_details" in worker:  # recorded since GPU memory and CUDA versions are
        return f"{worker['host']}: {devices.describe(worker)}"
    gpus = ", ".join(worker.get("gpus", [])) or "none"
    return f"{worker['host']}: {worker['cpu']}, {worker['cpu_cores']} cores, GPUs: {gpus}"
