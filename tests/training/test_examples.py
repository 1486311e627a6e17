"""Example images (issue 21): a real tiny study on digits (augmentation none vs flip+shift, one seed, one epoch)
records with every trial its first misclassified test images and, where it augments, training images before and
after its own augmentation, as PNGs; the report draws them without TensorFlow; a study stored before they were
recorded renders without them, with a note."""

import base64
import io
import shutil

import matplotlib.pyplot as plt
import numpy as np
import optuna
import pytest
from common import REPO
from PIL import Image

from ablation_suite.cli import main as study
from ablation_suite.config import Config
from ablation_suite.reports import comparisons, example_figures, figures
from ablation_suite.reports.sections import comparison_section
from ablation_suite.store import record
from ablation_suite.store.frame import trials_frame
from ablation_suite.training.data import load_data

QUESTION = '''"""Do flips and shifts help on digits?"""
from ablation_suite.ablations import Ablation
ABLATION = Ablation(question=__doc__, base=dict(model="baseline1", dataset="digits", epochs=1, train_size=200),
                    factors=dict(augmentation=["none", "flip+shift"]), seeds=1)
'''


@pytest.fixture(scope="module")
def flips(tmp_path_factory):
    """(storage URL, trials frame, stored spec) of the study, run once through the CLI."""
    folder = tmp_path_factory.mktemp("examples")
    (folder / "flips.py").write_text(QUESTION)
    storage = f"sqlite:///{folder / 's.db'}"
    assert study.main(["run", str(folder / "flips.py"), "--storage", storage]) == 0
    loaded = optuna.load_study(study_name="flips", storage=storage)
    return storage, trials_frame(loaded), record.stored_spec(loaded)


def pixels(text: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(text))))


def test_every_trial_records_its_first_misclassified_test_images_as_pngs(flips):
    _, frame, _ = flips
    assert len(frame) == 2 and set(frame["status"]) == {"done"}
    for _, trial in frame.iterrows():
        data = load_data(Config(dataset="digits", train_size=200, seed=int(trial["seed"])))
        matrix = np.array(trial["confusion_matrix"])
        examples = trial["misclassified"]
        assert len(examples) == min(8, matrix.sum() - np.trace(matrix)) > 0  # one epoch on 200 digits errs often
        indices = [example["index"] for example in examples]
        assert indices == sorted(set(indices))  # in test order
        for example in examples:
            assert example["true"] == data.y_test[example["index"]] != example["predicted"]
            image = pixels(example["png"])  # 8x8 grayscale, the test image itself at 0-255
            assert image.shape == (8, 8) and image.dtype == np.uint8
            np.testing.assert_array_equal(image, np.round(data.x_test[example["index"], :, :, 0] * 255))
        pairs = {}
        for example in examples:  # every one of them is counted where the confusion matrix counts errors
            pairs[example["true"], example["predicted"]] = pairs.get((example["true"], example["predicted"]), 0) + 1
        assert all(matrix[true][predicted] >= count for (true, predicted), count in pairs.items())


def test_an_augmenting_trial_records_training_images_before_and_after_its_augmentation(flips):
    _, frame, _ = flips
    plain, augmented = (frame[frame["augmentation"] == name].iloc[0] for name in ("none", "flip+shift"))
    assert plain["augmented_samples"] == []
    data = load_data(Config(dataset="digits", train_size=200, seed=int(augmented["seed"])))
    samples = augmented["augmented_samples"]
    assert [sample["label"] for sample in samples] == [0, 1, 2, 3, 4, 5]  # the first training image of each class
    changed = 0
    for sample in samples:
        assert data.y_train[sample["index"]] == sample["label"]
        before, after = pixels(sample["original"]), pixels(sample["augmented"])
        assert before.shape == after.shape == (8, 8)
        np.testing.assert_array_equal(before, np.round(data.x_train[sample["index"], :, :, 0] * 255))
        changed += not np.array_equal(before, after)
    assert changed >= 3  # flips and shifts of 8x8 digits move most of them
    assert augmented["extra"]["examples_seconds"] < 0.1 * augmented["wall_time"]  # cheap next to the trial


def test_the_report_draws_misclassified_images_per_level_and_the_augmented_samples(flips, tmp_path):
    storage, frame, spec = flips
    (group,) = comparisons.groups(frame, spec)
    colors = figures.level_colors(group.levels)
    fig = example_figures.plot_misclassified(group)
    rows = [ax for ax in fig.axes if ax.get_ylabel()]
    assert [ax.get_ylabel() for ax in rows] == ["none (base)", "flip+shift"]
    assert [tuple(ax.yaxis.label.get_color()) for ax in rows] == [tuple(colors[level]) for level in group.levels]
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    stored = [
        example
        for trials in frame.set_index("augmentation").loc[["none", "flip+shift"], "misclassified"]
        for example in trials
    ]
    assert titles == [f"true {e['true']} -> predicted {e['predicted']}" for e in stored]
    fig = example_figures.plot_augmented_samples(group)
    assert [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()] == [
        "original",
        "flip+shift",
    ]  # none does not augment
    plt.close("all")

    out = tmp_path / "report"
    assert study.main(["report", "flips", "--storage", storage, "--out", str(out)]) == 0
    page = (out / "index.html").read_text()
    for name in ("augmentation_misclassified", "augmentation_augmented"):
        assert f'src="{name}.png"' in page and (out / "figures" / f"{name}.pdf").stat().st_size > 0
    assert "The first misclassified test images in test order, up to 8 per level, one row per level (seed 0)" in page
    assert "levels without augmentation (none) are left out" in page

    section, _ = comparison_section(comparisons.groups(frame[frame["augmentation"] == "none"], spec)[0], spec)
    assert [name for name, _, _ in section.figures if name.endswith("_augmented")] == []
    assert "No level augments its training images: no figure of augmented samples." in section.paragraphs
    plt.close("all")


def test_a_study_stored_before_examples_were_recorded_renders_without_them_with_a_note(tmp_path):
    db = tmp_path / "studies_v1.db"
    shutil.copy(REPO / "tests" / "fixtures" / "studies_v1.db", db)
    out = tmp_path / "report"
    assert study.main(["report", "bn_placement", "--storage", f"sqlite:///{db}", "--out", str(out)]) == 0
    page = (out / "index.html").read_text()
    assert "stored before trials recorded example images" in page
    assert not list(out.glob("*_misclassified.png")) and not list(out.glob("*_augmented.png"))


def test_example_images_of_a_streamed_split_are_read_as_from_memory_and_large_ones_shrunk(tmp_path, monkeypatch):
    """Images too large for memory (forced with ABLATION_DATA_CACHE=file) are read from the file cache, in the
    order asked; a 40x40 colour image is stored at 32x32."""
    from user_data import write_images

    from ablation_suite.training import data
    from ablation_suite.training.examples import MAX_SIDE, images_at, png
    from ablation_suite.training.streams import CACHE_DIR_ENV, CACHE_ENV, Streamed

    write_images(tmp_path / "data", per_class=12, size=40)
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    config = Config(dataset=f"folder:{tmp_path / 'data'}", seed=4)
    in_memory = data.load_data(config)
    monkeypatch.setenv(CACHE_ENV, "file")
    streamed = data.load_data(config)
    assert isinstance(streamed.x_test, Streamed)
    for part in ("train", "test"):
        np.testing.assert_array_equal(
            images_at(getattr(streamed, f"x_{part}"), [5, 0, 3]), getattr(in_memory, f"x_{part}")[[5, 0, 3]]
        )
    assert pixels(png(in_memory.x_train[0])).shape == (MAX_SIDE, MAX_SIDE, 3)
