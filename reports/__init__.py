"""Figure report: trials DataFrame in, figures and one offline HTML page out.

``plot_*`` functions are pure (DataFrame -> Figure, one concern each); ``render`` alone writes
files. Nothing here imports TensorFlow or Optuna: the report is made from the study's table (the
search studies' figures come from ``reports.search_plots`` as ready Sections).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from ablations import grid_levels  # noqa: E402
from reports.stats import compare_levels, methodology_warnings  # noqa: E402
from training.config import format_override  # noqa: E402

sns.set_theme(style="whitegrid", context="notebook")


@dataclass
class Group:
    """A set of levels compared in one figure: one factor (ofat) or the whole grid."""

    title: str
    rows: pd.DataFrame  # finished trials with a "level" column (str)
    levels: list  # level labels in the ablation's order, base first
    base: str
    tuned: tuple = ()  # searched fields whose per-level tuned values the summary shows
    note: str = ""  # e.g. a chained stage's winner and its margin


def finished(frame: pd.DataFrame) -> pd.DataFrame:
    """Trials that produced a result (diverged ones included: they are results)."""
    return frame[frame["status"].isin(["done", "diverged"])].copy()


def groups(frame: pd.DataFrame, spec: dict) -> list[Group]:
    """Split finished trials into the comparisons the design makes."""
    tuned = tuple(spec.get("search_space", {}))
    return [replace(group, tuned=tuned) for group in _groups(frame, spec)]


def _groups(frame: pd.DataFrame, spec: dict) -> list[Group]:
    done = finished(frame)
    factors = spec["factors"]
    if spec.get("stages"):
        return _stage_groups(done, spec)
    if not factors:  # a plain search: its best configuration re-run with every seed
        return [Group("best configuration", done.assign(level="best"), ["best"], "best")]
    if spec["design"] in ("grid", "nested"):
        combos = pd.MultiIndex.from_product(list(factors.values())).tolist()
        labels = [_label(dict(zip(factors, combo))) for combo in combos]
        rows = done.assign(level=[_label({f: r[f] for f in factors}) for _, r in done.iterrows()])
        return [Group(" x ".join(factors), rows, labels, labels[0])]
    result = []
    base = {name: levels[0] for name, levels in factors.items()}
    for name, levels in factors.items():
        others = [f for f in factors if f != name]
        mask = np.ones(len(done), dtype=bool)
        for other in others:
            mask &= done[other].map(lambda v, o=other: _same(v, base[o])).to_numpy()
        rows = done[mask].assign(level=done[mask][name].map(level_label))
        result.append(Group(name, rows, [level_label(v) for v in levels], level_label(levels[0])))
    return result


def _stage_groups(done: pd.DataFrame, spec: dict) -> list[Group]:
    """One comparison per stage of a chained design, at the winners of the stages before it.

    ``spec["winners"]`` holds the recorded stage winners (driver.chain.winners).
    """
    factors, winners = spec["factors"], spec.get("winners", [])
    current = {name: levels[0] for name, levels in factors.items()}
    result = []
    for index, stage in enumerate(spec["stages"]):
        mask = np.ones(len(done), dtype=bool)
        for name in factors:
            allowed = stage[name] if name in stage else [current[name]]
            mask &= done[name].map(lambda v, a=allowed: any(_same(v, x) for x in a)).to_numpy()
        label = _stage_label(stage)
        rows = done[mask].assign(level=[label({n: r[n] for n in stage}) for _, r in done[mask].iterrows()])
        labels = [label(combo) for combo in grid_levels(stage)]
        start = label({n: current[n] for n in stage})
        note = ""
        if index < len(winners):
            won = winners[index]
            note = (f"Winner (best mean validation accuracy): {label(won['levels'])}, {won['margin']:+.4f} over "
                    f"{label(won['runner_up'])}; carried into the next stages.")
            current = {**current, **won["levels"]}
        result.append(Group(f"stage {index + 1}: {' x '.join(stage)}", rows, labels,
                            start if start in labels else labels[0], note=note))
        if not note:
            break  # later stages start from a winner not known yet
    return result


def _stage_label(stage: dict):
    """A stage's level labels: the bare value for a one-factor stage, "a=x, b=y" otherwise."""
    if len(stage) == 1:
        return lambda values: level_label(values[next(iter(stage))])
    return _label


