"""Answers that are artefacts of the protocol are said to be, before training and next to the answer: batch
norm's moving statistics that cannot settle in the steps a cell trains (run, status and the report), and a level
that fits its training data but tests near chance (status and the report, beside the level's sentence)."""

import json

import pandas as pd
import pytest
from common import TINY

from ablation_suite.cli import main as study
from ablation_suite.config import Config
from ablation_suite.reports.answers import lead_sentences
from ablation_suite.reports.warnings import methodology_warnings
from ablation_suite.workers.preflight import unsettled_statistics

WITH_BN = json.dumps(
    {
        "config": {
            "layers": [{"class_name": "Conv2D"}, {"class_name": "BatchNormalization", "config": {"momentum": 0.99}}]
        }
    }
)
WITHOUT_BN = json.dumps({"config": {"layers": [{"class_name": "Conv2D"}]}})


@pytest.mark.unit
def test_statistics_that_cannot_settle_are_named_with_the_momentum_that_would():
    config = Config(model="baseline2", bn="before", batch_size=32, epochs=2, bn_momentum=0.99)
    warning = unsettled_statistics(config, 500, WITH_BN)  # 16 steps an epoch: 0.99 ** 32 = 72% left
    assert "32 training steps (16 per epoch x 2 epochs) leave 72% of their initial values" in warning
    assert "--set bn_momentum=0.91 or lower" in warning and 0.91**32 <= 0.05 < 0.92**32
    assert unsettled_statistics(config, 500, WITHOUT_BN) == ""  # no batch norm, nothing to settle
    settled = WITH_BN.replace('"momentum": 0.99', '"momentum": 0.9')
    assert unsettled_statistics(config.replace(bn_momentum=0.9, epochs=8), 1100, settled) == ""  # the demo: 0.9**280


@pytest.mark.unit
def test_a_level_that_fits_but_tests_at_chance_is_flagged_beside_its_answer():
    table = pd.DataFrame(
        dict(
            level=["none", "after"],
            seeds=[3, 3],
            test_accuracy=[0.62, 0.10],
            train_accuracy=[0.70, 0.98],
            delta_vs_base=[0.0, -0.52],
            diff_low=[float("nan"), -0.6],
            diff_high=[float("nan"), -0.45],
            pairs=[0, 3],
            p_value=[float("nan"), 0.001],
            p_holm=[float("nan"), 0.001],
            seeds_needed=[float("nan"), 3],
            note=["base", ""],
        )
    )
    frame = pd.DataFrame(dict(status=["done"] * 2, class_names=[tuple("0123456789")] * 2))
    warnings = methodology_warnings(frame, dict(factors={}, protocol_warnings=["statistics"]), [("bn", table)])
    assert warnings[0] == "statistics"  # the warnings found before training lead
    assert any(
        "bn: after fits its training data (98% training accuracy) but tests near chance (10%" in w for w in warnings
    )
    [sentence] = lead_sentences(table, "bn", "none", chance=0.1)
    assert (
        sentence.startswith("bn=after: -52.0 pp") and "likely an artefact: it fits its training data (98%)" in sentence
    )
    assert "artefact" not in lead_sentences(table, "bn", "none", chance=None)[0]  # classes unknown: no claim


def test_a_batch_norm_study_that_cannot_settle_says_so_in_run_status_and_report(tmp_path, capsys):
    """The case of the issue: batch norm on a few hundred digits for 2 epochs (here with momentum 0.999, so the
    statistics keep 97% of their start): run warns before training, status and the report warn and flag the
    level that fits its training data but tests at chance next to its answer."""
    storage = ["--storage", f"sqlite:///{tmp_path / 's.db'}"]
    options = [*TINY[:4], "--seeds", "1", "--set", "train_size=500", "--set", "bn_momentum=0.999", "--epochs", "2"]
    assert study.main(["run", "bn_placement", *options, *storage]) == 0
    run = capsys.readouterr().out
    assert "warning: batch norm's moving statistics cannot settle in baseline2 cells with momentum 0.999" in run
    assert run.index("warning: batch norm") < run.index("[1/3]")  # said before training
    answers = run.split("finished:")[1]  # and after it, beside the answers run ends with
    assert "likely an artefact: it fits its training data" in answers and "cannot settle" in answers
    assert study.main(["show", "bn_placement", *options]) == 0
    assert "warning: batch norm's moving statistics cannot settle" in capsys.readouterr().out  # and by show
    assert study.main(["status", "bn_placement", *storage]) == 0
    status = capsys.readouterr().out
    assert "cannot settle" in status.split("methodology warnings:")[1]
    sentences = [line.strip() for line in status.splitlines() if line.strip().startswith("bn=")]
    assert any("likely an artefact: it fits its training data" in sentence for sentence in sentences), sentences
    assert study.main(["report", "bn_placement", *storage, "--out", str(tmp_path / "report")]) == 0
    page = (tmp_path / "report" / "index.html").read_text()
    assert "cannot settle" in page and "likely an artefact" in page and "tests near chance" in page
