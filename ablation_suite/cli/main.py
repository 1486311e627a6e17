"""The command line: run, resume and report named hyperparameter ablations.

    ablation-suite list                      ablations and baselines
    ablation-suite show bn_placement         cells, budget and training protocol
    ablation-suite run bn_placement          run it (re-running resumes)
    ablation-suite search optimizer_lr       run or resume a search design, with its budget
    ablation-suite status bn_placement       done / running / failed per cell
    ablation-suite recover bn_placement      re-queue cells whose worker died
    ablation-suite report bn_placement       figure report from the database alone
    ablation-suite best optimizer_lr         best configuration as --set overrides
    ablation-suite export bn_placement       one row per trial as CSV or Parquet
    ablation-suite serve --port 13000        serve the storage to workers using --storage grpc://HOST:13000

(``ablation-suite ...`` in a checkout and ``python -m ablation_suite ...`` are the same command.) NAME is a named
ablation or the path of an ablation file (``path/to/question.py``). This module is the command line only: argparse
and printing; the work is in the packages beside it. Bad input (any ``UserError``) exits 2 before anything is written.
"""

from __future__ import annotations

import gc
import os
import sys
from functools import partial
from pathlib import Path

from ablation_suite import ablations
from ablation_suite import trackers as track
from ablation_suite.ablations import AUTO, SEARCH_DESIGNS
from ablation_suite.ablations.designs import DESIGNS
from ablation_suite.cli import questions
from ablation_suite.cli.arguments import parser
from ablation_suite.errors import UserError
from ablation_suite.loops import entry
from ablation_suite.loops.entry import UsageError
from ablation_suite.stats.sequential import RULE_FIELDS
from ablation_suite.store.storage import ENV, given_url, load_study, masked_command
from ablation_suite.training.caches import Caches
from ablation_suite.training.quiet import prepare_tensorflow

# How a worker starts another copy of itself (the extra workers of --workers, launched workers, restarts):
# the installed package's module, so it works from any directory and whichever way the user typed the command.
SELF_COMMAND = [sys.executable, "-m", "ablation_suite"]


def main(argv=None) -> int:
    """Run one command; returns its exit status. ``argv`` None means this process is the command itself
    (the console script, ``python -m ablation_suite`` or ``study.py``), which may then re-execute itself and
    freeze its start-up out of the garbage collector; a test or notebook passes ``argv`` and is left alone."""
    own_process = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser(HANDLERS).parse_args(argv)
    args.argv = argv
    args.own_process = own_process
    args.caches = Caches()  # what this command keeps between its cells (nothing is kept across commands)
    prepare_tensorflow(args.verbose)  # before anything loads TensorFlow: its C++ start-up log kept out
    try:
        return args.handler(args) or 0
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        args.caches.datasets.remove_written()  # a refused command writes nothing, not even the data it decoded
        return 2


def invoked_as() -> str:
    """How the user typed the command's program, for the command line a study records."""
    program = Path(sys.argv[0]).name
    if program == "study.py":
        return "ablation-suite"
    return "python -m ablation_suite" if program == "__main__.py" else "ablation-suite"


def study_name(args) -> str:
    """The study's name: --study-name, else the ablation's name (an ablation file's name without .py)."""
    return args.study_name or (Path(args.name).stem if ablations.is_path(args.name) else args.name)


def storage_url(args) -> str:
    return given_url(args.storage)


def cmd_list(args):
    from ablation_suite import baselines

    print("Ablations:")
    for name in ablations.names():
        ablation = ablations.load(name)
        print(f"  {name:18s} {ablation.question.strip().splitlines()[0]}")
    print("Baselines:")
    for name in baselines.names():
        print(f"  {name:18s} {baselines.describe(name)}")


def question(args):
    """The ablation a command asks: a catalogue name or a file, its factors' levels replaced by --levels; or a
    question of its own, named NAME, from --factor (cli.questions)."""
    if args.factor and args.levels:
        raise UsageError("--levels changes a factor of a named ablation; a --factor question lists its own levels")
    if args.design and not args.factor:
        raise UsageError(f"--design goes with --factor; ablation {args.name!r} has the design its file states")
    if args.factor:
        return questions.ad_hoc(args.name, questions.levels_of(args.factor, "--factor"), args.design)
    ablation = ablations.load(args.name)
    return questions.with_levels(ablation, args.levels, args.name) if args.levels else ablation


