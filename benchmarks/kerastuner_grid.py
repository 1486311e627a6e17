"""The same learning-rate question as KerasTuner's grid search (benchmarks/short_trials.py times it).

``python kerastuner_grid.py DATA.npz EPOCHS BATCH DIRECTORY LR [LR ...]``: the split and network of
hand_loop.py; ``keras_tuner.GridSearch`` over the learning rates (it clears the Keras session before each
build and keeps each trial's best checkpoint in DIRECTORY), then the best model's test evaluation, as
KerasTuner's guide ends a search. Needs the `bench` extra (keras-tuner).
"""

import sys

import keras
import keras_tuner
import numpy as np
from hand_loop import conv_network
from sklearn.model_selection import train_test_split


def main(path, epochs, batch_size, directory, *rates):
    data = np.load(path)
    x = (data["x_train"] / 255.0).astype("float32")[..., None]
    x_test, y_test = (data["x_test"] / 255.0).astype("float32")[..., None], data["y_test"]
    x_train, x_val, y_train, y_val = train_test_split(
        x, data["y_train"], test_size=0.2, stratify=data["y_train"], random_state=0
    )

    def build(hp):
        model = conv_network(x.shape[1:], int(y_train.max()) + 1)
        model.compile(
            optimizer=keras.optimizers.Adam(hp.Choice("learning_rate", [float(r) for r in rates])),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        return model

    keras.utils.set_random_seed(0)
    tuner = keras_tuner.GridSearch(
        build, objective="val_accuracy", directory=directory, project_name="lr", seed=0, overwrite=True
    )
    tuner.search(
        x_train, y_train, batch_size=int(batch_size), epochs=int(epochs), validation_data=(x_val, y_val), verbose=2
    )
    best = tuner.get_best_models(1)[0]
    loss, accuracy = best.evaluate(x_test, y_test, batch_size=int(batch_size), verbose=0)
    print(
        f"best learning rate {tuner.get_best_hyperparameters(1)[0].get('learning_rate')}: test accuracy {accuracy:.4f}"
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