def level_label(value) -> str:
    """One label per level, whatever type the table gave it back as (0, 0.0 and 0.0 -> "0")."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return f"{float(value):g}"
    return str(value)


def _same(a, b) -> bool:
    return level_label(a) == level_label(b)


def _label(levels: dict) -> str:
    return ", ".join(f"{k}={level_label(v)}" for k, v in levels.items())


def summary_table(group: Group, test: str = "t") -> pd.DataFrame:
    """Per level: seeds, mean test accuracy with 95% CI, delta and paired test vs base, size and speed."""
    table = compare_levels(group.rows, group.levels, group.base, test=test).rename(columns={"mean": "test_accuracy"})
    by_level = group.rows.groupby("level")
    table["train_accuracy"] = table["level"].map(
        lambda level: float(np.mean([_last(h, "accuracy") for h in by_level.get_group(level)["history"]])))
    table["diverged"] = table["level"].map(lambda level: int(by_level.get_group(level)["diverged"].astype(bool).sum()))
    table["params"] = table["level"].map(lambda level: int(by_level.get_group(level)["params"].iloc[0]))
    for column in ("images_per_second", "wall_time"):
        table[column] = table["level"].map(lambda level, c=column: float(by_level.get_group(level)[c].median()))
    for name in group.tuned:  # a nested design's levels each ran at their own tuned values
        table.insert(1, f"tuned_{name}", table["level"].map(lambda level, n=name: by_level.get_group(level)[n].iloc[0]))
    return table


def _last(history, key):
    values = [v for v in (history or {}).get(key, []) if v is not None]
    return values[-1] if values else np.nan


def curves_frame(group: Group) -> pd.DataFrame:
    """Long table of per-epoch history: level, seed, epoch, metric, value."""
    records = []
    for _, row in group.rows.iterrows():
        for metric in ("accuracy", "val_accuracy", "loss", "val_loss"):
            for epoch, value in enumerate((row["history"] or {}).get(metric, []), start=1):
                records.append(dict(level=row["level"], seed=row["seed"], epoch=epoch, metric=metric, value=value))
    return pd.DataFrame(records, columns=["level", "seed", "epoch", "metric", "value"])


def plot_learning_curves(group: Group) -> plt.Figure:
    """Validation and training accuracy per epoch for every level: mean over seeds with a 95% CI band."""
    curves = curves_frame(group)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, metric, title in zip(axes, ("val_accuracy", "accuracy"), ("validation", "training")):
        data = curves[curves["metric"] == metric].dropna(subset=["value"])
        sns.lineplot(data=data, x="epoch", y="value", hue="level", hue_order=_present(group, data),
                     errorbar=("ci", 95), ax=ax, marker="o", markersize=4)
        ax.set(title=f"{title} accuracy by {group.title}", xlabel="epoch", ylabel="accuracy")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _single_legend(fig, axes)
    fig.tight_layout()
    return fig


def plot_test_accuracy(group: Group) -> plt.Figure:
    """Test accuracy per level: each seed as a dot, mean with its 95% t-interval as a bar."""
    table = summary_table(group)
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(table) + 3), 4.5))
    order = list(table["level"])
    sns.stripplot(data=group.rows, x="level", y="test_accuracy", order=order, color="0.45", size=6, ax=ax,
                  jitter=0.08, zorder=1)
    for position, (_, row) in enumerate(table.iterrows()):
        color = "tab:orange" if row["level"] == group.base else "tab:blue"
        ax.errorbar(position, row["test_accuracy"], yerr=[[row["test_accuracy"] - row["ci_low"]],
                    [row["ci_high"] - row["test_accuracy"]]], fmt="D", color=color, markersize=8,
                    elinewidth=2, capsize=6, zorder=3)
    ax.set(title=f"test accuracy by {group.title} (mean, 95% CI; base in orange;\n"
           "marks: paired test vs base, Holm-corrected)", xlabel=group.title, ylabel="test accuracy")
    _zoom_accuracy(ax)
    for position, (_, row) in enumerate(table.iterrows()):
        mark = significance_mark(row["p_holm"])
        if mark:
            # along the top edge: a wide interval would push a mark at its end out of the axes
            ax.text(position, 0.97, mark, transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=11,
                    fontweight="bold")
    ax.tick_params(axis="x", rotation=30 if len(order) > 4 else 0)
    fig.tight_layout()
    return fig


def significance_mark(p_holm: float) -> str:
    """Stars for a Holm-adjusted p-value, "n.s." above 0.05, nothing when untested (the base, one seed)."""
    if not np.isfinite(p_holm):
        return ""
    for threshold, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*")):
        if p_holm < threshold:
            return mark
    return "n.s."


def level_table(group: Group) -> pd.DataFrame:
    """One row per level of a comparison, averaged over seeds, shaped like ``networks_table`` so the
    train-vs-test and accuracy-vs-size charts draw levels exactly as they draw networks."""
    rows = []
    for level in _present(group, group.rows):
        sub = group.rows[group.rows["level"] == level]
        rows.append(dict(dataset="", network=level, **_seed_means(sub)))
    return pd.DataFrame(rows)


def _seed_means(trials: pd.DataFrame) -> dict:
    """Seeds, mean final train / test accuracy, size and mean per-class accuracy of one network or level."""
    return dict(seeds=len(trials), train_accuracy=float(np.mean([_last(h, "accuracy") for h in trials["history"]])),
                test_accuracy=float(trials["test_accuracy"].mean()), params=int(trials["params"].iloc[0]),
                per_class_accuracy=np.mean([np.asarray(a, dtype=float) for a in trials["per_class_accuracy"]],
                                           axis=0).tolist(),
                class_names=list(trials["class_names"].iloc[0]))


def plot_per_class_difference(group: Group) -> plt.Figure:
    """Per-class test accuracy of every level minus the base level's (level x class, mean over seeds)."""
    table = level_table(group).set_index("network")
    names = list(table["class_names"].iloc[0])
    matrix = pd.DataFrame(list(table["per_class_accuracy"]), index=table.index, columns=names)
    difference = matrix - matrix.loc[group.base]
    limit = max(float(np.abs(difference.to_numpy()).max()), 0.01)
    fig, ax = plt.subplots(figsize=(max(7.0, 0.6 * min(len(names), 40) + 3), 0.45 * len(difference) + 2.2))
    sns.heatmap(difference, annot=len(names) <= 12, fmt="+.2f", cmap="RdBu", center=0, vmin=-limit, vmax=limit,
                ax=ax, cbar_kws={"label": "class accuracy minus the base level's"})
    ax.set(title=f"per-class test accuracy by {group.title}, difference from the base ({group.base})",
           xlabel="class", ylabel=group.title)
    ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(group: Group, level: str) -> plt.Figure:
    """Row-normalised test confusion matrix of one level, averaged over its seeds."""
    sub = group.rows[group.rows["level"] == level]
    matrices = [np.asarray(m, dtype=float) for m in sub["confusion_matrix"]]
    normalised = np.mean([m / np.maximum(m.sum(axis=1, keepdims=True), 1) for m in matrices], axis=0)
    names = list(sub["class_names"].iloc[0])
    size = max(5, 0.45 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    sns.heatmap(normalised, annot=len(names) <= 12, fmt=".2f", cmap="Blues", vmin=0, vmax=1, square=True,
                xticklabels=names, yticklabels=names, cbar_kws={"label": "share of the true class"}, ax=ax)
    ax.set(title=f"{group.title}: {level}\n(test set, mean over {len(matrices)} seed(s))", xlabel="predicted",
           ylabel="true")
    fig.tight_layout()
    return fig


def _present(group, data):
    return [level for level in group.levels if level in set(data["level"])]


def _single_legend(fig, axes):
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes:
        if ax.get_legend():
            ax.get_legend().remove()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6), bbox_to_anchor=(0.5, -0.02))
    fig.subplots_adjust(bottom=0.22)