def resolve(args):
    """The ablation, its resolved base Config, seeds and what was adapted to the run (cli.entry.resolve)."""
    options = {key: getattr(args, key, None) for key in ("n_trials", "sampler", "pruner")}
    rule = {key: getattr(args, key) for key in RULE_FIELDS}
    return entry.resolve(
        question(args),
        args.name,
        args.command,
        entry.overrides_of(args.set, args.dataset, args.epochs),
        args.seeds,
        options,
        rule,
    )


def cmd_show(args):
    """What `run` would train, refused where `run` would refuse it (the same resolution and network checks)."""
    from ablation_suite.cli.show import show
    from ablation_suite.workers.preflight import preflight, unseeded

    ablation, base, seeds, adapted = resolve(args)
    # each network is built once, for the checks and, for the variants show lists, for their sizes
    sizes = dict.fromkeys(unseeded(base.replace(**ablation.overrides(v)), base) for v in ablation.variants())
    warnings = preflight(ablation, base, seeds, args.caches.datasets, download=False, sizes=sizes)
    show(ablation, base, seeds, adapted, warnings=warnings, sizes=sizes)
    if args.factor:  # so that a question tried on the command line can be saved
        overrides = entry.overrides_of(args.set, args.dataset, args.epochs)
        print(f"\nthe same question as a file ({args.name}.py; run it with: ablation-suite run {args.name}.py):\n")
        print(questions.question_file(ablation, overrides), end="")


def cmd_run(args):
    from ablation_suite import api
    from ablation_suite.cli import console
    from ablation_suite.store import resume
    from ablation_suite.workers import launchers
    from ablation_suite.workers import processes as workers
    from ablation_suite.workers.devices import check_gpus
    from ablation_suite.workers.memory import MemoryWatch, freeze_start_up

    ablation, base, seeds, adapted = resolve(args)
    url, name = storage_url(args), study_name(args)
    trackers = track.parse(args.track, args.old_tensorboard)  # reached now, before anything trains
    if launchers.check_request(args, url):  # workers on a cluster, each running this command without the launcher
        if not args.print_sbatch:
            resume.check_resumable(url, name, ablation, base, args.caches.datasets)
            console.run_header(name, url, ablation, base, seeds, adapted)
        return launchers.launch(args, url, SELF_COMMAND, name)
    if not args.carried:  # a restarted worker was validated before its restart
        resume.check_resumable(url, name, ablation, base, args.caches.datasets)
        if args.gpus:  # before any worker's CUDA_VISIBLE_DEVICES
            check_gpus(args.gpus)
        console.run_header(name, url, ablation, base, seeds, adapted)

    # Only a process started as the command can re-execute itself as one (not a test or notebook calling
    # main()); it also ends with the command, so its start-up can be frozen out of the collector's sight.
    own_process = args.own_process

    typed = os.environ.get(workers.COMMAND_ENV) or f"{invoked_as()} {masked_command(args.argv)}"

    protocol_warnings = []  # found by prepare(), recorded by the study work() creates

    def prepare():
        console.device_line()
        if own_process:
            freeze_start_up()
        protocol_warnings[:] = entry.check_before_writing(ablation, base, seeds, args.caches.datasets)
        for warning in protocol_warnings:
            print(f"warning: {warning}", flush=True)

    def work():
        if args.carried and own_process:  # a restarted worker skips prepare()
            freeze_start_up()
        outcome = entry.train_study(
            url,
            name,
            ablation,
            base,
            seeds,
            typed,
            trackers,
            MemoryWatch(args.recycle_mb if own_process else 0),
            caches=args.caches,
            warnings=protocol_warnings,
            reuse=not args.no_reuse,
            fuse=args.fuse,
        )
        return outcome.counts, outcome.restart

    command = [*SELF_COMMAND, *workers.without_worker_options(args.argv)]
    plans = workers.worker_plans(
        args.workers, args.gpus, workers.available_cores(), os.environ.get("CUDA_VISIBLE_DEVICES")
    )
    counts, codes = workers.run_workers(
        command, plans, args.carried, prepare, work, env={ENV: url, workers.COMMAND_ENV: typed}
    )
    print(
        f"finished: {counts['completed']} completed, {counts['diverged']} diverged, {counts['pruned']} pruned, "
        f"{counts['failed']} failed"
        + (f", {counts['reused']} reused from other studies" if counts.get("reused") else "")
        + " in this run"
        + (f" by this worker ({len(codes)} more worker(s) exited with {codes})" if codes else "")
        + f". Report: ablation-suite report {args.name}"
        + (f" --study-name {name}" if name != ablation.name else "")
        + (" " + masked_command(["--storage", url]) if args.storage or ENV in os.environ else "")
    )
    study = load_study(url, name)
    console.print_answers(study)
    track.sync(trackers, study, final=True, render=partial(api.report, name, url))  # + any cell a worker left unlogged
    return 1 if counts["failed"] or any(codes) else 0


