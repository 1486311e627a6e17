"""What each tracker holds, read back with the tracker's own reader (never with the suite's writer): MLflow's client,
W&B's run files (their protobuf records) and TensorBoard's event reader. Each returns {cell key or "study": values}."""

from __future__ import annotations

import json
from pathlib import Path


def mlflow_runs(uri: str, experiment: str) -> dict:
    """Per run: "run" (MLflow's Run), "tags", "params", "history" {metric: [values by step]}, "artifacts" (paths);
    the parent under "study". Raises if two runs claim one cell."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment!r} in {uri}"
    runs = {}
    for run in client.search_runs([found.experiment_id], max_results=1000):
        key = "study" if run.data.tags.get("role") == "study" else run.data.tags["cell"]
        assert key not in runs, f"two MLflow runs for {key}"
        runs[key] = {
            "run": run,
            "tags": run.data.tags,
            "params": run.data.params,
            "metrics": run.data.metrics,
            "history": {
                name: [m.value for m in sorted(client.get_metric_history(run.info.run_id, name), key=lambda m: m.step)]
                for name in run.data.metrics
            },
            "artifacts": _artifacts(client, run.info.run_id),
        }
    return runs


def _artifacts(client, run_id: str, path: str | None = None) -> list[str]:
    found = []
    for item in client.list_artifacts(run_id, path):
        found += _artifacts(client, run_id, item.path) if item.is_dir else [item.path]
    return found


def wandb_records(folder: Path) -> dict:
    """Per offline run id: the list of its run files' records as (kind, {key: value}) pairs, kinds run, config,
    history, summary, exit; several files of one id (a parent written again at the end) are concatenated."""
    from ablation_suite.trackers.wandb_tracker import offline_records

    runs: dict = {}
    for path in sorted(Path(folder).glob("wandb/offline-run-*/run-*.wandb")):
        run_id = path.stem.removeprefix("run-")
        for record in offline_records(path):
            kind = record.WhichOneof("record_type")
            if kind == "run":
                values = {
                    "group": record.run.run_group,
                    "job_type": record.run.job_type,
                    "name": record.run.display_name,
                    **{item.key: json.loads(item.value_json) for item in record.run.config.update},
                }
            elif kind == "config":
                values = {item.key: json.loads(item.value_json) for item in record.config.update}
            elif kind == "history":
                values = {
                    "/".join(item.nested_key) or item.key: json.loads(item.value_json) for item in record.history.item
                }
            elif kind == "summary":
                values = {
                    "/".join(item.nested_key) or item.key: json.loads(item.value_json) for item in record.summary.update
                }
            elif kind == "exit":
                values = {"exit_code": record.exit.exit_code}
            else:
                continue
            runs.setdefault(run_id, []).append((kind, values))
    return runs


def wandb_runs(folder: Path) -> dict:
    """Per cell key (or "study"): config, the history of each metric by step, the last summary and the number of
    finished run files (exit records) of its id."""
    runs = {}
    for run_id, records in wandb_records(folder).items():
        config = {k: v for kind, values in records if kind in ("run", "config") for k, v in values.items()}
        summary = {k: v for kind, values in records if kind == "summary" for k, v in values.items()}
        history: dict = {}
        for kind, values in records:
            if kind == "history" and "_step" in values:
                for name, value in values.items():
                    if not name.startswith("_"):
                        history.setdefault(name, {})[values["_step"]] = value
        key = "study" if config.get("job_type") == "study" else config.get("cell")
        runs[key] = {
            "id": run_id,
            "config": config,
            "summary": summary,
            "history": {name: [by_step[s] for s in sorted(by_step)] for name, by_step in history.items()},
            "exits": sum(kind == "exit" for kind, _ in records),
        }
    return runs


def tensorboard_runs(study_folder: Path) -> dict:
    """Per run folder under DIR/STUDY (keyed by its "cell" text, the parent by "study"): each scalar tag's values by
    step (one value when one step) and each text tag's text, read with TensorBoard's EventAccumulator."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    runs = {}
    for folder in sorted(p for p in Path(study_folder).rglob("*") if p.is_dir() and any(p.glob("events.out.*"))):
        events = EventAccumulator(str(folder), size_guidance={"tensors": 0})
        events.Reload()
        values: dict = {}
        for tag in events.Tags()["tensors"]:
            if tag.startswith("_hparams_/"):  # the HParams plugin's session records: read by hparams_of
                continue
            points = [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in events.Tensors(tag)]
            if points[0][1].dtype.kind in "SUO":  # text
                values[tag] = "\n".join(
                    p.item().decode() if isinstance(p.item(), bytes) else str(p.item()) for _, p in points
                )
            else:
                series = [float(p) for _, p in sorted(points, key=lambda point: point[0])]
                values[tag] = series if tag.startswith("epoch/") else series[-1]
        key = "study" if folder.name == "study" else _cell_of(values.get("tags", ""))
        runs[key] = values
    return runs


def _cell_of(tags_text: str) -> str:
    """The "cell" tag out of the run's tags text (lines "**cell**: {...}")."""
    for line in tags_text.split("\n\n"):
        if line.startswith("**cell**: "):
            return line.removeprefix("**cell**: ")
    raise AssertionError(f"no cell tag in {tags_text!r}")
