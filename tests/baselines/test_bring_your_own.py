"""Your own network, data and question, from folders outside the repository, through the CLI: real PNG and JPEG
files in class sub-folders, a model file built from the shared blocks, a question file; run, resume, status,
show and report; and every kind of bad data or bad model refused with exit 2 before anything is written."""

import hashlib

import numpy as np
import optuna
import pytest
from PIL import Image
from user_data import CLASSES, MODEL_FILE, QUESTION, broken_folder, write_images

from ablation_suite import baselines
from ablation_suite.cli import main as study
from ablation_suite.config import Config, ConfigError, check_knobs_act
from ablation_suite.training.data import DataError, load_raw
from ablation_suite.training.streams import CACHE_ENV


@pytest.fixture(scope="module")
def mine(tmp_path_factory):
    """A project of one's own: images, a model file and a question file, none in the repository."""
    root = tmp_path_factory.mktemp("my_project")
    write_images(root / "images")
    (root / "models.py").write_text(MODEL_FILE)
    (root / "question.py").write_text(QUESTION.format(model=root / "models.py"))
    return root


def run_cli(*argv):
    return study.main([str(a) for a in argv])


def test_my_question_on_my_network_and_images_runs_resumes_and_reports(mine, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 's.db'}"
    argv = ["run", mine / "question.py", "--dataset", f"folder:{mine / 'images'}", "--epochs", "1", "--storage", url]
    assert run_cli(*argv) == 0
    assert "2 completed" in capsys.readouterr().out
    created = optuna.load_study(study_name="question", storage=url)
    recorded = created.user_attrs["provenance"]["model_files"][f"{mine / 'models.py'}:tiny_cnn"]
    assert recorded == {
        "file": str(mine / "models.py"),
        "sha256": hashlib.sha256((mine / "models.py").read_bytes()).hexdigest(),
    }
    trial = created.trials[0].user_attrs
    assert sum(map(sum, trial["confusion_matrix"])) == 6  # a stratified 25% of 8 images in each of 3 classes
    assert trial["class_names"] == list(CLASSES)  # the sub-folders' names
    assert run_cli(*argv) == 0 and "0 completed" in capsys.readouterr().out  # resumed: nothing left to train
    source = (mine / "models.py").read_text()
    try:  # its cells trained the network of the file as it was: going on with another is refused
        (mine / "models.py").write_text(source.replace("conv_block(x, 16,", "conv_block(x, 32,"))
        assert run_cli(*argv) == 2
        err = capsys.readouterr().err
        assert f"the file of model '{mine / 'models.py'}:tiny_cnn' was edited (sha256 {recorded['sha256'][:12]}" in err
        assert "restore its file as it was" in err and "--study-name NEW_NAME" in err
    finally:
        (mine / "models.py").write_text(source)
    assert len(optuna.load_study(study_name="question", storage=url).trials) == 2
    extra = mine / "images" / "owl" / "extra.png"
    try:  # an image added since: every finished cell's split differs, so going on is refused
        Image.new("RGB", (12, 12), (200, 200, 200)).save(extra)
        assert run_cli(*argv) == 2
        err = capsys.readouterr().err
        assert f"the data of 'folder:{mine / 'images'}' changed since 2 of its finished cell(s) trained" in err
        assert "bn=none seed=0" in err and "put the data back as it was" in err
    finally:
        extra.unlink(missing_ok=True)
    assert len(optuna.load_study(study_name="question", storage=url).trials) == 2
    assert run_cli("status", mine / "question.py", "--storage", url) == 0 and "2 done" in capsys.readouterr().out
    assert run_cli("show", mine / "question.py", "--dataset", f"folder:{mine / 'images'}", "--epochs", "1") == 0
    shown = capsys.readouterr().out
    assert "bn=before" in shown and "params" in shown and "FLOPs" in shown
    assert run_cli("report", mine / "question.py", "--storage", url, "--out", tmp_path / "report") == 0
    page = (tmp_path / "report" / "index.html").read_text()
    assert f"{mine / 'models.py'} (sha256 {recorded['sha256']})" in page


@pytest.mark.unit
def test_train_and_test_folders_are_used_as_they_are_and_image_size_resizes(tmp_path):
    write_images(tmp_path / "data" / "train", per_class=6)
    write_images(tmp_path / "data" / "test", per_class=2, start=100)
    x_train, y_train, x_test, y_test, names = load_raw(f"folder:{tmp_path / 'data'}", 0)
    assert names == CLASSES and x_train.shape == (18, 12, 12, 3) and x_test.shape == (6, 12, 12, 3)
    assert np.bincount(y_test).tolist() == [2, 2, 2] and x_train.dtype == np.float32 and x_train.max() <= 1
    # in a fixed random order, not class by class (a streamed split's shuffle buffer may be shorter than it)
    assert (np.diff(y_train) < 0).any() and (load_raw(f"folder:{tmp_path / 'data'}", 0)[1] == y_train).all()
    assert load_raw(f"folder:{tmp_path / 'data'}", 20)[0].shape == (18, 20, 20, 3)


