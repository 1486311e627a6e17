"""Create a study or resume it: resuming with another base Config or other factor levels is refused."""

from __future__ import annotations

import dataclasses

import optuna

from ablation_suite.ablations import AUTO, Ablation
from ablation_suite.config import Config, ConfigError, effective
from ablation_suite.stats.sequential import RULE_DEFAULTS, RULE_FIELDS
from ablation_suite.store import record
from ablation_suite.store.provenance import model_files, provenance
from ablation_suite.store.storage import StorageError, exists, masked, masked_command, open_storage


def create_or_resume(
    url: str,
    study_name: str,
    ablation: Ablation,
    base: Config,
    command: str,
    machine: dict | None = None,
    warnings: list[str] | None = None,
) -> optuna.Study:
    """The study for this ablation; resuming with a different base Config is refused. A new study records
    ``command`` (the command line that made it) with any password masked, the ``machine`` that made it
    (``workers.machine.hardware()``) and the protocol's ``warnings`` (workers.preflight)."""
    study = optuna.create_study(
        storage=open_storage(url), study_name=study_name, direction="maximize", load_if_exists=True
    )
    if record.is_initialised(study):
        check_same_setup(study, url, ablation, base)
    else:
        record.initialise(
            study,
            ablation.spec(),
            base.to_dict(),
            masked_command(command),
            provenance(ablation.configs(base, 1), machine),
            warnings or [],
        )
    return study


def check_same_setup(study: optuna.Study, url: str, ablation: Ablation, base: Config) -> None:
    """Refuse to resume a study created with another base Config or other factor levels."""
    if not record.is_initialised(study):
        return  # not initialised yet (another worker is creating it, or a kill interrupted that)
    stored, wanted = (
        record.stored_base(study, defaults={f.name: f.default for f in dataclasses.fields(Config)}),
        base.to_dict(),
    )
    try:  # knobs that did nothing there and do nothing here are no difference (e.g. a default changed since)
        stored, wanted = effective(stored), effective(wanted)
    except ConfigError:
        pass  # stored under rules this version refuses: compare as stored, which names the difference
    spec, stored_spec = ablation.spec(), record.stored_spec(study)
    same_design = all(stored_spec.get(key, spec[key]) == spec[key] for key in ("factors", "search_space", "stages"))
    changed = {k: (stored.get(k), v) for k, v in wanted.items() if stored.get(k) != v}
    if AUTO in (stored_spec.get("seeds"), spec["seeds"]):  # decisions are valid under the rule they started with
        rule = ("seeds", *RULE_FIELDS)
        changed |= {
            k: (stored_spec.get(k, RULE_DEFAULTS.get(k)), spec[k])
            for k in rule
            if stored_spec.get(k, RULE_DEFAULTS.get(k)) != spec[k]
        }
    edited = _edited_model_files(study, ablation, base)
    if changed or edited or not same_design:
        differences = [f"{k}: {old!r} -> {new!r}" for k, (old, new) in changed.items()] + [
            f"the file of model {model!r} was edited (sha256 {old[:12]}... -> {new[:12]}...)"
            for model, (old, new) in edited.items()
        ]
        what = ", ".join(differences) or "the factors' levels or the search space"
        restore = "restore its file as it was (its cells so far trained that network), " if edited else ""
        raise StorageError(
            f"study {study.study_name!r} in {masked(url)} was created with a different set-up ({what}); "
            f"resume it with the original options, {restore}or start a separate study with --study-name NEW_NAME"
        )


def _edited_model_files(study: optuna.Study, ablation: Ablation, base: Config) -> dict:
    """{model: (sha256 at creation, sha256 now)} of the user's network files that changed since the study was
    created: its cells so far trained the old network, so the study cannot go on with the new one."""
    stored = record.creation(study)["provenance"].get("model_files", {})
    now = model_files(ablation.configs(base, 1)).get("model_files", {})
    return {
        model: (stored[model]["sha256"], now[model]["sha256"])
        for model in sorted(stored.keys() & now.keys())
        if stored[model]["sha256"] != now[model]["sha256"]
    }


def _refuse_changed_data(study: optuna.Study, url: str, ablation: Ablation, base: Config, datasets) -> None:
    """Refuse to go on when the data now splits a finished cell differently than it did when that cell trained
    (images added or removed), or when its content differs (images replaced, a re-prepared dataset): the study
    would compare cells trained on different data. Cells of a search or a chain are left out (their tuned values
    or an earlier stage's winners, which the cell does not name, may shape the data)."""
    if ablation.searches or ablation.stages:
        return
    now, moved = {}, []
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        cell, stored = record.trial_cell(trial), record.results(trial)
        if not cell or not stored["split_fingerprint"]:
            continue
        config = base.replace(**ablation.overrides(cell))
        if config not in now:
            now[config] = (datasets.split(config), datasets.content(config.dataset, config.image_size))
        split_now, content_now = now[config]
        # the content is compared where both sides have one: not for trials of older versions, nor streamed data
        contents = (stored["data_fingerprint"], content_now)
        if split_now != stored["split_fingerprint"] or (all(contents) and contents[0] != contents[1]):
            moved.append(record.describe_cell(cell))
    if moved:
        raise StorageError(
            f"study {study.study_name!r} in {masked(url)}: the data of {base.dataset!r} changed since {len(moved)} of "
            f"its finished cell(s) trained ({'; '.join(moved[:3])}{' ...' if len(moved) > 3 else ''}: their split or "
            "data fingerprint differs); put the data back as it was, or start a separate study with "
            "--study-name NEW_NAME"
        )


def check_resumable(url: str, study_name: str, ablation: Ablation, base: Config, datasets=None) -> None:
    """Refuse a mismatched resume before anything is written (reads only; the study may not exist). The data are
    read from ``datasets`` (training.caches.Datasets: the command's, which its cells then train on; a fresh
    one when None)."""
    from ablation_suite.training.caches import Datasets

    if not exists(url):
        return
    storage = open_storage(url)
    if any(s.study_name == study_name for s in optuna.get_all_study_summaries(storage)):
        study = optuna.load_study(study_name=study_name, storage=storage)
        check_same_setup(study, url, ablation, base)
        _refuse_changed_data(
            study, url, ablation, base, datasets if datasets is not None else Datasets()
        )  # here only: every worker of the run calls check_same_setup
