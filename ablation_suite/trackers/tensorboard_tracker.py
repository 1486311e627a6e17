"""TensorBoard: under DIR/STUDY, one log folder per cell (its per-epoch scalars, final results and, for the HParams
dashboard, every Config field with its tags) and ``study`` for the parent (the answer as text and each level's
difference as a scalar). Each folder is written aside and renamed into place when complete, so a folder that
exists holds its whole run and a killed write leaves nothing to double."""

from __future__ import annotations

import glob
import os
import re
import shutil
from pathlib import Path

from ablation_suite.trackers import TrackerError
from ablation_suite.trackers.layout import answer_text

PARENT = "study"
REPORTED = ".runs"


class Tracker:
    kind = "tensorboard"

    def __init__(self, target: str | None):
        self.root = Path(target or "runs/tensorboard")

    def spec(self) -> str:
        return f"tensorboard={self.root}"

    def describe(self) -> str:
        return f"TensorBoard logs in {self.root}"

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise TrackerError(f"--track tensorboard={self.root}: the folder cannot be made ({error})") from None

    def where(self, parent) -> str:
        return f"tensorboard --logdir {self.root / _safe(parent.name)}"

    def write(self, parent, report, final: bool) -> int:
        study = self.root / _safe(parent.name)
        written = 0
        for child in parent.children:
            if self._write(study / folder_name(child), lambda child=child: _child_events(child)):
                written += 1
        if written or not (study / PARENT).exists():
            shutil.rmtree(study / PARENT, ignore_errors=True)  # the answer changes as cells finish: rewritten whole
            self._write(study / PARENT, lambda: _parent_events(parent))
        reported = study / "report" / REPORTED  # how many runs the report beside the logs was rendered with
        stale = not reported.exists() or reported.read_text() != str(len(parent.children))
        if report is not None and stale and (folder := report.folder()) is not None:  # (TensorBoard shows no files)
            shutil.rmtree(study / "report", ignore_errors=True)
            shutil.copytree(folder, study / "report")
            reported.write_text(str(len(parent.children)))
        return written

    def _write(self, folder: Path, events) -> bool:
        """Write a run's events into ``folder`` unless it exists; True if written."""
        if folder.exists():
            return False
        for left in folder.parent.glob(
            f".{glob.escape(folder.name)}.*.partial"
        ):  # a killed writer's (TensorBoard would show it)
            shutil.rmtree(left, ignore_errors=True)
        aside = folder.with_name(f".{folder.name}.{os.getpid()}.partial")
        aside.mkdir(parents=True)
        import tensorflow as tf

        writer = tf.summary.create_file_writer(str(aside))
        with writer.as_default():
            events()
        writer.close()
        try:
            aside.rename(folder)
        except OSError:  # another worker put its copy in place meanwhile: the run is there once
            shutil.rmtree(aside, ignore_errors=True)
            return False
        return True


def folder_name(child) -> str:
    """A child's folder: its cell in words (``bn=after,seed=1``), its search trial under ``search/``."""
    return ("search/" if child.tags["role"] == "search" else "") + _safe(child.name)


def _safe(name: str) -> str:
    return re.sub(r"[^\w=.+-]+", ",", name).strip(",") or "run"


def _child_events(child) -> None:
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    hp.hparams({**{k: _scalar(v) for k, v in child.params.items()}, **child.tags})
    for metric, values in child.history.items():
        for epoch, value in enumerate(values, start=1):
            tf.summary.scalar(f"epoch/{metric}", value, step=epoch)
    last = max((len(v) for v in child.history.values()), default=0)
    for name, value in child.metrics.items():
        tf.summary.scalar(f"final/{name}", value, step=last)
    tf.summary.text("tags", "\n\n".join(f"**{k}**: {v}" for k, v in child.tags.items()), step=0)
    if child.confusion is not None:
        tf.summary.text("confusion_matrix", _markdown(child.confusion), step=0)


def _parent_events(parent) -> None:
    import tensorflow as tf

    tf.summary.text("study", "\n\n".join(f"**{k}**: {v}" for k, v in parent.tags.items()), step=0)
    answers = parent.answers
    if answers is not None and not answers.empty:
        tf.summary.text("answer", "\n\n".join(parent.sentences), step=0)
        for _, row in answers.iterrows():
            tf.summary.text(f"answer/{row['comparison']}/{row['level']}", answer_text(row), step=int(row["seeds"]))
            if row["difference_pp"] is not None:
                tf.summary.scalar(
                    f"difference_pp/{row['comparison']}/{row['level']}", row["difference_pp"], step=int(row["seeds"])
                )


def _markdown(matrix) -> str:
    """A confusion matrix as the markdown table TensorBoard's text dashboard renders (true class per row)."""
    header = ["true \\ predicted", *map(str, matrix.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join([str(label), *map(str, row)]) + " |" for label, row in zip(matrix.index, matrix.values)]
    return "\n".join(lines)


def _scalar(value):
    """A Config value as the HParams dashboard takes it (bool, number or text)."""
    return value if isinstance(value, (bool, int, float, str)) else str(value)
