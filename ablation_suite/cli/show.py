"""What ``ablation-suite show`` prints: an ablation's question, notes, plan, base, variants with the size of their
network, and the training protocol each variant gets (variants that share a line of it are grouped)."""

from __future__ import annotations

from ablation_suite.cli.console import plan_summary
from ablation_suite.config import Config


def show(ablation, base: Config, seeds: int, adapted: str = "", log=print, warnings=(), sizes=None) -> None:
    """Print the plan; ``warnings``: the protocol's (workers.preflight), which ``run`` would print too; ``sizes``:
    the networks' sizes preflight measured (by ``unseeded`` Config; any other network is built here)."""
    from ablation_suite.workers.preflight import model_size, unseeded

    variants = ablation.variants()
    log(f"{ablation.name}: {ablation.question.strip()}")
    if ablation.source:
        log(f"source: {ablation.source}")
    notes = ablation.notes.removesuffix(f" Adapted to this run: {adapted}.")  # said on a line of its own
    if notes:
        log(f"notes: {notes}")
    log(plan_summary(ablation, base, seeds))
    if adapted:
        log(f"adapted to this run: {adapted}")
    for warning in warnings:
        log(f"warning: {warning}")
    if ablation.searches:
        log(
            f"search: {ablation.n_trials} trials per variant, sampler {ablation.sampler}, pruner {ablation.pruner}; "
            "space: " + ", ".join(f"{k}={v}" for k, v in ablation.search_space.items())
        )
    for index, stage in enumerate(ablation.stages):
        log(
            f"stage {index + 1}: "
            + " x ".join(f"{k} {v}" for k, v in stage.items())
            + (" (from the winners of the stages before)" if index else "")
        )
    defaults = Config().to_dict()
    changed = {k: v for k, v in base.to_dict().items() if defaults[k] != v and k != "seed"}
    log(
        "base (fields differing from Config defaults): " + (", ".join(f"{k}={v}" for k, v in changed.items()) or "none")
    )
    log("variants, with the size of their network (FLOPs = multiply-adds per image, the papers' count):")
    texts = [ablation.describe(variant) + ("   (base)" if i == 0 else "") for i, variant in enumerate(variants)]
    configs = [base.replace(**ablation.overrides(variant)) for variant in variants]
    for i, (config, text) in enumerate(zip(configs, texts)):
        params, flops = (sizes or {}).get(unseeded(config, base)) or model_size(config)
        log(f"  {i:3d}  {text:{max(map(len, texts))}}   {params:>12,} params {si(flops):>7} FLOPs")
    show_protocol(configs, set(ablation.search_space), ablation.searches and ablation.pruner != "none", log)


def show_protocol(configs: list[Config], searched: set, pruned: bool, log=print) -> None:
    """Each line of the training protocol once, with the variants it applies to where they differ."""
    from ablation_suite.training.protocol import READS, protocol

    protocols = [protocol(config) for config in configs]
    log("training protocol (what the trainer builds; variants numbered as above):")
    for line in protocols[0]:
        groups = {}
        for index, described in enumerate(protocols):
            groups.setdefault(described[line], []).append(index)
        fields = sorted(set(READS[line]) & searched)
        for number, (text, indices) in enumerate(groups.items()):
            where = f"   [variant{'s' if len(indices) > 1 else ''} {spans(indices)}]" if len(groups) > 1 else ""
            label = f"{line}:" if number == 0 else ""
            log(f"  {label:16s}{text}{where}" + (f"   (at the base; searched: {', '.join(fields)})" if fields else ""))
    log(
        f"  {'':16s}and per cell: Checkpoint (Keras BackupAndRestore with the stopping, plateau and seed state: "
        "a killed cell resumes as it would have run)"
        + ("; per search trial: StopWhenPruned (the pruner)" if pruned else "")
        + "; MLflow, W&B or TensorBoard with --track"
    )


def spans(indices: list[int]) -> str:
    """[0, 1, 2, 5] -> '0-2, 5'."""
    runs = []
    for index in indices:
        if runs and index == runs[-1][1] + 1:
            runs[-1][1] = index
        else:
            runs.append([index, index])
    return ", ".join(f"{first}-{last}" if last > first else f"{first}" for first, last in runs)


def si(number) -> str:
    """1234567 -> '1.23M'."""
    for factor, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if number >= factor:
            return f"{number / factor:.3g}{unit}"
    return str(number)
