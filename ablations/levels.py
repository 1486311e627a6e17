"""Compound levels: a named level of a factor that sets several Config fields at once.

A factor's levels are plain values of the Config field the factor is named after
(``bn=["none", "before"]``) or ``Level``s, which set any fields under a name of their own::

    factors=dict(optimizer=["adam", Level("sgd_nesterov", optimizer="sgd", learning_rate=0.01, momentum=0.9,
                                          nesterov=True)])
    factors=dict(recipe=[Level("baseline"), Level("augmented", augmentation="flip+shift")])

A factor whose levels are all ``Level``s may have any name; a plain level needs the factor to be a Config
field. A cell stores a level by its value (a ``Level`` by its name), so the Optuna params, the trials
table, the labels of the report and ``status`` show the name; ``Ablation.overrides`` turns a cell back
into the Config fields it sets.
"""

from __future__ import annotations


class Level:
    """A named level of a factor that sets the Config fields ``sets`` (none: the base as it is)."""

    def __init__(self, name: str, **sets):
        self.name, self.sets = name, dict(sets)

    def __eq__(self, other):
        return isinstance(other, Level) and (self.name, self.sets) == (other.name, other.sets)

    def __hash__(self):
        return hash((self.name, tuple(sorted(self.sets.items()))))

    def __repr__(self):
        return f"Level({self.name!r}" + "".join(f", {k}={v!r}" for k, v in self.sets.items()) + ")"


def value(level):
    """What a cell stores for a level: a Level's name, or the plain value."""
    return level.name if isinstance(level, Level) else level


def fields_of(factor: str, level) -> dict:
    """The Config fields a level of ``factor`` sets."""
    return dict(level.sets) if isinstance(level, Level) else {factor: level}


def to_spec(level):
    """JSON-safe form stored with the study: a Level as {"level": NAME, "sets": {...}}."""
    return {"level": level.name, "sets": dict(level.sets)} if isinstance(level, Level) else level


def from_spec(stored):
    """A level as ``to_spec`` stored it."""
    return Level(stored["level"], **stored["sets"]) if isinstance(stored, dict) and "level" in stored else stored


def factors_to_spec(factors: dict) -> dict:
    """Every factor's levels as stored (``to_spec``)."""
    return {name: [to_spec(level) for level in levels] for name, levels in factors.items()}


def factors_from_spec(factors: dict) -> dict:
    """Every factor's levels back from the stored form (``from_spec``)."""
    return {name: [from_spec(level) for level in levels] for name, levels in factors.items()}


def describe(factor: str, level) -> str:
    """``factor=value``, and for a Level what it sets: ``optimizer=sgd_nesterov (optimizer=sgd, momentum=0.9)``."""
    text = f"{factor}={value(level)}"
    if isinstance(level, Level):
        text += " (" + (", ".join(f"{k}={v}" for k, v in level.sets.items()) or "the base") + ")"
    return text


def values(factors: dict) -> dict:
    """Factor -> the values its cells store, in order (a Level by its name)."""
    return {name: [value(level) for level in levels] for name, levels in factors.items()}


def stored_values(levels: list) -> list:
    """The cell values of a factor's levels as a study's spec stores them."""
    return [value(from_spec(level)) for level in levels]


def check_factor(name: str, levels, field_names, error) -> None:
    """At least two levels with distinct values; plain levels only under a Config field's name; a Level has a
    name and sets Config fields only (not the seed)."""
    if (
        not isinstance(levels, (list, tuple))
        or len(levels) < 2
        or len({value(level) for level in levels}) != len(levels)
    ):
        raise error(f"factor {name!r} needs a list of at least two distinct levels, got {levels!r}")
    plain = [level for level in levels if not isinstance(level, Level)]
    if plain and name not in field_names:
        raise error(
            f"unknown factor key(s) {name!r}: a factor of plain values is named after the Config field it "
            f"sets; valid keys are: {', '.join(field_names)}; or make every level a Level(NAME, field=value, "
            "...) to give the factor a name of its own"
        )
    for level in levels:
        if isinstance(level, Level):
            if not isinstance(level.name, str) or not level.name:
                raise error(f"factor {name!r}: {level!r} needs a name, e.g. Level('sgd_nesterov', optimizer='sgd')")
            unknown = sorted(set(level.sets) - set(field_names))
            if unknown or "seed" in level.sets:
                raise error(
                    f"factor {name!r}, level {level.name!r} sets {', '.join(unknown or ['seed'])}, which is not "
                    f"a Config field it may set; valid keys are: {', '.join(f for f in field_names if f != 'seed')}"
                )


def fields_varied(factors: dict) -> dict:
    """Factor -> every Config field its levels set."""
    return {name: set().union(*(fields_of(name, level) for level in levels)) for name, levels in factors.items()}
