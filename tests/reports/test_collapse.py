"""A level whose validation accuracy collapses while its training accuracy rises is said to be, next to its answer
(status and the report) and in the methodology warnings: with the numbers seen, why the answer may be an artefact of
the protocol, and the knob that would fix it; a level tested with an earlier epoch's weights (restore_best_weights, a
checkpoint) is said to have collapsed in training without its answer being called an artefact."""

import math

import optuna
import pandas as pd
import pytest

from ablation_suite import Ablation, Level
from ablation_suite.cli import main as study
from ablation_suite.reports.answers import answered, group_sentences
from ablation_suite.reports.comparisons import groups
from ablation_suite.reports.warnings import COLLAPSE, Collapse, collapse_of, methodology_warnings
from ablation_suite.store import record
from ablation_suite.store.frame import trials_frame

HEALTHY = dict(val_accuracy=[0.5, 0.7, 0.8, 0.85, 0.84], accuracy=[0.5, 0.7, 0.85, 0.9, 0.95])
COLLAPSING = dict(val_accuracy=[0.5, 0.8, 0.9, 0.7, 0.55], accuracy=[0.5, 0.8, 0.9, 0.95, 0.99])


@pytest.mark.unit
def test_a_run_collapses_when_its_last_validation_accuracy_falls_over_20_points_below_its_best_as_training_rises():
    assert collapse_of(COLLAPSING, None) == Collapse(best=0.9, last=0.55, train=0.99, tested=0.55)  # tested: the last
    assert collapse_of(COLLAPSING, 0.88).tested == 0.88  # restored weights, as the trial recorded them
    assert collapse_of(COLLAPSING, math.nan).tested == 0.55  # not recorded: the last epoch's weights
    assert collapse_of(HEALTHY, 0.84) is None  # 1 point below its best: the wobble of a validation set
    wobble = dict(val_accuracy=[0.5, 0.9, 0.71], accuracy=[0.5, 0.8, 0.9])  # 19 points: under the threshold
    assert COLLAPSE == 0.20 and collapse_of(wobble, None) is None
    assert collapse_of(dict(wobble, val_accuracy=[0.5, 0.9, 0.69]), None) is not None  # 21 points
    unlearning = dict(val_accuracy=[0.5, 0.9, 0.4], accuracy=[0.5, 0.9, 0.6])  # training fell too: not this artefact
    assert collapse_of(unlearning, None) is None
    diverged = dict(val_accuracy=[0.5, 0.9, None], accuracy=[0.5, 0.9, None])  # a warning of its own
    assert collapse_of(diverged, None) is None and collapse_of({}, None) is None and collapse_of(None, 0.5) is None


def _stored_study(url: str) -> optuna.Study:
    """A finished study written by the store's own writers (as loops.runner writes one) with the per-epoch histories
    set here: a healthy base, a level collapsed on 2 of its 3 seeds and tested so, one collapsed on all 3 but tested
    with restored weights, and one collapsed on 1 of 3 seeds only."""
    ablation = Ablation(
        question="Which protocol?",
        base=dict(model="baseline1"),
        factors=dict(protocol=[Level(name) for name in ("clean", "unstable", "restored", "one_seed")]),
        seeds=3,
        name="protocols",
    )
    stored = optuna.create_study(study_name="protocols", storage=url, direction="maximize")
    record.initialise(stored, ablation.spec(), dict(model="baseline1"), "test", {})
    histories = dict(
        clean=[(HEALTHY, 0.84)] * 3,
        unstable=[(COLLAPSING, 0.55), (COLLAPSING, 0.55), (HEALTHY, 0.84)],
        restored=[(COLLAPSING, 0.88)] * 3,
        one_seed=[(COLLAPSING, 0.55), (HEALTHY, 0.84), (HEALTHY, 0.84)],
    )
    for level, runs in histories.items():
        for seed, (history, tested) in enumerate(runs):
            record.enqueue_cell(stored, dict(protocol=level, seed=seed))
            trial = stored.ask()
            result = dict(
                history=dict(history, loss=[1.0] * 5, val_loss=[1.0] * 5),
                val_accuracy=tested,
                test_accuracy=tested - 0.01 * seed,
                params=1000,
                diverged=False,
                wall_time=1.0,
                images_per_second=100.0,
                class_names=list("0123456789"),
            )
            record.record_result(trial, result, process={})
            stored.tell(trial, tested)
    return stored


