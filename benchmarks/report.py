"""The benchmark results as a readable Markdown table (what README's performance section quotes)."""

from __future__ import annotations

import math

from benchmarks import short_trials


def table(results: dict) -> str:
    machine = results["machine"]
    gpus = machine["gpus"] if isinstance(machine["gpus"], str) else ", ".join(machine["gpus"])
    lines = [
        f"Benchmark ({results['scale']}, median of {results['repeats']} repeat(s), {results['date']}, "
        f"{results['seconds']['total']:.0f} s)",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gb']} GB RAM, {gpus}; "
        f"TensorFlow {machine['tensorflow']}, Keras {machine['keras']}, Python {machine['python']}; "
        f"matmul peak {machine['matmul_peak_gflops']:.0f} GFLOP/s; load average "
        f"{machine['load_average_at_start'][0]} at start, {machine['load_average_at_end'][0]} at end",
        "",
        *(
            [
                "Kept from earlier runs of this scale (not repeated by this `--only` run): "
                + ", ".join(f"{key} ({date})" for key, date in results["earlier"].items()),
                "",
            ]
            if results.get("earlier")
            else []
        ),
        "| measurement | result | target | met |",
        "|---|---|---|---|",
        *(f"| {name} | {result} | {target} | {_met(met)} |" for name, result, target, met in rows(results)),
        "",
    ]
    return "\n".join(lines)


def rows(results: dict) -> list[tuple]:
    """(measurement, result, target, met or None) per line of the table, for the measurements present."""
    return [row for key, make_rows in ROWS.items() if key in results for row in make_rows(results)]


def _throughput(results: dict) -> list[tuple]:
    speed = results["throughput"]
    rates, peak = speed["images_per_second"], speed["fraction_of_matmul_peak"]
    return [
        (
            f"1. training throughput, `{speed['model']}` {'x'.join(map(str, speed['input_shape']))}, "
            f"batch {speed['batch_size']}",
            f"trainer {rates['trainer']:.0f} img/s ({100 * peak['trainer']:.1f}% of matmul peak), "
            f"plain model.fit {rates['plain_fit']:.0f} img/s: ratio {speed['ratio_trainer_to_plain_fit']:.2f}; "
            f"trainer with steps_per_execution=1 instead of {speed['steps_per_execution']}: "
            f"{rates['trainer_steps_per_execution_1']:.0f} img/s "
            f"(ratio {speed['ratio_single_step_trainer_to_plain_fit']:.2f})",
            ">= 1.0 (aim 1.2)",
            speed["ratio_trainer_to_plain_fit"] >= 1.0,
        )
    ] + _augmentation_place(speed)


def _augmentation_place(speed: dict) -> list[tuple]:
    """Where to augment on the benchmark's device; runs before this comparison existed have no row."""
    if "augmentation" not in speed:
        return []
    rates, ratio = speed["images_per_second"], speed["ratio_augmented_in_train_step_to_pipeline"]
    if abs(ratio - 1) <= 0.05:  # within the run-to-run spread of a shared machine
        verdict = "no clear difference on this machine"
    else:
        verdict = f"`augment_in={'train_step' if ratio > 1 else 'pipeline'}` is faster on this machine"
    return [
        (
            f"1. augmentation `{speed['augmentation']}`: in the tf.data pipeline vs in the train step",
            f"pipeline {rates['augmented_in_pipeline']:.0f} img/s, train step {rates['augmented_in_train_step']:.0f} "
            f"img/s (ratio {ratio:.2f}): {verdict}",
            "reported (pick the faster)",
            None,
        )
    ]


def _fixed_cost(results: dict) -> list[tuple]:
    fixed = results["fixed_cost"]
    seconds = fixed["seconds"]
    return [
        (
            "2. fixed cost per trial",
            f"{seconds['fixed']:.2f} s of a {seconds['trial']:.1f} s trial "
            f"({100 * fixed['fixed_fraction_of_trial']:.0f}%): setup {seconds['setup']:.2f}, trace "
            f"{seconds['trace']:.2f}, evaluate {seconds['evaluate']:.2f}, record {seconds['record']:.2f} s; "
            f"{100 * fixed['fixed_fraction_of_projected_mnist_trial']:.1f}% of a 10-epoch MNIST trial "
            f"({fixed['projected_mnist_trial_seconds']:.0f} s, projected)",
            "<= 2 s or <= 10%",
            fixed["target_met"],
        )
    ]


