"""Adaptive seeds (``--seeds auto``) against a fixed design at the cap: trainings saved, decisions kept.

Two parts, in one run:

1. **Real**: one learning-rate ablation on digits run twice through ``study.py run``, with a fixed
   design of ``max_seeds`` seeds and with ``--seeds auto``: both studies' decisions (the fixed design's
   from the same rule with its one look at the cap), the trainings each used, and the per-seed spread
   of the paired differences the fixed design measured.
2. **Simulated**: many ablations of four levels against a base, whose paired differences are normal
   with a spread drawn from those real spreads and true differences of every kind: zero, inside the
   margin, just outside it, large. Each is decided by the suite's own rule (``stats.sequential``), round by
   round as ``loops.adaptive`` does, and by the fixed design. Reported: ``trainings_saved`` (1 - adaptive
   / fixed trainings), ``false_decision_rate`` (share of levels declared better/worse with the truth
   inside the margin or of the other sign, or equivalent with the truth outside it) and the share of
   comparisons with any false decision (what ``alpha`` bounds), and agreement with the fixed design.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna

from ablation_suite.ablations import Ablation
from ablation_suite.loops import adaptive
from ablation_suite.stats import sequential as decide
from ablation_suite.stats.intervals import paired_differences
from ablation_suite.store import record

REPO = Path(__file__).resolve().parents[1]
RULE = decide.Rule()  # the defaults a user gets: margin 0.5 pp, alpha 0.05, 3 to 10 seeds
TRUTHS = {"zero": 0.0, "inside the margin": 0.5, "just outside": 1.5, "large": 6.0}  # in margins
QUESTION = '''"""Which learning rate does the network need on digits?"""
from ablation_suite.ablations import Ablation

ABLATION = Ablation(
    question=__doc__,
    base=dict(model="baseline1", dataset="digits", epochs={epochs}, train_size={train_size}, batch_size=32),
    factors=dict(learning_rate=[0.003, 0.002, 0.0003, 0.000003]),
    seeds={seeds},
)
'''


def measure(quick: bool, directory: Path) -> dict:
    real = real_run(
        directory, epochs=1 if quick else 3, train_size=300 if quick else 1000, max_seeds=3 if quick else RULE.max_seeds
    )
    spreads = [s for s in real["paired_difference_sd"].values() if s > 0] or [0.01]
    simulated = simulate(spreads, ablations=40 if quick else 2000)
    return {
        "rule": dict(rope_pp=RULE.rope, alpha=RULE.alpha, min_seeds=RULE.min_seeds, max_seeds=RULE.max_seeds),
        "real_digits": real,
        "simulated": simulated,
        "trainings_saved": simulated["trainings_saved"],
        "false_decision_rate": simulated["false_decision_rate"],
    }


def real_run(directory: Path, epochs: int, train_size: int, max_seeds: int) -> dict:
    """The same ablation as a fixed ``max_seeds`` design and with ``--seeds auto``, each a fresh study."""
    result = {"max_seeds": max_seeds}
    for kind, seeds in (("fixed", str(max_seeds)), ("auto", f'"auto", max_seeds={max_seeds}')):
        question = directory / f"lr_{kind}.py"
        question.write_text(QUESTION.format(epochs=epochs, train_size=train_size, seeds=seeds))
        storage = f"sqlite:///{directory / f'adaptive_{kind}.db'}"
        done = subprocess.run(
            [sys.executable, str(REPO / "study.py"), "run", str(question), "--storage", storage],
            cwd=directory,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"study.py run {question.name} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        study = optuna.load_study(study_name=question.stem, storage=storage)
        ablation = Ablation.from_spec(record.stored_spec(study))
        values, resolution = adaptive.finished(study)
        found = adaptive.verdicts(ablation if kind == "auto" else _one_look(ablation), values, resolution)
        result[kind] = {
            "trainings": adaptive.trainings(study),
            "decisions": {d.level: d.verdict for v in found for d in v.decisions},
            "intervals_pp": {
                d.level: [round(100 * d.low, 2), round(100 * d.high, 2)] for v in found for d in v.decisions
            },
        }
        if kind == "fixed":
            result["paired_difference_sd"] = _spreads(found[0], values, ablation)
    result["decisions_agree"] = result["fixed"]["decisions"] == result["auto"]["decisions"]
    result["trainings_saved"] = 1 - result["auto"]["trainings"] / result["fixed"]["trainings"]
    return result


def _one_look(ablation: Ablation) -> Ablation:
    """The fixed design's decisions: the same rule with a single look at the cap (min_seeds = max_seeds)."""
    import dataclasses

    return dataclasses.replace(ablation, seeds="auto", min_seeds=ablation.seed_cap, max_seeds=ablation.seed_cap)


