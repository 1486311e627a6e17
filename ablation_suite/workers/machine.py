"""The machine a worker trains on, as each trial records it: host, CPU, the cores this process may use, its
scheduler task (SLURM) and, with TensorFlow loaded, the GPUs TensorFlow sees (``devices.seen``)."""

from __future__ import annotations

import os
import platform
import socket
import sys
from pathlib import Path

from ablation_suite.workers.devices import seen
from ablation_suite.workers.launchers import scheduler_task
from ablation_suite.workers.processes import available_cores


def hardware() -> dict:
    """Host, CPU model, cores (of the machine, and those this process may run on) and, when TensorFlow is
    already loaded (as in a training process: importing it here would slow down every command), the GPUs
    it sees with their memory and the CUDA/cuDNN versions it was built for (``seen``)."""
    cpu = platform.processor() or "unknown"
    try:
        models = [
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = models[0] if models else cpu
    except OSError:
        pass  # not Linux: platform.processor() is the best there is
    info = {
        "host": socket.gethostname(),
        "cpu": cpu,
        "cpu_cores": os.cpu_count(),
        "cores_available": len(available_cores()),
        **scheduler_task(),
    }
    if "tensorflow" in sys.modules:
        found = seen(sys.modules["tensorflow"])
        info.update({**found, "gpus": [gpu["name"] for gpu in found["gpus"]], "gpu_details": found["gpus"]})
    return info