def _workers(results: dict) -> list[tuple]:
    workers = results["workers"]
    rates = workers["trial_images_per_second"]
    return [
        (
            f"3. parallel workers ({workers['cells']} cells of bn_placement)",
            f"1 worker {workers['seconds']['1_worker']:.1f} s, 2 workers {workers['seconds']['2_workers']:.1f} s: "
            f"speed-up {workers['speed_up']:.2f}x. Training alone gains {workers['training_rate_ratio']:.2f}x: a "
            f"trial trains at {rates['1_worker']:.0f} img/s on both cores, at {rates['2_workers']:.0f} img/s on "
            f"one core next to the other worker and at {rates['1_worker_on_one_core']:.0f} img/s on one core "
            f"alone, so two workers could gain at most {workers['training_rate_ceiling']:.2f}x on training",
            ">= 1.6x",
            workers["target_met"],
        )
    ]


def _memory(results: dict) -> list[tuple]:
    memory = results["memory"]
    return [
        (
            f"4. memory over {memory['trials']} trials of one worker",
            f"RSS {memory['rss_mb_after_first']:.0f} MB after the first trial, peak {memory['rss_mb_peak']:.0f} MB "
            f"(growth {memory['growth_mb']:+.0f} MB; {memory.get('networks_kept', 0)} network(s) kept for re-use from "
            f"trial {memory.get('trial_kept', 1)}, "
            f"{memory.get('rss_mb_once_kept', memory['rss_mb_after_first']):.0f} MB, "
            f"growth after that {memory.get('growth_after_kept_mb', memory['growth_mb']):+.0f} MB); peak of the first "
            f"fifth of the trials "
            f"{memory['peak_first_fifth_mb']:.0f} MB, of the last fifth {memory['peak_last_fifth_mb']:.0f} MB. "
            f"{memory['restarts']} restart(s) at the default --recycle-mb "
            f"(trials per process {', '.join(map(str, memory['trials_per_process']))}), at most "
            f"{memory['max_growth_within_a_process_mb']:+.0f} MB within one process; GPU memory {memory['gpu_memory']}",
            "<= 100 MB",
            memory["target_met"],
        )
    ]


def _pruning(results: dict) -> list[tuple]:
    unpruned = results["pruning"]["searches"]["none"]
    return [
        (
            f"5. pruning ({pruner}), {results['pruning']['trials']}-trial LR search",
            f"best val {100 * found['best_val_accuracy']:.1f}% vs {100 * unpruned['best_val_accuracy']:.1f}% "
            f"unpruned ({found['best_minus_unpruned_pp']:+.1f} pp) with {found['epochs_trained']} of "
            f"{unpruned['epochs_trained']} epochs ({100 * found['epoch_fraction']:.0f}%)",
            "within 0.5 pp with <= 1/3 of the epochs",
            found["target_met"],
        )
        for pruner, found in results["pruning"]["searches"].items()
        if pruner != "none"
    ]


def _precision(results: dict) -> list[tuple]:
    precision = results["precision"]
    speed_ups = ", ".join(
        f"{name} {value:.2f}x" for name, value in precision["speed_up_vs_float32"].items() if name != "float32"
    )
    return [
        ("6. precision / XLA speed-up over float32", f"{speed_ups} on {precision['device']}", "reported (GPU)", None)
    ]


def _pipeline(results: dict) -> list[tuple]:
    pipeline = results["pipeline"]
    times = pipeline["steady_epoch_seconds"]
    return [
        (
            "7. input pipeline overhead",
            f"{100 * pipeline['overhead']:+.1f}% ({_rounds(pipeline)}; median epoch {times['pipeline']:.3f} s vs "
            f"{times['synthetic']:.3f} s on one repeated in-memory batch)",
            "<= 5%",
            pipeline["target_met"],
        )
    ]


