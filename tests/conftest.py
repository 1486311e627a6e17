"""Shared test set-up: quiet TensorFlow, tiny CLI option sets, one tiny study. The suite is imported as installed
(``pip install -e .``, as ``make test`` does), never from the repository on sys.path."""

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]

# A whole ablation in seconds: digits, one or two epochs, a stratified 200-image training set.
TINY = ["--dataset", "digits", "--epochs", "1", "--seeds", "2", "--set", "train_size=200"]


@pytest.fixture(scope="session")
def finished_study(tmp_path_factory):
    """bn_placement run once through the CLI on tiny digits (3 levels x 2 seeds), with TensorBoard logs in
    the "tensorboard" folder next to the database; tests that change the database copy it."""
    from ablation_suite.cli import main as study

    db = tmp_path_factory.mktemp("study") / "s.db"
    assert study.main(["run", "bn_placement", *TINY, "--storage", f"sqlite:///{db}",
                       "--tensorboard", str(db.parent / "tensorboard")]) == 0
    return db
