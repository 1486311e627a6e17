"""training/data.py on real files written into tmp_path: loading, the stratified split, and refusal of bad data."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from ablation_suite.config import DATASET_SOURCES, DATASETS, Config
from ablation_suite.training import data
from ablation_suite.training.caches import Datasets
from ablation_suite.training.data import DataError, load_data, load_raw, noisy_labels, read_idx

CLASSES = 3
PER_CLASS_TRAIN = 8
PER_CLASS_TEST = 3


def small_arrays(seed=0, side=28):
    """A tiny balanced uint8 dataset: 3 classes, 8 train and 3 test images each."""
    rng = np.random.default_rng(seed)
    y_train = np.repeat(np.arange(CLASSES), PER_CLASS_TRAIN).astype(np.uint8)
    y_test = np.repeat(np.arange(CLASSES), PER_CLASS_TEST).astype(np.uint8)
    x_train = rng.integers(0, 256, (len(y_train), side, side), dtype=np.uint8)
    x_test = rng.integers(0, 256, (len(y_test), side, side), dtype=np.uint8)
    return x_train, y_train, x_test, y_test


def write_npz(path: Path, **arrays) -> str:
    np.savez(path, **arrays)
    return f"npz:{path}"


def idx_bytes(array: np.ndarray) -> bytes:
    """MNIST IDX encoding of a uint8 array: magic 0x0000_08_<ndim>, big-endian uint32 dims, raw bytes."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = {3: 0x00000803, 1: 0x00000801}[array.ndim]
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx_dir(directory: Path, arrays, gz: bool) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for key, array in zip(("x_train", "y_train", "x_test", "y_test"), arrays):
        name = data.IDX_FILES[key]
        payload = idx_bytes(array)
        if gz:
            (directory / (name + ".gz")).write_bytes(gzip.compress(payload))
        else:
            (directory / name).write_bytes(payload)


def unique_images(n: int) -> np.ndarray:
    """n distinct 4x4 uint8 images whose first two pixels encode their index (to recover indices)."""
    x = np.zeros((n, 4, 4), dtype=np.uint8)
    x[:, 0, 0], x[:, 0, 1] = np.arange(n) // 256, np.arange(n) % 256
    return x


def image_ids(x: np.ndarray) -> np.ndarray:
    pixels = np.rint(x[:, 0, :2, 0] * 255).astype(int)
    return pixels[:, 0] * 256 + pixels[:, 1]


def class_shares(y, k):
    return np.bincount(y, minlength=k) / len(y)


# --- digits and the split -------------------------------------------------------------------------


@pytest.mark.unit
def test_digits_loads_as_nhwc_float_in_unit_range():
    x_train, y_train, x_test, y_test, names = load_raw("digits")
    assert x_train.shape == (1347, 8, 8, 1) and x_test.shape == (450, 8, 8, 1)
    for x in (x_train, x_test):
        assert x.dtype == np.float32
        assert x.min() == 0.0 and x.max() == 1.0
    for y in (y_train, y_test):
        assert y.dtype == np.int64
        assert set(np.unique(y).tolist()) == set(range(10))
    assert names == tuple(str(k) for k in range(10))

    d = load_data(Config())
    assert d.input_shape == (8, 8, 1) and d.num_classes == 10
    assert len(d.y_val) == round(0.2 * 1347) and len(d.y_train) + len(d.y_val) == 1347
    assert len(d.y_test) == 450


@pytest.mark.unit
def test_split_keeps_class_proportions():
    d = load_data(Config(val_fraction=0.25, seed=3))
    full = class_shares(np.concatenate([d.y_train, d.y_val]), 10)
    train, val = class_shares(d.y_train, 10), class_shares(d.y_val, 10)
    assert np.abs(train - val).max() < 0.01, (train, val)
    assert np.abs(train - full).max() < 0.005


