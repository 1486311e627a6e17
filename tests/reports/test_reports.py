"""The report's charts, tables and files, drawn from hand-made trials tables (no training)."""

import re
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from common import REPO

from ablation_suite import reports
from ablation_suite.reports import comparisons, figures, tables

MODELS = {"conv": 93_322, "vgg11": 28_142_858, "resnet20": 269_722}  # network -> parameters
DIGITS = [str(k) for k in range(10)]
CIFAR = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def trial(model, dataset, seed, test, train, per_class, status="done", **levels):
    return dict(
        status=status,
        model=model,
        dataset=dataset,
        seed=seed,
        test_accuracy=test,
        val_accuracy=test,
        params=MODELS[model],
        history={"accuracy": [0.1, train], "val_accuracy": [0.1, test], "loss": [2.0, 1.0], "val_loss": [2.0, 1.1]},
        per_class_accuracy=per_class,
        class_names=DIGITS if dataset == "mnist" else CIFAR,
        confusion_matrix=np.eye(10, dtype=int).tolist(),
        diverged=False,
        images_per_second=100.0,
        wall_time=1.0,
        **levels,
    )


@pytest.fixture
def frame():
    """Three networks x two datasets x two seeds; seed 1 is seed 0 shifted by +0.02 (and its classes by +0.1)."""
    rows = []
    for d, dataset in enumerate(["mnist", "cifar10"]):
        for m, model in enumerate(MODELS):
            for seed in (0, 1):
                test = 0.90 - 0.2 * d + 0.01 * m + 0.02 * seed
                per_class = list(np.linspace(0.5, 0.95, 10) - 0.1 * d + 0.1 * seed)
                rows.append(trial(model, dataset, seed, test, train=test + 0.05, per_class=per_class))
    rows.append(trial("conv", "mnist", 2, 0.0, 0.0, [0.0] * 10, status="failed"))  # not a result: left out
    return pd.DataFrame(rows)


SPEC = {
    "design": "grid",
    "factors": {"model": list(MODELS), "dataset": ["mnist", "cifar10"]},
    "question": "Which network?",
}


@pytest.mark.unit
def test_networks_table_averages_seeds_per_network_and_dataset_in_the_ablation_order(frame):
    table = tables.networks_table(frame, SPEC)
    assert list(zip(table["dataset"], table["network"])) == [
        ("mnist", "conv"),
        ("mnist", "vgg11"),
        ("mnist", "resnet20"),
        ("cifar10", "conv"),
        ("cifar10", "vgg11"),
        ("cifar10", "resnet20"),
    ]
    assert table["seeds"].tolist() == [2] * 6  # the failed trial is not counted
    np.testing.assert_allclose(table["test_accuracy"], [0.91, 0.92, 0.93, 0.71, 0.72, 0.73])
    np.testing.assert_allclose(table["train_accuracy"], table["test_accuracy"] + 0.05)
    assert table["params"].tolist() == [93_322, 28_142_858, 269_722] * 2
    np.testing.assert_allclose(table["per_class_accuracy"].iloc[3], np.linspace(0.5, 0.95, 10) - 0.1 + 0.05)


@pytest.mark.unit
def test_other_factors_name_the_network_and_without_a_dataset_factor_there_is_one_panel():
    rows = [trial("vgg11", "cifar10", 0, 0.6 + 0.1 * scale, 0.7, [0.5] * 10, input_scale=scale) for scale in (3, 1)]
    spec = {"design": "grid", "factors": {"model": ["vgg11"], "input_scale": [1, 3]}}
    table = tables.networks_table(pd.DataFrame(rows), spec)
    assert table["network"].tolist() == ["vgg11 input_scale=1", "vgg11 input_scale=3"]
    assert table["dataset"].tolist() == ["", ""]
    fig = figures.plot_train_vs_test(table)
    assert len(fig.axes) == 1 and fig.axes[0].get_title() == "train vs test accuracy"
    plt.close(fig)


