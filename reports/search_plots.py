"""Figures of the search studies (loops.search), drawn by Optuna's matplotlib visualisations.

Separate from ``reports`` because these need the Optuna study objects, not only the trials table.
Each ``plot_*`` takes a study and returns a Figure; ``search_section`` gathers them into a report
Section, leaving out with a note any figure the study has too few trials for.
"""

from __future__ import annotations

import warnings
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import optuna
import pandas as pd
from optuna.trial import TrialState
from optuna.visualization import matplotlib as optuna_plots

from ablation_suite.reports.warnings import boundary_warnings
from ablation_suite.reports.writers import Section, slug  # with the report's matplotlib setup (reports.figures)
from ablation_suite.store import record

MIN_TRIALS_FOR_IMPORTANCE = 3  # below this an importance or a contour surface only reflects noise


def search_studies(storage, study_name: str) -> list[optuna.Study]:
    """The search studies of a main study ("STUDY/search" or "STUDY/search/LEVEL") in the same storage."""
    return [
        optuna.load_study(study_name=name, storage=storage) for name in record.search_study_names(storage, study_name)
    ]


def _figure(plot, study: optuna.Study, **options) -> plt.Figure:
    """The figure of an Optuna plot (it returns an Axes, or an array of them for slice plots)."""
    with warnings.catch_warnings():  # Optuna marks these plots experimental; that says nothing about our data
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return np.ravel(plot(study, **options))[0].figure


def plot_history(study: optuna.Study) -> plt.Figure:
    return _figure(optuna_plots.plot_optimization_history, study)


def plot_importances(study: optuna.Study, evaluator) -> plt.Figure:
    return _figure(optuna_plots.plot_param_importances, study, evaluator=evaluator)


def plot_parallel(study: optuna.Study) -> plt.Figure:
    return _figure(optuna_plots.plot_parallel_coordinate, study)


def plot_slices(study: optuna.Study) -> plt.Figure:
    return _figure(optuna_plots.plot_slice, study)


def plot_contour(study: optuna.Study, params: list[str]) -> plt.Figure:
    return _figure(optuna_plots.plot_contour, study, params=params)


def plot_intermediate(study: optuna.Study) -> plt.Figure:
    return _figure(optuna_plots.plot_intermediate_values, study)


def plot_isolation(studies: list[optuna.Study]) -> plt.Figure:
    """Best validation accuracy so far against trials, one line per level's search: each level tuned in
    isolation, and whether its budget was enough (a line still rising at the end was not)."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for study in studies:
        values = [t.value for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
        if values:
            ax.plot(
                np.arange(1, len(values) + 1),
                np.maximum.accumulate(values),
                marker="o",
                markersize=3,
                label=level_name(study),
            )
    ax.set(
        title="each level tuned in isolation: best validation accuracy so far",
        xlabel="complete trial",
        ylabel="best validation accuracy",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def level_name(study: optuna.Study) -> str:
    level = record.search_level(study)
    return ", ".join(f"{k}={v}" for k, v in level.items()) or "search"


def search_section(study: optuna.Study, search_space: dict) -> Section:
    """Every figure of one search study, and a note for each left out for lack of trials."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    name, prefix = level_name(study), "search_" + slug(study.study_name)
    section = Section(
        f"search: {name}",
        [
            f"{len(complete)} complete, "
            f"{len(study.get_trials(deepcopy=False, states=(TrialState.PRUNED,)))} "
            f"pruned of {len(study.trials)} trials (study {study.study_name})."
        ],
    )
    if not complete:
        section.paragraphs.append("No complete trial yet: no search figure.")
        return section
    best = study.best_trial
    section.paragraphs.append(
        f"Best trial #{best.number}: validation accuracy {best.value:.4f} at "
        + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in best.params.items())
        + "."
    )
    boundary = boundary_warnings(pd.DataFrame([best.params]), {"search_space": search_space})
    section.figures += [
        (f"{prefix}_history", partial(plot_history, study), f"{name}: optimisation history"),
        (f"{prefix}_parallel", partial(plot_parallel, study), f"{name}: parallel coordinates"),
        (
            f"{prefix}_slice",
            partial(plot_slices, study),
            f"{name}: slice plot per parameter"
            + ("; " + "; ".join(boundary) if boundary else "; no tuned value at a range end"),
        ),
    ]
    section.paragraphs += [f"Warning: {w}" for w in boundary]
    params = sorted({p for t in complete for p in t.params})
    if len(complete) < MIN_TRIALS_FOR_IMPORTANCE:
        section.paragraphs.append(
            f"Parameter importances and the contour plot need at least "
            f"{MIN_TRIALS_FOR_IMPORTANCE} complete trials; this search has {len(complete)}."
        )
    else:
        fanova = optuna.importance.FanovaImportanceEvaluator(seed=0)
        section.figures += [
            (
                f"{prefix}_importance_pedanova",
                partial(plot_importances, study, optuna.importance.PedAnovaImportanceEvaluator()),
                f"{name}: parameter importances (PED-ANOVA)",
            ),
            (
                f"{prefix}_importance_fanova",
                partial(plot_importances, study, fanova),
                f"{name}: parameter importances (fANOVA)",
            ),
        ]
        if len(params) >= 2:
            top = list(optuna.importance.get_param_importances(study, evaluator=fanova))[:2]
            section.figures.append(
                (
                    f"{prefix}_contour",
                    partial(plot_contour, study, top),
                    f"{name}: contour of the two most important parameters ({top[0]}, {top[1]})",
                )
            )
        else:
            section.paragraphs.append("One searched parameter: no contour plot.")
    if any(t.intermediate_values for t in study.get_trials(deepcopy=False)):
        section.figures.append(
            (
                f"{prefix}_intermediate",
                partial(plot_intermediate, study),
                f"{name}: validation accuracy per epoch of every trial (pruned ones stop early)",
            )
        )
    else:
        section.paragraphs.append("No trial reported per-epoch values (pruning off): no intermediate-values plot.")
    return section


def search_sections(studies: list[optuna.Study], search_space: dict) -> list[Section]:
    """One section per search study, plus the isolation plot when a nested design searched several levels."""
    sections = [search_section(study, search_space) for study in studies]
    if len(studies) > 1:
        sections.append(
            Section(
                "searches side by side",
                [],
                [],
                [("search_isolation", partial(plot_isolation, studies), "each level's search in isolation")],
            )
        )
    return sections
