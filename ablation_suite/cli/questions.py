"""Questions asked on the command line, no file needed: ad-hoc factors (``--factor FIELD=V1,V2`` with
``--design``), level overrides of a catalogue ablation's factors (``--levels FIELD=V1,V2``), and the file that asks
an ad-hoc question (``show`` prints it, so a question tried on the command line can be saved).

Each level is parsed as its Config field's type (``--set``'s grammar), and the resulting Ablation is validated as a
file's would be: the same knob checks, the same refusals."""

from __future__ import annotations

import dataclasses

from ablation_suite import ablations
from ablation_suite.ablations import Ablation, Level
from ablation_suite.config import ConfigError, parse_override
from ablation_suite.loops.entry import UsageError
from ablation_suite.stats.sequential import RULE_DEFAULTS, RULE_FIELDS


def levels_of(texts: list[str], option: str) -> dict:
    """``FIELD=V1,V2,...`` texts -> field -> levels, each the field's type. A level that holds commas itself (a
    per-site dropout list) is written with ";" between the levels: ``dropout=off;0.2,0.5,0.7``."""
    factors: dict = {}
    for text in texts:
        field, _, raw = text.partition("=")
        parts = [part.strip() for part in raw.split(";" if ";" in raw else ",")]
        if not field.strip() or not raw.strip() or not all(parts):
            raise UsageError(
                f"{option} {text!r}: write FIELD=LEVEL,LEVEL,... (e.g. {option} learning_rate=1e-3,1e-2; levels "
                "with commas of their own separated by ';', e.g. dropout=off;0.2,0.5,0.7)"
            )
        try:
            values = [parse_override(f"{field}={part}")[1] for part in parts]
        except ConfigError as error:
            raise UsageError(f"{option} {text!r}: {error}".replace("--set ", "")) from None
        if len(set(map(repr, values))) != len(values):
            raise UsageError(f"{option} {text!r}: a level is listed twice; list each level once")
        if field.strip() in factors:
            raise UsageError(f"{option} names {field.strip()!r} twice; give all its levels in one {option}")
        factors[field.strip()] = values
    return factors


def ad_hoc(name: str, factors: dict, design: str | None) -> Ablation:
    """The question ``--factor`` asks, named ``name`` (a catalogue name or a file would be ambiguous: refused)."""
    if ablations.is_path(name) or name in ablations.names():
        raise UsageError(
            f"--factor asks a question of its own, but {name!r} is "
            + ("an ablation file" if ablations.is_path(name) else "a catalogue ablation")
            + f"; give the new question a name of its own (e.g. ablation-suite run my_{'_'.join(factors)} --factor "
            "...), or change that ablation's levels with --levels FIELD=V1,V2"
        )
    question = f"What does changing {' and '.join(factors)} do? (asked on the command line)"
    return Ablation(question=question, base={}, factors=factors, design=design or "ofat", name=name)


def with_levels(ablation: Ablation, texts: list[str], label: str) -> Ablation:
    """``ablation`` with the levels of some of its factors replaced (``--levels FIELD=V1,V2`` texts), validated
    again. A factor given one level is no factor any more: its value joins the base (``--levels dataset=digits``
    runs a two-dataset study on digits alone)."""
    for factor in (text.partition("=")[0].strip() for text in texts):
        if factor not in ablation.factors:
            raise UsageError(
                f"--levels {factor}: ablation {label!r} has no factor {factor!r}; its factors: "
                f"{', '.join(ablation.factors) or 'none'} (a new factor is a question of its own: --factor)"
            )
        if any(isinstance(level, Level) for level in ablation.factors[factor]):
            raise UsageError(
                f"--levels {factor}: factor {factor!r} of {label!r} has compound levels (each sets several fields); "
                "copy its file and edit its levels there"
            )
    levels = levels_of(texts, "--levels")
    fixed = {field: values[0] for field, values in levels.items() if len(values) == 1}
    factors = {name: levels.get(name, values) for name, values in ablation.factors.items() if name not in fixed}
    return dataclasses.replace(ablation, base={**ablation.base, **fixed}, factors=factors)


def question_file(ablation: Ablation, overrides: dict) -> str:
    """The file that asks the same question as an ad-hoc one (``overrides``: its --set, --dataset and --epochs)."""
    rule = {name: getattr(ablation, name) for name in RULE_FIELDS if getattr(ablation, name) != RULE_DEFAULTS[name]}
    fields = [
        "question=__doc__",
        f"base={overrides!r}",
        f"factors={dict(ablation.factors)!r}",
        f"design={ablation.design!r}",
        f"seeds={ablation.seeds!r}",
        *(f"{name}={value!r}" for name, value in rule.items()),
    ]
    body = "".join(f"    {field},\n" for field in fields)
    return f'"""{ablation.question}"""\n\nfrom ablation_suite import Ablation\n\nABLATION = Ablation(\n{body})\n'
