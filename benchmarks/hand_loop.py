"""The loop a researcher writes by hand for a learning-rate question (benchmarks/short_trials.py times it).

``python hand_loop.py DATA.npz EPOCHS BATCH LR [LR ...]``: a stratified 80/20 train/validation split, then
per learning rate a cleared Keras session, the seeded `conv` network (the suite's `conv` baseline, written
out), ``model.fit`` with validation and one test evaluation. It imports nothing of the suite.
"""

import sys

import keras
import numpy as np
from keras import layers
from sklearn.model_selection import train_test_split


def conv_network(input_shape, num_classes):
    """Chollet's small MNIST CNN (seed report 000), 93,322 parameters on 28x28x1: the suite's `conv`."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(num_classes),
        ]
    )


def main(path, epochs, batch_size, *rates):
    data = np.load(path)
    x = (data["x_train"] / 255.0).astype("float32")[..., None]
    x_test, y_test = (data["x_test"] / 255.0).astype("float32")[..., None], data["y_test"]
    x_train, x_val, y_train, y_val = train_test_split(
        x, data["y_train"], test_size=0.2, stratify=data["y_train"], random_state=0
    )
    for rate in rates:
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        model = conv_network(x.shape[1:], int(y_train.max()) + 1)
        model.compile(
            optimizer=keras.optimizers.Adam(float(rate)),
            metrics=["accuracy"],
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        model.fit(
            x_train, y_train, batch_size=int(batch_size), epochs=int(epochs), validation_data=(x_val, y_val), verbose=2
        )
        loss, accuracy = model.evaluate(x_test, y_test, batch_size=int(batch_size), verbose=0)
        print(f"learning rate {rate}: test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
