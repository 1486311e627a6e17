"""Search-space primitives of ablation files -> Optuna distributions, samplers and pruners.

Ablation files stay plain data (``("log", 1e-4, 1e-1)``, ``["adam", "sgd"]``); this is the one
place they become Optuna objects.
"""

from __future__ import annotations

import dataclasses
import importlib.util

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from ablation_suite.ablations import Ablation, is_range
from ablation_suite.ablations.levels import stored_values
from ablation_suite.config import WARMUP_SCHEDULES, Config
from ablation_suite.errors import UserError

SEED_RANGE = (0, 1_000_000)  # Optuna distribution of the seed param (any --seeds fits)


class SearchError(UserError):
    """A sampler or pruner that cannot run here or with this search space."""


def distribution(spec) -> optuna.distributions.BaseDistribution:
    """The Optuna distribution of one search-space primitive (validated by ``ablations.Ablation``)."""
    if is_range(spec):
        kind, low, high = spec
        if kind in ("int", "logint"):
            return IntDistribution(int(low), int(high), log=kind == "logint")
        return FloatDistribution(float(low), float(high), log=kind == "log")
    return CategoricalDistribution(list(spec))


def cell_distributions(spec: dict) -> dict:
    """Distributions of a cell trial's params: factor levels, tuned nuisance values and the seed."""
    space = {name: CategoricalDistribution(stored_values(levels)) for name, levels in spec["factors"].items()}
    space.update({name: distribution(primitive) for name, primitive in spec.get("search_space", {}).items()})
    space["seed"] = IntDistribution(*SEED_RANGE)
    return space


def suggest(trial: optuna.Trial, name: str, dist) -> object:
    """``trial.suggest_*`` for a distribution object (an enqueued fixed value is returned as is)."""
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step)
    return trial.suggest_categorical(name, dist.choices)


def make_sampler(name: str, search_space: dict, seed: int | None = None) -> optuna.samplers.BaseSampler:
    """The named sampler. ``gp`` needs PyTorch and ``cmaes`` the cmaes package: refused clearly without."""
    if name == "gp" and importlib.util.find_spec("torch") is None:
        raise SearchError(
            "sampler='gp' needs PyTorch, which is not installed; `pip install -e .[gp]` "
            "or choose tpe, random, qmc, cmaes or grid"
        )
    if name == "grid":
        return optuna.samplers.GridSampler({k: list(v) for k, v in search_space.items()}, seed=seed)
    if name == "cmaes":
        choices = [k for k, v in search_space.items() if not is_range(v)]
        if choices:  # CMA-ES samples numbers only; Optuna would silently fall back to random for choices
            raise SearchError(
                f"sampler='cmaes' samples numeric ranges only, but {', '.join(choices)} is a list "
                "of choices; use tpe, or search the choices with design='nested'"
            )
    return {
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "random": lambda: optuna.samplers.RandomSampler(seed=seed),
        "qmc": lambda: optuna.samplers.QMCSampler(seed=seed, warn_independent_sampling=False),
        "cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False),
        "gp": lambda: optuna.samplers.GPSampler(seed=seed),
    }[name]()


def make_pruner(name: str) -> optuna.pruners.BasePruner:
    """Pruners compare a trial's per-epoch validation accuracy with earlier trials at the same epoch."""
    return {
        "none": optuna.pruners.NopPruner,
        "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
        "successive_halving": optuna.pruners.SuccessiveHalvingPruner,
        "hyperband": optuna.pruners.HyperbandPruner,
    }[name]()


def fit_to_run(ablation: Ablation, base: Config, fixed) -> tuple[Ablation, Config, str]:
    """The search space adapted to a run too short for the warm-up of its searched schedules, and what was
    adapted in words ("" if nothing): a quick ``--epochs 1`` smoke run of a search is a normal thing to ask.

    Only what the search brings in is adapted; ``fixed`` are the fields the ablation's base, its factors and
    the command set, which are refused by the cells' validation as before. A warm-up must end before the last
    epoch: with epochs >= 2, warmup_epochs left at its default becomes epochs - 1 (a searched warmup_epochs is
    cut to the values that fit); with one epoch no warm-up fits and the warm-up schedules leave the searched
    lr_schedule choices. The text joins the ablation's notes, so the study stores it and its report shows it.
    """
    space, changes, done = dict(ablation.search_space), {}, []
    choices = space.get("lr_schedule")
    warm = [name for name in choices if name in WARMUP_SCHEDULES] if isinstance(choices, list) else []
    longest = base.epochs - 1  # the longest warm-up that ends before the last epoch
    if not warm or "warmup_epochs" in fixed:  # a warm-up asked for is refused if it does not fit, as before
        return ablation, base, ""
    searched = space.get("warmup_epochs")
    if searched is not None:
        values = list(range(searched[1], searched[2] + 1)) if is_range(searched) else list(searched)
        fit = [value for value in values if 1 <= value <= longest]
        if fit and fit != values:
            if len(fit) == 1:
                del space["warmup_epochs"]
                changes["warmup_epochs"] = fit[0]
            else:
                space["warmup_epochs"] = (searched[0], fit[0], fit[-1]) if is_range(searched) else fit
                if base.warmup_epochs not in fit:  # the base value, which the other searched fields are checked with
                    changes["warmup_epochs"] = fit[-1]
            done.append(f"searched warmup_epochs {searched} -> {space.get('warmup_epochs', fit[0])}")
    elif base.warmup_epochs > longest >= 1:
        changes["warmup_epochs"] = longest
        done.append(f"warmup_epochs {base.warmup_epochs} -> {longest} for the searched {', '.join(warm)}")
    if longest < 1 or (searched is not None and not fit):
        rest = [name for name in choices if name not in WARMUP_SCHEDULES]
        space.pop("warmup_epochs", None)
        if rest[1:]:
            space["lr_schedule"] = rest
        elif rest:
            del space["lr_schedule"]
            changes["lr_schedule"] = rest[0]
        if not rest or not space:
            return ablation, base, ""  # nothing left to search: refused by the cells' validation
        done.append(f"lr_schedule choices {', '.join(warm)} left out of the search")
    if not done:
        return ablation, base, ""
    text = "; ".join(done) + f" (a warm-up must end before the last epoch, and this run has {base.epochs})"
    notes = f"{ablation.notes} Adapted to this run: {text}.".strip()
    return dataclasses.replace(ablation, search_space=space, notes=notes), base.replace(**changes), text
