"""No cell trained twice: a cell whose twin has already finished in the same storage (in another study) takes that
trial's result instead of training again; ``--no-reuse`` trains it anyway.

Two cells are twins when their identity is equal: a hash of the effective Config (seed included; knobs that do
nothing put back to their defaults, config.rules.effective, so two spellings of one set-up match), the content
fingerprint of the dataset as loaded, and the code that trains it (the suite's own source files, TensorFlow's and
Keras's versions, and the file of a network of the user's own). So a changed network file, dataset or suite
version never matches. Every trained cell records its identity (store.record.IDENTITY), and a reused one the study
and trial it came from (store.record.REUSED), which ``status``, the report's provenance and the export show.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import optuna
from optuna.trial import TrialState

from ablation_suite.config import Config
from ablation_suite.config.rules import effective
from ablation_suite.store import record

PACKAGE = Path(__file__).resolve().parents[1]  # ablation_suite/, in a checkout or in site-packages


def identity(config: Config, caches) -> str:
    """The cell's identity: what it trains (effective Config), on what (its dataset's content) and with what code."""
    from ablation_suite.baselines import user

    parts = {
        "config": effective(config.to_dict()),
        "data": caches.datasets.content(config.dataset, config.image_size),
        "code": code_fingerprint(),
        "model_file": user.file_sha256(config.model) if user.is_user_model(config.model) else "",
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """The suite's source (every .py file of the package, the linked catalogue, zoo and reports included) and the
    versions of the libraries that train: one edit to any of them and no earlier cell is a twin."""
    from importlib.metadata import version

    digest = hashlib.sha256(f"tensorflow {version('tensorflow')} keras {version('keras')}".encode())
    for path in sorted(sources(PACKAGE)):
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def sources(folder: Path) -> list[Path]:
    """Every .py file under ``folder``, through the links to ablations/, baselines/ and reports/ in a checkout."""
    return [
        Path(root) / name
        for root, _, names in os.walk(folder, followlinks=True)
        for name in names
        if name.endswith(".py")
    ]


def twin(study: optuna.Study, key: str) -> tuple[str, optuna.trial.FrozenTrial] | None:
    """A finished trial of another study in ``study``'s storage with identity ``key`` (the one trained first, not a
    reuse of it): its study's name and the trial; None when there is none."""
    storage = study._storage
    found = []
    for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
        if summary.study_name == study.study_name:
            continue
        other = optuna.load_study(study_name=summary.study_name, storage=storage)
        found += [
            (trial.datetime_complete, summary.study_name, trial)
            for trial in other.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if record.trial_identity(trial) == key and not record.reused_from(trial)
        ]
    if not found:
        return None
    _, name, trial = min(found, key=lambda item: (item[0], item[1]))
    return name, trial
