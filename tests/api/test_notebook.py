"""The Python API as a notebook user meets it: a real .ipynb executed cell by cell in a real IPython kernel
(nbclient + ipykernel). An Ablation built in a cell is run on digits, its per-trial table shown, a report figure
displayed inline, and the same run again trains nothing; a mistake is refused as the CLI refuses it."""

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

import ablation_suite as study_api
from ablation_suite import Ablation
from ablation_suite.loops.entry import UsageError

quiet = lambda *args, **kwargs: None  # noqa: E731
CELLS = [
    # a notebook in one's own project folder, with the suite installed: nothing of the repository on the path
    "import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n%matplotlib inline",
    "import ablation_suite as suite\n"
    "question = suite.Ablation(question='Does batch norm help on digits?',\n"
    "                          base=dict(model='baseline1', train_size=300),\n"
    "                          factors=dict(bn=['none', 'before']), seeds=1)",
    "table = suite.run(question, name='in_a_notebook', storage=URL, dataset='digits', epochs=1)\n"
    "table[['bn', 'seed', 'status', 'test_accuracy']]",
    "figures = suite.figures('in_a_notebook', storage=URL)\n"
    "figures[next(caption for caption in figures if 'Test accuracy by' in caption)]",
    "again = suite.run(question, name='in_a_notebook', storage=URL, dataset='digits', epochs=1)\n"
    "print('rows', len(again), 'done', (again['status'] == 'done').sum())",
]


def test_a_notebook_runs_an_ablation_shows_its_table_and_figure_and_resumes(tmp_path):
    url = f"sqlite:///{tmp_path / 'notebook.db'}"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(f"URL = {url!r}")] + [nbformat.v4.new_code_cell(c) for c in CELLS]
    path = tmp_path / "my_question.ipynb"
    nbformat.write(notebook, path)
    executed = nbformat.read(path, as_version=4)
    NotebookClient(
        executed, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    nbformat.write(executed, path)  # what the user would save
    outputs = [cell.outputs for cell in executed.cells]
    text = lambda cell: "".join(o.get("text", "") for o in cell)  # noqa: E731 (stdout of a cell)
    table = next(o for o in outputs[3] if o.output_type == "execute_result").data
    assert "<table" in table["text/html"] and "test_accuracy" in table["text/html"]
    assert table["text/plain"].count(" done ") == 2 and "before" in table["text/plain"]
    assert "2 completed" in text(outputs[3]) and "[1/2]" in text(outputs[3])  # trained in the kernel
    figure = next(o for o in outputs[4] if o.output_type == "execute_result").data
    assert figure["image/png"]  # shown inline
    assert "rows 2 done 2" in text(outputs[5]) and "0 completed" in text(outputs[5])  # resumed: nothing trained
    assert not [o for cell in outputs for o in cell if o.output_type == "error"]


def test_the_api_refuses_what_the_cli_refuses_before_writing(tmp_path):
    url = f"sqlite:///{tmp_path / 'api.db'}"
    question = Ablation(question="q", base=dict(model="baseline1"), factors=dict(bn=["none", "before"]), seeds=1)
    with pytest.raises(UsageError, match="has no name"):
        study_api.run(question, storage=url)
    with pytest.raises(UsageError, match="bn is varied by factor 'bn'"):
        study_api.run(question, name="q", storage=url, settings=dict(bn="after"))
    with pytest.raises(ValueError, match="needs inputs of at least"):
        study_api.run(question, name="q", storage=url, dataset="digits", settings=dict(model="conv"))
    assert list(tmp_path.iterdir()) == []


def test_a_second_run_in_the_same_kernel_reads_the_data_afresh(tmp_path):
    """Within one notebook kernel, data replaced on disk between two runs is seen (and the resume refused),
    as it is by a new study.py process: the process's cache of loaded data does not outlive a run."""
    url, path = f"sqlite:///{tmp_path / 'api.db'}", tmp_path / "mine.npz"
    rng = np.random.default_rng(0)
    labels = np.arange(120) % 3

    def write(pixels):
        np.savez(path, x_train=pixels[:90], y_train=labels[:90], x_test=pixels[90:], y_test=labels[90:])

    write(rng.integers(0, 256, (120, 8, 8), dtype=np.uint8))
    question = Ablation(question="q", base=dict(model="baseline1"), factors=dict(bn=["none", "before"]), seeds=1)
    assert len(study_api.run(question, name="q", storage=url, dataset=f"npz:{path}", epochs=1, log=quiet)) == 2
    write(rng.integers(0, 256, (120, 8, 8), dtype=np.uint8))  # other images, same labels and shape
    with pytest.raises(ValueError, match="changed since 2 of its finished cell"):
        study_api.run(question, name="q", storage=url, dataset=f"npz:{path}", epochs=1, log=quiet)