def cmd_status(args):
    from ablation_suite.cli.console import warning_lines
    from ablation_suite.reports.answers import answered_groups, group_sentences
    from ablation_suite.store.frame import status_table, trials_frame
    from ablation_suite.store.record import spec_with_winners
    from ablation_suite.workers import launchers

    url = storage_url(args)
    study = load_study(url, study_name(args))
    spec = spec_with_winners(study)
    frame = trials_frame(study)
    print(f"study {study.study_name}: {spec.get('question', '').strip()}")
    if spec.get("design") in SEARCH_DESIGNS:
        print_search_progress(url, study)
    if spec.get("seeds") == AUTO:  # the answer first: each level's decision
        from ablation_suite.loops.adaptive import study_decisions

        print("\n".join(study_decisions(study, spec)) + "\n")
    table = status_table(frame, [*spec.get("factors", {}), *spec.get("search_space", {})])
    if table.empty:
        print("no cells yet")
        return
    print(table.drop(columns=["error"]).to_string(index=False))
    print("cells:", ", ".join(f"{n} {s}" for s, n in table["status"].value_counts().items()))
    for task, cells in launchers.cells_by_task(study).items():  # workers started by --launcher
        print(f"{task} ran: {'; '.join(cells)}")
    for _, row in table[table["error"].notna() & (table["status"] == "failed")].iterrows():
        print(f"error of seed {row['seed']} cell: {row['error']}")
    answers = answered_groups(frame, spec, test=args.test)
    for group, summary in answers:
        columns = [
            "level",
            *(f"tuned_{name}" for name in group.tuned),
            "seeds",
            "test_accuracy",
            "ci_low",
            "ci_high",
            "delta_vs_base",
            "diff_low",
            "diff_high",
            "p_value",
            "p_holm",
            "effect_size",
            "note",
        ]
        sentences = [] if spec.get("seeds") == AUTO else group_sentences(group, summary)  # (auto: printed first)
        print(f"\n{group.title}:", *sentences, sep="\n  ")
        adaptive = spec.get("seeds") == AUTO
        reference = "the best" if adaptive and DESIGNS[spec["design"]].races else "base"
        interval = "the decision rule's interval" if adaptive else "its paired 95% interval"
        print(
            f"(test accuracy with 95% interval; difference from {reference} {group.base} with {interval}; "
            f"paired {args.test} test, Holm):"
        )
        print(summary[[*columns, "decision"]].to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="-"))
    print(warning_lines(frame, spec, answers))


def print_search_progress(url, study):
    """Per level: search trials finished of the budget, best validation accuracy and values so far."""
    from ablation_suite.loops.search import progress
    from ablation_suite.store.record import describe_cell

    for level in progress(url, study):
        if not level["started"]:
            print(f"  search {level['label']}: not started")
            continue
        best = f", best val {level['best'][0]:.4f} at {describe_cell(level['best'][1])}" if level["best"] else ""
        tuned_note = " -> tuned, seeds re-run in the main study" if level["tuned"] else ""
        print(
            f"  search {level['label']}: {level['finished']}/{level['budget']} trials ({level['pruned']} pruned)"
            f"{best}{tuned_note}"
        )


def cmd_recover(args):
    from optuna.trial import TrialState

    from ablation_suite.loops import runner
    from ablation_suite.store import record
    from ablation_suite.workers import launchers, liveness

    study = load_study(storage_url(args), study_name(args))
    grace = liveness.GRACE_SECONDS if args.grace is None else args.grace
    if grace < 2 * liveness.HEARTBEAT_SECONDS:
        raise UsageError(
            f"--grace {grace}: must be at least {2 * liveness.HEARTBEAT_SECONDS} s (two heartbeats), "
            "or live trials would be declared stale"
        )
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    stale = {trial.number: reason for trial, reason in liveness.stale_trials(study, grace)}
    print(f"study {study.study_name}: {len(running)} running trial(s), {len(stale)} stale")
    for trial in running:
        worker = record.trial_worker(trial)
        verdict = f"STALE: {stale[trial.number]}" if trial.number in stale else "alive"
        task = f" ({launchers.task_label(worker)})" if launchers.task_label(worker) else ""
        print(
            f"  #{trial.number} {record.describe_cell(record.trial_cell(trial))} worker {worker.get('host')}:"
            f"{worker.get('pid')}{task} heartbeat {record.silence(trial):.0f} s ago -> {verdict}"
        )
    cells = [cell for cell in liveness.fail_stale_trials(study, grace, log=lambda *a, **k: None) if cell]
    queued = runner.enqueue_missing(study, cells)
    print(f"re-queued {queued} cell(s); run `ablation-suite run {args.name}` (any worker) to train them")


