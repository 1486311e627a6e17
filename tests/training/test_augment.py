"""training/augment.py in both places it runs (augment_in). In the pipeline: every augmentation changes
training batches and never evaluation batches; mixing augmentations give soft labels that sum to one; seeds
reproduce. In the train step: the network trains on exactly the batches the pipeline would have augmented
(same layers, seeds and batch order; so the pipeline-level checks hold there too without repeating a fit
for each), evaluates and predicts on plain ones, and the pipeline stays plain; trials train the same in
both places, resume, and XLA is refused up front where it cannot compile.

The batches the network is called with are recorded by its first layer (``Recorder``), inside fit,
evaluate and predict of a real Keras model."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from ablation_suite import config as C
from ablation_suite.config import Config, ConfigError
from ablation_suite.training.augment import AugmentingModel, augment_in, with_augmentation
from ablation_suite.training.data import load_data
from ablation_suite.training.trainer import build_model, compile_model, pipeline, train

# 200 training digits in 5 full batches: the Recorder's copy has one fixed shape.
PLAIN = Config(dataset="digits", train_size=200, batch_size=40, steps_per_execution=1)
IN_PIPELINE = dict(augment_in="pipeline")  # what "auto" resolves to on a machine without GPU (refused without
# an augmentation, where it would do nothing)
PLACES = ("pipeline", "train_step")
EVERYTHING = "flip+shift+zoom+rotation+cutout+mixup+cutmix"


def quiet(*args, **kwargs):
    pass


@pytest.fixture(scope="module")
def data():
    return load_data(PLAIN)


def batches(data, config, training):
    """Every batch of one pass of the input pipeline, as numpy (images, labels)."""
    dataset = pipeline(data.x_train, data.y_train, config, data.num_classes, training)
    return [(images.numpy(), labels.numpy()) for images, labels in dataset]


class Recorder(keras.layers.Layer):
    """Passes its input through and keeps a copy of the last batch in a non-trainable variable."""

    def build(self, input_shape):
        self.seen = self.add_weight(shape=(PLAIN.batch_size, *input_shape[1:]), initializer="zeros", trainable=False)

    def call(self, images):
        self.seen.assign(images)
        return images


class SeenBatches(keras.callbacks.Callback):
    """The Recorder's copy after every training, evaluation and prediction batch, by kind."""

    def __init__(self, recorder):
        super().__init__()
        self.recorder, self.seen = recorder, {"train": [], "test": [], "predict": []}

    def _keep(self, kind):
        self.seen[kind].append(keras.ops.convert_to_numpy(self.recorder.seen))

    def on_train_batch_end(self, batch, logs=None):
        self._keep("train")

    def on_test_batch_end(self, batch, logs=None):
        self._keep("test")

    def on_predict_batch_end(self, batch, logs=None):
        self._keep("predict")