def _rounds(found: dict) -> str:
    """The rounds behind a paired overhead (benchmarks.input_pipeline.overhead_in_rounds), each with its 95%
    interval; for a result kept from a run before rounds (--only), what that run gave."""
    if "rounds" not in found:
        low, high = found.get("overhead_interval_95", (math.nan, math.nan))
        return f"one run, before rounds were taken: 95% interval {100 * low:+.1f}% to {100 * high:+.1f}%"
    each = ", ".join(
        f"{100 * r['overhead']:+.1f}% [{100 * r['overhead_interval_95'][0]:+.1f}, "
        f"{100 * r['overhead_interval_95'][1]:+.1f}]"
        for r in found["rounds"]
    )
    return (
        f"median of {len(found['rounds'])} rounds of {found['pairs']} pairs of adjacent epochs, each the median "
        f"over blocks of two pairs with its 95% interval: {each}; CPU time {100 * found['cpu_overhead']:+.1f}%"
    )


def _folder_pipeline(results: dict) -> list[tuple]:
    found = results["folder_pipeline"]  # benchmarks/input_pipeline.py
    times = found["steady_epoch_seconds"]
    return [
        (
            f"8. image folder streamed from the file cache vs in memory, `{found['model']}` "
            f"{'x'.join(map(str, found['image_shape']))}, {found['train_images']} training PNGs",
            f"overhead {100 * found['overhead']:+.1f}% ({_rounds(found)}); median epoch {times['streamed']:.3f} s "
            f"streamed, {times['in_memory']:.3f} s in memory; decoded once: "
            f"{found['decode_seconds']['file']:.1f} s into the cache, {found['decode_seconds']['memory']:.1f} s into "
            "memory" + _separately(found),
            "<= 5%",
            found["target_met"],
        )
    ]


def _separately(found: dict) -> str:
    """When the row was measured apart from the rest of the table (``--only``), when and under what load."""
    run = found.get("measured_separately")
    return f"; measured separately on {run['date']}, load average {run['load_average_at_start'][0]}" if run else ""


