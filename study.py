#!/usr/bin/env python3
"""The study driver: run, resume and report named hyperparameter ablations.

    python study.py list                      ablations and baselines
    python study.py show bn_placement         resolved cells and budget
    python study.py run bn_placement          run it (re-running resumes)
    python study.py status bn_placement       done / running / failed per cell
    python study.py recover bn_placement      re-queue cells whose worker died
    python study.py report bn_placement       figure report from the database alone

Bad input exits with status 2 before anything is written.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of progress output

import ablations  # noqa: E402
from ablations import AblationError  # noqa: E402
from driver.storage import StorageError, backup_root, check_url, default_url, load_study  # noqa: E402
from training.config import Config, ConfigError, parse_override  # noqa: E402
from training.data import DataError  # noqa: E402

USER_ERRORS = (AblationError, ConfigError, DataError, StorageError)


class UsageError(ValueError):
    """A request the CLI refuses (exit status 2)."""


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    args.argv = argv
    try:
        return args.handler(args) or 0
    except (*USER_ERRORS, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="study.py", description=__doc__.split("\n")[0])
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("list", help="list named ablations and baselines").set_defaults(handler=cmd_list)
    for name, handler, help_text in (
        ("show", cmd_show, "print an ablation's resolved cells and budget"),
        ("run", cmd_run, "run a named ablation, resuming it if its study exists"),
    ):
        sub = commands.add_parser(name, help=help_text)
        _study_arguments(sub)
        sub.add_argument("--dataset", help="dataset name, npz:PATH or idx:DIR (default: the ablation's)")
        sub.add_argument("--epochs", type=int, help="epochs per cell (default: the ablation's)")
        sub.add_argument("--seeds", type=int, help="seeds per variant (default: the ablation's)")
        sub.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="override a base Config field, e.g. --set batch_size=64 (repeatable)")
        sub.set_defaults(handler=handler)
    status = commands.add_parser("status", help="show done / running / failed cells")
    _study_arguments(status)
    status.set_defaults(handler=cmd_status)
    recover = commands.add_parser("recover", help="list running trials; re-queue those whose worker is gone")
    _study_arguments(recover)
    recover.add_argument("--grace", type=float, default=None,
                         help="seconds without heartbeat after which a running trial is stale (default 120)")
    recover.set_defaults(handler=cmd_recover)
    report = commands.add_parser("report", help="render the figure report from the study database")
    _study_arguments(report)
    report.add_argument("--out", help="output directory (default runs/reports/STUDY_NAME)")
    report.set_defaults(handler=cmd_report)
    return top


def _study_arguments(sub):
    sub.add_argument("name", metavar="NAME", help="a named ablation (see `study.py list`)")
    sub.add_argument("--storage", default=None, help="Optuna storage URL (default sqlite:///runs/studies.db)")
    sub.add_argument("--study-name", default=None, help="study name in the storage (default: NAME)")


def cmd_list(args):
    import baselines

    print("Ablations:")
    for name in ablations.names():
        ablation = ablations.load(name)
        print(f"  {name:18s} {ablation.question.strip().splitlines()[0]}")
    print("Baselines:")
    for name in baselines.names():
        print(f"  {name:18s} {baselines.describe(name)}")


def resolve(args):
    """The ablation, its resolved base Config and the number of seeds, all validated."""
    ablation = ablations.load(args.name)
    overrides = dict(parse_override(text) for text in args.set)
    for key, value in (("dataset", args.dataset), ("epochs", args.epochs)):
        if value is not None:
            overrides[key] = value
    clash = sorted(set(overrides) & set(ablation.factors))
    if clash:
        raise UsageError(f"{', '.join(clash)} is a factor of ablation {args.name!r} (levels "
                         f"{ablation.factors[clash[0]]}); edit ablations/{args.name}.py to change its levels")
    if "seed" in overrides:
        raise UsageError("seed is set per cell; use --seeds N to choose how many seeds each variant gets")
    base = Config().replace(**ablation.base).replace(**overrides)
    seeds = ablation.seeds if args.seeds is None else args.seeds
    if seeds < 1:
        raise UsageError(f"--seeds {seeds}: must be at least 1")
    ablation.configs(base, seeds)  # validates every cell
    return ablation, base, seeds


def storage_url(args) -> str:
    return check_url(args.storage or default_url())


def cmd_show(args):
    ablation, base, seeds = resolve(args)
    variants = ablation.variants()
    print(f"{ablation.name}: {ablation.question.strip()}")
    if ablation.source:
        print(f"source: {ablation.source}")
    print(f"design: {ablation.design}, {len(variants)} variants x {seeds} seeds = {len(variants) * seeds} cells, "
          f"up to {len(variants) * seeds * base.epochs} epochs")
    defaults = Config().to_dict()
    changed = {k: v for k, v in base.to_dict().items() if defaults[k] != v and k != "seed"}
    print("base (fields differing from Config defaults):", ", ".join(f"{k}={v}" for k, v in changed.items()) or "none")
    print("variants, with the size of their network (FLOPs = multiply-adds per image, the papers' count):")
    texts = [" ".join(f"{k}={v}" for k, v in variant.items()) + ("   (base)" if i == 0 else "")
             for i, variant in enumerate(variants)]
    for i, (variant, text) in enumerate(zip(variants, texts)):
        params, flops = _model_size(base.replace(**variant))
        print(f"  {i:3d}  {text:{max(map(len, texts))}}   {params:>12,} params {_si(flops):>7} FLOPs")


def _model_size(config):
    """(parameters, multiply-adds per image) of the network a cell trains, built without its data."""
    import keras

    import baselines
    from baselines.cost import multiply_adds, parameters
    from training.data import image_shape_and_classes

    try:
        model = baselines.build(config, *image_shape_and_classes(config.dataset))
    except ValueError as error:
        raise UsageError(f"cell {config.model} on {config.dataset}: {error}") from None
    size = parameters(model), multiply_adds(model)
    keras.utils.clear_session()
    return size


def _si(number) -> str:
    """1234567 -> '1.23M'."""
    for factor, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if number >= factor:
            return f"{number / factor:.3g}{unit}"
    return str(number)


def cmd_run(args):
    from driver import runner

    ablation, base, seeds = resolve(args)
    url = storage_url(args)
    study_name = args.study_name or ablation.name
    runner.check_resumable(url, study_name, ablation, base)
    preflight(ablation, base, seeds)
    command = "python study.py " + " ".join(shlex.quote(a) for a in args.argv)
    study = runner.create_or_resume(url, study_name, ablation, base, command)
    counts = runner.run_cells(study, ablation, base, ablation.cells(seeds), backups=backup_root(url))
    print(f"finished: {counts['completed']} completed, {counts['diverged']} diverged, {counts['failed']} failed "
          f"in this run. Report: python study.py report {ablation.name}"
          + (f" --study-name {study_name}" if study_name != ablation.name else "")
          + (f" --storage {args.storage}" if args.storage else ""))
    return 1 if counts["failed"] else 0


def preflight(ablation, base, seeds):
    """Load every cell's data and build every distinct model once, so impossible cells fail before any write."""
    import keras

    import baselines
    from training.data import load_data

    for config in {c.replace(seed=0) for c in ablation.configs(base, seeds)}:
        data = load_data(config)  # raw datasets are cached; a split per distinct data set-up is cheap
        height, width, channels = data.input_shape
        shape = (height * config.input_scale, width * config.input_scale, channels)
        try:
            baselines.create(config.model, shape, data.num_classes, config)
        except ValueError as error:
            raise UsageError(f"cell {config.model} on {config.dataset}: {error}") from None
    keras.utils.clear_session()


