"""Provenance: the code, libraries and machine that made a study (recorded at creation, and each
trial's worker hardware), and the provenance table a report prints from what was recorded."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

from ablation_suite.store import record
from ablation_suite.store.storage import masked, masked_command

LIBRARIES = ("tensorflow", "keras", "optuna", "numpy", "scikit-learn", "pandas", "scipy", "seaborn", "matplotlib")
PACKAGE = Path(__file__).resolve().parents[1]  # ablation_suite/, in a checkout or in site-packages


def provenance(configs=(), machine: dict | None = None) -> dict:
    """What produced the study: code version, libraries and the ``machine`` that created it
    (``workers.machine.hardware()``; workers on other machines record theirs per trial), and the files of the
    networks of the user's own that the study's cells (``configs``) build."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return {
        "git": git_commit(),  # the suite's code
        "suite": installed("ablation-suite"),
        "project git": git_commit(Path.cwd(), must_hold=None),  # the folder the study was made from: the user's code
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "libraries": {name: installed(name) for name in LIBRARIES},
        **model_files(configs),
        **(machine or {}),
    }


def model_files(configs) -> dict:
    """{"model_files": {model: {"file", "sha256"}}} for every network of the user's own ("FILE.py:FUNCTION",
    "package.module:FUNCTION") among the Configs; {} when all are the zoo's (whose code the git commit names)."""
    from ablation_suite.baselines import user

    files = {}
    for model in sorted({config.model for config in configs if user.is_user_model(config.model)}):
        path = user.source_file(model)
        files[model] = {"file": str(path) if path else "no file", "sha256": user.file_sha256(model) or "none"}
    return {"model_files": files} if files else {}


def git_commit(folder: Path = PACKAGE, must_hold: Path | None = PACKAGE) -> str:
    """The commit of the git checkout ``folder`` is in, with "+dirty" when tracked files differ from it; "unknown"
    outside a checkout. ``must_hold``: a path that must sit at the top of the checkout, so that a package installed
    inside someone else's checkout (a virtual environment in a project) is not given that project's commit."""

    def git(*args):
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=30)

    try:
        top = git("rev-parse", "--show-toplevel")
        if top.returncode != 0 or not (must_hold is None or must_hold.parent.samefile(top.stdout.strip())):
            return "unknown (not a git checkout)"
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (git not available)"
    return commit.stdout.strip() + ("+dirty" if dirty else "")


def describe(hardware: dict) -> str:
    """What a worker trains on, in one line, from its recorded hardware (``workers.machine.hardware()``)."""
    cpu = f"CPU {hardware.get('cpu')}, {hardware.get('cores_available', '?')} of {hardware.get('cpu_cores')} cores"
    gpus = hardware.get("gpu_details", [])
    if not gpus:
        return f"{cpu} (TensorFlow {hardware.get('tensorflow', '?')} sees no GPU)"
    visible = hardware.get("cuda_visible_devices")
    return (
        "; ".join(gpu_text(gpu) for gpu in gpus)
        + (f" (CUDA_VISIBLE_DEVICES={visible})" if visible else "")
        + f"; TensorFlow {hardware.get('tensorflow', '?')} {build_text(hardware)}; {cpu}"
    )


def gpu_text(gpu: dict) -> str:
    memory = f", {gpu['memory_mib']} MiB" if gpu.get("memory_mib") else ", memory unknown (no nvidia-smi)"
    capability = f", compute capability {gpu['compute_capability']}" if gpu.get("compute_capability") else ""
    return f"GPU {gpu['index']}: {gpu['name']}{memory}{capability}"


def build_text(info: dict) -> str:
    if not info.get("cuda_build"):
        return "built without CUDA"
    return f"built for CUDA {info.get('cuda')}, cuDNN {info.get('cudnn')}"


def report_provenance(study, frame, url: str) -> dict:
    """How the study was made, as recorded when it was created and by each trial's worker (not this machine);
    the storage URL and the command without any password (studies made before masking stored it)."""
    made = record.creation(study)
    created, base, spec = made["provenance"], made["base"], record.stored_spec(study)
    workers = {_machine(record.trial_worker(t)) for t in study.get_trials(deepcopy=False) if record.trial_worker(t)}
    return {
        "study": study.study_name,
        "storage": masked(url),
        "question": spec.get("question"),
        "source": spec.get("source"),
        "command": made["command"] and masked_command(made["command"]),
        "created": made["created"],
        "git commit": created.get("git", "not recorded"),
        "suite version": created.get("suite", "not recorded"),
        "project git commit (the folder the study was made from)": created.get("project git", "not recorded"),
        "python": created.get("python", "not recorded"),
        "platform": created.get("platform", "not recorded"),
        **{f"version.{k}": v for k, v in created.get("libraries", {}).items()},
        **{
            f"model file {model}": f"{entry['file']} (sha256 {entry['sha256']})"
            for model, entry in created.get("model_files", {}).items()
        },
        "workers (hardware)": "; ".join(sorted(workers)) or "no trial started yet",
        "cells reused from other studies": _reused(frame),
        "dataset": base.get("dataset"),
        "split fingerprints": ", ".join(sorted(frame["split_fingerprint"].dropna().unique())),
        "data fingerprints": ", ".join(sorted(set(frame["data_fingerprint"].dropna()) - {""}))
        or "not recorded (trials of an older version)",
        **{f"base.{k}": v for k, v in base.items()},
    }


def _reused(frame) -> str:
    """Which cells took the result of a finished twin in another study (loops.reuse), or "none"."""
    reused = frame[frame["reused_from"].notna()] if "reused_from" in frame else frame.iloc[0:0]
    if reused.empty:
        return "none (every cell was trained for this study)"
    return f"{len(reused)}: " + "; ".join(
        f"#{n} from {source}" for n, source in zip(reused["number"], reused["reused_from"])
    )


def _machine(worker: dict) -> str:
    """One trial worker's machine in words (trials from before hardware was recorded have only the host)."""
    if "cpu" not in worker:
        return f"{worker.get('host')}: hardware not recorded"
    if "gpu_details" in worker:  # recorded since GPU memory and CUDA versions are
        return f"{worker['host']}: {describe(worker)}"
    gpus = ", ".join(worker.get("gpus", [])) or "none"
    return f"{worker['host']}: {worker['cpu']}, {worker['cpu_cores']} cores, GPUs: {gpus}"
