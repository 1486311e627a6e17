"""The catalogue of named ablations: the ``Ablation`` dataclass, and one file per ablation.

An ablation file is data (it never imports TensorFlow): ``ablations/NAME.py`` (or any file given
by path) defines ``ABLATION = Ablation(...)``. The first level of each factor is its base level.
What each ``design`` does is its entry in ``ablations.designs.DESIGNS``.

A search space maps Config fields to Optuna distributions written as primitives:
``("log", 1e-4, 1e-1)``, ``("float", 0.0, 0.5)``, ``("int", 1, 8)``, ``("logint", 16, 512)`` or a
list of choices.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path

from ablation_suite import userfiles
from ablation_suite.ablations import levels as level_model
from ablation_suite.ablations.designs import DESIGNS, Comparison, grid_levels
from ablation_suite.ablations.levels import Level  # noqa: F401 (ablation files import it from here)
from ablation_suite.config import FIELD_TYPES, Config, ConfigError, check_choice, check_keys, check_knobs_act
from ablation_suite.errors import UserError
from ablation_suite.stats.sequential import RULE_DEFAULTS, RULE_FIELDS, Rule, family_size, rule_problems

SEARCH_DESIGNS = tuple(name for name, design in DESIGNS.items() if design.searches)
SAMPLERS = ("tpe", "random", "qmc", "cmaes", "gp", "grid")
PRUNERS = ("none", "median", "successive_halving", "hyperband")
RANGE_KINDS = {"log": "float", "float": "float", "int": "int", "logint": "int"}  # kind -> Config type


class AblationError(UserError):
    """An ablation name or file is wrong; the message says what and how to fix it."""


@dataclass(frozen=True)
class Ablation:
    """A question answered by training every cell (variant x seed) of a design."""

    question: str  # the file's docstring: what the ablation asks, and its source
    base: dict  # fixed Config fields
    factors: dict = field(default_factory=dict)  # scientific factors: name -> levels (values or Levels), first = base
    design: str = "ofat"
    seeds: int | str = 3  # seeds per variant, or "auto": each level's seeds decided by the rule below
    # seeds="auto" (stats.sequential): margin of practical equivalence in accuracy points, error rate, seed bounds
    rope: float = Rule.rope  # the decision rule of seeds="auto" (stats.sequential.Rule)
    alpha: float = Rule.alpha
    min_seeds: int = Rule.min_seeds
    max_seeds: int = Rule.max_seeds
    family: str = Rule.family  # what alpha covers: "study" (every decision of it) or "comparison" (each factor's)
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
        check_choice("design", self.design, DESIGNS, error=AblationError)
        design = DESIGNS[self.design]
        staged = [name for name, entry in DESIGNS.items() if entry.stages]
        if design.stages != bool(self.stages):
            raise AblationError(
                f"design={self.design!r} needs `stages` (a list of factor dicts)"
                if design.stages
                else f"design={self.design!r} takes no `stages`; use design={staged[0]!r}"
            )
        if self.stages:
            stage_factors = self._staged_factors()
            if self.factors and self.factors != stage_factors:  # (a copy made by dataclasses.replace repeats them)
                raise AblationError("a chained ablation lists its factors in `stages`, not in `factors`")
            object.__setattr__(self, "factors", stage_factors)
        self._check_seeds(design)
        _check_count("n_trials", self.n_trials)
        check_choice("sampler", self.sampler, SAMPLERS, error=AblationError)
        check_choice("pruner", self.pruner, PRUNERS, error=AblationError)
        if not design.factors and self.factors:
            raise AblationError(
                f"design={self.design!r} has no factors (it searches `search_space` only); "
                "use design='nested' to search per level of factors"
            )
        if design.factors and not self.factors:
            raise AblationError("an ablation needs at least one factor in `factors`")
        if design.searches != bool(self.search_space):
            raise AblationError(
                f"design={self.design!r} "
                + (
                    "needs a `search_space`"
                    if design.searches
                    else f"takes no `search_space`; use design={' or '.join(map(repr, SEARCH_DESIGNS))}"
                )
            )
        check_keys(self.base, where="base")
        check_keys(self.search_space, where="search_space")
        if "seed" in {*self.factors, *self.base, *self.search_space}:
            raise AblationError("`seed` is not a factor, base or search key: seeds are set with `seeds=N`")
        for name, levels in self.factors.items():
            level_model.check_factor(name, levels, list(FIELD_TYPES), AblationError)
        self._check_fields_varied_once()
        for name, spec in self.search_space.items():
            _check_distribution(name, spec)
        if self.sampler == "grid":
            ranges = [name for name, spec in self.search_space.items() if is_range(spec)]
            if ranges:
                raise AblationError(
                    f"sampler='grid' needs a list of values for every searched field; {', '.join(ranges)} is a range"
                )

    @property
    def adaptive(self) -> bool:
        """Whether each level's seeds are decided as it trains (seeds="auto", stats.sequential)."""
        return self.seeds == AUTO

    @property
    def seed_cap(self) -> int:
        """The most seeds a variant can get: ``seeds``, or ``max_seeds`` when they are decided."""
        return self.max_seeds if self.adaptive else int(self.seeds)

    def rule(self):
        """The decision rule of seeds="auto" (stats.sequential.Rule holds it; this package only stores it)."""
        return {name: getattr(self, name) for name in RULE_FIELDS}

    def family_size(self) -> int | None:
        """The intervals alpha is split over (stats.sequential.family_size) for this study's comparisons."""
        sizes = [len(comparison.levels) for comparison in self.comparisons()]
        return family_size(Rule.of(self.rule()), sizes, DESIGNS[self.design].races)

    def _check_seeds(self, design) -> None:
        if self.adaptive:
            if not design.adaptive:
                adaptive = [name for name, entry in DESIGNS.items() if entry.adaptive]
                raise AblationError(
                    f"seeds='auto' is not available with design={self.design!r}; use a number of "
                    f"seeds, or one of the designs {', '.join(adaptive)}"
                )
            problems = rule_problems(self.rule())
            if problems:
                raise AblationError("; ".join(problems))
            return
        if self.seeds != AUTO and isinstance(self.seeds, str):
            raise AblationError(f"seeds={self.seeds!r} must be an integer >= 1 or 'auto'")
        _check_count("seeds", self.seeds)
        if design.races:
            raise AblationError(
                f"design={self.design!r} decides how many seeds each level needs: set seeds='auto' "
                "(with rope, alpha, min_seeds, max_seeds), or use design='grid' with fixed seeds"
            )
        idle = [f"{name}={getattr(self, name)!r}" for name in RULE_FIELDS if getattr(self, name) != RULE_DEFAULTS[name]]
        if idle:
            raise AblationError(
                f"{', '.join(idle)} only act with seeds='auto' (this ablation trains {self.seeds} "
                "fixed seeds); set seeds='auto' (--seeds auto) or remove them"
            )

    def _check_fields_varied_once(self) -> None:
        """A Config field is varied by one factor only, and is not also searched: else a cell's value of it
        would depend on which factor is applied last."""
        owner: dict = {}
        for factor, varied in level_model.fields_varied(self.factors).items():
            for name in sorted(varied):
                if name in self.search_space:
                    raise AblationError(
                        f"{name} is both varied by factor {factor!r} and searched; a field is one or the other"
                    )
                if owner.setdefault(name, factor) != factor:
                    raise AblationError(
                        f"{name} is set by the levels of two factors, {owner[name]!r} and {factor!r}; "
                        "let one factor set it (a Level may set several fields)"
                    )

    def _staged_factors(self) -> dict:
        """Every staged factor with the union of its levels, the base Config's value first (for a factor named
        after a Config field)."""
        if not isinstance(self.stages, (list, tuple)) or not all(isinstance(s, dict) and s for s in self.stages):
            raise AblationError(f"stages={self.stages!r} must be a list of non-empty dicts of factors")
        start = Config().replace(**{k: v for k, v in self.base.items() if k in FIELD_TYPES})
        factors: dict = {}
        for stage in self.stages:
            for name, levels in stage.items():
                try:
                    level_model.check_factor(name, levels, list(FIELD_TYPES), AblationError)
                except AblationError as error:
                    raise AblationError(str(error).replace("factor", "stage factor", 1)) from None
                known = factors.setdefault(name, [getattr(start, name)] if name in FIELD_TYPES else [])
                known += [
                    level for level in levels if level_model.value(level) not in [level_model.value(k) for k in known]
                ]
        return factors

    def stage_variants(self, index: int, carried: dict) -> list[dict]:
        """Full factor values of every variant of stage ``index``, starting from ``carried`` winners."""
        current = {**self.base_levels(), **carried}  # a chain starts from every staged field's base value
        return [{**current, **combo} for combo in grid_levels(level_model.values(self.stages[index]))]

    def base_levels(self) -> dict:
        return {name: values[0] for name, values in self.level_values().items()}

    def level_values(self) -> dict:
        """Factor -> the values its cells store, base first (a Level by its name)."""
        return level_model.values(self.factors)

    def overrides(self, cell: dict) -> dict:
        """The Config fields a cell (or any dict of factor values, seed and searched values) sets: each factor's
        level turned into its fields, everything else as it is."""
        result = {}
        for key, stored in cell.items():
            if key not in self.factors:
                result[key] = stored
                continue
            level = next((level for level in self.factors[key] if level_model.value(level) == stored), None)
            if level is None and key not in FIELD_TYPES:
                raise AblationError(
                    f"factor {key!r} has no level {stored!r}; its levels are {self.level_values()[key]}"
                )
            result.update(level_model.fields_of(key, stored if level is None else level))
        return result

    def describe(self, variant: dict) -> str:
        """A variant in words, with what its compound levels set."""
        return " ".join(
            level_model.describe(
                key, next((level for level in self.factors.get(key, []) if level_model.value(level) == stored), stored)
            )
            for key, stored in variant.items()
        )

    def variants(self) -> list[dict]:
        """Every distinct combination of factor levels the design trains, base first.

        A search design has one empty variant; a nested design searches at every grid combination.
        """
        return DESIGNS[self.design].variants(self)

    def trained_variants(self) -> int:
        """Variants trained per seed (a chain trains each stage's starting cell once)."""
        trained = DESIGNS[self.design].trained
        return trained(self) if trained else len(self.variants())

    def comparisons(self, winners: Sequence[dict] = ()) -> list[Comparison]:
        """The comparisons the design makes; a chain's stages need the ``winners`` recorded so far."""
        return DESIGNS[self.design].comparisons(self, list(winners))

    @property
    def searches(self) -> bool:
        """Whether each variant's nuisance ``search_space`` is searched before its seeds are trained."""
        return DESIGNS[self.design].searches

    def cells(self, seeds: int | None = None) -> list[dict]:
        """Every (variant, seed) cell as the Config overrides it trains with.

        In a search design a cell also carries its variant's tuned values, known only after the search.
        """
        return [{**variant, "seed": seed} for seed in range(seeds or self.seed_cap) for variant in self.variants()]

    def configs(self, base: Config, seeds: int | None = None) -> list[Config]:
        """The validated Config of every cell, ``base`` being the resolved base Config.

        For a search design: every variant at every searched choice and at both ends of every range.
        A knob (of the base or a factor level) that would act in none of the cells it is set in is refused:
        the study would train the same runs under another label (config.check_knobs_act).
        """
        configs = []
        for cell in self.cells(seeds) + self._search_corners():
            try:
                configs.append(base.replace(**self.overrides(cell)))
            except ConfigError as error:
                raise AblationError(f"ablation {self.name!r}, cell {cell}: {error}") from None
        try:
            check_knobs_act(configs, skip=set(self.search_space))
        except ConfigError as error:
            raise AblationError(f"ablation {self.name!r}: {error}") from None
        return configs

    def _search_corners(self) -> list[dict]:
        corners = []
        for name, spec in self.search_space.items():
            values = spec[1:] if is_range(spec) else spec
            corners += [{**variant, name: value, "seed": 0} for variant in self.variants() for value in values]
        return corners

    @classmethod
    def from_spec(cls, spec: dict) -> Ablation:
        """The Ablation a study stored with ``spec()``: reports and status need no ablation file.

        Not validated again: it was when the study was created, and a Config knob renamed since must not
        make an old study unreadable. (JSON turned search ranges into lists; they become tuples again.)"""
        values = {key: value for key, value in spec.items() if key in {f.name for f in fields(cls)}}
        values["factors"] = level_model.factors_from_spec(values.get("factors", {}))
        values["stages"] = [level_model.factors_from_spec(stage) for stage in values.get("stages", [])]
        values["search_space"] = {
            name: tuple(primitive) if is_range(primitive) else list(primitive)
            for name, primitive in values.get("search_space", {}).items()
        }
        ablation = object.__new__(cls)
        required: dict = {"question": "", "base": {}}  # hand-made specs may leave out any field, even these
        for f in fields(cls):
            default = f.default_factory() if f.default_factory is not MISSING else required.get(f.name, f.default)
            object.__setattr__(ablation, f.name, values.get(f.name, default))
        return ablation

    def spec(self) -> dict:
        """JSON-safe description stored with the study, so reports need no ablation file."""
        return dict(
            name=self.name,
            question=self.question.strip(),
            base=self.base,
            design=self.design,
            factors=level_model.factors_to_spec(self.factors),
            seeds=self.seeds,
            **self.rule(),
            source=self.source,
            notes=self.notes,
            search_space={k: list(v) for k, v in self.search_space.items()},
            sampler=self.sampler,
            n_trials=self.n_trials,
            pruner=self.pruner,
            stages=[level_model.factors_to_spec(stage) for stage in self.stages],
        )