def _adaptive_seeds(results: dict) -> list[tuple]:
    """benchmarks/adaptive_seeds.py: one row per goal, the races, and the real digits runs."""
    adaptive = results["adaptive_seeds"]
    if "goals" not in adaptive:
        return _adaptive_seeds_before_scenarios(adaptive)
    simulated, real, rule, goals = adaptive["simulated"], adaptive["real_digits"], adaptive["rule"], adaptive["goals"]
    summary = simulated["summary"]
    scenarios = simulated["scenarios"]

    def met(key):
        return goals[key]["met"]

    def split(by):
        return (
            f"early decisions {100 * by['decided']:.0f}%, futility stops {100 * by['futility']:.0f}%, "
            f"base {100 * by['base']:.0f}%"
        )

    races = [s for s in scenarios if s["race"]]
    return [
        (
            f"9. adaptive seeds, simulated: false decisions ({len(scenarios)} scenarios x "
            f"{simulated['ablations_per_scenario']} comparisons, margin {rule['rope_pp']} pp, "
            f"{rule['min_seeds']}-{rule['max_seeds']} seeds vs a fixed {rule['max_seeds']}-seed design; spreads from "
            "the digits runs and 0.2-0.5 pp; normal, t3, unequal, 8 levels, races)",
            f"worst scenario without collapses ({summary['false_decision_rate_max_scenario']}): "
            f"{100 * summary['false_decision_rate_max']:.1f}% +- {100 * summary['false_decision_rate_max_se']:.1f}% "
            "of comparisons with a false decision "
            f"(fixed design {100 * summary['false_decision_rate_max_fixed']:.1f}%)",
            f"<= alpha ({rule['alpha']:g})",
            met("false_decision_rate_max"),
        ),
        (
            "9. adaptive seeds: collapses named (5-10% of runs of the base, the levels or both lose 5-20 pp)",
            f"{100 * summary['collapse_flagged']:.1f}% of {summary['collapse_levels']} levels with a collapse among "
            f"their used seeds end with far seeds named ({100 * summary['collapse_flagged_where_visible']:.1f}% where "
            f"it moved the paired difference by >= 4 pp; fixed design "
            f"{100 * summary['collapse_flagged_fixed']:.1f}%)"
            + (
                f"; levels without a collapse flagged: {100 * summary['flagged_without_collapse']:.1f}% (most: "
                f"{summary['flagged_without_collapse_worst_scenario']}, "
                f"{100 * summary['flagged_without_collapse_worst']:.1f}%)"
                if "flagged_without_collapse" in summary
                else ""
            ),
            "1.0",
            met("collapse_flagged"),
        ),
        (
            "9. adaptive seeds: false decisions under collapses vs the fixed design",
            f"{100 * summary['collapse_false_adaptive']:.1f}% of {summary['collapse_comparisons']} comparisons vs "
            f"{100 * summary['collapse_false_fixed']:.1f}%: ratio {summary['collapse_false_vs_fixed']:.2f}"
            + (
                f" (difference {100 * summary['collapse_false_minus_fixed']:+.2f} +- "
                f"{100 * summary['collapse_false_minus_fixed_se']:.2f} pp); scored against the difference of the "
                f"runs that did not collapse: {100 * summary['collapse_false_vs_ordinary_adaptive']:.2f}% vs "
                f"{100 * summary['collapse_false_vs_ordinary_fixed']:.2f}%"
                if "collapse_false_minus_fixed" in summary
                else ""
            )
            + (
                f"; levels called equivalent where the fixed design on the same seeds is not: "
                f"{summary['equivalent_not_fixed']} (equivalence waits for the cap)"
                if "equivalent_not_fixed" in summary
                else ""
            ),
            "<= 1.0",
            met("collapse_false_vs_fixed"),
        ),
        (
            f"9. adaptive seeds: trainings saved, digits spreads, mixed truths "
            f"({len(summary['trainings_saved_scenarios'])} scenarios)",
            f"{100 * summary['trainings_saved']:.1f}%{_se(summary, 'trainings_saved_se')} of the fixed design's "
            f"trainings ({split(summary['trainings_saved_by'])})",
            ">= 40%",
            met("trainings_saved"),
        ),
        (
            f"9. adaptive seeds: trainings saved, spreads 0.2-0.5 pp, mixed truths "
            f"({len(summary['trainings_saved_decidable_scenarios'])} scenarios)",
            f"{100 * summary['trainings_saved_decidable']:.1f}%{_se(summary, 'trainings_saved_decidable_se')} "
            f"({split(summary['trainings_saved_decidable_by'])})",
            ">= 30%",
            met("trainings_saved_decidable"),
        ),
        (
            "9. adaptive seeds: levels decided vs the fixed design (the same mixed scenarios)",
            f"{100 * summary['decided_share']:.1f}% vs {100 * summary['decided_share_fixed']:.1f}% "
            f"({100 * summary['decided_share_vs_fixed']:+.1f} pp"
            + (
                f"; without the collapse scenarios {100 * summary['decided_share_vs_fixed_without_collapses']:+.1f} pp"
                if "decided_share_vs_fixed_without_collapses" in summary
                else ""
            )
            + "); least of any scenario "
            f"{100 * summary['decided_share_vs_fixed_worst']:+.1f} pp "
            f"({summary['decided_share_vs_fixed_worst_scenario']})",
            ">= -3 pp",
            met("decided_share_vs_fixed"),
        ),
        (
            f"9. adaptive seeds: races of {races[0]['levels']} levels at near ties "
            f"({', '.join(f'{v:g}' for v in races[0]['true_means_pp'])} pp)"
            if races
            else "9. adaptive seeds: races",
            "; ".join(
                f"{s['name']}: true best in the best set {100 * s['best_in_set']['rate']:.1f}% (fixed "
                f"{100 * s['fixed_best_in_set']['rate']:.1f}%), a level > margin below it named the only winner "
                f"{100 * s['wrong_single_winner']['rate']:.1f}% "
                f"(fixed {100 * s['fixed_wrong_single_winner']['rate']:.1f}%), "
                f"best set of {s['mean_best_set_size']:.1f} levels, {100 * s['trainings_saved']:.0f}% saved"
                for s in races
            ),
            "reported",
            None,
        ),
        (
            f"9b. adaptive seeds on digits: near-tie spreads measured ({real['seeds']} seeds per level, "
            f"{real['test_images']} test images)",
            "paired SD "
            + ", ".join(
                f"{c['model']} {c['levels'][0]}->{c['levels'][1]} {100 * c['paired_difference_sd']:.2f} pp "
                f"(mean {100 * c['mean_difference']:+.2f})"
                for c in real["comparisons"]
            )
            + f"; --seeds auto replayed on the recorded seeds: {real['auto_trainings']} trainings vs "
            f"{real['fixed_trainings']}; decisions {'agree' if real['decisions_agree'] else '**differ**'}: "
            + ", ".join(
                f"{level} {verdict}"
                + (
                    ""
                    if real["fixed_decisions"].get(level) == verdict
                    else f" (fixed {real['fixed_decisions'][level]})"
                )
                for level, verdict in real["auto_decisions"].items()
            ),
            "same decisions",
            real["decisions_agree"],
        ),
    ]


