"""TensorFlow Datasets and streamed images: a TFDS dataset that TFDS builds from real PNG and JPEG files (its
ImageFolder builder, stored as a prepared dataset) runs end to end through the CLI, resumes and reports; an
unprepared one is refused naming its folder; images that do not fit in memory (forced with ABLATION_DATA_CACHE=file)
are decoded once into a file cache and streamed with the same split, fingerprint and results as in memory."""

import numpy as np
import optuna
import pytest
from user_data import CLASSES, MODEL_FILE, QUESTION, broken_folder, write_images

from ablation_suite.cli import main as study
from ablation_suite.config import Config
from ablation_suite.training import data
from ablation_suite.training.data import DataError
from ablation_suite.training.streams import CACHE_DIR_ENV, CACHE_ENV, Streamed
from ablation_suite.training.trainer import pipeline, train


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A TFDS dataset 'my_images' prepared from image files by TFDS itself, and a question on it."""
    import tensorflow_datasets as tfds

    root = tmp_path_factory.mktemp("tfds_project")
    write_images(root / "images" / "train", per_class=8)
    write_images(root / "images" / "test", per_class=2, start=100)
    folder = tfds.ImageFolder(str(root / "images"))  # TFDS's builder over class sub-folders of image files
    tfds.dataset_builders.store_as_tfds_dataset(
        name="my_images",
        version="1.0.0",
        features=folder.info.features,
        data_dir=str(root / "tfds"),
        split_datasets={split: folder.as_dataset(split=split, shuffle_files=False) for split in ("train", "test")},
    )
    (root / "models.py").write_text(MODEL_FILE)
    (root / "question.py").write_text(QUESTION.format(model=root / "models.py"))
    return root


@pytest.fixture(autouse=True)
def fresh_loads(monkeypatch, tmp_path):
    """Every test streams into its own cache folder."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    yield


def run_cli(*argv):
    return study.main([str(a) for a in argv])