@pytest.mark.unit
def test_stored_histories_flag_a_level_collapsed_on_half_its_seeds_beside_its_answer_and_in_status(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.db'}"
    stored = _stored_study(url)
    spec, frame = record.spec_with_winners(stored), trials_frame(stored)
    [(group, table)] = [answered(group, spec) for group in groups(frame, spec)]
    assert table.set_index("level")["collapsed_seeds"].to_dict() == dict(clean=0, unstable=2, restored=3, one_seed=1)
    unstable = table.set_index("level").loc["unstable"]
    assert (unstable["collapse_best"], unstable["collapse_last"], unstable["collapse_train"]) == (0.9, 0.55, 0.99)
    assert math.isnan(table.set_index("level").loc["clean", "collapse_best"])  # none of its seeds collapsed

    sentences = dict(zip(["unstable", "restored", "one_seed"], group_sentences(group, table)))
    assert sentences["unstable"].endswith(
        "; likely an artefact: its validation accuracy collapsed (90% to 55%) while it kept fitting its training data "
        "(see the methodology warnings)"
    )
    assert "likely an artefact" not in sentences["restored"]
    assert sentences["restored"].endswith(
        "; its validation accuracy collapsed (90% to 55%) in training, but an earlier epoch's weights were tested "
        "(see the methodology warnings)"
    )
    assert "collapsed" not in sentences["one_seed"]  # 1 of 3 seeds: spread, which the interval carries

    warnings = [w for w in methodology_warnings(frame, spec, [(group.title, table)]) if "collapsed on" in w]
    assert [w.split(" collapsed on")[0] for w in warnings] == ["protocol: unstable", "protocol: restored"]
    assert warnings[0].startswith(
        "protocol: unstable collapsed on validation while it kept fitting its training data, on 2 of 3 seeds: "
        "validation accuracy from its best 90% to 55% at the last epoch, with 99% training accuracy there"
    )
    assert "tested with the collapsed weights (validation 55%)" in warnings[0]
    assert "likely an artefact of the protocol" in warnings[0] and "lower learning_rate or bn_momentum" in warnings[0]
    assert "checkpoint=val_accuracy" in warnings[0] and "restore_best_weights" in warnings[0]
    assert "tested with an earlier epoch's weights (validation 88%" in warnings[1]
    assert "test accuracy is not the collapsed state's" in warnings[1] and "artefact" not in warnings[1]

    assert study.main(["status", "protocols", "--storage", url]) == 0
    status = capsys.readouterr().out
    printed = status.split("methodology warnings:")[1]
    assert "protocol: unstable collapsed on validation" in printed and "protocol: restored collapsed" in printed
    assert "protocol: clean collapsed" not in printed and "protocol: one_seed collapsed" not in printed
    assert f"  {sentences['unstable']}\n" in status and f"  {sentences['restored']}\n" in status


@pytest.mark.unit
def test_a_table_without_collapse_columns_is_read_as_no_collapse():
    """Tables made by hand, or by callers that never asked for the collapses, warn of none."""
    table = pd.DataFrame(dict(level=["a"], seeds=[3], note=["base"], pairs=[0], train_accuracy=[0.9])).assign(
        test_accuracy=0.9, p_value=math.nan, seeds_needed=math.nan, delta_vs_base=0.0
    )
    frame = pd.DataFrame(dict(status=["done"], class_names=[tuple("01")]))
    assert not [w for w in methodology_warnings(frame, dict(factors={}), [("t", table)]) if "collapsed" in w]


NOISY_LABELS = '''"""Does a level memorise its noisy labels?"""
from ablation_suite import Ablation, Level

ABLATION = Ablation(
    question=__doc__,
    base=dict(model="baseline2", batch_size=16),
    factors=dict(labels=[
        Level("clean", label_noise=0.0),
        Level("noisy", label_noise=0.5),
        Level("noisy_restored", label_noise=0.5, early_stopping_patience=30, restore_best_weights=True),
    ]),
    seeds=1,
)
'''


def test_a_real_collapse_is_flagged_in_run_status_and_the_report_and_a_healthy_level_is_not(tmp_path, capsys):
    """Real training: half the labels of 300 digits images flipped, 30 epochs. The network first learns the clean
    pattern (validation about 80% by epoch 9), then memorises the flipped labels: training accuracy rises to about
    98% while validation falls to about 54% (a fall of 26 points at seed 0). The clean level climbs to about 95% and
    stays. Restoring the weights of the best validation loss tests an earlier epoch's weights."""
    path = tmp_path / "noisy_labels.py"
    path.write_text(NOISY_LABELS)
    url = f"sqlite:///{tmp_path / 's.db'}"
    options = ["--dataset", "digits", "--epochs", "30", "--set", "train_size=300", "--storage", url]
    assert study.main(["run", str(path), *options]) == 0
    run = capsys.readouterr().out.split("finished:")[1]  # the answers run ends with
    assert "likely an artefact: its validation accuracy collapsed" in run and "noisy collapsed on validation" in run
    assert study.main(["status", "noisy_labels", "--storage", url]) == 0
    status = capsys.readouterr().out
    sentences = {line.split(":")[0].strip(): line for line in status.splitlines() if line.startswith("  labels=")}
    assert "likely an artefact: its validation accuracy collapsed" in sentences["labels=noisy"], status
    assert "in training, but an earlier epoch's weights were tested" in sentences["labels=noisy_restored"], status
    assert "artefact" not in sentences["labels=noisy_restored"]
    warnings = status.split("methodology warnings:")[1]
    assert "labels: noisy collapsed on validation while it kept fitting its training data, on 1 of 1 seeds" in warnings
    assert "labels: clean collapsed" not in warnings  # the healthy level: no false warning

    assert study.main(["report", "noisy_labels", "--storage", url, "--out", str(tmp_path / "report")]) == 0
    page = (tmp_path / "report" / "index.html").read_text()
    assert "labels: noisy collapsed on validation" in page and "its validation accuracy collapsed" in page
    summary = pd.read_csv(tmp_path / "report" / "tables" / "labels_summary.csv").set_index("level")
    assert summary["collapsed_seeds"].to_dict() == dict(clean=0, noisy=1, noisy_restored=1)
    assert summary.loc["noisy", "collapse_best"] - summary.loc["noisy", "collapse_last"] > COLLAPSE
    assert summary.loc["noisy_restored", "collapse_best"] - summary.loc["noisy_restored", "collapse_tested"] < COLLAPSE