def test_train_vs_test_plots_both_accuracies_of_every_network_per_dataset(frame):
    table = tables.networks_table(frame, SPEC)
    fig = figures.plot_train_vs_test(table)
    assert [ax.get_title() for ax in fig.axes] == [
        "train vs test accuracy on mnist",
        "train vs test accuracy on cifar10",
    ]
    for ax, rows in zip(fig.axes, (table.iloc[:3], table.iloc[3:])):
        train, test = (collection.get_offsets()[:, 1] for collection in ax.collections[1:])
        np.testing.assert_allclose(train, rows["train_accuracy"])
        np.testing.assert_allclose(test, rows["test_accuracy"])
        assert [label.get_text() for label in ax.get_xticklabels()] == ["conv", "vgg11", "resnet20"]
        assert ax.get_ylim()[0] >= 0.0 and ax.get_ylim()[1] <= 1.005
    plt.close(fig)


@pytest.mark.unit
def test_accuracy_vs_parameters_puts_every_network_at_log10_of_its_size(frame):
    table = tables.networks_table(frame, SPEC)
    fig = figures.plot_accuracy_vs_parameters(table)
    ax = fig.axes[1]  # cifar10
    np.testing.assert_allclose(
        ax.collections[0].get_offsets(), np.column_stack([np.log10(list(MODELS.values())), [0.71, 0.72, 0.73]])
    )
    assert [text.get_text() for text in ax.texts] == list(MODELS)
    assert ax.get_xlabel() == "log10(trainable parameters)"
    plt.close(fig)


def test_per_class_accuracy_is_a_heatmap_of_networks_by_classes_per_dataset(frame):
    table = tables.networks_table(frame, SPEC)
    fig = figures.plot_per_class_accuracy(table)
    heatmaps = [ax for ax in fig.axes if ax.get_title()]  # the others are colour bars
    assert [ax.get_title() for ax in heatmaps] == [
        "per-class test accuracy on mnist",
        "per-class test accuracy on cifar10",
    ]
    cifar = heatmaps[1]
    values = np.asarray(cifar.collections[0].get_array()).reshape(3, 10)
    np.testing.assert_allclose(values, np.tile(np.linspace(0.5, 0.95, 10) - 0.1 + 0.05, (3, 1)))
    assert [label.get_text() for label in cifar.get_xticklabels()] == CIFAR
    assert [label.get_text() for label in cifar.get_yticklabels()] == list(MODELS)
    plt.close(fig)


def test_render_adds_the_network_charts_when_model_is_a_factor(frame, tmp_path):
    page = reports.render(frame, SPEC, tmp_path / "with", "zoo").read_text()
    for name in ("networks_train_vs_test.png", "networks_accuracy_vs_parameters.png", "networks_per_class.png"):
        assert (tmp_path / "with" / name).stat().st_size > 0 and f'src="{name}"' in page
    assert "28,142,858" in page  # the network table, counts with separators
    assert "classify different sets of classes" in page and "model_x_dataset_per_class.png" not in page
    spec = {"design": "ofat", "factors": {"dataset": ["mnist", "cifar10"]}, "question": "q"}
    reports.render(frame[frame["model"] == "conv"], spec, tmp_path / "without", "data")
    assert not list((tmp_path / "without").glob("networks_*"))


@pytest.fixture
def ofat():
    """A hand-made learning-rate ablation: 3 levels x 3 seeds; 0.01 beats the base by about 0.10 on every
    seed, 0.001 equals it within seed noise; at 0.01 class k is 0.1 * k / 9 better than at the base."""
    rows, number = [], 0
    for lr, gain in ((0.1, 0.0), (0.01, 0.10), (0.001, 0.0)):
        for seed in range(3):
            test = 0.6 + gain + 0.01 * seed + {0.1: 0.0, 0.01: 0.003, 0.001: 0.002}[lr] * seed * seed
            per_class = list(0.5 + (0.1 if lr == 0.01 else 0.0) * np.arange(10) / 9)
            rows.append(dict(trial("conv", "mnist", seed, test, test + 0.1, per_class), number=number, lr=lr))
            number += 1
    return pd.DataFrame(rows)


OFAT = {"design": "ofat", "factors": {"lr": [0.1, 0.01, 0.001]}, "question": "Which learning rate?"}


