"""Search figures from Optuna studies filled by a toy objective (no training), in a real SQLite storage."""

import matplotlib.pyplot as plt
import numpy as np
import optuna
import pytest

from ablation_suite.reports.search_plots import search_sections, search_studies

SPACE = {"learning_rate": ["log", 1e-4, 1e-1], "weight_decay": ["float", 0.0, 1e-3]}


def fill(study, n_trials, optimum):
    """Validation accuracy peaking at learning_rate=optimum, reported per epoch so the pruner can act."""

    def objective(trial):
        lr = trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True)
        trial.suggest_float("weight_decay", 0.0, 1e-3)
        for epoch in range(3):
            value = 0.9 - 0.1 * abs(np.log10(lr / optimum)) - 0.01 * (2 - epoch)
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    study.optimize(objective, n_trials=n_trials)


@pytest.fixture
def storage(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    optuna.create_study(storage=url, study_name="lrs", direction="maximize")  # the main study: not a search
    for level, n_trials, optimum in (("sgd", 8, 1e-1), ("adam", 2, 1e-3)):
        study = optuna.create_study(
            storage=url,
            study_name=f"lrs/search/optimizer={level}",
            direction="maximize",
            sampler=optuna.samplers.RandomSampler(seed=0),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=2),
        )
        study.set_user_attr("level", {"optimizer": level})
        fill(study, n_trials, optimum)
    optuna.create_study(storage=url, study_name="lrs/search/optimizer=rmsprop", direction="maximize")  # none yet
    optuna.create_study(storage=url, study_name="lrs_other/search", direction="maximize")  # another study's
    return url


def test_every_search_figure_or_a_note_saying_why_not(storage):
    studies = search_studies(storage, "lrs")
    assert [s.study_name for s in studies] == [
        "lrs/search/optimizer=adam",
        "lrs/search/optimizer=rmsprop",
        "lrs/search/optimizer=sgd",
    ]
    adam, rmsprop, sgd, isolation = search_sections(studies, SPACE)
    captions = [caption for _, _, caption in sgd.figures]
    for expected in (
        "optimisation history",
        "parallel coordinates",
        "slice plot",
        "importances (PED-ANOVA)",
        "importances (fANOVA)",
        "contour of the two most important",
        "per epoch of every trial",
    ):
        assert any(expected in caption for caption in captions), (expected, captions)
    assert "upper end of its search range" in " ".join(sgd.paragraphs)  # best learning rate near 1e-1
    assert not any("importances" in caption for _, _, caption in adam.figures)
    assert "need at least 3 complete trials; this search has 2" in " ".join(adam.paragraphs)
    assert rmsprop.figures == [] and "No complete trial yet" in " ".join(rmsprop.paragraphs)
    ((name, draw, _),) = isolation.figures
    fig = draw()
    lines = {line.get_label(): line.get_ydata() for line in fig.axes[0].lines}
    assert set(lines) == {"optimizer=sgd", "optimizer=adam"} and np.all(np.diff(lines["optimizer=sgd"]) >= 0)
    for section in (adam, sgd, isolation):
        for _, draw, _ in section.figures:
            assert isinstance(draw(), plt.Figure)
    plt.close("all")
