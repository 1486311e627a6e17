"""Tables as they are shown (page, PDF and LaTeX): numbers formatted to the precision they have.

An accuracy measured on n test images moves in steps of 1/n, so it is shown in percent with as many
decimals as that step needs (1 for a few hundred images, 2 for 10,000); intervals are one column
"[low, high]"; p-values keep two significant digits; counts get thousands separators. The raw
numbers stay in the CSV files (reports.exports). Pure pandas.
"""

from __future__ import annotations

import math

import pandas as pd

DASH = "-"  # an empty cell: not defined (the base's difference, a p-value under 3 pairs)


def accuracy_decimals(test_size: int | None) -> int:
    """Decimals of an accuracy in percent that one test image moves (1 for n < 1000, 2 up to 10,000, ...)."""
    if not test_size:
        return 2
    return min(3, max(1, math.ceil(math.log10(test_size)) - 2))


def percent(value, decimals: int, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return DASH
    return f"{100 * value:{'+' if signed else ''}.{decimals}f}"


def interval(low, high, decimals: int, signed: bool = False) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return DASH
    return f"[{percent(low, decimals, signed)}, {percent(high, decimals, signed)}]"


def significant(value, digits: int = 2) -> str:
    return DASH if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


def count(value) -> str:
    return DASH if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{int(value):,}"


def shown_summary(table: pd.DataFrame, base: str, test_size: int | None, fields: dict | None = None) -> pd.DataFrame:
    """The summary table (reports.tables.summary_table, optionally with ``decision``) as shown. ``fields``
    (level -> {field: value label}) of a comparison of several fields puts each field in a column of its own,
    so the table stays narrow and sortable instead of repeating "field=value, ..." in every row."""
    d = accuracy_decimals(test_size)
    mark = [" (base)" if level == base else "" for level in table["level"]]
    if fields and len(next(iter(fields.values()))) > 1:
        shown = pd.DataFrame(
            {name: [fields[level][name] for level in table["level"]] for name in next(iter(fields.values()))}
        )
        shown[shown.columns[-1]] = shown[shown.columns[-1]] + mark
    else:
        shown = pd.DataFrame({"level": [f"{level}{m}" for level, m in zip(table["level"], mark)]})
    for column in [c for c in table.columns if c.startswith("tuned_")]:
        shown[column.removeprefix("tuned_")] = table[column].map(lambda v: f"{v:.3g}" if isinstance(v, float) else v)
    shown["seeds"] = table["seeds"].map(count)
    shown["test acc. %"] = table["test_accuracy"].map(lambda v: percent(v, d))
    shown["95% interval"] = [interval(lo, hi, d) for lo, hi in zip(table["ci_low"], table["ci_high"])]
    shown["diff. pp"] = [
        DASH if level == base else percent(v, d, True) for level, v in zip(table["level"], table["delta_vs_base"])
    ]
    shown["diff. 95% interval"] = [interval(lo, hi, d, True) for lo, hi in zip(table["diff_low"], table["diff_high"])]
    if "decision" in table:
        shown["decision"] = table["decision"].fillna("")
    shown["p (Holm)"] = table["p_holm"].map(significant)
    shown["d_z"] = table["effect_size"].map(lambda v: significant(v, 3))
    shown["note"] = table["note"].replace("base", "")
    shown["train acc. %"] = table["train_accuracy"].map(lambda v: percent(v, d))
    shown["params"] = table["params"].map(count)
    shown["images/s"] = table["images_per_second"].map(count)
    shown["wall time s"] = table["wall_time"].map(lambda v: significant(v, 3))
    return shown


def shown_confused_pairs(pairs: pd.DataFrame, base: str, test_size: int | None) -> pd.DataFrame:
    d = accuracy_decimals(test_size)
    return pd.DataFrame(
        {
            "level": pairs["level"],
            "true class": pairs["true"],
            "read as": pairs["predicted"],
            "seeds": pairs["seeds"].map(count),
            "share of the class %": pairs["share"].map(lambda v: percent(v, d)),
            f"at {base} %": pairs["base_share"].map(lambda v: percent(v, d)),
        }
    )


def shown_generic(table: pd.DataFrame, test_size: int | None = None) -> pd.DataFrame:
    """Any other table: accuracies in percent to their precision, other floats to 4 significant digits."""
    d = accuracy_decimals(test_size)
    shown = table.copy()
    for column in shown.columns:
        values = shown[column]
        if "accuracy" in str(column) and pd.api.types.is_float_dtype(values):
            shown[column] = values.map(lambda v: percent(v, d))
            shown = shown.rename(columns={column: f"{column} %"})
        elif pd.api.types.is_float_dtype(values):
            shown[column] = values.map(lambda v: significant(v, 4))
        elif pd.api.types.is_integer_dtype(values):
            shown[column] = values.map(count)
    return shown
