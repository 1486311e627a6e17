"""A project of one's own as the tests write it: image folders, a network file and a question file."""

import numpy as np
from PIL import Image

CLASSES = ("cat", "dog", "owl")

MODEL_FILE = '''"""A network of my own, from the suite's shared blocks so the network knobs reach it."""
import keras
from keras import layers

from ablation_suite.baselines.blocks import block_dropout, conv_block, dense_head


def tiny_cnn(input_shape, num_classes, config):
    inputs = keras.Input(input_shape, name="image")
    x = conv_block(inputs, 8, config, name="c1")
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = conv_block(x, 16, config, name="c2")
    rates = iter(block_dropout(config, 1))  # one dropout site: after the dense layer
    return keras.Model(inputs, dense_head(x, (16,), rates, num_classes, config), name="tiny_cnn")


def published(input_shape, num_classes, config):
    return tiny_cnn(input_shape, num_classes, config)


published.published_bn = "after"
NOT_A_FUNCTION = 3


def no_model(input_shape, num_classes, config):
    return "a string"


def one_logit(input_shape, num_classes, config):
    inputs = keras.Input(input_shape)
    return keras.Model(inputs, layers.Dense(1)(layers.Flatten()(inputs)))
'''


QUESTION = '''"""Does batch norm help my tiny CNN on my images?"""
from ablation_suite.ablations import Ablation

ABLATION = Ablation(question=__doc__, base=dict(model="{model}:tiny_cnn"), factors=dict(bn=["none", "before"]),
                    seeds=1)
'''


def write_images(folder, classes=CLASSES, per_class=8, size=12, mode="RGB", start=0):
    """Real image files, half PNG and half JPEG, brighter per class so a network can tell them apart."""
    rng = np.random.default_rng(start)
    for c, name in enumerate(classes):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = (rng.integers(0, 60, (size, size, 3)) + 80 * c).astype(np.uint8)
            Image.fromarray(pixels).convert(mode).save(folder / name / f"{start + i}.{'png' if i % 2 else 'jpg'}")
    return folder


def broken_folder(root, kind):
    folder = root / kind
    if kind == "missing":
        return folder
    if kind in ("missing_from_test", "train_without_test"):
        write_images(folder / "train", per_class=4)
        if kind == "missing_from_test":
            write_images(folder / "test", classes=CLASSES[:2], per_class=2)
        return folder
    write_images(
        folder, classes=CLASSES[:1] if kind == "one_class" else CLASSES, per_class=1 if kind == "too_few" else 4
    )
    if kind == "empty_class":
        for path in (folder / "dog").iterdir():
            path.unlink()
    elif kind == "corrupt":
        (folder / "cat" / "1.png").write_bytes((folder / "cat" / "1.png").read_bytes()[:40])
    elif kind == "mixed_sizes":
        write_images(folder, classes=("owl",), per_class=1, size=10, start=50)
    elif kind == "mixed_channels":
        write_images(folder, classes=("owl",), per_class=1, mode="L", start=50)
    return folder
