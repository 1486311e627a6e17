"""The catalogue of named ablations: the ``Ablation`` dataclass and one file per ablation.

An ablation file is data (it never imports TensorFlow): ``ablations/NAME.py`` defines
``ABLATION = Ablation(...)``. The first level of each factor is its base level.

Designs:
- ``ofat``: each factor varied alone around the base; the all-base cell is shared by all factors.
- ``grid``: the full factorial of the factors.
- ``search``: no scientific factor; one Optuna search over ``search_space``, then its best trial is
  re-run with every seed.
- ``nested``: for each level of the factors (their grid), its own search over the nuisance
  ``search_space``; then each level's best trial is re-run with every seed, so levels are compared
  at their best (the Deep Learning Tuning Playbook's recipe).
- ``chained``: ``stages`` run in order, each a grid of its own factors; each stage starts from the
  winners (best mean validation accuracy) of the stages before it, as seed report 001 did. Its
  ``factors`` are derived: every staged field with all its levels, the base value first.

A search space maps Config fields to Optuna distributions written as primitives:
``("log", 1e-4, 1e-1)``, ``("float", 0.0, 0.5)``, ``("int", 1, 8)``, ``("logint", 16, 512)`` or a
list of choices.
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
from dataclasses import dataclass, field, replace

from config import FIELD_TYPES, Config, ConfigError, check_choice, check_keys

DESIGNS = ("ofat", "grid", "search", "nested", "chained")
SEARCH_DESIGNS = ("search", "nested")
SAMPLERS = ("tpe", "random", "qmc", "cmaes", "gp", "grid")
PRUNERS = ("none", "median", "successive_halving", "hyperband")
RANGE_KINDS = {"log": "float", "float": "float", "int": "int", "logint": "int"}  # kind -> Config type


class AblationError(ValueError):
    """An ablation name or file is wrong; the message says what and how to fix it."""


@dataclass(frozen=True)
class Ablation:
    """A question answered by training every cell (variant x seed) of a design."""

    question: str  # the file's docstring: what the ablation asks, and its source
    base: dict  # fixed Config fields
    factors: dict = field(default_factory=dict)  # scientific factors: Config field -> levels, first = base
    design: str = "ofat"
    seeds: int = 3
    name: str = ""  # set by load(): the file name
    source: str = ""  # which seed report (and figure) this reproduces
    notes: str = ""  # how levels were chosen where the source is silent
    # searches (designs "search" and "nested")
    search_space: dict = field(default_factory=dict)  # nuisance Config field -> distribution primitive
    sampler: str = "tpe"
    n_trials: int = 20  # search budget (per level in the nested design), counted across restarts
    pruner: str = "none"
    # the chained design: a list of stages, each a dict of factors (field -> levels)
    stages: list = field(default_factory=list)

    def __post_init__(self):
        if self.design not in DESIGNS:
            raise AblationError(f"design={self.design!r} is not known; choose one of: {', '.join(DESIGNS)}")
        if (self.design == "chained") != bool(self.stages):
            raise AblationError("design='chained' needs `stages` (a list of factor dicts)" if self.design == "chained"
                                else f"design={self.design!r} takes no `stages`; use design='chained'")
        if self.stages:
            staged = self._staged_factors()
            if self.factors and self.factors != staged:  # (a copy made by dataclasses.replace repeats them)
                raise AblationError("a chained ablation lists its factors in `stages`, not in `factors`")
            object.__setattr__(self, "factors", staged)
        _check_count("seeds", self.seeds)
        _check_count("n_trials", self.n_trials)
        check_choice("sampler", self.sampler, SAMPLERS, error=AblationError)
        check_choice("pruner", self.pruner, PRUNERS, error=AblationError)
        if self.design == "search" and self.factors:
            raise AblationError("design='search' has no factors (it searches `search_space` only); "
                                "use design='nested' to search per level of factors")
        if self.design != "search" and not self.factors:
            raise AblationError("an ablation needs at least one factor in `factors`")
        if (self.design in SEARCH_DESIGNS) != bool(self.search_space):
            raise AblationError(f"design={self.design!r} " + ("needs a `search_space`" if self.design in SEARCH_DESIGNS
                                else "takes no `search_space`; use design='nested' or 'search'"))
        check_keys(self.base, where="base")
        check_keys(self.factors, where="factor")
        check_keys(self.search_space, where="search_space")
        if "seed" in {*self.factors, *self.base, *self.search_space}:
            raise AblationError("`seed` is not a factor, base or search key: seeds are set with `seeds=N`")
        both = sorted(set(self.factors) & set(self.search_space))
        if both:
            raise AblationError(f"{', '.join(both)} is both a factor and searched; a field is one or the other")
        for name, levels in self.factors.items():
            if not isinstance(levels, (list, tuple)) or len(levels) < 2 or len(set(levels)) != len(levels):
                raise AblationError(f"factor {name!r} needs a list of at least two distinct levels, got {levels!r}")
        for name, spec in self.search_space.items():
            _check_distribution(name, spec)
        if self.sampler == "grid":
            ranges = [name for name, spec in self.search_space.items() if is_range(spec)]
            if ranges:
                raise AblationError(f"sampler='grid' needs a list of values for every searched field; "
                                    f"{', '.join(ranges)} is a range")

    def _staged_factors(self) -> dict:
        """Every staged field with the union of its levels, the base Config's value first."""
        if not isinstance(self.stages, (list, tuple)) or not all(isinstance(s, dict) and s for s in self.stages):
            raise AblationError(f"stages={self.stages!r} must be a list of non-empty dicts of factors")
        check_keys([name for stage in self.stages for name in stage], where="stage factor")
        start = Config().replace(**{k: v for k, v in self.base.items() if k in FIELD_TYPES})
        factors = {}
        for stage in self.stages:
            for name, levels in stage.items():
                if not isinstance(levels, (list, tuple)) or len(levels) < 2 or len(set(levels)) != len(levels):
                    raise AblationError(f"stage factor {name!r} needs a list of at least two distinct levels, "
                                        f"got {levels!r}")
                known = factors.setdefault(name, [getattr(start, name)])
                known += [level for level in levels if level not in known]
        return factors

    def stage_variants(self, index: int, carried: dict) -> list[dict]:
        """Full factor values of every variant of stage ``index``, starting from ``carried`` winners."""
        current = {**self.base_levels(), **carried}  # a chain starts from every staged field's base value
        return [{**current, **combo} for combo in grid_levels(self.stages[index])]

    def base_levels(self) -> dict:
        return {name: levels[0] for name, levels in self.factors.items()}

    def variants(self) -> list[dict]:
        """Every distinct combination of factor levels the design trains, base first.

        A search design has one empty variant; a nested design searches at every grid combination.
        """
        if self.design in ("grid", "nested", "search"):
            return grid_levels(self.factors)
        if self.design == "chained":  # every stage's levels from the start (winners are known only later)
            variants = [v for index in range(len(self.stages)) for v in self.stage_variants(index, {})]
            return [dict(v) for v in dict.fromkeys(tuple(v.items()) for v in variants)]
        base = self.base_levels()
        variants = [base]
        for name, levels in self.factors.items():
            variants += [{**base, name: level} for level in levels[1:]]
        return variants

    def cells(self, seeds: int | None = None) -> list[dict]:
        """Every (variant, seed) cell as the Config overrides it trains with.

        In a search design a cell also carries its variant's tuned values, known only after the search.
        """
        return [{**variant, "seed": seed} for seed in range(seeds or self.seeds) for variant in self.variants()]

    def configs(self, base: Config, seeds: int | None = None) -> list[Config]:
        """The validated Config of every cell, ``base`` being the resolved base Config.

        For a search design: every variant at every searched choice and at both ends of every range.
        """
        configs = []
        for cell in self.cells(seeds) + self._search_corners():
            try:
                configs.append(base.replace(**cell))
            except ConfigError as error:
                raise AblationError(f"ablation {self.name!r}, cell {cell}: {error}") from None
        return configs

    def _search_corners(self) -> list[dict]:
        corners = []
        for name, spec in self.search_space.items():
            values = spec[1:] if is_range(spec) else spec
            corners += [{**variant, name: value, "seed": 0} for variant in self.variants() for value in values]
        return corners

    def spec(self) -> dict:
        """JSON-safe description stored with the study, so reports need no ablation file."""
        return dict(name=self.name, question=self.question.strip(), base=self.base, design=self.design,
                    factors={k: list(v) for k, v in self.factors.items()}, seeds=self.seeds,
                    source=self.source, notes=self.notes,
                    search_space={k: list(v) for k, v in self.search_space.items()},
                    sampler=self.sampler, n_trials=self.n_trials, pruner=self.pruner,
                    stages=[{k: list(v) for k, v in stage.items()} for stage in self.stages])