@pytest.mark.unit
def test_the_content_fingerprint_follows_every_pixel_not_the_split(tmp_path):
    """The split fingerprint names which images a cell trains on; the content fingerprint what they are: one
    pixel changed in a file of the same shape and labels changes it, the same arrays written again do not."""
    x_train, y_train, x_test, y_test = small_arrays()
    name = write_npz(tmp_path / "mine.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    before = load_data(Config(dataset=name))
    assert before.data_fingerprint == data.content_fingerprint(*load_raw(name)) != ""
    write_npz(tmp_path / "mine.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    assert data.content_fingerprint(*load_raw(name)) == before.data_fingerprint  # the file's time is not its content
    x_train[5, 3, 3] ^= 1
    write_npz(tmp_path / "mine.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    after = load_data(Config(dataset=name))
    assert after.split_fingerprint == before.split_fingerprint
    assert after.data_fingerprint != before.data_fingerprint


@pytest.mark.unit
def test_split_is_deterministic_by_seed():
    a, b, c = load_data(Config(seed=0)), load_data(Config(seed=0)), load_data(Config(seed=1))
    assert a.split_fingerprint == b.split_fingerprint
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    assert a.split_fingerprint != c.split_fingerprint
    assert not np.array_equal(a.x_val, c.x_val)
    np.testing.assert_array_equal(a.x_test, c.x_test)  # the test set never depends on the seed


@pytest.mark.unit
def test_split_train_and_val_are_disjoint_and_cover_the_training_set():
    n = 300
    y = np.arange(n) % 5
    x_train, y_train, x_test, y_test, _ = data.validate(unique_images(n), y, unique_images(10), y[:10], "t")
    d = data.split(x_train, y_train, x_test, y_test, tuple("abcde"), Config(val_fraction=0.2, seed=7))
    train_ids, val_ids = image_ids(d.x_train), image_ids(d.x_val)
    assert len(val_ids) == 60 and len(train_ids) == 240
    assert not set(train_ids) & set(val_ids)
    assert sorted(set(train_ids) | set(val_ids)) == list(range(n))
    np.testing.assert_array_equal(d.y_train, y[train_ids])  # labels travel with their images
    np.testing.assert_array_equal(d.y_val, y[val_ids])
    assert d.class_names == tuple("abcde")


@pytest.mark.unit
def test_train_size_subsamples_stratified_with_exact_size():
    n = 500
    y = np.arange(n) % 5
    x_train, y_train, x_test, y_test, _ = data.validate(unique_images(n), y, unique_images(10), y[:10], "t")
    names = tuple("abcde")
    full = data.split(x_train, y_train, x_test, y_test, names, Config(seed=2))
    small = data.split(x_train, y_train, x_test, y_test, names, Config(seed=2, train_size=100))
    assert len(small.y_train) == 100
    np.testing.assert_array_equal(np.bincount(small.y_train), [20] * 5)  # stratified
    np.testing.assert_array_equal(small.x_val, full.x_val)  # validation set untouched
    assert set(image_ids(small.x_train)) <= set(image_ids(full.x_train))
    assert small.split_fingerprint != full.split_fingerprint


@pytest.mark.unit
def test_train_size_on_digits():
    d = load_data(Config(train_size=200))
    assert len(d.y_train) == 200 and len(d.y_val) == 269
    full = class_shares(load_raw("digits")[1], 10)
    assert np.abs(class_shares(d.y_train, 10) - full).max() < 0.01


# --- resizing and standardisation ----------------------------------------------------------------


@pytest.mark.unit
def test_image_size_resizes_arrays_of_any_source_bilinearly(tmp_path):
    x_train, y_train, x_test, y_test = small_arrays()
    name = write_npz(tmp_path / "mine.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    for dataset in (name, "digits"):
        native = load_raw(dataset)[0]
        xt, _, xs, _, _ = load_raw(dataset, image_size=32)
        assert xt.shape[1:] == (32, 32, native.shape[3]) and xs.shape[1:3] == (32, 32) and xt.dtype == np.float32
        assert xt.min() >= 0.0 and xt.max() <= 1.0
        # an image's mean moves little under bilinear resizing
        assert abs(float(xt[0].mean()) - float(native[0].mean())) < 0.05
        assert Datasets().shape_and_classes(dataset, 32)[0] == (32, 32, native.shape[3])
    assert Datasets().shape_and_classes("mnist", 32) == ((32, 32, 1), 10)  # without downloading it


@pytest.mark.unit
@pytest.mark.parametrize("standardize", ["channel", "pixel", "image"])
def test_standardize_by_the_training_images_statistics_only(standardize):
    plain, done = (load_data(Config(standardize=kind, val_fraction=0.3)) for kind in ("none", standardize))
    if standardize == "image":  # each image on its own: zero mean, unit spread
        for x in (done.x_train, done.x_val, done.x_test):
            np.testing.assert_allclose(x.mean(axis=(1, 2, 3)), 0.0, atol=1e-5)
            np.testing.assert_allclose(x.std(axis=(1, 2, 3)), 1.0, atol=1e-3)
        return
    axes = data.STANDARDIZE_AXES[standardize]
    mean, std = plain.x_train.mean(axis=axes), plain.x_train.std(axis=axes)
    spread = np.maximum(std, 1.0 / np.sqrt(np.prod([plain.x_train.shape[a] for a in axes])))
    np.testing.assert_allclose(done.x_train.mean(axis=axes), 0.0, atol=1e-5)
    for part in ("x_train", "x_val", "x_test"):  # held-out images take the training side's shift and scale
        np.testing.assert_allclose(getattr(done, part), (getattr(plain, part) - mean) / spread, rtol=1e-4, atol=1e-4)
    assert abs(float(done.x_val.mean())) > 1e-4  # not standardised by their own statistics


# --- npz and IDX input ----------------------------------------------------------------------------


@pytest.mark.unit
def test_npz_loads(tmp_path):
    x_train, y_train, x_test, y_test = small_arrays()
    name = write_npz(tmp_path / "mine.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    xt, yt, xs, ys, names = load_raw(name)
    assert xt.shape == (24, 28, 28, 1) and xs.shape == (9, 28, 28, 1) and xt.dtype == np.float32
    np.testing.assert_allclose(xt[..., 0], x_train / 255.0, rtol=1e-6)
    np.testing.assert_allclose(xs[..., 0], x_test / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(yt, y_train)
    np.testing.assert_array_equal(ys, y_test)
    assert names == ("0", "1", "2")

    d = load_data(Config(dataset=name, val_fraction=0.25))
    assert d.num_classes == 3 and d.input_shape == (28, 28, 1)
    assert len(d.y_val) == 6 and np.bincount(d.y_val).tolist() == [2, 2, 2]


@pytest.mark.unit
def test_shape_and_classes_without_loading_named_datasets_and_from_files_otherwise(tmp_path):
    x_train, y_train, x_test, y_test = small_arrays()
    name = write_npz(tmp_path / "mine.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    assert Datasets().shape_and_classes(name) == ((28, 28, 1), 3)
    x_digits, _, _, _, digit_names = load_raw("digits")
    assert Datasets().shape_and_classes("digits") == (x_digits.shape[1:], len(digit_names))
    assert {facts.source for facts in DATASETS.values()} | set(DATASET_SOURCES) == set(data.LOADERS)  # one loader each


@pytest.mark.unit
def test_npz_accepts_column_labels_and_channels(tmp_path):
    x_train, y_train, x_test, y_test = small_arrays(side=6)
    name = write_npz(
        tmp_path / "cols.npz",
        x_train=np.stack([x_train] * 3, -1),
        y_train=y_train[:, None],
        x_test=np.stack([x_test] * 3, -1),
        y_test=y_test[:, None],
    )
    xt, yt, xs, ys, _ = load_raw(name)
    assert xt.shape == (24, 6, 6, 3) and yt.shape == (24,) and ys.shape == (9,)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.unit
def test_idx_dir_loads(tmp_path, gz):
    arrays = small_arrays(seed=1)
    write_idx_dir(tmp_path / "mnist", arrays, gz)
    suffix = ".gz" if gz else ""
    raw = read_idx(tmp_path / "mnist" / (data.IDX_FILES["x_train"] + suffix))
    assert raw.dtype == np.uint8 and raw.shape == (24, 28, 28)
    np.testing.assert_array_equal(raw, arrays[0])

    xt, yt, xs, ys, names = load_raw(f"idx:{tmp_path / 'mnist'}")
    np.testing.assert_allclose(xt[..., 0], arrays[0] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(yt, arrays[1])
    np.testing.assert_allclose(xs[..., 0], arrays[2] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ys, arrays[3])
    assert names == ("0", "1", "2")


# --- bad data -------------------------------------------------------------------------------------


@pytest.mark.unit
def test_missing_npz_file(tmp_path):
    path = tmp_path / "absent.npz"
    with pytest.raises(DataError) as error:
        load_raw(f"npz:{path}")
    message = str(error.value)
    assert str(path) in message and "no such file" in message and "x_train, y_train, x_test, y_test" in message


@pytest.mark.unit
def test_npz_missing_a_key(tmp_path):
    x_train, y_train, x_test, _ = small_arrays()
    name = write_npz(tmp_path / "partial.npz", x_train=x_train, y_train=y_train, x_test=x_test)
    with pytest.raises(DataError) as error:
        load_raw(name)
    assert "missing arrays ['y_test']" in str(error.value)


@pytest.mark.parametrize("keep", [0.5, 0.9, 10], ids=["half", "most", "ten-bytes"])
@pytest.mark.unit
def test_truncated_npz(tmp_path, keep):
    path = tmp_path / "cut.npz"
    write_npz(path, **dict(zip(("x_train", "y_train", "x_test", "y_test"), small_arrays())))
    content = path.read_bytes()
    path.write_bytes(content[: int(len(content) * keep) if keep < 1 else keep])
    with pytest.raises(DataError) as error:
        load_raw(f"npz:{path}")
    assert "corrupt or truncated" in str(error.value) and str(path) in str(error.value)


@pytest.mark.unit
def test_not_an_npz(tmp_path):
    path = tmp_path / "text.npz"
    path.write_text("x_train,y_train\n1,2\n")
    with pytest.raises(DataError, match="cannot be read"):
        load_raw(f"npz:{path}")


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.unit
def test_truncated_idx(tmp_path, gz):
    arrays = small_arrays()
    write_idx_dir(tmp_path, arrays, gz=False)
    images = tmp_path / data.IDX_FILES["x_train"]
    payload = images.read_bytes()[:-100]  # header says 24x28x28, 100 bytes fewer follow
    if gz:
        images.unlink()
        images = images.with_name(images.name + ".gz")
        images.write_bytes(gzip.compress(payload))
    else:
        images.write_bytes(payload)
    with pytest.raises(DataError) as error:
        load_raw(f"idx:{tmp_path}")
    message = str(error.value)
    assert "(24, 28, 28)" in message and "truncated" in message and str(images) in message
    assert f"{24 * 28 * 28 - 100} bytes follow" in message


@pytest.mark.unit
def test_truncated_gzip_stream(tmp_path):
    path = tmp_path / "labels.gz"
    compressed = gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8) % 10))
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(DataError, match="corrupt or truncated"):
        read_idx(path)


@pytest.mark.parametrize("magic", [b"\x12\x34\x56\x78", b"\x00\x00\x07\x03", b"\x00\x00\x08\x00", b"\x00\x00"])
@pytest.mark.unit
def test_bad_idx_magic(tmp_path, magic):
    path = tmp_path / "images"
    rest = idx_bytes(np.zeros((2, 3, 3), np.uint8))[4:] if len(magic) == 4 else b""  # b"\x00\x00": cut short
    path.write_bytes(magic + rest)
    with pytest.raises(DataError) as error:
        read_idx(path)
    assert "not an IDX file" in str(error.value) and magic.hex() in str(error.value)


@pytest.mark.unit
def test_idx_dir_missing_file(tmp_path):
    write_idx_dir(tmp_path, small_arrays(), gz=True)
    (tmp_path / (data.IDX_FILES["y_test"] + ".gz")).unlink()
    with pytest.raises(DataError) as error:
        load_raw(f"idx:{tmp_path}")
    assert "missing t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz)" in str(error.value)


@pytest.mark.unit
def test_idx_dir_missing(tmp_path):
    with pytest.raises(DataError, match="no such directory"):
        load_raw(f"idx:{tmp_path / 'nope'}")


def check_refused(tmp_path, match, **overrides):
    x_train, y_train, x_test, y_test = small_arrays(side=6)
    arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test) | overrides
    name = write_npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataError) as error:
        load_raw(name)
    message = str(error.value)
    assert name in message, message  # says which dataset
    for part in match:
        assert part in message, message
    return message


@pytest.mark.unit
def test_test_label_beyond_training_classes(tmp_path):
    y_test = np.array([0, 1, 2, 0, 1, 2, 0, 1, 3])
    check_refused(tmp_path, ["y_test has labels 0..3", "expected 0..2"], y_test=y_test)


@pytest.mark.unit
def test_negative_label(tmp_path):
    y_train = np.repeat(np.arange(CLASSES), PER_CLASS_TRAIN)
    y_train[0] = -1
    check_refused(tmp_path, ["y_train has labels -1..2"], y_train=y_train)


@pytest.mark.unit
def test_class_missing_from_training_labels(tmp_path):
    y_train = np.repeat([0, 2, 2], PER_CLASS_TRAIN)
    check_refused(
        tmp_path, ["classes [1] have no training example"], y_train=y_train, y_test=np.array([0, 2] * 4 + [0])
    )


@pytest.mark.unit
def test_a_single_training_class_is_refused(tmp_path):
    # Every cell would score 100% by always answering class 2: the data cannot answer a classification question.
    check_refused(
        tmp_path,
        ["every training label is class 2", "add the images of the other classes"],
        y_train=np.full(CLASSES * PER_CLASS_TRAIN, 2),
        y_test=np.full(CLASSES * PER_CLASS_TEST, 2),
    )


@pytest.mark.unit
def test_float_labels(tmp_path):
    y_train = np.repeat(np.arange(CLASSES), PER_CLASS_TRAIN).astype(np.float32)
    check_refused(tmp_path, ["y_train has dtype float32", "integers"], y_train=y_train)


@pytest.mark.unit
def test_label_count_mismatch(tmp_path):
    check_refused(
        tmp_path, ["y_train has shape (23,) for 24 images"], y_train=np.repeat(np.arange(CLASSES), PER_CLASS_TRAIN)[:-1]
    )


@pytest.mark.unit
def test_mismatched_train_test_image_shapes(tmp_path):
    x_test = np.zeros((9, 5, 5), np.uint8)
    check_refused(tmp_path, ["train images are (6, 6, 1) but test images are (5, 5, 1)"], x_test=x_test)


@pytest.mark.unit
def test_nan_pixels(tmp_path):
    x_train = np.full((24, 6, 6), 0.5, np.float32)
    x_train[3, 2, 2] = np.nan
    check_refused(tmp_path, ["x_train contains NaN"], x_train=x_train)


@pytest.mark.unit
def test_float_pixels_above_one(tmp_path):
    x_test = np.linspace(0, 255, 9 * 36, dtype=np.float32).reshape(9, 6, 6)
    check_refused(tmp_path, ["x_test has float pixels 0..255", "expected [0, 1]", "uint8"], x_test=x_test)


@pytest.mark.unit
def test_integer_pixels_above_255(tmp_path):
    x_train = np.zeros((24, 6, 6), np.int16)
    x_train[0, 0, 0] = 300
    check_refused(tmp_path, ["x_train has integer pixels 0..300", "expected 0..255"], x_train=x_train)


@pytest.mark.unit
def test_float_pixels_in_unit_range_kept_as_is(tmp_path):
    _, y_train, x_test, y_test = small_arrays(side=6)
    x_train = np.random.default_rng(0).random((24, 6, 6))  # float64 already in [0, 1]
    name = write_npz(tmp_path / "float.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    xt = load_raw(name)[0]
    assert xt.dtype == np.float32
    np.testing.assert_allclose(xt[..., 0], x_train, rtol=1e-6)


@pytest.mark.unit
def test_single_example_class_cannot_be_stratified(tmp_path):
    x_train, y_train, x_test, y_test = small_arrays(side=6)
    keep = np.r_[0:16, 16]  # classes 0 and 1 with 8 images, class 2 with one
    name = write_npz(tmp_path / "rare.npz", x_train=x_train[keep], y_train=y_train[keep], x_test=x_test, y_test=y_test)
    with pytest.raises(DataError) as error:
        load_data(Config(dataset=name))
    message = str(error.value)
    assert "cannot stratify 17 training images" in message and "smallest class has 1 example" in message


@pytest.mark.unit
def test_validation_share_too_small_for_every_class(tmp_path):
    x_train, y_train, x_test, y_test = small_arrays(side=6)
    name = write_npz(tmp_path / "few.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    with pytest.raises(DataError, match="cannot stratify 24 training images into a validation share of 0.05"):
        load_data(Config(dataset=name, val_fraction=0.05))  # 1 validation image for 3 classes


@pytest.mark.parametrize(
    "train_size, expected",
    [
        (100, "train_size=100 is not smaller than the 19 training images"),
        (19, "train_size=19 is not smaller than the 19 training images"),
        (2, "train_size=2 is smaller than the 3 classes"),
    ],
)
@pytest.mark.unit
def test_bad_train_size(tmp_path, train_size, expected):
    x_train, y_train, x_test, y_test = small_arrays(side=6)
    name = write_npz(tmp_path / "ts.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    with pytest.raises(DataError) as error:
        load_data(Config(dataset=name, train_size=train_size))  # 24 images - 5 validation = 19
    assert expected in str(error.value)


@pytest.mark.unit
def test_datasets_load_each_dataset_once_and_keep_the_last_two(tmp_path):
    """What a worker holds (training.caches.Datasets): one load per dataset and image size, the oldest dropped
    past KEEP; nothing at module level, so a new holder (a new command, a notebook call) reads the files anew."""
    x_train, y_train, x_test, y_test = small_arrays(side=6)
    names = [
        write_npz(tmp_path / f"{k}.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test) for k in "abc"
    ]
    datasets = Datasets()
    first = datasets.raw(names[0])
    assert datasets.raw(names[0]) is first and datasets.content(names[0]) == data.content_fingerprint(*first)
    datasets.raw(names[1]), datasets.raw(names[2])  # a third dataset drops the least recently used
    assert datasets.raw(names[0]) is not first and Datasets().raw(names[0]) is not datasets.raw(names[0])
    assert datasets.shape_and_classes(names[1]) == ((6, 6, 1), 3) and Datasets.KEEP == 2


# --- Keras datasets offline -----------------------------------------------------------------------


@pytest.mark.unit
def test_keras_dataset_offline_names_the_cache_file(tmp_path, monkeypatch):
    # Keras 3 reads KERAS_HOME once, at import; point its already-read copy at tmp_path too, so the download
    # really targets tmp_path whatever the test order (and nothing lands in ~/.keras).
    from keras.src.backend import config as keras_config

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path))
    assert data.keras_cache_dir() == tmp_path / "datasets"
    with pytest.raises(DataError) as error:
        data._keras_dataset("mnist")
    message = str(error.value)
    assert str(tmp_path / "datasets") in message
    assert "mnist.npz" in message
    assert "could not be downloaded" in message and "digits" in message
    assert (tmp_path / "datasets").is_dir() and not (tmp_path / "datasets" / "mnist.npz").exists()  # Keras looked here


# --- edge cases found in review --------------------------------------------------------------------


@pytest.mark.unit
def test_corrupt_gzip_idx_is_a_data_error(tmp_path):
    path = tmp_path / "labels.gz"
    compressed = bytearray(gzip.compress(idx_bytes(np.random.default_rng(0).integers(0, 10, 1000, np.uint8))))
    for i in range(20, len(compressed) - 10):
        compressed[i] ^= 0xFF
    path.write_bytes(bytes(compressed))
    with pytest.raises(DataError, match="corrupt"):
        read_idx(path)


@pytest.mark.unit
def test_train_size_leaving_fewer_than_one_per_class_is_a_data_error(tmp_path):
    x_train, y_train, x_test, y_test = small_arrays(side=6)
    name = write_npz(tmp_path / "ts.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    with pytest.raises(DataError):
        load_data(Config(dataset=name, train_size=18))  # 19 left after validation; 1 out < 3 classes


@pytest.mark.unit
def test_train_size_with_a_singleton_class_in_train_is_a_data_error(tmp_path):
    x_train, y_train, x_test, y_test = small_arrays(side=6)
    keep = np.r_[0:16, 16, 17]  # class 2 has two images: one goes to validation, one stays in train
    name = write_npz(tmp_path / "pair.npz", x_train=x_train[keep], y_train=y_train[keep], x_test=x_test, y_test=y_test)
    with pytest.raises(DataError):
        load_data(Config(dataset=name, val_fraction=0.5, train_size=5))


@pytest.mark.unit
def test_idx_with_truncated_header_is_a_data_error(tmp_path):
    path = tmp_path / "images"
    path.write_bytes(struct.pack(">I", 0x00000803) + b"\x00\x00")
    with pytest.raises(DataError):
        read_idx(path)


@pytest.mark.unit
def test_keras_cache_dir_is_where_keras_looks(tmp_path, monkeypatch):
    from keras.src.backend import config as keras_config  # imported (and KERAS_HOME read) before the change

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert data.keras_cache_dir() == Path(keras_config.keras_home()).expanduser() / "datasets"


@pytest.mark.unit
def test_non_numeric_images_are_refused(tmp_path):
    path = tmp_path / "strings.npz"
    np.savez(
        path,
        x_train=np.full((20, 8, 8), "a"),
        y_train=np.arange(20) % 2,
        x_test=np.full((4, 8, 8), "a"),
        y_test=np.arange(4) % 2,
    )
    with pytest.raises(DataError, match="has dtype <U1; images must be integer"):
        load_raw(f"npz:{path}")


# --- label noise ----------------------------------------------------------------------------------

LABELS = np.repeat(np.arange(10), 101)  # 1010 training labels, 101 per class


@pytest.mark.parametrize("kind", ["symmetric", "class_dependent"])
@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.25, 0.4, 0.999])
@pytest.mark.unit
def test_label_noise_flips_exactly_the_requested_share_to_another_class(fraction, kind):
    kind_if_flipping = dict(label_noise_kind=kind) if fraction else {}  # a kind flipping nothing is refused
    noisy = noisy_labels(LABELS, 10, Config(label_noise=fraction, **kind_if_flipping, seed=3))
    flipped = noisy != LABELS
    assert flipped.sum() == round(fraction * len(LABELS))
    assert noisy.dtype == LABELS.dtype and noisy.min() >= 0 and noisy.max() <= 9
    if kind == "class_dependent":  # pair flip: k -> k+1 mod K
        assert np.array_equal(noisy[flipped], (LABELS[flipped] + 1) % 10)


@pytest.mark.unit
def test_symmetric_noise_reaches_every_other_class():
    labels = np.repeat(np.arange(10), 1000)
    noisy = noisy_labels(labels, 10, Config(label_noise=0.4))
    counts = np.bincount(noisy[(labels == 0) & (noisy != 0)], minlength=10)  # ~400 flips of class 0
    assert counts[0] == 0 and counts[1:].min() > 20  # about 44 each


@pytest.mark.unit
def test_label_noise_is_reproducible_by_seed_and_differs_between_seeds():
    config = Config(label_noise=0.2, seed=5)
    first = noisy_labels(LABELS, 10, config)
    assert np.array_equal(first, noisy_labels(LABELS, 10, config))
    assert not np.array_equal(first, noisy_labels(LABELS, 10, config.replace(seed=6)))
    assert LABELS.sum() == 101 * 45  # the input labels are left unchanged


@pytest.mark.unit
def test_label_noise_on_a_single_class_dataset_is_refused():
    with pytest.raises(DataError, match="no other class"):
        noisy_labels(np.zeros(10, dtype=np.int64), 1, Config(label_noise=0.5))
