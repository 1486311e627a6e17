"""The catalogue of named ablations: the ``Ablation`` dataclass and one file per ablation.

An ablation file is data (it never imports TensorFlow): ``ablations/NAME.py`` defines
``ABLATION = Ablation(...)``. The first level of each factor is its base level.

Designs:
- ``ofat``: each factor varied alone around the base; the all-base cell is shared by all factors.
- ``grid``: the full factorial of the factors.
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
from dataclasses import dataclass, replace

from training.config import Config, ConfigError, check_keys

DESIGNS = ("ofat", "grid")


class AblationError(ValueError):
    """An ablation name or file is wrong; the message says what and how to fix it."""


@dataclass(frozen=True)
class Ablation:
    """A question answered by training every cell (variant x seed) of a design."""

    question: str  # the file's docstring: what the ablation asks, and its source
    base: dict  # fixed Config fields
    factors: dict  # scientific factors: Config field -> levels, the first level being the base
    design: str = "ofat"
    seeds: int = 3
    name: str = ""  # set by load(): the file name
    source: str = ""  # which seed report (and figure) this reproduces
    notes: str = ""  # how levels were chosen where the source is silent

    def __post_init__(self):
        if self.design not in DESIGNS:
            raise AblationError(f"design={self.design!r} is not known; choose one of: {', '.join(DESIGNS)}")
        if not isinstance(self.seeds, int) or isinstance(self.seeds, bool) or self.seeds < 1:
            raise AblationError(f"seeds={self.seeds!r} must be an integer >= 1")
        if not self.factors:
            raise AblationError("an ablation needs at least one factor in `factors`")
        check_keys(self.base, where="base")
        check_keys(self.factors, where="factor")
        if "seed" in self.factors or "seed" in self.base:
            raise AblationError("`seed` is not a factor or base key: seeds are set with `seeds=N`")
        for name, levels in self.factors.items():
            if not isinstance(levels, (list, tuple)) or len(levels) < 2 or len(set(levels)) != len(levels):
                raise AblationError(f"factor {name!r} needs a list of at least two distinct levels, got {levels!r}")

    def base_levels(self) -> dict:
        return {name: levels[0] for name, levels in self.factors.items()}

    def variants(self) -> list[dict]:
        """Every distinct combination of factor levels the design trains, base first."""
        names = list(self.factors)
        if self.design == "grid":
            return [dict(zip(names, combo)) for combo in itertools.product(*self.factors.values())]
        base = self.base_levels()
        variants = [base]
        for name, levels in self.factors.items():
            variants += [{**base, name: level} for level in levels[1:]]
        return variants

    def cells(self, seeds: int | None = None) -> list[dict]:
        """Every (variant, seed) cell as the Config overrides it trains with."""
        return [{**variant, "seed": seed} for seed in range(seeds or self.seeds) for variant in self.variants()]

    def configs(self, base: Config, seeds: int | None = None) -> list[Config]:
        """The validated Config of every cell, ``base`` being the resolved base Config."""
        configs = []
        for cell in self.cells(seeds):
            try:
                configs.append(base.replace(**cell))
            except ConfigError as error:
                raise AblationError(f"ablation {self.name!r}, cell {cell}: {error}") from None
        return configs

    def spec(self) -> dict:
        """JSON-safe description stored with the study, so reports need no ablation file."""
        return dict(name=self.name, question=self.question.strip(), base=self.base, design=self.design,
                    factors={k: list(v) for k, v in self.factors.items()}, seeds=self.seeds,
                    source=self.source, notes=self.notes)


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