def names() -> list[str]:
    """Named ablations: every public module of this package."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def load(name: str) -> Ablation:
    """Import ``ablations/NAME.py`` and return its ABLATION, with clear errors for every failure."""
    if name not in names():
        raise AblationError(f"unknown ablation {name!r}; choose one of: {', '.join(names())} "
                            "(or add ablations/{name}.py)")
    try:
        module = importlib.import_module(f"{__name__}.{name}")
        ablation = module.ABLATION
    except SyntaxError as error:
        raise AblationError(f"ablations/{name}.py has a syntax error at line {error.lineno}: {error.msg}") from None
    except AttributeError:
        raise AblationError(f"ablations/{name}.py defines no ABLATION = Ablation(...)") from None
    except (ConfigError, AblationError, TypeError) as error:
        raise AblationError(f"ablations/{name}.py: {error}") from None
    if not isinstance(ablation, Ablation):
        raise AblationError(f"ablations/{name}.py: ABLATION must be an Ablation, got {type(ablation).__name__}")
    return replace(ablation, name=name)


def _check_count(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise AblationError(f"{name}={value!r} must be an integer >= 1")


def is_range(spec) -> bool:
    """Whether a search-space primitive is a (kind, low, high) range (stored studies hold it as a list)."""
    return isinstance(spec, (list, tuple)) and len(spec) == 3 and spec[0] in RANGE_KINDS


def grid_levels(factors: dict) -> list[dict]:
    """Every combination of factor levels, base first (one empty combination without factors)."""
    return [dict(zip(factors, combo)) for combo in itertools.product(*factors.values())]


def _check_distribution(name: str, spec) -> None:
    """A search-space entry: a list of choices, or (kind, low, high) of a kind fitting the field."""
    example = 'for example ("log", 1e-4, 1e-1), ("int", 1, 8) or ["adam", "sgd"]'
    if isinstance(spec, list):
        if len(spec) < 2 or len(set(spec)) != len(spec):
            raise AblationError(f"search_space[{name!r}]={spec!r} needs at least two distinct choices")
        return
    if not (isinstance(spec, tuple) and len(spec) == 3 and spec[0] in RANGE_KINDS):
        raise AblationError(f"search_space[{name!r}]={spec!r} is not a distribution; write (kind, low, high) "
                            f"with kind in {', '.join(RANGE_KINDS)}, or a list of choices; {example}")
    kind, low, high = spec
    if FIELD_TYPES[name] != RANGE_KINDS[kind]:
        raise AblationError(f"search_space[{name!r}]: {name} takes a {FIELD_TYPES[name]}, so ({kind!r}, ...) "
                            f"cannot sample it; use {[k for k, t in RANGE_KINDS.items() if t == FIELD_TYPES[name]]} "
                            "or a list of choices")
    if not low < high or (kind in ("log", "logint") and low <= 0):
        raise AblationError(f"search_space[{name!r}]={spec!r} needs low < high" +
                            (" and low > 0 on a log scale" if kind in ("log", "logint") else ""))
