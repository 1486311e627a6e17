"""Search-space primitives of ablation files -> Optuna distributions, samplers and pruners.

Ablation files stay plain data (``("log", 1e-4, 1e-1)``, ``["adam", "sgd"]``); this is the one
place they become Optuna objects.
"""

from __future__ import annotations

import importlib.util

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from ablations import is_range
from ablations.levels import stored_values

SEED_RANGE = (0, 1_000_000)  # Optuna distribution of the seed param (any --seeds fits)


class SearchError(ValueError):
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
        raise SearchError("sampler='gp' needs PyTorch, which is not installed; `pip install -e .[gp]` "
                          "or choose tpe, random, qmc, cmaes or grid")
    if name == "grid":
        return optuna.samplers.GridSampler({k: list(v) for k, v in search_space.items()}, seed=seed)
    if name == "cmaes":
        choices = [k for k, v in search_space.items() if not is_range(v)]
        if choices:  # CMA-ES samples numbers only; Optuna would silently fall back to random for choices
            raise SearchError(f"sampler='cmaes' samples numeric ranges only, but {', '.join(choices)} is a list "
                              "of choices; use tpe, or search the choices with design='nested'")
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