def test_a_tfds_dataset_built_from_image_files_runs_resumes_and_reports(prepared, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(CACHE_ENV, "file")  # streamed from the file cache
    url = f"sqlite:///{tmp_path / 's.db'}"
    argv = [
        "run",
        prepared / "question.py",
        "--dataset",
        f"tfds:my_images@{prepared / 'tfds'}",
        "--epochs",
        "1",
        "--set",
        "image_size=16",
        "--storage",
        url,
    ]
    assert run_cli(*argv) == 0
    out = capsys.readouterr().out
    assert "2 completed" in out and "decoding them once into the file cache" in out
    assert list((tmp_path / "cache").glob("*.index"))
    trial = optuna.load_study(study_name="question", storage=url).trials[0].user_attrs
    assert trial["class_names"] == list(CLASSES)  # from the builder's ClassLabel feature
    assert sum(map(sum, trial["confusion_matrix"])) == 6  # its test split: 2 images per class
    assert run_cli(*argv) == 0 and "0 completed" in capsys.readouterr().out  # resumed: nothing left
    assert run_cli("report", prepared / "question.py", "--storage", url, "--out", tmp_path / "report") == 0
    assert f"tfds:my_images@{prepared / 'tfds'}" in (tmp_path / "report" / "index.html").read_text()


def test_tfds_images_read_the_same_in_memory_and_streamed(prepared, monkeypatch):
    dataset = f"tfds:my_images@{prepared / 'tfds'}"
    x_train, y_train, x_test, y_test, names = data.load_raw(dataset, 0)
    assert x_train.shape == (24, 12, 12, 3) and x_test.shape == (6, 12, 12, 3) and names == CLASSES
    monkeypatch.setenv(CACHE_ENV, "file")
    streamed, same_labels, _, _, _ = data.load_raw(dataset, 0)
    assert isinstance(streamed, Streamed) and streamed.shape == x_train.shape
    assert (same_labels == y_train).all()
    images = np.concatenate([batch.numpy() for batch, _ in streamed.dataset(y_train).batch(64)])
    assert np.array_equal((images[np.argsort(streamed.order())] / 255.0).astype(np.float32), x_train)


@pytest.mark.unit
def test_an_unprepared_tfds_dataset_is_refused_naming_its_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    empty = tmp_path / "no_data"
    assert (
        run_cli(
            "run",
            "bn_placement",
            "--dataset",
            f"tfds:mnist@{empty}",
            "--epochs",
            "1",
            "--storage",
            f"sqlite:///{tmp_path / 's.db'}",
        )
        == 2
    )
    err = capsys.readouterr().err
    assert f"not prepared in {empty / 'mnist'}" in err and f"tfds build mnist --data_dir {empty}" in err
    assert list(tmp_path.iterdir()) == []  # no database, no cache, not even the data folder


def test_streamed_images_train_exactly_as_in_memory(tmp_path, monkeypatch):
    """Both hold a split in the folder's order (the cache's), so the streamed cell sees the same batches."""
    write_images(tmp_path / "data", per_class=10)  # a held-out test split
    config = Config(
        dataset=f"folder:{tmp_path / 'data'}", model="baseline1", epochs=2, batch_size=8, seed=1, deterministic=True
    )
    in_memory = train(config, log=lambda *a, **k: None)
    monkeypatch.setenv(CACHE_ENV, "file")
    assert isinstance(data.load_data(config).x_train, Streamed)
    streamed = train(config, log=lambda *a, **k: None)
    assert streamed.split_fingerprint == in_memory.split_fingerprint
    assert streamed.history == in_memory.history and streamed.confusion_matrix == in_memory.confusion_matrix
    assert streamed.misclassified == in_memory.misclassified  # example images read back from the file cache
    assert len(list((tmp_path / "cache").glob("*.index"))) == 1


def test_a_streamed_split_keeps_the_in_memory_split_and_fingerprint(tmp_path, monkeypatch):
    write_images(tmp_path / "data", per_class=12)
    config = Config(dataset=f"folder:{tmp_path / 'data'}", seed=4)
    in_memory = data.load_data(config)
    monkeypatch.setenv(CACHE_ENV, "file")
    streamed = data.load_data(config)
    assert streamed.split_fingerprint == in_memory.split_fingerprint
    for part in ("train", "val", "test"):
        x, y = getattr(streamed, f"x_{part}"), getattr(streamed, f"y_{part}")
        assert (y == getattr(in_memory, f"y_{part}")).all()
        batches = list(pipeline(x, y, config, 3, training=False))
        images = np.concatenate([b.numpy() for b, _ in batches])[np.argsort(x.order())]
        labels = np.concatenate([y.numpy() for _, y in batches]).argmax(axis=1)[np.argsort(x.order())]
        assert np.array_equal(images, getattr(in_memory, f"x_{part}")) and (labels == y).all()


def test_every_byte_streams_to_the_floats_arrays_get_across_cache_entries(tmp_path, monkeypatch):
    """Each grey PNG holds all 256 byte values: the streamed pipeline's float32 scaling must give exactly the
    in-memory arrays' float64-then-float32 values (a multiplication by 1/255 misses 126 of them). Entries of five
    images, the last one short, make a split keep a different number of images from each entry."""
    from PIL import Image

    from ablation_suite.training import streams

    rng = np.random.default_rng(0)
    for name in CLASSES:
        (tmp_path / "data" / name).mkdir(parents=True)
        for i in range(7):
            pixels = rng.permutation(256).astype(np.uint8).reshape(16, 16)
            Image.fromarray(pixels, mode="L").save(tmp_path / "data" / name / f"{i}.png")
    config = Config(dataset=f"folder:{tmp_path / 'data'}", seed=2)
    in_memory = data.load_data(config)
    monkeypatch.setenv(CACHE_ENV, "file")
    monkeypatch.setattr(streams, "CACHE_ENTRY_BYTES", 5 * 16 * 16)
    streamed = data.load_data(config)
    assert streams.images_per_entry(streamed.x_train.source.shape) == 5  # so 5 entries, the last of one image
    assert len(list((tmp_path / "cache").glob("*.index"))) == 1
    for part in ("train", "val", "test"):
        x, y = getattr(streamed, f"x_{part}"), getattr(streamed, f"y_{part}")
        images = np.concatenate([b.numpy() for b, _ in pipeline(x, y, config, 3, training=False)])
        assert np.array_equal(images[np.argsort(x.order())], getattr(in_memory, f"x_{part}"))
    assert set(np.unique(in_memory.x_train * 255.0).round()) == set(range(256))
    same_images = streams.Source("folder:x", None, np.zeros(21), (16, 16, 1), "the same files", None)
    five_per_entry = streams.cache_path(same_images)
    monkeypatch.setattr(streams, "CACHE_ENTRY_BYTES", 2**20)  # a cache of other entries is another cache
    assert streams.cache_path(same_images) != five_per_entry


@pytest.mark.unit
def test_a_corrupt_image_is_named_when_streaming_and_leaves_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, "file")
    folder = broken_folder(tmp_path, "corrupt")
    with pytest.raises(DataError, match=f"cannot read image {folder / 'cat' / '1.png'}"):
        data.load_raw(f"folder:{folder}", 0)
    assert not list((tmp_path / "cache").glob("*"))


@pytest.mark.unit
def test_an_unknown_cache_mode_is_refused(tmp_path, monkeypatch):
    write_images(tmp_path / "data", per_class=4)
    monkeypatch.setenv(CACHE_ENV, "disk")
    with pytest.raises(DataError, match="ABLATION_DATA_CACHE='disk' is not known; choose one of: auto, memory, file"):
        data.load_raw(f"folder:{tmp_path / 'data'}", 0)