def seen_by_the_network(data, config):
    """Images the network was called with in one epoch of fit (with a validation pass), then in evaluate and
    predict, all on the training images, with the trainer's wrapping and compile."""
    keras.utils.clear_session()
    keras.utils.set_random_seed(config.seed)
    recorder = Recorder()
    inputs = keras.Input(data.input_shape)
    network = keras.Model(inputs, keras.layers.Dense(data.num_classes)(keras.layers.Flatten()(recorder(inputs))))
    model = with_augmentation(network, config)
    compile_model(model, config, steps_per_epoch=len(data.y_train) // config.batch_size)
    seen = SeenBatches(recorder)
    plain = pipeline(data.x_train, data.y_train, config, data.num_classes, training=False)
    model.fit(
        pipeline(data.x_train, data.y_train, config, data.num_classes, training=True),
        epochs=1,
        validation_data=plain,
        callbacks=[seen],
        shuffle=False,
        verbose=0,
    )  # shuffled by tf.data
    model.evaluate(plain, callbacks=[seen], verbose=0)
    model.predict(plain, callbacks=[seen], verbose=0)
    return model, seen.seen


def augmented_images(data, config):
    """The training images of one pass of the pipeline, augmented there."""
    return [images for images, _ in batches(data, config.replace(augment_in="pipeline"), True)]


@pytest.mark.parametrize("name", C.AUGMENTATION_NAMES)
def test_each_augmentation_changes_training_batches_but_never_evaluation_batches(data, name):
    augmented = PLAIN.replace(**IN_PIPELINE, augmentation=name)
    (x_plain, y_plain), (x_augmented, y_augmented) = batches(data, PLAIN, True)[0], batches(data, augmented, True)[0]
    assert x_augmented.shape == x_plain.shape and y_augmented.shape == y_plain.shape
    changed = (x_augmented != x_plain).any(axis=(1, 2, 3)).mean()
    flips = ("flip", "vflip")  # each image flipped with probability 1/2
    assert changed > (0.25 if name in flips else 0.9), f"{name} changed only {changed:.0%} of the images"
    assert x_augmented.min() >= 0.0 and x_augmented.max() <= 1.0  # pixels stay in [0, 1]
    if name not in ("mixup", "cutmix"):
        assert np.array_equal(y_augmented, y_plain)  # image-only steps leave the labels alone
    for place in PLACES:
        for (x_eval, y_eval), (x_eval_plain, y_eval_plain) in zip(
            batches(data, augmented.replace(augment_in=place), False), batches(data, PLAIN, False), strict=True
        ):
            assert np.array_equal(x_eval, x_eval_plain) and np.array_equal(y_eval, y_eval_plain)


@pytest.mark.parametrize("name", ["mixup", "cutmix", EVERYTHING])
def test_mixed_labels_are_soft_and_sum_to_one(data, name):
    labels = np.concatenate([y for _, y in batches(data, PLAIN.replace(**IN_PIPELINE, augmentation=name), True)])
    assert labels.shape == (200, 10) and labels.min() >= 0.0
    assert np.allclose(labels.sum(axis=1), 1.0, atol=1e-5)
    assert (labels.max(axis=1) < 0.99).mean() > 0.5  # most labels really are mixtures


def test_flip_is_horizontal(data):
    plain, flipped = batches(data, PLAIN, True)[0][0], augmented_images(data, PLAIN.replace(augmentation="flip"))[0]
    for original, image in zip(plain, flipped):
        assert np.array_equal(image, original) or np.array_equal(image, original[:, ::-1])


def test_cutout_only_zeroes_one_square_patch(data):
    plain, cut = batches(data, PLAIN, True)[0][0], augmented_images(data, PLAIN.replace(augmentation="cutout"))[0]
    changed = cut != plain
    assert (cut[changed] == 0).all()
    rows_hit, columns_hit = changed.any(axis=(2, 3)).sum(axis=1), changed.any(axis=(1, 3)).sum(axis=1)
    assert rows_hit.max() <= 4 and columns_hit.max() <= 4  # one patch of half the side: 4x4 on 8x8 digits


def test_augmentation_is_reproducible_by_seed_and_changes_with_it(data):
    config = PLAIN.replace(**IN_PIPELINE, augmentation=EVERYTHING)
    first, again = batches(data, config, True)[0], batches(data, config, True)[0]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    other = batches(data, config.replace(seed=1), True)[0]
    assert not np.array_equal(first[0], other[0])


def test_the_train_step_trains_on_the_batches_the_pipeline_would_augment_and_evaluates_on_plain_ones(data):
    """Same layers, seeds and batch order, so the same augmented batches in both places; fit's validation
    pass, evaluate and predict see the plain batches, and the pipeline does not augment a second time."""
    config = PLAIN.replace(augmentation=EVERYTHING, augment_in="train_step")
    model, seen = seen_by_the_network(data, config)
    assert isinstance(model, AugmentingModel)
    assert [len(seen[kind]) for kind in ("train", "test", "predict")] == [5, 10, 5]  # fit's validation + evaluate
    assert all(np.array_equal(a, b) for a, b in zip(seen["train"], augmented_images(data, config), strict=True))
    plain = [images for images, _ in batches(data, PLAIN, True)]
    assert not any(np.array_equal(a, b) for a, b in zip(seen["train"], plain))
    for (x, y), (x_plain, y_plain) in zip(batches(data, config, True), batches(data, PLAIN, True), strict=True):
        assert np.array_equal(x, x_plain) and np.array_equal(y, y_plain)  # not augmented twice
    evaluated = [images for images, _ in batches(data, PLAIN, False)]
    for kind, expected in (("test", evaluated * 2), ("predict", evaluated)):
        assert all(np.array_equal(a, b) for a, b in zip(seen[kind], expected, strict=True)), kind


@pytest.mark.unit
def test_auto_augments_in_the_train_step_only_with_a_gpu_and_never_where_xla_cannot_compile():
    gpu = bool(tf.config.list_physical_devices("GPU"))
    assert augment_in(Config(augmentation="flip")) == ("train_step" if gpu else "pipeline")  # pipeline here
    assert augment_in(Config(augmentation="mixup", jit_compile=True)) == "pipeline"
    for place in PLACES:
        assert augment_in(Config(augmentation="mixup", augment_in=place)) == place


def test_mixup_trains_the_same_in_the_train_step_as_in_the_pipeline(data):
    """A whole 1-epoch trial with the default steps_per_execution (16): same history, same test accuracy."""
    config = Config(dataset="digits", train_size=200, model="baseline1", epochs=1, augmentation="mixup")
    in_pipeline, in_train_step = (train(config.replace(augment_in=place), data=data, log=quiet) for place in PLACES)
    assert in_train_step.history == in_pipeline.history
    assert in_train_step.test_accuracy == in_pipeline.test_accuracy and in_train_step.params == in_pipeline.params


def test_the_wrapped_network_keeps_its_outputs_parameters_and_float16_loss_scaling(data):
    config = PLAIN.replace(augmentation="flip", augment_in="train_step", precision="mixed_float16")
    network = build_model(config, data)
    model = with_augmentation(network, config)
    compile_model(model, config, steps_per_epoch=5)
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert [w.path for w in model.trainable_weights] == [w.path for w in network.trainable_weights]
    assert np.array_equal(model.predict(data.x_test[:8], verbose=0), network.predict(data.x_test[:8], verbose=0))
    assert with_augmentation(network, config.replace(augment_in="pipeline")) is network


def test_a_trial_augmenting_in_the_train_step_resumes_from_its_checkpoint(data, tmp_path):
    class Crash(Exception):
        pass

    class CrashAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise Crash

    config = Config(
        dataset="digits",
        train_size=200,
        model="baseline1",
        epochs=2,
        augmentation="flip+cutout",
        augment_in="train_step",
    )
    first, second = [], []
    with pytest.raises(Crash):
        train(config, data=data, log=first.append, callbacks=[CrashAfterFirstEpoch()], backup_dir=tmp_path / "cell")
    result = train(config, data=data, log=second.append, backup_dir=tmp_path / "cell")
    assert [line.split()[1] for line in first + second] == ["1/2", "2/2"]
    assert result.epochs_run == 2 and len(result.history["loss"]) == 2


@pytest.mark.parametrize(
    "augmentation, blocked", [("mixup", "mixup has"), ("flip+shift+cutout+cutmix", "shift, cutmix have")]
)
@pytest.mark.unit
def test_xla_with_augmentation_the_train_step_cannot_compile_is_refused_with_the_fix(augmentation, blocked):
    with pytest.raises(ConfigError) as error:
        Config(augmentation=augmentation, augment_in="train_step", jit_compile=True)
    message = str(error.value)
    assert f"augmentation={augmentation!r}" in message and f"{blocked} no XLA kernel" in message
    assert "set augment_in='pipeline' (or 'auto'), or jit_compile=false" in message
    for place in ("pipeline", "auto"):  # the pipeline is never XLA-compiled; auto keeps such steps there
        assert Config(augmentation=augmentation, augment_in=place, jit_compile=True).jit_compile


def test_xla_compiles_exactly_the_listed_augmentations_and_trains_with_them_in_the_train_step():
    """In a fresh process: op determinism, switched on for good by an earlier deterministic trial in this
    test process, makes Keras drop XLA. A tiny network keeps the XLA compilation short."""
    probe = textwrap.dedent("""
        import json, sys
        import keras, tensorflow as tf
        from ablation_suite.training.augment import AUGMENTATIONS, batch_augmenter, with_augmentation
        from ablation_suite.config import Config
        from ablation_suite.training.data import load_data
        from ablation_suite.training.trainer import compile_model, pipeline

        images, labels = tf.random.uniform((4, 8, 8, 1)), tf.one_hot(tf.range(4), 4)
        compiles = {}
        for name in AUGMENTATIONS:
            try:
                tf.function(batch_augmenter(Config(augmentation=name)), jit_compile=True)(images, labels)
                compiles[name] = "compiles"
            except tf.errors.InvalidArgumentError as error:
                compiles[name] = "no XLA kernel" if "No registered" in str(error) else str(error)[:500]

        config = Config(dataset="digits", train_size=100, augmentation="flip+cutout", augment_in="train_step",
                        jit_compile=True)  # steps_per_execution 16 by default
        data = load_data(config)
        inputs = keras.Input(data.input_shape)
        network = keras.Model(inputs, keras.layers.Dense(data.num_classes)(keras.layers.Flatten()(inputs)))
        model = with_augmentation(network, config)
        compile_model(model, config, steps_per_epoch=4)
        history = model.fit(pipeline(data.x_train, data.y_train, config, data.num_classes, training=True),
                            verbose=0).history
        print(json.dumps(dict(compiles=compiles, wrapped=model is not network, jit=model.jit_compile,
                              loss=history["loss"][0])))
    """)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["compiles"] == {
        name: "compiles" if name in C.XLA_AUGMENTATIONS else "no XLA kernel" for name in C.AUGMENTATION_NAMES
    }
    assert report["wrapped"] and report["jit"] is True and np.isfinite(report["loss"])
