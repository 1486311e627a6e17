"""MLflow: the study as a parent run in an experiment named after it (or $MLFLOW_EXPERIMENT_NAME), each cell a
nested run (``mlflow.parentRunId``) with its Config as parameters, its per-epoch history as metric steps and its
confusion matrix as an artifact. Written with MlflowClient (no global active run), so several studies and trackers
can share a process."""

from __future__ import annotations

import os
import re
import time

from ablation_suite.store.storage import masked
from ablation_suite.trackers import TrackerError
from ablation_suite.trackers.layout import answer_text

KEY_TAG = "ablation_suite.key"  # the layout's key of a run: how a run already written is found again
REPORTED = "ablation_suite.report_runs"  # how many child runs the attached report was rendered with
PARAMS_PER_BATCH = 100  # MLflow's limit per log_batch call


class Tracker:
    kind = "mlflow"

    def __init__(self, uri: str | None):
        import logging

        import mlflow

        logging.getLogger("mlflow").setLevel(logging.WARNING)  # not its database migrations' INFO lines
        self.uri = uri or mlflow.get_tracking_uri()  # $MLFLOW_TRACKING_URI, else MLflow's default
        self.client = mlflow.MlflowClient(tracking_uri=self.uri)

    def spec(self) -> str:
        return f"mlflow={masked(self.uri)}"

    def describe(self) -> str:
        return f"MLflow at {masked(self.uri)}"

    def check(self) -> None:
        """Reach the tracking server now, quickly (MLflow retries an unreachable server for minutes)."""
        saved = {k: os.environ.get(k) for k in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")}
        os.environ.update(MLFLOW_HTTP_REQUEST_MAX_RETRIES="0", MLFLOW_HTTP_REQUEST_TIMEOUT="10")
        try:
            self.client.search_experiments(max_results=1)
        except Exception as error:  # noqa: BLE001 (any failure to reach it is the user's to fix before training)
            raise TrackerError(
                f"--track mlflow: the MLflow tracking server at {masked(self.uri)} cannot be reached "
                f"({type(error).__name__}: {_without_credentials(str(error))}); start it, or name another with "
                "--track mlflow=URI"
            ) from None
        finally:
            for key, value in saved.items():
                os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)

    def where(self, parent) -> str:
        run = self._find(self._experiment(parent), parent.key)
        return f"experiment {self._experiment_name(parent)!r}, parent run {run.info.run_id if run else '?'}"

    def write(self, parent, report, final: bool) -> int:
        """The parent run (made once), a nested run for each child it does not hold finished, and the answer."""
        experiment = self._experiment(parent)
        found = self._find(experiment, parent.key)
        parent_id = found.info.run_id if found else self._create_once(experiment, parent.key, parent, None)
        held = {
            run.data.tags.get(KEY_TAG): run
            for run in self.client.search_runs(
                [experiment], f"tags.`mlflow.parentRunId` = '{parent_id}'", max_results=50000
            )
        }
        written = 0
        for child in parent.children:
            old = held.get(child.key)
            if old is not None and old.info.status == "FINISHED":
                continue
            if old is not None:  # written by a process killed halfway: replaced, never doubled
                self.client.delete_run(old.info.run_id)
            self._write_child(experiment, parent_id, child)
            written += 1
        if written or found is None:  # the answer as it stands now (unchanged when no cell is new)
            self._write_answer(parent_id, parent)
        reflected = (found.data.tags.get(REPORTED) if found else None) if not written else None
        if report is not None and reflected != str(len(parent.children)) and (folder := report.folder()) is not None:
            self.client.log_artifacts(parent_id, str(folder), "report")
            self.client.set_tag(parent_id, REPORTED, str(len(parent.children)))
        if final:
            self.client.set_terminated(parent_id, "FINISHED")
        return written

    def _experiment_name(self, parent) -> str:
        return os.environ.get("MLFLOW_EXPERIMENT_NAME") or parent.name

    def _experiment(self, parent) -> str:
        name = self._experiment_name(parent)
        found = self.client.get_experiment_by_name(name)
        return found.experiment_id if found else self.client.create_experiment(name)

    def _find(self, experiment: str, key: str):
        runs = self.client.search_runs(
            [experiment], f"tags.`{KEY_TAG}` = '{key}'", max_results=10, order_by=["attributes.start_time ASC"]
        )
        return runs[0] if runs else None

    def _create_once(self, experiment: str, key: str, run, parent_id: str | None) -> str:
        """Create the run ``key`` and return its id; when another worker created it at the same moment, the first
        created stays and this one is deleted (so the parent of a study is one run, whoever made it)."""
        mine = self._create(experiment, key, run.name, run.tags, run.params, parent_id).info.run_id
        first = self._find(experiment, key).info.run_id
        if first != mine:
            self.client.delete_run(mine)
        return first

    def _create(self, experiment: str, key: str, name: str, tags: dict, params: dict, parent_id: str | None = None):
        nesting = {"mlflow.parentRunId": parent_id} if parent_id else {}
        run = self.client.create_run(experiment, run_name=name, tags={**tags, **nesting, KEY_TAG: key})
        self._params(run.info.run_id, params)
        return run

    def _params(self, run_id: str, params: dict) -> None:
        from mlflow.entities import Param

        items = [Param(name, str(value)) for name, value in params.items()]
        for start in range(0, len(items), PARAMS_PER_BATCH):
            self.client.log_batch(run_id, params=items[start : start + PARAMS_PER_BATCH])

    def _write_child(self, experiment: str, parent_id: str, child) -> None:
        from mlflow.entities import Metric

        run_id = self._create(experiment, child.key, child.name, child.tags, child.params, parent_id).info.run_id
        now = int(time.time() * 1000)
        metrics = [
            Metric(metric, value, now, epoch)
            for metric, values in child.history.items()
            for epoch, value in enumerate(values, 1)
        ]
        metrics += [Metric(f"final_{name}", value, now, 0) for name, value in child.metrics.items()]
        for start in range(0, len(metrics), 1000):  # MLflow's limit per log_batch call
            self.client.log_batch(run_id, metrics=metrics[start : start + 1000])
        if child.confusion is not None:
            self.client.log_text(run_id, child.confusion.to_csv(), "confusion_matrix.csv")
        self.client.set_terminated(run_id, "FINISHED")

    def _write_answer(self, parent_id: str, parent) -> None:
        """Per level its decision, difference and interval as tags (``answer.COMPARISON.LEVEL``) and the difference
        as a metric (step: its seeds); the sentences as the run's description; the table as an artifact."""
        from mlflow.entities import Metric, RunTag

        answers = parent.answers
        if answers is None or answers.empty:
            return
        now = int(time.time() * 1000)
        tags = [RunTag("mlflow.note.content", "\n\n".join(parent.sentences))]
        metrics = []
        for _, row in answers.iterrows():
            name = f"{row['comparison']}.{row['level']}"
            tags.append(RunTag(f"answer.{name}", answer_text(row)))
            if row["difference_pp"] is not None:
                metrics.append(Metric(f"difference_pp.{name}", row["difference_pp"], now, int(row["seeds"])))
        self.client.log_batch(parent_id, metrics=metrics, tags=tags)
        self.client.log_text(parent_id, answers.to_csv(index=False), "answers.csv")


def _without_credentials(text: str) -> str:
    """An error's first line, cut short, with any user:password@ in a URL inside it replaced (MLflow's messages
    repeat the URI as typed)."""
    return re.sub(r"://[^/@\s]*@", "://***@", text.splitlines()[0] if text else "")[:200]
