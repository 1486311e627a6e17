"""Adaptive seeds (``--seeds auto``) against a fixed 10-seed design, under noise the rule does not assume.

The rule (``stats.sequential``) builds its intervals for normal paired differences; simulating normal noise alone
cannot catch it out. This benchmark draws the noise from real runs and from what real runs do that normal noise
does not, and scores every decision against the truth it was drawn from. Two parts, in one run:

1. **Real** (``real_runs``): small ablations of near-tie levels on digits (baseline1: relu vs elu, glorot_uniform
   vs he_uniform, batch norm before vs after; conv vs drop), each level with ``max_seeds`` seeds, trained by
   ``study.py run`` in a temporary directory. Recorded with their provenance (ablation, levels, epochs,
   train_size, seeds): the paired-difference spread of each level against its base, the unpaired spreads, the
   correlation of seeds between levels and the test set's step. The fixed design's decisions (the same rule with
   one look at the cap) and ``--seeds auto`` replayed on the recorded seeds (its rounds train seeds 0, 1, ... of a
   level in order, so the seeds it would have trained are the first ones recorded).
2. **Simulated** (``simulate_all``): scenarios of many comparisons, each decided by the rule round by round as
   ``loops.adaptive`` runs it and by the fixed design (``FIXED``: ``Rule(min_seeds=max_seeds=10)`` on the first 10
   seeds). Scenarios cross
   - spreads: measured (each comparison's paired spread one of the digits spreads, accuracies in steps of one of
     its 450 test images) or decidable (0.2-0.5 pp, steps of 1/10,000: the spreads at which the rule can decide);
   - true differences per level: 0, +-0.8, +-1 and +-1.2 x the margin, 1-3 pp, or a mix of these;
   - noise: normal; heavy-tailed (Student t with 3 degrees of freedom, scaled to the spread); collapses (5-10% of
     the runs of the base, of the levels, or of both lose 5-20 points); unequal spreads between levels;
   - 4 or 8 levels against a base, and races (``against_best`` round by round) of 6 levels at near ties (paired
     spread 1 pp in steps of 1/450, or 0.3 pp in steps of 1/10,000), scored by whether the true best is in the
     reported ``best_set`` and how often a level more than the margin below it is named the only winner.

   A decision is false when the truth contradicts it: better/worse with the true difference inside the margin or
   of the other sign, equivalent with it outside. The truth is the expected paired difference over seeds, collapses
   included (the mean the rule's interval estimates: a collapse is an outcome of the level, stats.outliers); the
   collapse scenarios also score against the difference of runs that did not collapse (``*_vs_ordinary_*``).

Every scenario reports false decisions per level and per comparison with their Monte Carlo standard errors,
trainings against the fixed design and the saving split into levels that stopped decided, levels stopped for
futility and the base (it trains only as many seeds as its longest level), the share of levels decided minus the
fixed design's, for collapses the share of levels with a collapse among their used seeds whose decision names
far seeds, and what a flag costs: the share of levels without a collapse among their used seeds that name one;
and the levels ``--seeds auto`` called equivalent where the fixed design on the same seeds did not (none can be:
"equivalent" waits for the cap, stats.sequential).
The goals (``GOALS``) are checked on the summary keys.

Speed: ``against_base`` with dicts pairs seeds through pandas (~3 ms a decision), too slow for the hundreds of
thousands of decisions here. ``_decide`` calls ``stats.sequential.decide_pairs`` (what ``against_base`` calls after
pairing the seeds) on numpy runs, and the rounds use
``seeds_wanted`` and ``best_set`` themselves; the first ``checked`` comparisons of every scenario are also run round
by round through ``against_base`` / ``against_best`` with dicts, and any difference stops the benchmark.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import optuna

from ablation_suite.ablations import Ablation
from ablation_suite.loops import adaptive
from ablation_suite.stats import outliers
from ablation_suite.stats import sequential as decide
from ablation_suite.stats.intervals import paired_differences
from ablation_suite.store import record

REPO = Path(__file__).resolve().parents[1]
RULE = decide.Rule()  # the defaults a user gets: margin 0.5 pp, alpha 0.05, 3 to 10 seeds
FIXED = dataclasses.replace(RULE, min_seeds=RULE.max_seeds)  # the fixed design: one look at the cap
TRUTHS = {"zero": 0.0, "inside": 0.8, "at margin": 1.0, "outside": 1.2}  # x the margin, either sign
LARGE_PP = (1.0, 3.0)  # the kind "large": 1-3 pp, either sign
KINDS = (*TRUTHS, "large")
NEAR_TIES_PP = (0.0, -0.5, -0.5, -0.55, -0.55, -0.6)  # a race's levels, the first the true best
DECIDABLE_PP = (0.2, 0.5)  # paired spreads at which the rule can decide within 10 seeds
COLLAPSE_SHARE = (0.05, 0.10)  # per comparison, the share of runs that collapse
COLLAPSE_LOSS_PP = (5.0, 20.0)  # what a collapsed run loses
UNEQUAL = (0.5, 1.0, 2.0, 3.0)  # unequal spreads: a level's noise is one of these x the base's
SEPARATION_PP = (3.0, 3.5, 4.0, 4.5, 5.0)  # limits at which collapsed and ordinary levels' farthest seeds are counted
BASE_ACCURACY = 0.90
DIGITS_TEST_IMAGES = 450  # scikit-learn's digits: a 25% test split of 1797
DECIDABLE_TEST_IMAGES = 10_000  # MNIST's, CIFAR-10's
GOALS = {  # summary key -> (the goal in words, met?)
    "false_decision_rate_max": (f"<= alpha ({RULE.alpha:g})", lambda value: value <= RULE.alpha),
    "collapse_flagged": ("= 1.0", lambda value: value >= 1.0),
    "collapse_false_vs_fixed": ("<= 1.0", lambda value: value <= 1.0),
    "trainings_saved": (">= 0.40", lambda value: value >= 0.40),
    "trainings_saved_decidable": (">= 0.30", lambda value: value >= 0.30),
    "decided_share_vs_fixed": (">= -0.03", lambda value: value >= -0.03),
}

# The real runs: near-tie levels on digits, one question file each (quick mode: the first factor, 3 seeds, 1 epoch,
# 300 training images).
QUESTIONS: dict[str, dict] = {
    "baseline1_near_ties": dict(
        question="Do near-tie choices change baseline1 on digits?",
        base=dict(model="baseline1", dataset="digits", batch_size=32, bn="before", bn_momentum=0.9),
        factors=dict(activation=["relu", "elu"], initializer=["glorot_uniform", "he_uniform"], bn=["before", "after"]),
        epochs=3,
    ),
    "conv_dropout": dict(
        question="Does conv on digits gain from drop's dropout?",
        base=dict(model="conv", dataset="digits", batch_size=32, input_scale=3),
        factors=dict(model=["conv", "drop"]),
        epochs=5,
    ),
}
QUESTION = '''"""{question}"""
from ablation_suite.ablations import Ablation

ABLATION = Ablation(question=__doc__, base={base!r}, factors={factors!r}, seeds={seeds})
'''


@dataclass(frozen=True)
class Scenario:
    name: str
    truths: str = "mix"  # a KINDS name (every level of that kind) or "mix" (each level any kind); races: near ties
    spread: str = "measured"  # "measured" (the digits spreads) or "decidable" (DECIDABLE_PP)
    noise: str = "normal"  # "normal" or "t3"
    collapse: str = ""  # "", or who collapses: "base", "level" (every level but the base) or "both"
    levels: int = 4  # levels against the base (races: len(NEAR_TIES_PP))
    unequal: bool = False  # each level's noise UNEQUAL x the base's
    race: bool = False
    race_spread_pp: float = 1.0  # a race's paired spread

    @property
    def group(self) -> str:
        """Which summary pools it: "realistic" (measured spreads, mixed truths), "decidable" (decidable spreads,
        mixed truths), or "" (a stress case, reported on its own)."""
        if self.race or self.truths != "mix":
            return ""
        return "realistic" if self.spread == "measured" else "decidable"


def scenarios() -> list[Scenario]:
    found = []
    for spread in ("measured", "decidable"):
        found += [Scenario(f"{spread}, {truths}", truths, spread) for truths in (*KINDS, "mix")]
        found += [
            Scenario(f"{spread}, t3, {truths}", truths, spread, "t3") for truths in ("at margin", "outside", "mix")
        ]
        found += [
            Scenario(f"{spread}, collapse {who}, mix", "mix", spread, collapse=who) for who in ("level", "base", "both")
        ]
        found += [Scenario(f"{spread}, unequal spreads, mix", "mix", spread, unequal=True)]
        found += [Scenario(f"{spread}, 8 levels, mix", "mix", spread, levels=8)]
    found += [
        Scenario("decidable, unequal spreads, at margin", "at margin", "decidable", unequal=True),
        Scenario("decidable, 8 levels, at margin", "at margin", "decidable", levels=8),
        Scenario("race, near ties, 1 pp", "near ties", race=True, levels=len(NEAR_TIES_PP)),
        Scenario("race, near ties, 1 pp, t3", "near ties", noise="t3", race=True, levels=len(NEAR_TIES_PP)),
        Scenario("race, near ties, 0.3 pp", "near ties", race=True, levels=len(NEAR_TIES_PP), race_spread_pp=0.3),
    ]
    return found


def measure(quick: bool, directory: Path) -> dict:
    real = real_runs(directory, quick)
    spreads = [c["paired_difference_sd"] for c in real["comparisons"] if c["paired_difference_sd"] > 0] or [0.01]
    started = time.perf_counter()
    simulated = simulate_all(
        spreads,
        seed_correlation=real["seed_correlation"],
        test_images=real["test_images"],
        ablations=20 if quick else 1000,
        checked=2 if quick else 10,
    )
    simulated["seconds"] = time.perf_counter() - started
    return {
        "rule": dict(rope_pp=RULE.rope, alpha=RULE.alpha, min_seeds=RULE.min_seeds, max_seeds=RULE.max_seeds),
        "real_digits": real,
        "simulated": simulated,
        **simulated["summary"],
        "goals": simulated["goals"],
    }


# --- the real runs --------------------------------------------------------------------------------------------


def real_runs(directory: Path, quick: bool) -> dict:
    """Every question of QUESTIONS trained with a fixed number of seeds: its levels' spreads with their provenance,
    the fixed design's decisions and --seeds auto's, replayed on the recorded seeds."""
    seeds = 3 if quick else RULE.max_seeds
    comparisons: list[dict] = []
    runs: list[dict] = []
    fixed_trainings = auto_trainings = 0
    resolution = 0.0
    for name, spec in QUESTIONS.items():
        factors = dict(list(spec["factors"].items())[:1]) if quick else spec["factors"]
        base = {**spec["base"], "epochs": 1 if quick else spec["epochs"], "train_size": 300 if quick else 0}
        ablation, values, found_resolution = _train(directory, name, spec["question"], base, factors, seeds)
        resolution = resolution or found_resolution
        fixed = adaptive.verdicts(_one_look(ablation), values, found_resolution)
        auto, trained = _replay_auto(ablation, values, found_resolution)
        fixed_trainings += sum(len(seeds_of) for seeds_of in values.values())
        auto_trainings += trained
        runs.append(
            {
                "ablation": name,
                "base": base,
                "factors": factors,
                "seeds": seeds,
                "fixed": _verdict_summary(fixed),
                "auto_replayed": {"trainings": trained, **_verdict_summary(auto)},
            }
        )
        for verdict in fixed:
            comparisons += [
                {"ablation": name, "model": base["model"], "epochs": base["epochs"], "train_size": base["train_size"]}
                | _spreads(verdict, values, decision.level)
                for decision in verdict.decisions
            ]
    correlations = [c["seed_correlation"] for c in comparisons if c["seed_correlation"] is not None]
    fixed_decisions = {f"{run['ablation']}: {k}": v for run in runs for k, v in run["fixed"]["decisions"].items()}
    auto_decisions = {
        f"{run['ablation']}: {k}": v for run in runs for k, v in run["auto_replayed"]["decisions"].items()
    }
    return {
        "seeds": seeds,
        "test_images": round(1 / resolution) if resolution else DIGITS_TEST_IMAGES,
        "train_size_note": "0 = the whole training split: 1347 digits, 20% of them held out for validation",
        "runs": runs,
        "comparisons": comparisons,
        "seed_correlation": float(np.clip(np.median(correlations), 0.0, 0.9)) if correlations else 0.0,
        "fixed_trainings": fixed_trainings,
        "auto_trainings": auto_trainings,
        "trainings_saved": 1 - auto_trainings / fixed_trainings,
        "fixed_decisions": fixed_decisions,
        "auto_decisions": auto_decisions,
        "decisions_agree": fixed_decisions == auto_decisions,
    }


def _train(directory: Path, name: str, question: str, base: dict, factors: dict, seeds: int):
    """One question file run by ``study.py run``: the ablation, its finished cells and the test set's step."""
    path = directory / f"{name}.py"
    path.write_text(QUESTION.format(question=question, base=base, factors=factors, seeds=seeds))
    storage = f"sqlite:///{directory / f'{name}.db'}"
    done = subprocess.run(
        [sys.executable, str(REPO / "study.py"), "run", str(path), "--storage", storage],
        cwd=directory,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"study.py run {path.name} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    study = optuna.load_study(study_name=path.stem, storage=storage)
    ablation = Ablation.from_spec(record.stored_spec(study))
    values, resolution = adaptive.finished(study)
    return ablation, values, resolution


def _one_look(ablation: Ablation) -> Ablation:
    """The fixed design's decisions: the same rule with a single look at the cap (min_seeds = max_seeds)."""
    return dataclasses.replace(ablation, seeds="auto", min_seeds=ablation.seed_cap, max_seeds=ablation.seed_cap)


def _replay_auto(ablation: Ablation, values: dict, resolution: float) -> tuple[list, int]:
    """``--seeds auto`` on the recorded seeds: round by round, the cells ``loops.adaptive.next_cells`` asks for,
    taken from ``values``; its final verdicts and the trainings it used."""
    auto = dataclasses.replace(ablation, seeds="auto", min_seeds=RULE.min_seeds, max_seeds=ablation.seed_cap)
    have: dict = {}
    while True:
        found = adaptive.verdicts(auto, have, resolution)
        cells = adaptive.next_cells(auto, found)
        if not cells:
            return found, sum(len(seeds) for seeds in have.values())
        for cell in cells:
            cell = dict(cell)
            seed = cell.pop("seed")
            key = record.cell_key(cell)
            have.setdefault(key, {})[seed] = values[key][seed]


def _verdict_summary(found: list) -> dict:
    return {
        "decisions": {d.level: d.verdict for v in found for d in v.decisions},
        "intervals_pp": {d.level: [round(100 * d.low, 2), round(100 * d.high, 2)] for v in found for d in v.decisions},
        "pairs": {d.level: d.pairs for v in found for d in v.decisions},
    }


def _spreads(verdict, values: dict, level: str) -> dict:
    """One level against its base: the paired difference's spread and mean, the levels' own spreads over seeds and
    the correlation of their seeds (what the simulation's shared seed effect is taken from)."""
    seeds = {label: values.get(record.cell_key(cell), {}) for label, cell in verdict.cells.items()}
    base, other = seeds[verdict.reference], seeds[level]
    diffs = paired_differences(other, base)
    shared = sorted(set(base) & set(other))
    a, b = np.array([other[s] for s in shared]), np.array([base[s] for s in shared])
    correlation = float(np.corrcoef(a, b)[0, 1]) if len(shared) > 2 and a.std() > 0 and b.std() > 0 else None
    return {
        "factor": verdict.title,
        "levels": [verdict.reference, level],
        "seeds": len(diffs),
        "paired_difference_sd": float(np.std(diffs, ddof=1)),
        "mean_difference": float(np.mean(diffs)),
        "level_sd": {verdict.reference: float(np.std(b, ddof=1)), level: float(np.std(a, ddof=1))},
        "mean_accuracy": {verdict.reference: float(np.mean(b)), level: float(np.mean(a))},
        "seed_correlation": correlation,
    }


# --- the simulation -------------------------------------------------------------------------------------------


def simulate_all(
    spreads: list[float],
    seed_correlation: float = 0.0,
    test_images: int = DIGITS_TEST_IMAGES,
    ablations: int = 1000,
    checked: int = 10,
    seed: int = 0,
) -> dict:
    """Every scenario of ``scenarios()``, and the summary its goals are checked on."""
    found = []
    for index, scenario in enumerate(scenarios()):
        started = time.perf_counter()
        result = run_scenario(
            scenario, spreads, ablations, np.random.default_rng([seed, index]), seed_correlation, test_images, checked
        )
        found.append({**result, "seconds": round(time.perf_counter() - started, 2)})
    summary = _summary(found)
    return _plain(
        {
            "ablations_per_scenario": ablations,
            "checked_against_the_suite_per_scenario": checked,
            "spreads_pp": [round(100 * s, 3) for s in spreads],
            "seed_correlation": seed_correlation,
            "scenarios": found,
            "summary": summary,
            "goals": {
                key: {"value": summary[key], "goal": goal, "met": bool(met(summary[key]))}
                for key, (goal, met) in GOALS.items()
            },
        }
    )


def _plain(value):
    """numpy scalars as Python numbers, for JSON."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value.item() if isinstance(value, np.generic) else value


def simulate(spreads: list[float], ablations: int, levels_per_ablation: int = 4, seed: int = 0) -> dict:
    """One scenario ("measured, mix"): ``levels_per_ablation`` levels of mixed true differences against a base,
    normal noise of one of the paired ``spreads`` per comparison, checked against the suite's rounds."""
    scenario = Scenario("measured, mix", levels=levels_per_ablation)
    return run_scenario(scenario, spreads, ablations, np.random.default_rng(seed), checked=min(ablations, 5))


def run_scenario(
    scenario: Scenario,
    spreads: list[float],
    ablations: int,
    rng: np.random.Generator,
    seed_correlation: float = 0.0,
    test_images: int = DIGITS_TEST_IMAGES,
    checked: int = 10,
) -> dict:
    draw = _draw(scenario, spreads, ablations, rng, seed_correlation, test_images)
    if scenario.race:
        return _score_races(scenario, draw, checked)
    return _score_against_base(scenario, draw, checked)


def _draw(scenario: Scenario, spreads, ablations: int, rng, seed_correlation: float, test_images: int) -> dict:
    """Accuracies of every run: [comparison, level, seed], the base (or a race's true best) at level 0.

    A level's runs are its true mean, a seed effect shared by every level (it cancels in paired differences), and
    its own noise of standard deviation spread / sqrt(2), so that a level's paired differences with the base have
    the comparison's paired spread; then collapses, then steps of one test image."""
    levels, seeds = scenario.levels + (0 if scenario.race else 1), RULE.max_seeds
    if scenario.race:
        paired = np.full(ablations, scenario.race_spread_pp / 100)
        test = DIGITS_TEST_IMAGES if scenario.race_spread_pp >= 1 else DECIDABLE_TEST_IMAGES
    elif scenario.spread == "measured":
        paired, test = rng.choice(np.asarray(spreads, dtype=float), ablations), test_images
    else:
        paired, test = rng.uniform(*DECIDABLE_PP, ablations) / 100, DECIDABLE_TEST_IMAGES
    own = np.repeat(paired[:, None] / math.sqrt(2), levels, axis=1)
    if scenario.unequal:
        own[:, 1:] *= rng.choice(UNEQUAL, (ablations, levels - 1))
    if scenario.noise == "t3":
        noise = rng.standard_t(3, (ablations, levels, seeds)) / math.sqrt(3)  # unit variance
    else:
        noise = rng.standard_normal((ablations, levels, seeds))
    rho = min(max(seed_correlation, 0.0), 0.9)
    shared = (
        rng.standard_normal((ablations, 1, seeds)) * (paired / math.sqrt(2) * math.sqrt(rho / (1 - rho)))[:, None, None]
    )
    kinds = np.full((ablations, levels), "", dtype=object)
    if scenario.race:
        ordinary = np.tile(np.asarray(NEAR_TIES_PP) / 100, (ablations, 1))
    else:
        kinds[:, 1:] = rng.choice(KINDS, (ablations, levels - 1)) if scenario.truths == "mix" else scenario.truths
        size = np.where(
            kinds == "large",
            rng.uniform(*LARGE_PP, (ablations, levels)) / 100,
            np.vectorize(lambda kind: TRUTHS.get(kind, 0.0))(kinds) * RULE.margin,
        )
        ordinary = size * rng.choice([-1.0, 1.0], (ablations, levels))
        ordinary[:, 0] = 0.0
    unstable = np.zeros(levels, dtype=bool)
    if scenario.collapse in ("base", "both"):
        unstable[0] = True
    if scenario.collapse in ("level", "both"):
        unstable[1:] = True
    share = rng.uniform(*COLLAPSE_SHARE, ablations) if scenario.collapse else np.zeros(ablations)
    collapsed = (rng.random((ablations, levels, seeds)) < share[:, None, None]) & unstable[None, :, None]
    loss = np.where(collapsed, rng.uniform(*COLLAPSE_LOSS_PP, (ablations, levels, seeds)) / 100, 0.0)
    accuracy = BASE_ACCURACY + ordinary[:, :, None] + shared + own[:, :, None] * noise - loss
    accuracy = np.clip(np.round(accuracy * test) / test, 0.0, 1.0)
    expected_loss = share[:, None] * unstable[None, :] * np.mean(COLLAPSE_LOSS_PP) / 100
    return {
        "accuracy": accuracy,
        "ordinary": ordinary,  # true mean of runs that do not collapse
        "mean": ordinary - expected_loss,  # true mean over seeds, collapses included
        "kinds": kinds,
        "collapsed": collapsed,
        "loss": loss,
        "resolution": 1 / test,
        "spread": paired,  # each comparison's paired spread (before unequal spreads)
    }


def _decide(level: str, reference: str, runs: np.ndarray, reference_runs: np.ndarray, family: int, rule, resolution):
    """``stats.sequential.decide_pairs`` on numpy runs of seeds 0..n-1: what ``against_base`` decides, without
    pandas' pairing."""
    return decide.decide_pairs(level, reference, range(len(runs)), runs, reference_runs, family, rule, resolution)


def _base_rounds(accuracy: np.ndarray, resolution: float, rule: decide.Rule = RULE):
    """One comparison against its base (level 0), round by round as loops.adaptive: seeds per level and the final
    decisions. A level's decision depends only on its paired seeds, so each (level, pairs) is decided once."""
    labels = [f"L{i}" for i in range(len(accuracy))]
    family = decide.intervals(len(labels), race=False)
    counts, known = dict.fromkeys(labels, 0), {}

    def decision(i: int):
        pairs = min(counts[labels[i]], counts[labels[0]])
        if (i, pairs) not in known:
            known[i, pairs] = _decide(
                labels[i], labels[0], accuracy[i, :pairs], accuracy[0, :pairs], family, rule, resolution
            )
        return known[i, pairs]

    while True:
        ready = all(n >= rule.min_seeds for n in counts.values())
        decisions = [decision(i) for i in range(1, len(labels))] if ready else []
        wanted = decide.seeds_wanted(decisions, counts, rule)
        if not wanted:
            return counts, decisions
        counts.update(wanted)


def _race_rounds(accuracy: np.ndarray, resolution: float, rule: decide.Rule = RULE):
    """A race round by round: seeds per level, the final best and the decisions against it."""
    labels = [f"L{i}" for i in range(len(accuracy))]
    family = decide.intervals(len(labels), race=True)
    counts, known = dict.fromkeys(labels, 0), {}

    def decision(i: int, best: int):
        pairs = min(counts[labels[i]], counts[labels[best]])
        if (i, best, pairs) not in known:
            runs = accuracy[i, :pairs], accuracy[best, :pairs]
            known[i, best, pairs] = _decide(labels[i], labels[best], *runs, family, rule, resolution)
        return known[i, best, pairs]

    while True:
        best, decisions = None, []
        if all(n >= rule.min_seeds for n in counts.values()):
            means = [float(np.mean(list(accuracy[i, : counts[label]]))) for i, label in enumerate(labels)]
            best = max(range(len(labels)), key=lambda i: means[i])  # as against_best: the first of equal means
            decisions = [decision(i, best) for i in range(len(labels)) if i != best]
        wanted = decide.seeds_wanted(decisions, counts, rule, race=True)
        if not wanted:
            assert best is not None  # every level has min_seeds seeds once nothing more is wanted
            return counts, labels[best], decisions
        counts.update(wanted)


def _suite_rounds(accuracy: np.ndarray, resolution: float, race: bool, rule: decide.Rule = RULE):
    """The same rounds through ``against_base`` / ``against_best`` with dicts, as loops.adaptive calls them."""
    labels = [f"L{i}" for i in range(len(accuracy))]
    counts = dict.fromkeys(labels, 0)
    while True:
        values = {label: dict(enumerate(map(float, accuracy[i, : counts[label]]))) for i, label in enumerate(labels)}
        if race:
            best, decisions = decide.against_best(values, rule, resolution)
        else:
            best, decisions = labels[0], decide.against_base(values, labels[0], rule, resolution)
        wanted = decide.seeds_wanted(decisions, counts, rule, race)
        if not wanted:
            return counts, best, decisions
        counts.update(wanted)


def _check(fast: tuple, accuracy: np.ndarray, resolution: float, race: bool, rule: decide.Rule = RULE) -> None:
    """Stops the benchmark if the fast path decided anything differently from the suite's own functions."""
    counts, best, decisions = _suite_rounds(accuracy, resolution, race, rule)
    fast_counts, fast_best, fast_decisions = fast

    def key(d):
        return (d.level, d.reference, d.pairs, d.verdict, d.hopeless, d.far_seeds, f"{d.low:.12f} {d.high:.12f}")

    if counts != fast_counts or best != fast_best or list(map(key, decisions)) != list(map(key, fast_decisions)):
        raise AssertionError(
            f"the benchmark's fast path disagrees with stats.sequential: {fast_counts} {fast_best} {fast_decisions} "
            f"vs {counts} {best} {decisions}"
        )


def _false(verdict: str, truth: float) -> bool:
    """A decision the truth contradicts: better/worse inside the margin or of the wrong sign; equivalent
    outside the margin."""
    inside = abs(truth) <= RULE.margin
    if verdict == "better":
        return bool(inside or truth < 0)
    if verdict == "worse":
        return bool(inside or truth > 0)
    if verdict == "equivalent":
        return bool(not inside)
    return False


def _rate(hits, total) -> dict:
    """A share with its Monte Carlo standard error."""
    share = hits / total if total else math.nan
    return {"rate": share, "se": math.sqrt(share * (1 - share) / total) if total else math.nan, "n": int(total)}


def _mean(values) -> dict:
    values = np.asarray(values, dtype=float)
    return {
        "mean": float(values.mean()),
        "se": float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.nan,
    }


def _from_others(values: np.ndarray) -> np.ndarray:
    """Each value minus the median of the other values (leave one out)."""
    n = len(values)
    order, ranks = np.sort(values), np.argsort(np.argsort(values, kind="stable"), kind="stable")

    def others(k):  # the k-th smallest of the others, for every value
        return order[np.where(k < ranks, k, k + 1)]

    return values - (others((n - 2) // 2) + others((n - 1) // 2)) / 2


def _farthest(level_runs: np.ndarray, reference_runs: np.ndarray) -> float:
    """How far the farthest used seed lies from the others of its level: the largest distance of a paired difference,
    a level's run or a reference's run from the median of the other seeds' (what stats.outliers looks at; 0 with
    fewer than its 3 values)."""
    if len(level_runs) < outliers.MIN_VALUES:
        return 0.0
    kinds = (level_runs - reference_runs, level_runs, reference_runs)
    return float(max(np.abs(_from_others(values)).max() for values in kinds))


def _missed(draw: dict, a: int, i: int, n: int, verdict: str) -> dict:
    """A level with a collapse among its ``n`` used seeds that no far seed was named on: where the collapse landed."""
    level_runs, reference_runs = draw["accuracy"][a, i, :n], draw["accuracy"][a, 0, :n]
    differences = level_runs - reference_runs
    on_level, on_base = draw["collapsed"][a, i, :n], draw["collapsed"][a, 0, :n]
    hit = on_level | on_base
    shifts = {
        kind: _from_others(values)
        for kind, values in (("difference", differences), ("level run", level_runs), ("base run", reference_runs))
    }

    def pp(value):
        return round(100 * float(value), 2)

    return {
        "comparison": a,
        "level": f"L{i}",
        "seeds": n,
        "verdict": verdict,
        "paired_spread_pp": pp(draw["spread"][a]),
        "ordinary_sd_pp": pp(np.std(differences[~hit], ddof=1)) if (~hit).sum() >= 2 else None,
        "every_used_seed_collapsed": bool(hit.all()),
        "farthest_pp": pp(_farthest(level_runs, reference_runs)),
        "collapses": [
            {
                "seed": int(seed),
                "on": "both" if on_level[seed] and on_base[seed] else "level" if on_level[seed] else "base",
                "level_loss_pp": pp(draw["loss"][a, i, seed]),
                "base_loss_pp": pp(draw["loss"][a, 0, seed]),
                **{f"{kind} from the others' median pp": pp(shift[seed]) for kind, shift in shifts.items()},
            }
            for seed in np.flatnonzero(hit)
        ],
    }


def _score_against_base(scenario: Scenario, draw: dict, checked: int) -> dict:
    accuracy, resolution = draw["accuracy"], draw["resolution"]
    ablations, levels = accuracy.shape[0], accuracy.shape[1] - 1
    seeds = RULE.max_seeds
    rows = []  # one per level: what the adaptive rule and the fixed design did
    per_ablation = []
    for a in range(ablations):
        fast = _base_rounds(accuracy[a], resolution)
        if a < checked:
            _check((fast[0], "L0", fast[1]), accuracy[a], resolution, race=False)
        counts, decisions = fast
        fixed = _base_rounds(accuracy[a], resolution, FIXED)[1]
        falses = {"adaptive": 0, "fixed": 0, "adaptive_ordinary": 0, "fixed_ordinary": 0}
        for i, (d, f) in enumerate(zip(decisions, fixed), start=1):
            n = counts[d.level]
            pair_loss = draw["loss"][a, i] - draw["loss"][a, 0]
            hit = draw["collapsed"][a, i] | draw["collapsed"][a, 0]
            row = {
                "kind": draw["kinds"][a, i],
                "seeds": n,
                "verdict": d.verdict,
                "fixed": f.verdict,
                "hopeless": d.hopeless,
                "false": _false(d.verdict, draw["mean"][a, i] - draw["mean"][a, 0]),
                "fixed_false": _false(f.verdict, draw["mean"][a, i] - draw["mean"][a, 0]),
                "false_ordinary": _false(d.verdict, draw["ordinary"][a, i]),
                "fixed_false_ordinary": _false(f.verdict, draw["ordinary"][a, i]),
                # equivalent where the fixed design on the same first 10 seeds is not: never, as "equivalent" waits
                # for the cap (stats.sequential)
                "equivalent_not_fixed": d.verdict == "equivalent" and f.verdict != "equivalent",
                "collapse_used": bool(hit[:n].any()),
                "collapse_visible": bool((np.abs(pair_loss[:n]) >= outliers.FLOOR).any()),
                "flagged": d.far_seeds > 0,
                "fixed_collapse": bool(hit.any()),
                "fixed_flagged": f.far_seeds > 0,
                "farthest": _farthest(accuracy[a, i, :n], accuracy[a, 0, :n]),
            }
            if row["collapse_used"] and not row["flagged"]:
                row["missed"] = _missed(draw, a, i, n, d.verdict)
            rows.append(row)
            falses["adaptive"] += row["false"]
            falses["fixed"] += row["fixed_false"]
            falses["adaptive_ordinary"] += row["false_ordinary"]
            falses["fixed_ordinary"] += row["fixed_false_ordinary"]
        saved = {"decided": 0, "futility": 0, "base": seeds - counts["L0"]}
        for d in decisions:
            if d.decided:
                saved["decided"] += seeds - counts[d.level]
            elif d.hopeless:
                saved["futility"] += seeds - counts[d.level]
        per_ablation.append(
            {
                "trainings": sum(counts.values()),
                "fixed_trainings": seeds * (levels + 1),
                **{f"saved_{k}": v for k, v in saved.items()},
                **{f"any_false_{k}": v > 0 for k, v in falses.items()},
                "decided": sum(d.decided for d in decisions) / levels,
                "fixed_decided": sum(f.decided for f in fixed) / levels,
            }
        )
    return _base_result(scenario, rows, per_ablation, levels)


def _base_result(scenario: Scenario, rows: list, per_ablation: list, levels: int) -> dict:
    ablations = len(per_ablation)

    def total(key):
        return sum(p[key] for p in per_ablation)

    def count(key):
        return sum(1 for row in rows if row[key])

    trainings, fixed_trainings = total("trainings"), total("fixed_trainings")
    used = [row for row in rows if row["collapse_used"]]
    visible = [row for row in used if row["collapse_visible"]]
    fixed_hit = [row for row in rows if row["fixed_collapse"]]
    calm = [row for row in rows if not row["collapse_used"]]  # no collapse among its used seeds: a flag is false
    result = {
        **dataclasses.asdict(scenario),
        "group": scenario.group,
        "ablations": ablations,
        "levels": levels,
        "false_per_level": _rate(count("false"), len(rows)),
        "false_per_comparison": _rate(total("any_false_adaptive"), ablations),
        "fixed_false_per_level": _rate(count("fixed_false"), len(rows)),
        "fixed_false_per_comparison": _rate(total("any_false_fixed"), ablations),
        "comparisons_with_a_false_decision": total("any_false_adaptive") / ablations,
        "trainings": {"adaptive": trainings, "fixed": fixed_trainings},
        "trainings_saved": 1 - trainings / fixed_trainings,
        "trainings_saved_se": _mean([1 - p["trainings"] / p["fixed_trainings"] for p in per_ablation])["se"],
        "saved_by": {k: total(f"saved_{k}") / fixed_trainings for k in ("decided", "futility", "base")},
        "decided": sum(row["verdict"] != "undecided" for row in rows) / len(rows),
        "fixed_decided": sum(row["fixed"] != "undecided" for row in rows) / len(rows),
        "decided_vs_fixed": _mean([p["decided"] - p["fixed_decided"] for p in per_ablation]),
        "agreement_with_fixed": sum(row["verdict"] == row["fixed"] for row in rows) / len(rows),
        "flagged_without_collapse": _rate(sum(row["flagged"] for row in calm), len(calm)),
        "mean_seeds": float(np.mean([row["seeds"] for row in rows])),
        "by_truth": {
            kind: {
                "levels": len(of),
                "mean_seeds": float(np.mean([row["seeds"] for row in of])),
                "decided": sum(row["verdict"] != "undecided" for row in of) / len(of),
                "fixed_decided": sum(row["fixed"] != "undecided" for row in of) / len(of),
                "false": sum(row["false"] for row in of) / len(of),
                "fixed_false": sum(row["fixed_false"] for row in of) / len(of),
            }
            for kind in KINDS
            if (of := [row for row in rows if row["kind"] == kind])
        },
        # a comparison's counts, to pool scenarios by
        "counts": {
            "comparisons": ablations,
            "any_false": total("any_false_adaptive"),
            "fixed_any_false": total("any_false_fixed"),
            "levels": len(rows),
            "decided": sum(row["verdict"] != "undecided" for row in rows),
            "fixed_decided": sum(row["fixed"] != "undecided" for row in rows),
            **{f"saved_{k}": total(f"saved_{k}") for k in ("decided", "futility", "base")},
            "calm_levels": len(calm),
            "calm_flagged": sum(row["flagged"] for row in calm),
            # how many levels' farthest seed lies beyond each of SEPARATION_PP: without a collapse, and with one
            "calm_beyond": {
                f"{limit:g}": sum(row["farthest"] > limit / 100 for row in calm) for limit in SEPARATION_PP
            },
            "equivalent_not_fixed": count("equivalent_not_fixed"),
        },
    }
    if scenario.collapse:
        result["collapse"] = {  # replaces the scenario's field of that name ("base", "level", "both": "on")
            "on": scenario.collapse,
            "levels_with_a_collapse_in_used_seeds": len(used),
            "flagged": _rate(sum(row["flagged"] for row in used), len(used)),
            "flagged_where_visible": _rate(sum(row["flagged"] for row in visible), len(visible)),
            "fixed_flagged": _rate(sum(row["fixed_flagged"] for row in fixed_hit), len(fixed_hit)),
            "false_vs_ordinary_per_comparison": _rate(total("any_false_adaptive_ordinary"), ablations),
            "fixed_false_vs_ordinary_per_comparison": _rate(total("any_false_fixed_ordinary"), ablations),
            "false_minus_fixed_per_comparison": _mean(
                [p["any_false_adaptive"] - p["any_false_fixed"] for p in per_ablation]
            ),
        }
        result["counts"] |= {
            "collapse_used": len(used),
            "collapse_flagged": sum(row["flagged"] for row in used),
            "collapse_visible": len(visible),
            "collapse_visible_flagged": sum(row["flagged"] for row in visible),
            "fixed_collapse": len(fixed_hit),
            "fixed_collapse_flagged": sum(row["fixed_flagged"] for row in fixed_hit),
            "collapse_beyond": {
                f"{limit:g}": sum(row["farthest"] > limit / 100 for row in used) for limit in SEPARATION_PP
            },
        }
        result["collapse"]["missed"] = [row["missed"] for row in used if "missed" in row]
    return result


def _score_races(scenario: Scenario, draw: dict, checked: int) -> dict:
    accuracy, resolution, means = draw["accuracy"], draw["resolution"], draw["ordinary"]
    ablations, levels = accuracy.shape[:2]
    found: dict[str, list[dict]] = {"adaptive": [], "fixed": []}
    trainings = []
    for a in range(ablations):
        fast = _race_rounds(accuracy[a], resolution)
        if a < checked:
            _check(fast, accuracy[a], resolution, race=True)
        trainings.append(sum(fast[0].values()))
        for design, (_, best, decisions) in (
            ("adaptive", fast),
            ("fixed", _race_rounds(accuracy[a], resolution, FIXED)),
        ):
            verdicts = {d.level: d.verdict for d in decisions}
            members = decide.best_set(best, verdicts)
            truth = means[a]
            top = int(np.argmax(truth))
            index = {f"L{i}": i for i in range(levels)}
            winner = members[0] if len(members) == 1 else None
            found[design].append(
                {
                    "best_in_set": f"L{top}" in members,
                    "size": len(members),
                    "wrong_single_winner": winner is not None and truth[top] - truth[index[winner]] > RULE.margin,
                    "single_winner": winner is not None,
                    "any_false": any(
                        _false(d.verdict, truth[index[d.level]] - truth[index[d.reference]]) for d in decisions
                    ),
                }
            )
    fixed_trainings = RULE.max_seeds * levels * ablations

    def share(design, key):
        return _rate(sum(r[key] for r in found[design]), ablations)

    return {
        **dataclasses.asdict(scenario),
        "group": "",
        "ablations": ablations,
        "levels": levels,
        "true_means_pp": list(NEAR_TIES_PP),
        "false_per_comparison": share("adaptive", "any_false"),
        "fixed_false_per_comparison": share("fixed", "any_false"),
        "comparisons_with_a_false_decision": share("adaptive", "any_false")["rate"],
        "best_in_set": share("adaptive", "best_in_set"),
        "fixed_best_in_set": share("fixed", "best_in_set"),
        "wrong_single_winner": share("adaptive", "wrong_single_winner"),
        "fixed_wrong_single_winner": share("fixed", "wrong_single_winner"),
        "single_winner": share("adaptive", "single_winner")["rate"],
        "mean_best_set_size": float(np.mean([r["size"] for r in found["adaptive"]])),
        "fixed_mean_best_set_size": float(np.mean([r["size"] for r in found["fixed"]])),
        "trainings": {"adaptive": int(sum(trainings)), "fixed": fixed_trainings},
        "trainings_saved": 1 - sum(trainings) / fixed_trainings,
    }


def _summary(found: list[dict]) -> dict:
    """The goals' keys (module docstring), each from the scenarios it is defined on."""
    plain = [s for s in found if not s.get("collapse")]
    worst = max(plain, key=lambda s: s["false_per_comparison"]["rate"])
    collapses = [s for s in found if s.get("collapse")]
    used = sum(s["counts"]["collapse_used"] for s in collapses)
    flagged = sum(s["counts"]["collapse_flagged"] for s in collapses)
    visible = sum(s["counts"]["collapse_visible"] for s in collapses)
    visible_flagged = sum(s["counts"]["collapse_visible_flagged"] for s in collapses)
    fixed_used = sum(s["counts"]["fixed_collapse"] for s in collapses)
    fixed_flagged = sum(s["counts"]["fixed_collapse_flagged"] for s in collapses)
    adaptive_false = sum(s["counts"]["any_false"] for s in collapses)
    fixed_false = sum(s["counts"]["fixed_any_false"] for s in collapses)
    comparisons = sum(s["counts"]["comparisons"] for s in collapses)

    def pooled(group):
        members = [s for s in found if s["group"] == group]
        adaptive_trainings = sum(s["trainings"]["adaptive"] for s in members)
        fixed_trainings = sum(s["trainings"]["fixed"] for s in members)
        return (
            members,
            1 - adaptive_trainings / fixed_trainings,
            {
                k: sum(s["counts"][f"saved_{k}"] for s in members) / fixed_trainings
                for k in ("decided", "futility", "base")
            },
            # scenarios are independent: the pooled saving's error from each one's (per comparison)
            math.sqrt(sum((s["trainings"]["fixed"] * s["trainings_saved_se"]) ** 2 for s in members)) / fixed_trainings,
        )

    def decided_shares(members):
        levels = sum(s["counts"]["levels"] for s in members)
        return (
            sum(s["counts"]["decided"] for s in members) / levels,
            sum(s["counts"]["fixed_decided"] for s in members) / levels,
        )

    realistic, saved, saved_by, saved_se = pooled("realistic")
    decidable, saved_decidable, saved_by_decidable, saved_decidable_se = pooled("decidable")
    mixed = realistic + decidable
    decided, fixed_decided = decided_shares(mixed)
    calm, calm_fixed = decided_shares([s for s in mixed if not s["collapse"]])
    differences = [s["collapse"]["false_minus_fixed_per_comparison"] for s in collapses]
    ordinary = [s["collapse"] for s in collapses]
    by_scenario = [s for s in found if not s["race"]]
    least = min(by_scenario, key=lambda s: s["decided_vs_fixed"]["mean"])
    # what a flag costs: levels without a collapse among their used seeds that still name a far seed
    loudest = max(by_scenario, key=lambda s: s["flagged_without_collapse"]["rate"])
    calm_levels = sum(s["counts"]["calm_levels"] for s in by_scenario)
    calm_flagged = sum(s["counts"]["calm_flagged"] for s in by_scenario)
    # what flagging every collapse would take: at each limit, the share of levels with a collapse whose farthest seed
    # lies beyond it, against the share of levels without one (pooled, and in the scenario with most of them)
    separation = {}
    for limit in (f"{limit:g}" for limit in SEPARATION_PP):
        most = max(by_scenario, key=lambda s: s["counts"]["calm_beyond"][limit] / max(s["counts"]["calm_levels"], 1))
        separation[limit] = {
            "collapses_beyond": sum(s["counts"]["collapse_beyond"][limit] for s in collapses) / used
            if used
            else math.nan,
            "ordinary_beyond": sum(s["counts"]["calm_beyond"][limit] for s in by_scenario) / calm_levels,
            "ordinary_beyond_most": most["counts"]["calm_beyond"][limit] / max(most["counts"]["calm_levels"], 1),
            "ordinary_beyond_most_scenario": most["name"],
        }
    return {
        "false_decision_rate_max": worst["false_per_comparison"]["rate"],
        "false_decision_rate_max_se": worst["false_per_comparison"]["se"],
        "false_decision_rate_max_scenario": worst["name"],
        "false_decision_rate_max_fixed": worst["fixed_false_per_comparison"]["rate"],
        "collapse_flagged": flagged / used if used else math.nan,
        "collapse_levels": used,
        "collapse_flagged_where_visible": visible_flagged / visible if visible else math.nan,
        "collapse_flagged_fixed": fixed_flagged / fixed_used if fixed_used else math.nan,
        # each level with a collapse among its used seeds that names no far seed, and where the collapse landed
        "collapse_missed": [{"scenario": s["name"], **missed} for s in collapses for missed in s["collapse"]["missed"]],
        # a limit on the farthest seed's distance (pp) -> the shares of levels with and without a collapse beyond it
        "collapse_separation_pp": separation,
        "flagged_without_collapse": calm_flagged / calm_levels if calm_levels else math.nan,
        "flagged_without_collapse_worst": loudest["flagged_without_collapse"]["rate"],
        "flagged_without_collapse_worst_scenario": loudest["name"],
        "collapse_false_adaptive": adaptive_false / comparisons,
        "collapse_false_fixed": fixed_false / comparisons,
        # comparisons with a false decision, adaptive over fixed, each count + 0.5 (1.0 when both are 0)
        "collapse_false_vs_fixed": (adaptive_false + 0.5) / (fixed_false + 0.5),
        "collapse_comparisons": comparisons,
        # the same comparisons' difference (adaptive - fixed) with its Monte Carlo error (equal sizes per scenario)
        "collapse_false_minus_fixed": float(np.mean([d["mean"] for d in differences])) if differences else math.nan,
        "collapse_false_minus_fixed_se": math.sqrt(sum(d["se"] ** 2 for d in differences)) / len(differences)
        if differences
        else math.nan,
        # scored against the difference of runs that did not collapse instead of the mean over seeds
        "collapse_false_vs_ordinary_adaptive": sum(
            c["false_vs_ordinary_per_comparison"]["rate"] * c["false_vs_ordinary_per_comparison"]["n"] for c in ordinary
        )
        / comparisons
        if comparisons
        else math.nan,
        "collapse_false_vs_ordinary_fixed": sum(
            c["fixed_false_vs_ordinary_per_comparison"]["rate"] * c["fixed_false_vs_ordinary_per_comparison"]["n"]
            for c in ordinary
        )
        / comparisons
        if comparisons
        else math.nan,
        "trainings_saved": saved,
        "trainings_saved_se": saved_se,
        "trainings_saved_by": saved_by,
        "trainings_saved_scenarios": [s["name"] for s in realistic],
        "trainings_saved_decidable": saved_decidable,
        "trainings_saved_decidable_se": saved_decidable_se,
        "trainings_saved_decidable_by": saved_by_decidable,
        "trainings_saved_decidable_scenarios": [s["name"] for s in decidable],
        "decided_share_vs_fixed": decided - fixed_decided,
        "decided_share": decided,
        "decided_share_fixed": fixed_decided,
        "decided_share_vs_fixed_without_collapses": calm - calm_fixed,
        "decided_share_vs_fixed_worst": least["decided_vs_fixed"]["mean"],
        "decided_share_vs_fixed_worst_scenario": least["name"],
        # levels called equivalent by --seeds auto but not by the fixed design on the same seeds (0 by construction)
        "equivalent_not_fixed": sum(s["counts"]["equivalent_not_fixed"] for s in by_scenario),
    }