def _spreads(verdict, values: dict, ablation: Ablation) -> dict:
    """Per level: the standard deviation over seeds of its paired difference from the base."""
    seeds = {label: values.get(record.cell_key(cell), {}) for label, cell in verdict.cells.items()}
    return {
        d.level: float(np.std(paired_differences(seeds[d.level], seeds[verdict.reference]), ddof=1))
        for d in verdict.decisions
    }


def simulate(spreads: list[float], ablations: int, levels_per_ablation: int = 4, seed: int = 0) -> dict:
    """Simulated ablations decided by the adaptive rule and by the fixed design (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    kinds = list(TRUTHS)
    totals = dict(adaptive=0, fixed=0, levels=0, false_adaptive=0, false_fixed=0, families_false=0, agree=0)
    by_kind = {kind: {"adaptive_seeds": [], "decided": 0, "false": 0, "levels": 0} for kind in kinds}
    one_look = decide.Rule(RULE.rope, RULE.alpha, RULE.max_seeds, RULE.max_seeds)
    for _ in range(ablations):
        kind_of = [kinds[i] for i in rng.integers(len(kinds), size=levels_per_ablation)]
        truths = {f"L{i}": rng.choice([-1, 1]) * TRUTHS[kind] * RULE.margin for i, kind in enumerate(kind_of)}
        spread = float(rng.choice(spreads))
        diffs = {level: rng.normal(truth, spread, RULE.max_seeds) for level, truth in truths.items()}
        counts, final = _adaptive_rounds(diffs)
        fixed = _decisions(diffs, dict.fromkeys(diffs, RULE.max_seeds), one_look)
        totals["adaptive"] += max(counts.values()) + sum(counts.values())  # the base pairs with the most seeds
        totals["fixed"] += RULE.max_seeds * (levels_per_ablation + 1)
        family_false = False
        for (level, truth), kind in zip(truths.items(), kind_of):
            wrong = _false(final[level], truth)
            family_false |= wrong
            totals["levels"] += 1
            totals["false_adaptive"] += wrong
            totals["false_fixed"] += _false(fixed[level], truth)
            totals["agree"] += final[level] == fixed[level]
            stats = by_kind[kind]
            stats["levels"] += 1
            stats["adaptive_seeds"].append(counts[level])
            stats["decided"] += final[level] != "undecided"
            stats["false"] += wrong
        totals["families_false"] += family_false
    return {
        "ablations": ablations,
        "levels_per_ablation": levels_per_ablation,
        "spreads_pp": [round(100 * s, 3) for s in spreads],
        "trainings": {"adaptive": totals["adaptive"], "fixed": totals["fixed"]},
        "trainings_saved": 1 - totals["adaptive"] / totals["fixed"],
        "false_decision_rate": totals["false_adaptive"] / totals["levels"],
        "false_decision_rate_fixed": totals["false_fixed"] / totals["levels"],
        "comparisons_with_a_false_decision": totals["families_false"] / ablations,
        "agreement_with_fixed": totals["agree"] / totals["levels"],
        "by_truth": {
            kind: {
                "true_difference_pp": TRUTHS[kind] * RULE.rope,
                "mean_seeds": float(np.mean(s["adaptive_seeds"])) if s["levels"] else None,
                "decided": s["decided"] / s["levels"] if s["levels"] else None,
                "false": s["false"] / s["levels"] if s["levels"] else None,
            }
            for kind, s in by_kind.items()
        },
    }


def _adaptive_rounds(diffs: dict) -> tuple[dict, dict]:
    """Round by round, as loops.adaptive: seeds per level when it stopped, and its final verdict."""
    counts = {"base": 0, **dict.fromkeys(diffs, 0)}
    while True:
        decisions = _decision_list(diffs, counts, RULE)
        wanted = decide.seeds_wanted(decisions, counts, RULE)
        if not wanted:
            return {level: counts[level] for level in diffs}, {d.level: d.verdict for d in decisions}
        counts.update(wanted)


def _decisions(diffs: dict, counts: dict, rule: decide.Rule) -> dict:
    return {d.level: d.verdict for d in _decision_list(diffs, {"base": max(counts.values()), **counts}, rule)}


def _decision_list(diffs: dict, counts: dict, rule: decide.Rule) -> list:
    """The base at accuracy 0 on every seed, each level at its paired differences: only differences matter."""
    values = {
        "base": dict.fromkeys(range(counts["base"]), 0.0),
        **{level: dict(enumerate(d[: counts[level]])) for level, d in diffs.items()},
    }
    return decide.against_base(values, "base", rule)


def _false(verdict: str, truth: float) -> bool:
    """A decision the truth contradicts: better/worse inside the margin or of the wrong sign; equivalent
    outside the margin."""
    inside = abs(truth) <= RULE.margin
    if verdict == "better":
        return inside or truth < 0
    if verdict == "worse":
        return inside or truth > 0
    if verdict == "equivalent":
        return not inside
    return False
