"""training/augment.py at the pipeline level (no training): every augmentation changes training batches
and never evaluation batches; mixing augmentations give soft labels that sum to one; seeds reproduce."""

import numpy as np
import pytest

from training import config as C
from training.config import Config
from training.data import load_data
from training.trainer import pipeline

PLAIN = Config(dataset="digits", train_size=200)


@pytest.fixture(scope="module")
def data():
    return load_data(PLAIN)


def batches(data, config, training):
    """Every batch of one pass, as numpy (images, labels)."""
    dataset = pipeline(data.x_train, data.y_train, config, data.num_classes, training)
    return [(images.numpy(), labels.numpy()) for images, labels in dataset]


@pytest.mark.parametrize("name", C.AUGMENTATIONS)
def test_each_augmentation_changes_training_batches_but_never_evaluation_batches(data, name):
    augmented = PLAIN.replace(augmentation=name)
    (x_plain, y_plain), (x_augmented, y_augmented) = batches(data, PLAIN, True)[0], batches(data, augmented, True)[0]
    assert x_augmented.shape == x_plain.shape and y_augmented.shape == y_plain.shape
    changed = (x_augmented != x_plain).any(axis=(1, 2, 3)).mean()
    assert changed > (0.25 if name == "flip" else 0.9), f"{name} changed only {changed:.0%} of the images"
    assert 0.0 <= x_augmented.min() and x_augmented.max() <= 1.0  # pixels stay in [0, 1]
    if name not in ("mixup", "cutmix"):
        assert np.array_equal(y_augmented, y_plain)  # image-only steps leave the labels alone
    for (x_eval, y_eval), (x_eval_plain, y_eval_plain) in zip(batches(data, augmented, False),
                                                               batches(data, PLAIN, False), strict=True):
        assert np.array_equal(x_eval, x_eval_plain) and np.array_equal(y_eval, y_eval_plain)


@pytest.mark.parametrize("name", ["mixup", "cutmix", "flip+shift+zoom+rotation+cutout+mixup+cutmix"])
def test_mixed_labels_are_soft_and_sum_to_one(data, name):
    labels = np.concatenate([y for _, y in batches(data, PLAIN.replace(augmentation=name), True)])
    assert labels.shape == (200, 10) and labels.min() >= 0.0
    assert np.allclose(labels.sum(axis=1), 1.0, atol=1e-5)
    assert (labels.max(axis=1) < 0.99).mean() > 0.5  # most labels really are mixtures


def test_flip_is_horizontal(data):
    (plain, _), (flipped, _) = batches(data, PLAIN, True)[0], batches(data, PLAIN.replace(augmentation="flip"), True)[0]
    for original, image in zip(plain, flipped):
        assert np.array_equal(image, original) or np.array_equal(image, original[:, ::-1])


def test_cutout_only_zeroes_one_square_patch(data):
    (plain, _), (cut, _) = batches(data, PLAIN, True)[0], batches(data, PLAIN.replace(augmentation="cutout"), True)[0]
    changed = cut != plain
    assert (cut[changed] == 0).all()
    rows_hit, columns_hit = changed.any(axis=(2, 3)).sum(axis=1), changed.any(axis=(1, 3)).sum(axis=1)
    assert rows_hit.max() <= 4 and columns_hit.max() <= 4  # one patch of half the side: 4x4 on 8x8 digits


def test_augmentation_is_reproducible_by_seed_and_changes_with_it(data):
    config = PLAIN.replace(augmentation="flip+shift+zoom+rotation+cutout+mixup+cutmix")
    first, again = batches(data, config, True)[0], batches(data, config, True)[0]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    other = batches(data, config.replace(seed=1), True)[0]
    assert not np.array_equal(first[0], other[0])
