"""What the benchmark ran on, how fast that machine multiplies matrices, and a model's FLOPs per image."""

from __future__ import annotations

import os
import platform
import time

import keras
import numpy as np
import tensorflow as tf


def describe() -> dict:
    """CPU, cores, RAM, GPUs, versions and the load average (other processes share the cores)."""
    gpus = [device.name for device in tf.config.list_physical_devices("GPU")]
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "gpus": gpus or "no GPU",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "os": platform.platform(),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
    }


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def matmul_peak(size: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of the fastest of ``repeats`` float32 ``size`` x ``size`` matrix products (all cores)."""
    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    tf.matmul(a, b).numpy()  # warm-up: kernel selection and thread pool start
    fastest = min(_seconds(lambda: tf.matmul(a, b).numpy()) for _ in range(repeats))
    return 2 * size**3 / fastest


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def forward_flops(model: keras.Model) -> int:
    """Multiply-adds x 2 of one image through the Conv2D and Dense layers (the rest is negligible)."""
    flops = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, height, width, filters = layer.output.shape
            kernel_height, kernel_width, channels, _ = layer.kernel.shape
            flops += 2 * height * width * filters * kernel_height * kernel_width * channels
        elif isinstance(layer, keras.layers.Dense):
            inputs, units = layer.kernel.shape
            flops += 2 * inputs * units
    return int(flops)


def training_flops(model: keras.Model) -> int:
    """Per image and training step: the forward pass plus a backward pass of about twice its cost."""
    return 3 * forward_flops(model)