def networks_table(frame: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """One row per network (and dataset, when the dataset is a factor), averaged over seeds: the unit of
    seed report 000's comparison charts. A network is a model level together with the levels of any
    other factor (e.g. "vgg11 input_scale=3"); rows follow the ablation's level order."""
    done = finished(frame)
    factors = spec["factors"]
    others = [f for f in factors if f not in ("model", "dataset")]
    columns = ["dataset", "network", "model", "seeds", "train_accuracy", "test_accuracy", "params",
               "per_class_accuracy", "class_names"]
    if done.empty:
        return pd.DataFrame(columns=columns)
    order = {f: [level_label(v) for v in levels] for f, levels in factors.items()}
    done["dataset_label"] = done["dataset"].map(level_label) if "dataset" in factors else ""
    done["network"] = [" ".join([level_label(r["model"])] + [f"{f}={level_label(r[f])}" for f in others])
                       for _, r in done.iterrows()]
    ranked = sorted(factors, key=lambda f: f != "dataset")  # the dataset first, then the ablation's factor order
    done["rank"] = [tuple(order[f].index(level_label(r[f])) for f in ranked) for _, r in done.iterrows()]
    rows = []
    for (dataset, network), sub in done.sort_values("rank").groupby(["dataset_label", "network"], sort=False):
        rows.append(dict(dataset=dataset, network=network, model=level_label(sub["model"].iloc[0]),
                         **_seed_means(sub)))
    return pd.DataFrame(rows, columns=columns)


def _dataset_panels(table: pd.DataFrame, height: float, width: float = 7.0, sharey: bool = False):
    """One axes per dataset of ``table`` (side by side), with the dataset and its rows."""
    datasets = list(dict.fromkeys(table["dataset"]))
    fig, axes = plt.subplots(1, len(datasets), figsize=(width * len(datasets), height), squeeze=False, sharey=sharey)
    return fig, [(ax, dataset, table[table["dataset"] == dataset]) for ax, dataset in zip(axes[0], datasets)]


def _zoom_accuracy(ax):
    low, high = ax.get_ylim()  # zoom on the data, but an accuracy axis never leaves [0, 1]
    ax.set_ylim(max(low, 0.0), min(high, 1.005))


def plot_train_vs_test(table: pd.DataFrame, what: str = "network") -> plt.Figure:
    """Final training accuracy and test accuracy of every network (or level; mean over seeds): the gap is
    overfitting."""
    fig, panels = _dataset_panels(table, height=4.5, width=max(6.0, 0.8 * table["network"].nunique() + 3))
    for ax, dataset, rows in panels:
        positions = np.arange(len(rows))
        ax.vlines(positions, rows["test_accuracy"], rows["train_accuracy"], color="0.75", zorder=1)
        ax.scatter(positions, rows["train_accuracy"], marker="o", s=50, color="tab:blue", label="train", zorder=2)
        ax.scatter(positions, rows["test_accuracy"], marker="D", s=50, color="tab:orange", label="test", zorder=2)
        ax.set_xticks(positions, rows["network"], rotation=30 if len(rows) > 4 else 0, ha="right" if len(rows) > 4
                      else "center")
        ax.set(title=f"train vs test accuracy{' on ' + dataset if dataset else ''}", xlabel=what,
               ylabel="accuracy")
        _zoom_accuracy(ax)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_accuracy_vs_parameters(table: pd.DataFrame) -> plt.Figure:
    """Test accuracy against log10 of the parameter count, one labelled point per network (or level)."""
    fig, panels = _dataset_panels(table, height=4.5)
    for ax, dataset, rows in panels:
        x = np.log10(rows["params"].astype(float))
        ax.scatter(x, rows["test_accuracy"], s=50, color="tab:blue")
        for xi, yi, label in zip(x, rows["test_accuracy"], rows["network"]):
            ax.annotate(label, (xi, yi), textcoords="offset points", xytext=(5, 4), fontsize=9)
        ax.set(title=f"test accuracy vs size{' on ' + dataset if dataset else ''}",
               xlabel="log10(trainable parameters)", ylabel="test accuracy")
        ax.margins(x=0.15, y=0.15)
        _zoom_accuracy(ax)
    fig.tight_layout()
    return fig


def plot_per_class_accuracy(table: pd.DataFrame) -> plt.Figure:
    """Test accuracy of every class (columns) for every network (rows), one heatmap per dataset."""
    datasets = list(dict.fromkeys(table["dataset"]))
    classes = max(len(names) for names in table["class_names"])
    width = max(7.0, 0.6 * min(classes, 40) + 3)  # 100 classes get narrow unlabelled cells
    height = sum(0.45 * (table["dataset"] == dataset).sum() + 2 for dataset in datasets)
    fig, axes = plt.subplots(len(datasets), 1, squeeze=False, figsize=(width, height))
    for ax, dataset in zip(axes[:, 0], datasets):
        rows = table[table["dataset"] == dataset]
        matrix = pd.DataFrame(list(rows["per_class_accuracy"]), index=list(rows["network"]),
                              columns=list(rows["class_names"].iloc[0]))
        sns.heatmap(matrix, annot=classes <= 12, fmt=".3f", cmap="viridis", ax=ax,
                    cbar_kws={"label": "test accuracy of the class"})
        ax.set(title=f"per-class test accuracy{' on ' + dataset if dataset else ''}", xlabel="class",
               ylabel="network")
        ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return fig


@dataclass
class Section:
    """One part of the report: a heading, text, tables and figures (name without extension, figure, caption)."""

    title: str
    paragraphs: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    figures: list = field(default_factory=list)


def comparison_section(group: Group) -> tuple[Section, pd.DataFrame | None]:
    """Every chart of one comparison and its summary table (None while nothing has finished)."""
    if group.rows.empty:
        return Section(group.title, ["No finished cells yet."]), None
    stem = slug(group.title)
    table = summary_table(group)
    best = table.loc[table["test_accuracy"].idxmax(), "level"]
    levels = level_table(group)
    figures = [(f"{stem}_curves", plot_learning_curves(group), "learning curves (mean over seeds, 95% CI band)"),
               (f"{stem}_test_accuracy", plot_test_accuracy(group), "test accuracy per level, significance vs base"),
               (f"{stem}_train_vs_test", plot_train_vs_test(levels, what=group.title),
                "train vs test accuracy per level (the over-fitting gap)"),
               (f"{stem}_per_class", plot_per_class_difference(group), "per-class accuracy, difference from base"),
               (f"{stem}_accuracy_vs_parameters", plot_accuracy_vs_parameters(levels),
                "test accuracy vs log10 parameters per level")]
    for index, level in enumerate(_present(group, group.rows)):
        name = "base" if level == group.base else f"{index}_{slug(level)}"  # the index keeps names unique
        figures.append((f"{stem}_confusion_{name}", plot_confusion_matrix(group, level),
                        f"confusion matrix, {level}" + (" (base)" if level == group.base else "")))
    paragraphs = [f"Best level (test accuracy): {best}."] + ([group.note] if group.note else [])
    return Section(group.title, paragraphs, [table], figures), table


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def best_configuration(frame: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Every configuration of varied fields (factors and tuned values), ranked by mean validation accuracy over
    its seeds (the test set stays out of the choice), with its exact values as study.py --set overrides."""
    done = finished(frame)
    fields = [*spec.get("factors", {}), *spec.get("search_space", {})]
    columns = ["overrides", "val_accuracy", "test_accuracy", "seeds"]
    if done.empty or not fields:
        return pd.DataFrame(columns=columns)
    keys = done[fields].map(level_label).agg(" ".join, axis=1)  # one configuration, whatever its number types
    table = done.groupby(keys, sort=False).agg(val_accuracy=("val_accuracy", "mean"),
                                               test_accuracy=("test_accuracy", "mean"), seeds=("seed", "size"))
    first = done.groupby(keys, sort=False)[fields].first()  # exact values, as the first trial (in number order) stored them
    table["overrides"] = [" ".join(f"--set {format_override(k, row[k])}" for k in fields) for _, row in first.iterrows()]
    return table.sort_values("val_accuracy", ascending=False, kind="stable").reset_index(drop=True)[columns]


def render(frame: pd.DataFrame, spec: dict, out_dir, study_name: str, provenance: dict | None = None,
           searches: list[Section] = (), fmt: str = "html", svg: bool = False) -> Path:
    """Write the report to ``out_dir``: index.html with PNG (and, with ``svg``, SVG) figures, or one multi-page
    report.pdf (``fmt="pdf"``). ``searches`` are the search studies' sections (reports.search_plots).
    Returns the written page's path."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not known; choose one of: {', '.join(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sections, comparisons = [], []
    for group in groups(frame, spec):
        section, table = comparison_section(group)
        sections.append(section)
        if table is not None:
            comparisons.append((group.title, table))
    networks = networks_table(frame, spec) if "model" in spec["factors"] else pd.DataFrame()
    if not networks.empty:
        figures = [("networks_train_vs_test", plot_train_vs_test(networks), "train vs test accuracy per network"),
                   ("networks_accuracy_vs_parameters", plot_accuracy_vs_parameters(networks),
                    "test accuracy vs log10 parameters"),
                   ("networks_per_class", plot_per_class_accuracy(networks), "per-class test accuracy")]
        sections.append(Section("networks", [], [networks.drop(columns=["per_class_accuracy", "class_names"])],
                                figures))
    sections += list(searches)
    counts = frame["status"].value_counts().to_dict() if not frame.empty else {}
    header = dict(title=f"{study_name}: ablation report", question=spec.get("question", ""),
                  source=spec.get("source", ""), notes=spec.get("notes", ""),
                  trials=", ".join(f"{v} {k}" for k, v in counts.items()) or "no trials yet",
                  warnings=methodology_warnings(frame, spec, comparisons) if not frame.empty else [],
                  best=best_configuration(frame, spec).head(5),
                  provenance=pd.Series(provenance or {}, dtype=object).to_frame("value"))
    if fmt == "pdf":
        return _write_pdf(header, sections, out / "report.pdf")
    return _write_html(header, sections, out / "index.html", svg)


FORMATS = ("html", "pdf")


def _write_html(header: dict, sections: list[Section], path: Path, svg: bool) -> Path:
    """index.html next to its figures: relative links only, no scripts or fonts from the network."""
    parts = []
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        parts += [f"<p>{html.escape(text)}</p>" for text in section.paragraphs]
        parts += [_table_html(table) for table in section.tables]
        for name, fig, caption in section.figures:
            fig.savefig(path.parent / f"{name}.png", dpi=110, bbox_inches="tight")
            links = ""
            if svg:
                fig.savefig(path.parent / f"{name}.svg", bbox_inches="tight")
                links = f' <a href="{name}.svg">SVG</a>'
            plt.close(fig)
            parts.append(f'<figure><img src="{name}.png" alt="{html.escape(caption)}">'
                         f"<figcaption>{html.escape(caption)}{links}</figcaption></figure>")
    best = header["best"]
    page = PAGE.format(
        title=html.escape(header["title"]), question=html.escape(header["question"]),
        source=html.escape(header["source"]), notes=html.escape(header["notes"]), counts=html.escape(header["trials"]),
        warnings="".join(f"<li>{html.escape(w)}</li>" for w in header["warnings"]) or "<li>none</li>",
        best=_table_html(best) if not best.empty else "<p>No finished configuration yet.</p>",
        sections="\n".join(parts), provenance=header["provenance"].to_html(border=0))
    path.write_text(page, encoding="utf-8")
    return path


def _table_html(table: pd.DataFrame) -> str:
    return table.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)


def _write_pdf(header: dict, sections: list[Section], path: Path) -> Path:
    """A multi-page PDF for print: the summary as text pages, then every section's tables and figures."""
    from matplotlib.backends.backend_pdf import PdfPages

    summary = [f"Question: {header['question']}", f"Source: {header['source']}", header["notes"],
               f"Trials: {header['trials']}", "", "Methodology warnings:",
               *[f"  - {w}" for w in header["warnings"] or ["none"]], "", "Best configuration (mean validation):",
               *(_table_text(header["best"]) if not header["best"].empty else ["  none finished yet"]), "",
               "Provenance:", *header["provenance"]["value"].astype(str).radd(
                   header["provenance"].index.astype(str) + ": ").tolist()]
    with PdfPages(path) as pdf:
        _text_pages(pdf, header["title"], summary)
        for section in sections:
            lines = [*section.paragraphs]
            for table in section.tables:
                lines += ["", *_table_text(table)]
            _text_pages(pdf, section.title, lines)
            for _, fig, _ in section.figures:
                pdf.savefig(fig, bbox_inches="tight")
                plt.close(fig)
        pdf.infodict()["Title"] = header["title"]
    return path


def _table_text(table: pd.DataFrame) -> list[str]:
    return table.to_string(index=False, float_format=lambda v: f"{v:.4g}").splitlines()


LINES_PER_PAGE = 60


def _text_pages(pdf, title: str, lines: list[str]) -> None:
    """Monospaced text on A4 landscape pages, long lines wrapped and long texts split over pages."""
    import textwrap

    wrapped = [piece for line in lines for piece in (textwrap.wrap(line, 150, subsequent_indent="    ") or [""])]
    for start in range(0, max(len(wrapped), 1), LINES_PER_PAGE):
        fig = plt.figure(figsize=(11.69, 8.27))
        fig.text(0.04, 0.95, title, fontsize=14, fontweight="bold", va="top")
        fig.text(0.04, 0.90, "\n".join(wrapped[start:start + LINES_PER_PAGE]), family="monospace", fontsize=7,
                 va="top")
        pdf.savefig(fig)
        plt.close(fig)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ padding: 0.25em 0.7em; border-bottom: 1px solid #ddd; text-align: right; }}
img {{ max-width: 100%; }} figure {{ margin: 1em 0; }} figcaption {{ color: #666; font-size: 0.9em; }}
</style></head><body>
<h1>{title}</h1>
<p><b>Question.</b> {question}</p><p><b>Source.</b> {source}</p><p>{notes}</p>
<p><b>Trials.</b> {counts}</p>
<h2>Methodology warnings</h2><ul>{warnings}</ul>
<h2>Best configuration</h2>{best}
{sections}
<h2>Provenance</h2>{provenance}
</body></html>
"""
