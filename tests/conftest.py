"""Shared test set-up: quiet TensorFlow, the repository on sys.path, tiny CLI option sets."""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# A whole ablation in seconds: digits, one or two epochs, a stratified 200-image training set.
TINY = ["--dataset", "digits", "--epochs", "1", "--seeds", "2", "--set", "train_size=200"]
