"""Weights & Biases: the study as a run of job type "study", each cell a run of job type "base", "level" or
"search", all in one group named after the study (W&B has no nested runs; its group is how it shows a parent with
its children). Run ids are the layout's keys, so a run written again is the same run, never a second one.

$WANDB_MODE, $WANDB_PROJECT, $WANDB_ENTITY, $WANDB_DIR and $WANDB_BASE_URL act as W&B documents them; offline runs
(``WANDB_MODE=offline``) are read back from their run files (``offline_records``) and uploaded by ``wandb sync``.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path

from ablation_suite.trackers import TrackerError
from ablation_suite.trackers.layout import answer_text

DEFAULT_PROJECT = "ablation-suite"
REPORTED = "report_runs"  # the parent's summary: how many child runs its attached report was made with


class Tracker:
    kind = "wandb"

    def __init__(self, target: str | None):
        entity, _, project = (target or "").rpartition("/")
        self.project = project or os.environ.get("WANDB_PROJECT") or DEFAULT_PROJECT
        self.entity = entity or os.environ.get("WANDB_ENTITY") or None
        self.dir = Path(os.environ.get("WANDB_DIR") or ".").resolve()
        os.environ.setdefault("WANDB_SILENT", "true")  # the suite says what was logged where, once

    @property
    def offline(self) -> bool:
        return os.environ.get("WANDB_MODE") in ("offline", "dryrun")

    def spec(self) -> str:
        return "wandb=" + "/".join(filter(None, (self.entity, self.project)))

    def describe(self) -> str:
        return f"W&B project {self.project}" + (f" (offline, under {self.dir / 'wandb'})" if self.offline else "")

    def check(self) -> None:
        """Offline: the run folder can be written. Online: the server answers and knows the API key (its URL is
        named, never the key)."""
        if self.offline:
            self.dir.mkdir(parents=True, exist_ok=True)
            if not os.access(self.dir, os.W_OK):
                raise TrackerError(f"--track wandb: {self.dir} cannot be written (WANDB_DIR)")
            return
        import wandb

        server = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")
        try:
            wandb.Api(timeout=15).viewer  # noqa: B018 (the request is the check)
        except Exception as error:  # noqa: BLE001
            raise TrackerError(
                f"--track wandb: the W&B server at {server} cannot be reached or refused the API key "
                f"({type(error).__name__}); log in with `wandb login`, or set WANDB_MODE=offline to write run "
                "files to upload later with `wandb sync`"
            ) from None

    def where(self, parent) -> str:
        return f"group {parent.name!r}, study run id {parent.key}"

    def write(self, parent, report, final: bool) -> int:
        written, new_parent = 0, not self._held(parent.key)
        if new_parent and not final:
            self._write_parent(parent, None)
        for child in parent.children:
            if not self._held(child.key):
                self._write_child(parent, child)
                written += 1
        # at the end, the answer and the report once more, unless a report made with every run is there already
        if final and (new_parent or self._summary(parent.key).get(REPORTED) != len(parent.children)):
            self._write_parent(parent, report.folder() if report else None)
        return written

    def _init(self, parent, key: str, name: str, job_type: str, config: dict, tags: dict):
        import wandb

        return wandb.init(
            entity=self.entity,
            project=self.project,
            id=key,
            name=name,
            group=parent.name,
            job_type=job_type,
            config=config,
            tags=[f"{k}={v}"[:64] for k, v in tags.items() if k not in ("question", "command")],
            dir=str(self.dir),
            reinit="create_new",
            resume="allow",
            settings=wandb.Settings(silent=True, console="off", save_code=False, x_disable_stats=True),
        )

    def _write_child(self, parent, child) -> None:
        import wandb

        self._forget(child.key)  # a run a killed process left half written is written again, not added to
        run = self._init(parent, child.key, child.name, child.tags["role"], {**child.params, **child.tags}, child.tags)
        epochs = max((len(v) for v in child.history.values()), default=0)
        for epoch in range(epochs):
            run.log({m: v[epoch] for m, v in child.history.items() if epoch < len(v)}, step=epoch + 1)
        run.summary.update({f"final_{name}": value for name, value in child.metrics.items()})
        if child.confusion is not None:
            run.log({"confusion_matrix": wandb.Table(dataframe=child.confusion.reset_index())}, step=max(epochs, 1))
        run.finish()

    def _write_parent(self, parent, report) -> None:
        import wandb

        run = self._init(parent, parent.key, parent.name, "study", {**parent.params, **parent.tags}, parent.tags)
        answers = parent.answers
        if answers is not None and not answers.empty:
            run.notes = "\n".join(parent.sentences)
            for _, row in answers.iterrows():
                name = f"{row['comparison']}/{row['level']}"
                run.summary[f"answer/{name}"] = answer_text(row)
                if row["difference_pp"] is not None:
                    run.summary[f"difference_pp/{name}"] = row["difference_pp"]
            run.log({"answers": wandb.Table(dataframe=answers.astype(object).where(answers.notna(), None))})
        if report is not None:
            artifact = wandb.Artifact(f"report-{parent.key}", type="report")
            artifact.add_dir(str(report))
            run.log_artifact(artifact)
            run.summary[REPORTED] = len(parent.children)
        run.finish()

    def _held(self, key: str) -> bool:
        """Whether W&B holds the run ``key`` finished: offline, a run file of it that ends with its exit record."""
        if self.offline:
            return any(_finished(path) for path in self._offline_files(key))
        import wandb

        try:
            return self._api_run(key).state == "finished"
        except wandb.errors.CommError:
            return False

    def _summary(self, key: str) -> dict:
        """The run's summary as W&B holds it (offline: accumulated from its run files)."""
        if self.offline:
            summary: dict = {}
            for path in self._offline_files(key):
                for record in offline_records(path):
                    if record.WhichOneof("record_type") == "summary":
                        summary.update({item.key: json.loads(item.value_json) for item in record.summary.update})
            return summary
        return dict(self._api_run(key).summary)

    def _api_run(self, key: str):
        import wandb

        api = wandb.Api()
        return api.run("/".join((self.entity or api.default_entity, self.project, key)))

    def _forget(self, key: str) -> None:
        if self.offline:
            for path in self._offline_files(key):
                shutil.rmtree(path.parent)
            return
        import wandb

        try:
            self._api_run(key).delete()
        except wandb.errors.CommError:
            pass  # never written

    def _offline_files(self, key: str) -> list[Path]:
        return sorted((self.dir / "wandb").glob(f"offline-run-*-{key}/run-{key}.wandb"))


def _finished(path: Path) -> bool:
    return any(record.WhichOneof("record_type") == "exit" for record in offline_records(path))


BLOCK = 32768  # the run file is a LevelDB-style log: 32 KiB blocks of chunks with a 7-byte header each


def offline_records(path):
    """The protobuf records (wandb.proto.wandb_internal_pb2.Record: run, config, history, summary, exit, ...) of an
    offline run file, in order. A chunk cut short by a killed writer ends the scan."""
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    if data[:4] != b":W&B":
        raise ValueError(f"{path} is not a W&B run file")
    position, pending = 7, b""
    while position + 7 <= len(data):
        left = BLOCK - position % BLOCK
        if left < 7:  # a block's tail too short for a header is padding
            position += left
            continue
        _checksum, length, kind = struct.unpack("<IHB", data[position : position + 7])
        if kind == 0 or position + 7 + length > len(data):
            position += left
            continue
        pending += data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind in (1, 4):  # a full record, or the last chunk of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            pending = b""
            yield record