def cmd_status(args):
    from driver.frame import status_table, trials_frame

    study = load_study(storage_url(args), args.study_name or args.name)
    spec = study.user_attrs.get("ablation", {})
    frame = trials_frame(study)
    table = status_table(frame, list(spec.get("factors", {})))
    print(f"study {study.study_name}: {spec.get('question', '').strip()}")
    if table.empty:
        print("no cells yet")
        return
    print(table.drop(columns=["error"]).to_string(index=False))
    print("cells:", ", ".join(f"{n} {s}" for s, n in table["status"].value_counts().items()))
    for _, row in table[table["error"].notna() & (table["status"] == "failed")].iterrows():
        print(f"error of seed {row['seed']} cell: {row['error']}")


def cmd_recover(args):
    import json
    import time

    from driver import runner

    study = load_study(storage_url(args), args.study_name or args.name)
    grace = runner.GRACE_SECONDS if args.grace is None else args.grace
    if grace < 2 * runner.HEARTBEAT_SECONDS:
        raise UsageError(f"--grace {grace}: must be at least {2 * runner.HEARTBEAT_SECONDS} s (two heartbeats), "
                         "or live trials would be declared stale")
    running = study.get_trials(deepcopy=False, states=(runner.TrialState.RUNNING,))
    stale = {trial.number: reason for trial, reason in runner.stale_trials(study, grace)}
    print(f"study {study.study_name}: {len(running)} running trial(s), {len(stale)} stale")
    for trial in running:
        worker = trial.user_attrs.get("worker", {})
        age = time.time() - trial.user_attrs.get("heartbeat", worker.get("started", time.time()))
        verdict = f"STALE: {stale[trial.number]}" if trial.number in stale else "alive"
        print(f"  #{trial.number} {runner.describe_cell(json.loads(trial.user_attrs.get('cell', '{}')))} "
              f"worker {worker.get('host')}:{worker.get('pid')} heartbeat {age:.0f} s ago -> {verdict}")
    cells = [json.loads(t.user_attrs["cell"]) for t in running if t.number in stale and "cell" in t.user_attrs]
    runner.fail_stale_trials(study, grace, log=lambda *a, **k: None)
    queued = runner.enqueue_missing(study, cells)
    print(f"re-queued {queued} cell(s); run `python study.py run {args.name}` (any worker) to train them")


def cmd_report(args):
    import reports
    from driver.frame import trials_frame

    study = load_study(storage_url(args), args.study_name or args.name)
    frame = trials_frame(study)
    spec = study.user_attrs.get("ablation", {})
    if not spec:
        raise UsageError(f"study {study.study_name!r} was not created by study.py run (no ablation recorded)")
    out = Path(args.out) if args.out else Path("runs") / "reports" / study.study_name
    provenance = {"study": study.study_name, "storage": storage_url(args), "command": study.user_attrs.get("command"),
                  "created": study.user_attrs.get("created"),
                  "split fingerprints": ", ".join(sorted(frame["split_fingerprint"].dropna().unique())),
                  **{f"base.{k}": v for k, v in study.user_attrs.get("base_config", {}).items()}}
    path = reports.render(frame, spec, out, study.study_name, provenance)
    print(f"report written: {path.resolve()}")


if __name__ == "__main__":
    sys.exit(main())
