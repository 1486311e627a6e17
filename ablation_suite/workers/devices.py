"""What a worker trains on, as TensorFlow sees it, and ``--gpus`` checked against it before any worker starts.

``seen()`` asks TensorFlow in this process: its GPUs (name, compute capability, memory) and the CUDA and
cuDNN versions it was built for. ``check_gpus`` asks a fresh Python process the same question in the
environment the command was started in, before any worker's CUDA_VISIBLE_DEVICES is set (CUDA reads that
variable once, when TensorFlow first looks for GPUs, so this process must not look first); a GPU it does
not see is refused with what it does see and how to install the CUDA libraries TensorFlow needs.

GPUs are numbered as nvidia-smi numbers them (``CUDA_DEVICE_ORDER=PCI_BUS_ID``, which the command line sets
unless the environment does); with CUDA_VISIBLE_DEVICES in that environment, ``--gpus`` counts the GPUs
it leaves visible, as TensorFlow does.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys

from ablation_suite.errors import UserError

GPU_FIX = "pip install -e '.[gpu]'"  # the gpu extra: tensorflow[and-cuda], TensorFlow's CUDA and cuDNN wheels
PROBE = "import json; from ablation_suite.workers import devices; print(json.dumps(devices.seen()))"


class DeviceError(UserError):
    """--gpus names a GPU that TensorFlow does not see (exit status 2)."""


def seen(tf=None) -> dict:
    """The GPUs TensorFlow sees in this process and the CUDA/cuDNN versions it was built for (imports it)."""
    if tf is None:
        import tensorflow as tf
    build = tf.sysconfig.get_build_info()
    memory = nvidia_smi_memory()
    gpus = []
    for index, device in enumerate(tf.config.list_physical_devices("GPU")):
        details = tf.config.experimental.get_device_details(device)
        capability = details.get("compute_capability")
        gpus.append(
            {
                "index": index,
                "name": details.get("device_name", device.name),
                "compute_capability": ".".join(map(str, capability)) if capability else None,
                "memory_mib": memory.get(physical_id(index, os.environ.get("CUDA_VISIBLE_DEVICES"))),
            }
        )
    return {
        "tensorflow": tf.__version__,
        "cuda_build": bool(build.get("is_cuda_build")),
        "cuda": build.get("cuda_version"),
        "cudnn": build.get("cudnn_version"),
        "gpus": gpus,
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
    }


def physical_id(index: int, visible: str | None) -> str:
    """The nvidia-smi index (or UUID) of TensorFlow's GPU ``index`` under CUDA_VISIBLE_DEVICES=``visible``:
    its ``index``-th entry when set, else the index itself."""
    entries = [entry.strip() for entry in visible.split(",")] if visible else []
    return entries[index] if index < len(entries) else str(index)


@functools.lru_cache(maxsize=1)
def nvidia_smi_memory() -> dict:
    """nvidia-smi index and UUID -> total memory in MiB ({} without nvidia-smi): TensorFlow does not say how
    much memory a GPU has without reserving it."""
    if shutil.which("nvidia-smi") is None:
        return {}
    try:
        done = subprocess.run(
            ["nvidia-smi", "--query-gpu=index,uuid,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return parse_memory(done.stdout) if done.returncode == 0 else {}


def parse_memory(text: str) -> dict:
    """``index, uuid, MiB`` lines of nvidia-smi -> {index: MiB, uuid: MiB}."""
    memory = {}
    for line in text.splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) == 3 and parts[2].isdigit():
            memory[parts[0]] = memory[parts[1]] = int(parts[2])
    return memory


def check_gpus(requested: list[int], found: dict | None = None) -> None:
    """Refuse GPU indices TensorFlow does not see, before any worker starts; ``found`` is ``seen()`` as the
    probe process reports it (asked when None)."""
    found = probe() if found is None else found
    gpus = found["gpus"]
    missing = [index for index in requested if index >= len(gpus)]
    if not missing:
        return
    asked = f"--gpus {','.join(map(str, requested))}"
    visible = found.get("cuda_visible_devices")
    limited = f" (CUDA_VISIBLE_DEVICES={visible} limits what it sees)" if visible is not None else ""
    if gpus:
        listed = ", ".join(f"{gpu['index']} ({gpu['name']})" for gpu in gpus)
        raise DeviceError(
            f"{asked}: TensorFlow sees no GPU {', '.join(map(str, missing))}; it sees GPU(s) "
            f"{listed}{limited}; choose among them, e.g. --gpus {gpus[0]['index']}"
        )
    raise DeviceError(
        f"{asked}: TensorFlow sees no GPU{limited}. {no_gpu_reason(found)}; or leave out --gpus to train on the CPU"
    )


def no_gpu_reason(found: dict) -> str:
    """Why TensorFlow may see no GPU here, and the fix."""
    if not found.get("cuda_build"):
        return f"This TensorFlow {found['tensorflow']} is built without CUDA (no GPU support on this platform)"
    listed = nvidia_smi_gpus()
    if listed is None:
        return (
            "No NVIDIA driver answers here (nvidia-smi not found). On a machine with an NVIDIA GPU, install "
            f"its driver, then TensorFlow's CUDA libraries: {GPU_FIX}"
        )
    return (
        f"nvidia-smi lists {len(listed)} GPU(s) ({'; '.join(listed) or 'none'}), so TensorFlow "
        f"{found['tensorflow']} (built for CUDA {found['cuda']}, cuDNN {found['cudnn']}) is missing its CUDA "
        f"libraries: install them with {GPU_FIX}"
    )


def nvidia_smi_gpus() -> list[str] | None:
    """``nvidia-smi -L`` lines, or None without a working nvidia-smi."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        done = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return [line.strip() for line in done.stdout.splitlines() if line.strip()] if done.returncode == 0 else None


def probe() -> dict:
    """``seen()`` as a fresh Python process reports it, in this process's environment (quiet unless told)."""
    env = {**os.environ}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")
    try:
        done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=600)
    except subprocess.TimeoutExpired:
        raise DeviceError(
            "asking TensorFlow which GPUs it sees took over 10 minutes; check the GPU driver with nvidia-smi"
        ) from None
    if done.returncode != 0:
        raise DeviceError("could not ask TensorFlow which GPUs it sees; it failed with:\n" + done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])