def _se(summary: dict, key: str) -> str:
    """ " +- 0.2%": a share's Monte Carlo error, when the run recorded it."""
    return f" +- {100 * summary[key]:.1f}%" if key in summary else ""


def _adaptive_seeds_before_scenarios(adaptive: dict) -> list[tuple]:
    """The rows of a result kept from a run before the scenarios (normal noise only)."""
    simulated, real, rule = adaptive["simulated"], adaptive["real_digits"], adaptive["rule"]
    return [
        (
            f"9. adaptive seeds, simulated ({simulated['ablations']} ablations x "
            f"{simulated['levels_per_ablation']} levels, normal noise only)",
            f"{100 * simulated['trainings_saved']:.0f}% saved; false decisions in "
            f"{100 * simulated['comparisons_with_a_false_decision']:.2f}% of comparisons",
            f">= 40% saved, false <= {rule['alpha']:g}",
            simulated["trainings_saved"] >= 0.40 and simulated["comparisons_with_a_false_decision"] <= rule["alpha"],
        ),
        (
            "9b. adaptive seeds on digits (learning rate)",
            f"--seeds auto {real['auto']['trainings']} trainings, fixed {real['fixed']['trainings']}",
            "same decisions",
            real["decisions_agree"],
        ),
    ]


def _cell_reuse(results: dict) -> list[tuple]:
    reuse = results["cell_reuse"]
    biggest = sorted(reuse["per_ablation"].items(), key=lambda item: -item[1]["reused"])[:3]
    return [
        (
            "11. no cell trained twice: the seed-001 catalogue run one ablation after another in one storage",
            f"{100 * reuse['catalogue_trainings_saved']:.1f}% of trainings saved ({reuse['reused']} of "
            f"{reuse['cells']} cells reused; "
            + ", ".join(f"{name} {entry['reused']}/{entry['cells']}" for name, entry in biggest)
            + f"; {reuse['method']})",
            "report it",
            None,
        )
    ]


def _fused(results: dict) -> list[tuple]:
    fused = results["fused"]
    per_workload = "; ".join(
        f"{row['network']} b{row['batch_size']}, {row.get('epochs', fused['epochs'])} epochs: "
        f"fused {row['speedup_fused']:.2f}x, auto {row['speedup_auto']:.2f}x"
        + (" (fused)" if row["auto_fused"] == [True] else " (one at a time)" if row["auto_fused"] == [False] else "")
        for row in fused["workloads"]
    )
    return [
        (
            f"12. cells side by side (--fuse {fused['width']}): a round of {fused['width']} seeds of seed report 001's "
            f"base network (baseline1) at batch 32 on digits, {fused['epochs']} epochs, from a fresh process, against "
            "one cell after another",
            f"{fused['speedup_small_batch']:.2f}x"
            + (
                f" (for 10 epochs: {fused['speedup_small_batch_10_epochs']:.2f}x; conv at 24x24: "
                f"{fused['speedup_small_batch_conv']:.2f}x)"
                if fused.get("speedup_small_batch_10_epochs")
                else ""
            )
            + f" ({fused['method']})",
            ">= 1.5x",
            fused["speedup_small_batch"] >= 1.5,
        ),
        (
            "12b. --fuse auto never slower than one cell after another: the worst workload",
            f"{fused['speedup_auto_worst']:.2f}x ({per_workload})",
            ">= 0.97x",
            fused["speedup_auto_worst"] >= 0.97,
        ),
    ]


# measurement -> its rows, in the table's order
ROWS = {
    "throughput": _throughput,
    "fixed_cost": _fixed_cost,
    "workers": _workers,
    "memory": _memory,
    "pruning": _pruning,
    "precision": _precision,
    "pipeline": _pipeline,
    "folder_pipeline": _folder_pipeline,
    "adaptive_seeds": _adaptive_seeds,
    "short_trials": short_trials.rows,
    "cell_reuse": _cell_reuse,
    "fused": _fused,
}


def _met(met) -> str:
    return "-" if met is None else ("yes" if met else "**no**")
