"""TensorFlow's C++ start-up lines kept out of a command's console unless ``--verbose``.

TensorFlow 2.21 logs through absl before anything calls ``absl::InitializeLog``, and absl then writes
every message to stderr whatever its level: TF_CPP_MIN_LOG_LEVEL=3 silences what TensorFlow logs once
loaded (e.g. a failed cuInit on a machine without GPU), but not the lines each copy of absl writes while
TensorFlow's libraries load (oneDNN, cudart_stub, cpu_feature_guard and absl's own warning). No
environment variable stops those, so the import of ``tensorflow``, wherever a command first makes it,
runs with file descriptor 2 held in a temporary file, which is shown if the import fails.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys
import tempfile
from contextlib import contextmanager


def prepare_tensorflow(verbose: bool = False) -> None:
    """Before TensorFlow loads: number GPUs as nvidia-smi does and, unless ``verbose``, keep its C++ log
    out of the console. Variables the environment sets win; worker processes inherit them."""
    os.environ.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")
    if verbose:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" not in sys.modules and not any(isinstance(finder, QuietImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, QuietImport())


class QuietImport(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` as Python would, and loads it with stderr held (once: the finder then leaves)."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = HeldStderrLoader(spec.loader)
        return spec


class HeldStderrLoader(importlib.abc.Loader):
    """The package's own loader, executing it with file descriptor 2 held (see the module docstring)."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader  # as a plain import leaves them
        with stderr_held():
            self.loader.exec_module(module)


@contextmanager
def stderr_held():
    """Run the block with file descriptor 2 (C++ and Python writes alike) in a temporary file; if the block
    raises, what it wrote is put back on stderr before the error propagates."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to hold
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            _restore(saved)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            sys.stderr.flush()
            raise
        _restore(saved)


def _restore(saved: int) -> None:
    sys.stderr.flush()
    os.dup2(saved, 2)
    os.close(saved)
