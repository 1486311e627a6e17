"""The report's charts, tables and files, drawn from hand-made trials tables (no training)."""

import re
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import reports
from conftest import REPO
from reports import comparisons, figures, tables

MODELS = {"conv": 93_322, "vgg11": 28_142_858, "resnet20": 269_722}  # network -> parameters
DIGITS = [str(k) for k in range(10)]
CIFAR = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def trial(model, dataset, seed, test, train, per_class, status="done", **levels):
    return dict(status=status, model=model, dataset=dataset, seed=seed, test_accuracy=test, val_accuracy=test,
                params=MODELS[model],
                history={"accuracy": [0.1, train], "val_accuracy": [0.1, test], "loss": [2.0, 1.0],
                         "val_loss": [2.0, 1.1]},
                per_class_accuracy=per_class, class_names=DIGITS if dataset == "mnist" else CIFAR,
                confusion_matrix=np.eye(10, dtype=int).tolist(), diverged=False, images_per_second=100.0,
                wall_time=1.0, **levels)


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


SPEC = {"design": "grid", "factors": {"model": list(MODELS), "dataset": ["mnist", "cifar10"]},
        "question": "Which network?"}


def test_networks_table_averages_seeds_per_network_and_dataset_in_the_ablation_order(frame):
    table = tables.networks_table(frame, SPEC)
    assert list(zip(table["dataset"], table["network"])) == [
        ("mnist", "conv"), ("mnist", "vgg11"), ("mnist", "resnet20"),
        ("cifar10", "conv"), ("cifar10", "vgg11"), ("cifar10", "resnet20")]
    assert table["seeds"].tolist() == [2] * 6  # the failed trial is not counted
    np.testing.assert_allclose(table["test_accuracy"], [0.91, 0.92, 0.93, 0.71, 0.72, 0.73])
    np.testing.assert_allclose(table["train_accuracy"], table["test_accuracy"] + 0.05)
    assert table["params"].tolist() == [93_322, 28_142_858, 269_722] * 2
    np.testing.assert_allclose(table["per_class_accuracy"].iloc[3], np.linspace(0.5, 0.95, 10) - 0.1 + 0.05)


def test_other_factors_name_the_network_and_without_a_dataset_factor_there_is_one_panel():
    rows = [trial("vgg11", "cifar10", 0, 0.6 + 0.1 * scale, 0.7, [0.5] * 10, input_scale=scale)
            for scale in (3, 1)]
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
    assert [ax.get_title() for ax in fig.axes] == ["train vs test accuracy on mnist",
                                                   "train vs test accuracy on cifar10"]
    for ax, rows in zip(fig.axes, (table.iloc[:3], table.iloc[3:])):
        train, test = (collection.get_offsets()[:, 1] for collection in ax.collections[1:])
        np.testing.assert_allclose(train, rows["train_accuracy"])
        np.testing.assert_allclose(test, rows["test_accuracy"])
        assert [label.get_text() for label in ax.get_xticklabels()] == ["conv", "vgg11", "resnet20"]
        assert 0.0 <= ax.get_ylim()[0] and ax.get_ylim()[1] <= 1.005
    plt.close(fig)


def test_accuracy_vs_parameters_puts_every_network_at_log10_of_its_size(frame):
    table = tables.networks_table(frame, SPEC)
    fig = figures.plot_accuracy_vs_parameters(table)
    ax = fig.axes[1]  # cifar10
    np.testing.assert_allclose(ax.collections[0].get_offsets(),
                               np.column_stack([np.log10(list(MODELS.values())), [0.71, 0.72, 0.73]]))
    assert [text.get_text() for text in ax.texts] == list(MODELS)
    assert ax.get_xlabel() == "log10(trainable parameters)"
    plt.close(fig)


def test_per_class_accuracy_is_a_heatmap_of_networks_by_classes_per_dataset(frame):
    table = tables.networks_table(frame, SPEC)
    fig = figures.plot_per_class_accuracy(table)
    heatmaps = [ax for ax in fig.axes if ax.get_title()]  # the others are colour bars
    assert [ax.get_title() for ax in heatmaps] == ["per-class test accuracy on mnist",
                                                    "per-class test accuracy on cifar10"]
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
    assert "28142858" in page  # the network table
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
    assert [ax.get_title() for ax in curves.axes] == ["validation accuracy by lr", "training accuracy by lr"]
    accuracy = figures.plot_test_accuracy(group)
    marks = {text.get_text() for text in accuracy.axes[0].texts}
    assert "**" in marks  # 0.01 vs base: p = 0.0012 paired, 0.0024 after Holm
    assert "n.s." in marks  # 0.001: the same within noise
    gap = figures.plot_train_vs_test(tables.level_table(group), what="lr")
    train, test = (c.get_offsets()[:, 1] for c in gap.axes[0].collections[1:])
    np.testing.assert_allclose(train - test, 0.1)
    assert gap.axes[0].get_xlabel() == "lr"
    heatmap = figures.plot_per_class_difference(group)
    values = np.asarray(heatmap.axes[0].collections[0].get_array()).reshape(3, 10)
    np.testing.assert_allclose(values, [np.zeros(10), 0.1 * np.arange(10) / 9, np.zeros(10)], atol=1e-12)
    confusion = figures.plot_confusion_matrix(group, "0.01")
    assert [label.get_text() for label in confusion.axes[0].get_xticklabels()] == DIGITS
    size = figures.plot_accuracy_vs_parameters(tables.level_table(group))
    assert [text.get_text() for text in size.axes[0].texts] == ["0.1", "0.01", "0.001"]
    plt.close("all")


def test_summary_and_best_configuration_rank_by_validation_accuracy(ofat):
    best = tables.best_configuration(ofat, OFAT)
    assert best["overrides"].tolist()[0] == "--set lr=0.01" and best["seeds"].tolist() == [3, 3, 3]
    table = tables.summary_table(comparisons.groups(ofat, OFAT)[0])
    assert {"seeds", "test_accuracy", "ci_low", "ci_high", "delta_vs_base", "p_value", "effect_size", "params",
            "images_per_second", "wall_time"} <= set(table.columns)


def test_render_writes_html_with_svg_and_a_multi_page_pdf(ofat, tmp_path):
    page = reports.render(ofat, OFAT, tmp_path, "lr", {"git commit": "abc123"}, svg=True)
    text = page.read_text()
    for png in tmp_path.glob("*.png"):
        assert f'src="{png.name}"' in text and png.with_suffix(".svg").stat().st_size > 0
    assert "lr_confusion_base.png" in text and "--set lr=0.01" in text and "abc123" in text
    pdf = reports.render(ofat, OFAT, tmp_path / "pdf", "lr", {"git commit": "abc123"}, fmt="pdf")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))  # /Pages (the page tree) does not match
    assert pdf.name == "report.pdf" and pages >= 1 + len(list(tmp_path.glob("*.png")))  # text pages + figures
    with pytest.raises(ValueError, match="choose one of: html, pdf"):
        reports.render(ofat, OFAT, tmp_path, "lr", fmt="docx")


def test_the_modules_of_the_text_commands_do_not_load_plotting():
    """study.py status and best print these tables: importing them (and so reports/__init__.py, which any
    of them runs first) must not load matplotlib or seaborn, nor set seaborn's theme."""
    code = ("import reports.tables, reports.comparisons, reports.stats; import sys; "
            "print('seaborn' in sys.modules, 'matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