AUTO = "auto"
NOT_ABLATIONS = {"designs", "levels"}  # modules of this package that hold no ABLATION


def names() -> list[str]:
    """Named ablations: every public module of this package."""
    return sorted(
        m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_") and m.name not in NOT_ABLATIONS
    )


def is_path(name: str) -> bool:
    """Whether an ablation is given as a file path (``path/to/question.py``) rather than a catalogue name."""
    return name.endswith(".py") or "/" in name or "\\" in name


def load(name: str) -> Ablation:
    """The ABLATION of ``ablations/NAME.py``, or of the file at a path ending in ``.py``; named after the file.

    Every failure (unknown name, missing file, syntax error, no or a wrong ABLATION) is an AblationError
    that says what to fix."""
    if is_path(name):
        path = Path(name)
        if not path.is_file():
            raise AblationError(
                f"ablation file {name!r} does not exist; give the path of a .py file that defines "
                "ABLATION = Ablation(...), or a name from: " + ", ".join(names())
            )
        where, import_module = str(path), lambda: _import_file(path)
    elif name not in names():
        raise AblationError(
            f"unknown ablation {name!r}; choose one of: {', '.join(names())} "
            f"(or give the path of a question file of your own, e.g. {name}.py)"
        )
    else:
        where, import_module = f"ablations/{name}.py", lambda: importlib.import_module(f"{__name__}.{name}")
    try:
        ablation = import_module().ABLATION
    except SyntaxError as error:
        raise AblationError(f"{where} has a syntax error at line {error.lineno}: {error.msg}") from None
    except AttributeError:
        raise AblationError(f"{where} defines no ABLATION = Ablation(...)") from None
    except (ConfigError, AblationError, TypeError) as error:
        raise AblationError(f"{where}: {error}") from None
    except ImportError as error:  # the file's own imports: the user's modules beside it, or old names of ours
        raise AblationError(f"{where}: {error}{userfiles.old_import_hint(error)}") from None
    if not isinstance(ablation, Ablation):
        raise AblationError(f"{where}: ABLATION must be an Ablation, got {type(ablation).__name__}")
    return replace(ablation, name=Path(name).stem if is_path(name) else name)


