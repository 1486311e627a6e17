"""The chained design: each stage starts from the winners of the stages before it (real training)."""

import pytest
from optuna.trial import TrialState

from ablation_suite.ablations import Ablation, AblationError
from ablation_suite.config import Config
from ablation_suite.loops import chain
from ablation_suite.loops.runner import Run
from ablation_suite.reports import comparisons
from ablation_suite.store import record, resume
from ablation_suite.store.frame import trials_frame

BASE = dict(dataset="digits", model="baseline1", epochs=1, train_size=200, dropout="default", batch_size=32, bn="none")


@pytest.fixture(scope="module")
def chained(tmp_path_factory):
    ablation = Ablation(
        question="q",
        base=BASE,
        design="chained",
        seeds=1,
        name="chain",
        stages=[dict(batch_size=[32, 16]), dict(activation=["relu", "tanh"], bn=["none", "before"])],
    )
    url = f"sqlite:///{tmp_path_factory.mktemp('chain') / 'c.db'}"
    base = Config().replace(**BASE)
    study = resume.create_or_resume(url, "chain", ablation, base, "test")
    lines = []
    chain.run_chained(Run(url, study, ablation, base, seeds=1, log=lambda *a, **k: lines.append(" ".join(map(str, a)))))
    return ablation, study, lines


def test_the_second_stage_starts_from_the_first_stage_winner(chained):
    ablation, study, lines = chained
    complete = [t for t in study.get_trials() if t.state == TrialState.COMPLETE]
    by_size = {
        t.params["batch_size"]: t.value
        for t in complete
        if t.params["activation"] == "relu" and t.params["bn"] == "none"
    }
    winner = max(by_size, key=by_size.get)  # ties go to the first level, as the chain does
    first = record.winners(study)[0]
    assert first["levels"] == {"batch_size": winner} and first["margin"] == pytest.approx(
        by_size[winner] - min(by_size.values())
    )
    second_stage = [t for t in complete if (t.params["activation"], t.params["bn"]) != ("relu", "none")]
    assert len(second_stage) == 3 and {t.params["batch_size"] for t in second_stage} == {winner}
    # stage 2's starting cell (relu, no BN, winning batch size) is stage 1's winner: trained once, not twice
    assert len(complete) == 2 + 3
    assert any("stage 2 winner" in line for line in lines)


def test_the_report_groups_each_stage_and_states_its_winner(chained):
    _, study, _ = chained
    spec = record.spec_with_winners(study)
    groups = comparisons.groups(trials_frame(study), spec)
    assert [g.title for g in groups] == ["stage 1: batch_size", "stage 2: activation x bn"]
    assert len(groups[0].rows) == 2 and len(groups[1].rows) == 4
    assert groups[1].levels == [
        "activation=relu, bn=none",
        "activation=relu, bn=before",
        "activation=tanh, bn=none",
        "activation=tanh, bn=before",
    ]
    assert all(g.note.startswith("Winner (best mean validation accuracy):") for g in groups)


@pytest.mark.unit
def test_bad_chains_are_refused():
    with pytest.raises(AblationError, match="design='chained' needs `stages`"):
        Ablation(question="q", base={}, design="chained")
    with pytest.raises(AblationError, match="lists its factors in `stages`"):
        Ablation(
            question="q",
            base={},
            design="chained",
            stages=[dict(bn=["none", "after"])],
            factors=dict(activation=["relu", "tanh"]),
        )
    with pytest.raises(AblationError, match="stage factor 'bn' needs a list of at least two"):
        Ablation(question="q", base={}, design="chained", stages=[dict(bn=["none"])])
    with pytest.raises(ValueError, match="unknown stage factor key"):
        Ablation(question="q", base={}, design="chained", stages=[dict(colour=["red", "blue"])])
