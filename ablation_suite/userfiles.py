"""Files of the user's own (a question file, a network file), imported as Python imports a script: the file's
folder first on ``sys.path``, so that its ``import config``, ``from utils import ...`` or ``import training.x``
find the user's modules beside it. Every module of the suite lives under ``ablation_suite``, so none of the
user's names is shadowed by ours, nor ours by theirs. Imports nothing of ours."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

# Modules the suite had at the top level before it had one import name: a file importing one is older than it.
OLD_TOP_LEVEL = {
    "ablations": "ablation_suite.ablations",
    "baselines": "ablation_suite.baselines",
    "config": "ablation_suite.config",
    "training": "ablation_suite.training",
    "reports": "ablation_suite.reports",
    "study_api": "ablation_suite (run, frame, figures, report)",
}


def importable(folder: Path | str) -> None:
    """Put ``folder`` first on sys.path (once), as Python does for a script's folder. It stays there: a
    builder may import the user's modules when it is called, long after its file was loaded."""
    folder = str(Path(folder).resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)


def import_file(path: Path, module_name: str) -> ModuleType:
    """Execute ``path`` as a fresh module named ``module_name``, its folder importable (not cached here)."""
    importable(path.parent)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} cannot be imported as a Python file", path=str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def import_module(name: str) -> ModuleType:
    """Import ``package.module`` as ``python -m`` would from the folder the command runs in."""
    importable(os.getcwd())
    return importlib.import_module(name)


def old_import_hint(error: ImportError) -> str:
    """For a file that imports a module the suite no longer has at the top level: what to import instead."""
    top = (getattr(error, "name", None) or "").split(".")[0]
    if top in OLD_TOP_LEVEL:
        return (
            f"; the suite's modules live under ablation_suite now: import {OLD_TOP_LEVEL[top]} instead of "
            f"{top} (e.g. from ablation_suite import Ablation)"
        )
    return ""