def _import_file(path: Path):
    """Execute an ablation file outside the package as a fresh module (never cached: it may have changed), with
    its folder importable so that it can import the user's own modules beside it."""
    return userfiles.import_file(path, f"_ablation_file_{path.stem}")


def _check_count(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise AblationError(f"{name}={value!r} must be an integer >= 1")


def is_range(spec) -> bool:
    """Whether a search-space primitive is a (kind, low, high) range (stored studies hold it as a list)."""
    return isinstance(spec, (list, tuple)) and len(spec) == 3 and spec[0] in RANGE_KINDS


def _check_distribution(name: str, spec) -> None:
    """A search-space entry: a list of choices, or (kind, low, high) of a kind fitting the field."""
    example = 'for example ("log", 1e-4, 1e-1), ("int", 1, 8) or ["adam", "sgd"]'
    if isinstance(spec, list):
        if len(spec) < 2 or len(set(spec)) != len(spec):
            raise AblationError(f"search_space[{name!r}]={spec!r} needs at least two distinct choices")
        return
    if not (isinstance(spec, tuple) and len(spec) == 3 and spec[0] in RANGE_KINDS):
        raise AblationError(
            f"search_space[{name!r}]={spec!r} is not a distribution; write (kind, low, high) "
            f"with kind in {', '.join(RANGE_KINDS)}, or a list of choices; {example}"
        )
    kind, low, high = spec
    if FIELD_TYPES[name] != RANGE_KINDS[kind]:
        raise AblationError(
            f"search_space[{name!r}]: {name} takes a {FIELD_TYPES[name]}, so ({kind!r}, ...) "
            f"cannot sample it; use {[k for k, t in RANGE_KINDS.items() if t == FIELD_TYPES[name]]} "
            "or a list of choices"
        )
    if not low < high or (kind in ("log", "logint") and low <= 0):
        raise AblationError(
            f"search_space[{name!r}]={spec!r} needs low < high"
            + (" and low > 0 on a log scale" if kind in ("log", "logint") else "")
        )