def test_every_comparison_chart_renders_from_a_hand_made_trials_table(ofat):
    (group,) = comparisons.groups(ofat, OFAT)
    curves = figures.plot_learning_curves(group)
    assert [ax.get_title() for ax in curves.axes] == [
        "validation accuracy",
        "training accuracy",
        "validation loss",
        "training loss",
    ]  # loss curves beside the accuracy curves
    accuracy = figures.plot_test_accuracy(group)
    marks = {text.get_text() for text in accuracy.axes[0].texts}
    assert "**" in marks  # 0.01 vs base: p = 0.0012 paired, 0.0024 after Holm
    assert "n.s." in marks  # 0.001: the same within noise
    gap = figures.plot_train_vs_test(tables.level_table(group), what="lr")
    train, test = (c.get_offsets()[:, 1] for c in gap.axes[0].collections[1:])
    np.testing.assert_allclose(train - test, 0.1)
    assert gap.axes[0].get_xlabel() == "lr"
    heatmap = figures.plot_per_class_difference(group)  # the base's own row (all zeros) is left out
    values = np.asarray(heatmap.axes[0].collections[0].get_array()).reshape(2, 10)
    np.testing.assert_allclose(values, [100 * 0.1 * np.arange(10) / 9, np.zeros(10)], atol=1e-9)
    confusion = figures.plot_confusion_matrices(group)  # small multiples: one panel per level
    panels = [ax for ax in confusion.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["0.1 (base), 3 seeds", "0.01, 3 seeds", "0.001, 3 seeds"]
    assert [label.get_text() for label in panels[1].get_xticklabels()] == DIGITS
    size = figures.plot_accuracy_vs_parameters(tables.level_table(group))
    assert [text.get_text() for text in size.axes[0].texts] == ["0.1", "0.01", "0.001"]
    plt.close("all")


def test_one_colour_per_level_across_the_figures_of_a_comparison(ofat):
    (group,) = comparisons.groups(ofat, OFAT)
    colors = figures.level_colors(group.levels)
    assert len({tuple(c) for c in colors.values()}) == 3
    table = tables.summary_table(group)
    forest = figures.plot_forest(table, group.base, "lr", colors=colors)
    dots = {line.get_ydata()[0]: line.get_color() for line in forest.axes[0].lines if line.get_marker() == "o"}
    accuracy = figures.plot_test_accuracy(group)
    bars = list(accuracy.axes[0].containers)  # errorbar containers, in level order
    curves = figures.plot_learning_curves(group)
    legend = {
        text.get_text(): handle.get_color()
        for text, handle in zip(curves.legends[0].get_texts(), curves.legends[0].legend_handles)
    }
    for position, level in enumerate(group.levels):
        assert tuple(bars[position].lines[0].get_color()) == tuple(colors[level])
        assert tuple(legend[level]) == tuple(colors[level])
    labels = [t.get_text() for t in forest.axes[0].get_yticklabels()]
    for y, color in dots.items():
        assert tuple(color) == tuple(colors[labels[int(y)]])
    plt.close("all")


@pytest.mark.unit
def test_the_forest_plot_sorts_levels_marks_the_base_and_shades_the_equivalence_band(ofat):
    (group,) = comparisons.groups(ofat, OFAT)
    table = tables.summary_table(group).assign(decision=["", "better", "undecided"])
    fig = figures.plot_forest(table, group.base, "lr", rope=0.005)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.1 (base)", "0.001", "0.01"]  # best on top
    segments = [c.get_segments()[0] for c in ax.collections if len(c.get_segments()) == 1]
    row = table.set_index("level").loc["0.01"]
    assert any(np.allclose(s[:, 0], [100 * row["diff_low"], 100 * row["diff_high"]]) for s in segments)
    band = [p for p in ax.patches if p.get_label().startswith("equivalence band")]
    assert len(band) == 1 and np.allclose([band[0].get_x(), band[0].get_x() + band[0].get_width()], [-0.5, 0.5])
    assert [t.get_text() for t in ax.texts] == ["undecided, 3 seeds", "better, 3 seeds"]
    plt.close(fig)


@pytest.mark.unit
def test_most_confused_pairs_are_read_from_the_stored_confusion_matrices(ofat):
    confused = np.eye(10, dtype=int) * 30
    confused[9, 9], confused[9, 4] = 20, 10  # "9 read as 4": a third of the nines
    frame = ofat.assign(
        confusion_matrix=[confused.tolist() if lr == 0.01 else np.eye(10, dtype=int).tolist() for lr in ofat["lr"]]
    )
    pairs = tables.confused_pairs(comparisons.groups(frame, OFAT)[0])
    assert pairs.to_dict("records") == [
        dict(level="0.01", true="9", predicted="4", seeds=3, share=pytest.approx(1 / 3), base_share=0.0)
    ]  # the other levels confuse nothing


GRID = {
    "design": "grid",
    "factors": {"optimizer": ["adam", "sgd"], "learning_rate": [1e-3, 1e-2, 1e-1]},
    "question": "Which optimiser at which rate?",
}


@pytest.fixture
def grid():
    """2 optimisers x 3 learning rates x 3 seeds; adam peaks at 1e-2, sgd gains with the rate."""
    rows = []
    for optimizer in ("adam", "sgd"):
        for lr in (1e-3, 1e-2, 1e-1):
            for seed in range(3):
                mean = {"adam": {1e-3: 0.80, 1e-2: 0.90, 1e-1: 0.70}, "sgd": {1e-3: 0.60, 1e-2: 0.70, 1e-1: 0.80}}
                test = mean[optimizer][lr] + 0.01 * (seed - 1)
                rows.append(
                    dict(trial("conv", "mnist", seed, test, test, [test] * 10), optimizer=optimizer, learning_rate=lr)
                )
    return pd.DataFrame(rows)


def test_a_two_factor_grid_gets_an_interaction_plot_on_a_log_axis_and_a_heat_map(grid):
    from ablation_suite.reports import grid_figures

    (group,) = comparisons.groups(grid, GRID)
    assert grid_figures.is_two_factor(group) and grid_figures.axis_factor(group) == ("learning_rate", "optimizer")
    fig = grid_figures.plot_interaction(group)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "learning_rate (log scale)"
    lines = [line for line in ax.lines if line.get_marker() == "o"]  # not the caps
    np.testing.assert_allclose(lines[0].get_ydata(), [0.80, 0.90, 0.70])  # adam across the rates
    np.testing.assert_allclose(lines[1].get_ydata(), [0.60, 0.70, 0.80])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["adam", "sgd"]
    heat = grid_figures.plot_accuracy_heatmap(group)
    values = np.asarray(heat.axes[0].collections[0].get_array()).reshape(2, 3)
    np.testing.assert_allclose(values, [[80, 90, 70], [60, 70, 80]])
    plt.close("all")


def test_figures_without_information_are_left_out_with_a_note(grid, ofat):
    from ablation_suite.reports.sections import comparison_section

    section, _ = comparison_section(comparisons.groups(grid, GRID)[0], GRID)
    kinds = [name.removeprefix("optimizer_x_learning_rate_") for name, _, _ in section.figures]
    assert "interaction" in kinds and "heatmap" in kinds and "test_accuracy" not in kinds  # no flattened axis
    assert "accuracy_vs_parameters" not in kinds and any("differ by less than 1%" in p for p in section.paragraphs)
    shown = section.tables[0].display()  # each factor in a column of its own, not "optimizer=adam, ..." per row
    assert list(shown.columns[:2]) == ["optimizer", "learning_rate"] and shown.iloc[0, 1] == "0.001 (base)"
    one = ofat[ofat["lr"] == 0.1]
    section, _ = comparison_section(comparisons.groups(one, OFAT)[0], OFAT)
    kinds = [name.removeprefix("lr_") for name, _, _ in section.figures]
    assert "forest" not in kinds and "per_class" not in kinds and section.lead == []
    assert any("no differences to show" in p for p in section.paragraphs)
    without_base = ofat[ofat["lr"] != 0.1]  # two levels, but the base has not finished yet
    section, _ = comparison_section(comparisons.groups(without_base, OFAT)[0], OFAT)
    assert section.lead == [] and not {"lr_forest", "lr_per_class"} & {name for name, _, _ in section.figures}
    plt.close("all")


@pytest.mark.unit
def test_tables_are_shown_to_their_precision():
    from ablation_suite.reports.formatting import accuracy_decimals, interval, percent

    assert [accuracy_decimals(n) for n in (360, 999, 10_000, None)] == [1, 1, 2, 2]
    assert percent(0.8912, 1) == "89.1" and interval(-0.003, 0.025, 1, signed=True) == "[-0.3, +2.5]"
    assert interval(float("nan"), 0.1, 1) == "-"


@pytest.mark.unit
def test_summary_and_best_configuration_rank_by_validation_accuracy(ofat):
    best = tables.best_configuration(ofat, OFAT)
    assert best["overrides"].tolist()[0] == "--set lr=0.01" and best["seeds"].tolist() == [3, 3, 3]
    table = tables.summary_table(comparisons.groups(ofat, OFAT)[0])
    assert {
        "seeds",
        "test_accuracy",
        "ci_low",
        "ci_high",
        "delta_vs_base",
        "p_value",
        "effect_size",
        "params",
        "images_per_second",
        "wall_time",
    } <= set(table.columns)


def test_render_writes_html_with_vector_figures_latex_and_csv_tables_and_an_appendix_pdf(ofat, tmp_path):
    page = reports.render(ofat, OFAT.copy() | {"rope": 0.005}, tmp_path, "lr", {"git commit": "abc123"}, svg=True)
    text = page.read_text()
    pngs = sorted(tmp_path.glob("*.png"))
    assert [p.stem for p in pngs] == sorted(
        f"lr_{kind}" for kind in ("forest", "test_accuracy", "curves", "train_vs_test", "per_class", "confusion")
    )
    for png in pngs:  # every figure also as vector PDF and SVG, linked under its caption
        assert f'src="{png.name}"' in text and f'href="figures/{png.stem}.pdf"' in text
        for suffix in (".pdf", ".svg"):
            assert (tmp_path / "figures" / png.with_suffix(suffix).name).stat().st_size > 0
    summary = pd.read_csv(tmp_path / "tables" / "lr_summary.csv")  # raw numbers
    expected = tables.summary_table(comparisons.groups(ofat, OFAT)[0])
    np.testing.assert_allclose(summary["diff_high"], expected["diff_high"], equal_nan=True)
    latex = (tmp_path / "tables" / "lr_summary.tex").read_text()
    assert "\\begin{table}" in latex and "\\caption{lr: per level, test accuracy (\\%)" in latex and "+10.5" in latex
    assert "lr=0.01: +10.5 pp [+8.9, +12.1] vs 0.1" in text and "better with 3 seeds" in text  # the answer leads
    assert "--set lr=0.01" in text and "abc123" in text
    assert text.index("Answers") < text.index("Figure 1.") < text.index("Provenance")
    pdf = reports.render(ofat, OFAT, tmp_path / "pdf", "lr", {"git commit": "abc123"}, fmt="pdf")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))  # /Pages (the page tree) does not match
    assert pdf.name == "report.pdf" and 2 <= pages <= 8  # figures and tables flow on A4 pages
    assert (tmp_path / "pdf" / "figures" / "lr_forest.pdf").exists() and not list((tmp_path / "pdf").glob("*.png"))
    assert (tmp_path / "pdf" / "tables" / "lr_summary.tex").exists()  # (identity matrices: no confused pairs)
    with pytest.raises(ValueError, match="choose one of: html, pdf"):
        reports.render(ofat, OFAT, tmp_path, "lr", fmt="docx")


def test_the_modules_of_the_text_commands_do_not_load_plotting():
    """study.py status and best print these tables: importing them (and so reports/__init__.py, which any
    of them runs first) must not load matplotlib or seaborn, nor set seaborn's theme."""
    code = (
        "import ablation_suite.reports.tables, ablation_suite.reports.comparisons, ablation_suite.stats.levels; "
        "import sys; "
        "print('seaborn' in sys.modules, 'matplotlib' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