def cmd_report(args):
    from ablation_suite import api

    path = api.report(study_name(args), storage_url(args), args.out, args.format, args.svg)
    print(f"report written: {path.resolve()}")


def cmd_best(args):
    """The best level (by mean validation accuracy over seeds) as --set overrides, and every tuned level."""
    from ablation_suite.reports.comparisons import finished
    from ablation_suite.reports.tables import best_configuration
    from ablation_suite.store.frame import trials_frame
    from ablation_suite.store.record import spec_with_winners

    study = load_study(storage_url(args), study_name(args))
    spec = spec_with_winners(study)
    done = finished(trials_frame(study))
    if done.empty:
        raise UsageError(f"study {study.study_name!r} has no finished cells yet; run it first")
    if not [*spec.get("factors", {}), *spec.get("search_space", {})]:
        raise UsageError(f"study {study.study_name!r} varies nothing")
    for rank, row in best_configuration(done, spec).iterrows():
        tag = "best" if rank == 0 else f"#{rank + 1}"
        print(
            f"{tag:5s} {row['overrides']}   # val {row['val_accuracy']:.4f}, test {row['test_accuracy']:.4f}, "
            f"{int(row['seeds'])} seed(s)"
        )


def cmd_export(args):
    """One row per cell (tidy), with --history a long table of every epoch beside it; with --trials every trial
    of the study and of its searches as Optuna gives them."""
    from ablation_suite import api
    from ablation_suite.store.frame import cells_table, export_table, history_table
    from ablation_suite.store.storage import open_storage

    if args.trials and args.history:
        raise UsageError("--history is the tidy export's per-epoch table; --trials has each trial's history inside")
    url = storage_url(args)
    study = load_study(url, study_name(args))
    if args.to:
        for flag in ("out", "history", "trials"):
            if getattr(args, flag):
                raise UsageError(f"--to writes to trackers, not files: leave out --{flag}")
        return track.sync(track.parse(args.to), study, final=True, render=partial(api.report, study.study_name, url))
    out = Path(args.out) if args.out else Path("runs") / "exports" / f"{study.study_name}.{args.format}"
    out.parent.mkdir(parents=True, exist_ok=True)

    def write(table, path: Path) -> None:
        table.to_csv(path, index=False) if args.format == "csv" else table.to_parquet(path, index=False)

    if args.trials:
        table, names = export_table(open_storage(url), study.study_name)
        write(table, out)
        print(f"exported {len(table)} trials of {len(names)} study(ies) to {out.resolve()}")
        return
    from ablation_suite.cli.console import far_trials
    from ablation_suite.store.frame import trials_frame
    from ablation_suite.store.record import spec_with_winners

    cells = cells_table(study)
    far = far_trials(trials_frame(study), spec_with_winners(study))
    cells.insert(cells.columns.get_loc("status") + 1, "far_from_its_level", cells["number"].isin(far))
    write(cells, out)
    print(f"exported {len(cells)} cells of {study.study_name} to {out.resolve()}")
    if args.history:
        history = out.with_name(f"{out.stem}_history{out.suffix}")
        epochs = history_table(study)
        write(epochs, history)
        print(f"exported {len(epochs)} per-epoch values to {history.resolve()}")


def cmd_serve(args):
    from ablation_suite.store.proxy import serve

    serve(storage_url(args), args.port, args.host)


HANDLERS = dict(
    list=cmd_list,
    show=cmd_show,
    run=cmd_run,
    search=cmd_run,
    status=cmd_status,
    best=cmd_best,
    export=cmd_export,
    recover=cmd_recover,
    report=cmd_report,
    serve=cmd_serve,
)

if __name__ == "__main__":
    status = main()
    # Python's exit collects garbage over every object TensorFlow loaded (1.5-3 s on 2 cores); the process is
    # ending and every result is stored, so those objects are left to the operating system to free.
    gc.freeze()
    sys.exit(status)