@pytest.mark.unit
def test_grayscale_images_load_with_one_channel(tmp_path):
    write_images(tmp_path, per_class=4, mode="L")
    x_train, _, x_test, _, _ = load_raw(f"folder:{tmp_path}", 0)
    assert x_train.shape[1:] == (12, 12, 1) and len(x_train) + len(x_test) == 12 and len(x_test) == 3


@pytest.mark.unit
def test_image_size_acts_on_every_source_but_not_at_the_size_a_named_dataset_has():
    with pytest.raises(ConfigError, match="image_size=28 is the size of every mnist image already"):
        Config(image_size=28, dataset="mnist")
    check_knobs_act([Config(image_size=16), Config(image_size=16, dataset="folder:anywhere")])


def test_a_builder_named_by_module_and_the_published_placement_of_my_own_network(mine):
    by_module = baselines.create("ablation_suite.baselines.simple_cnn:baseline1", (12, 12, 3), 3, Config())
    assert by_module.count_params() == baselines.create("baseline1", (12, 12, 3), 3, Config()).count_params()
    names = lambda model: [layer.name for layer in baselines.create(model, (12, 12, 3), 3, Config()).layers]  # noqa
    assert not any(name.endswith("_bn") for name in names(f"{mine / 'models.py'}:tiny_cnn"))  # default: none
    assert "c1_bn" in names(f"{mine / 'models.py'}:published")  # its published_bn="after"


BAD_MODELS = [  # (model value, in the message)
    ("nowhere/models.py:build", "no such file"),
    ("MODELS:nothing_here", "defines no 'nothing_here'; functions it defines: "),
    ("MODELS:NOT_A_FUNCTION", "is a int, not a function"),
    ("MODELS:no_model", "returned str, not a keras.Model"),
    ("MODELS:one_logit", "the network's output has shape (1,) per image; it must be one logit per class, (3,)"),
    ("BROKEN:build", "importing"),
    ("no_such_package_xyz.models:build", "no module 'no_such_package_xyz'"),
    ("nets/models:build", "is neither a registered baseline nor a builder of your own"),
    ("no_such_network", "not a registered baseline"),
]
BAD_DATA = [  # (how the folder is broken, in the message)
    ("missing", "no such directory"),
    ("one_class", "1 class sub-folder(s) (cat); a classification needs at least two"),
    ("empty_class", "class 'dog'"),
    ("corrupt", "cannot read image"),
    ("mixed_sizes", "images have different sizes"),
    ("mixed_channels", "images have different channel counts"),
    ("missing_from_test", "class(es) owl missing from test/"),
    ("train_without_test", "has train/ but no test/"),
    ("too_few", "cannot hold out a stratified 25% test split"),
]


@pytest.mark.parametrize("model, message", BAD_MODELS, ids=[m for m, _ in BAD_MODELS])
def test_a_bad_network_of_my_own_exits_2_and_writes_nothing(model, message, mine, tmp_path, monkeypatch, capsys):
    if model == "MODELS:no_model":  # once with the images decoded into a file cache first: it is removed too
        monkeypatch.setenv(CACHE_ENV, "file")
    (tmp_path.parent / "broken_models.py").write_text("import no_such_module_at_all\n")
    model = model.replace("MODELS", str(mine / "models.py")).replace(
        "BROKEN", str(tmp_path.parent / "broken_models.py")
    )
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert (
        run_cli(
            "run",
            "bn_placement",
            "--dataset",
            f"folder:{mine / 'images'}",
            "--epochs",
            "1",
            "--set",
            f"model={model}",
            "--storage",
            f"sqlite:///{work / 's.db'}",
        )
        == 2
    )
    err = capsys.readouterr().err
    assert message in err and (model in err or "model=" in err)
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("kind, message", BAD_DATA, ids=[k for k, _ in BAD_DATA])
@pytest.mark.unit
def test_bad_image_folders_exit_2_and_write_nothing(kind, message, tmp_path, monkeypatch, capsys):
    folder = broken_folder(tmp_path / "data", kind)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert (
        run_cli(
            "run",
            "bn_placement",
            "--dataset",
            f"folder:{folder}",
            "--epochs",
            "1",
            "--storage",
            f"sqlite:///{work / 's.db'}",
        )
        == 2
    )
    err = capsys.readouterr().err
    assert message in err and f"folder:{folder}" in err
    assert list(work.iterdir()) == []


@pytest.mark.unit
def test_mixed_sizes_load_with_an_image_size(tmp_path):
    folder = broken_folder(tmp_path, "mixed_sizes")
    with pytest.raises(DataError, match="set image_size=N"):
        load_raw(f"folder:{folder}", 0)
    assert load_raw(f"folder:{folder}", 16)[0].shape[1:] == (16, 16, 3)
