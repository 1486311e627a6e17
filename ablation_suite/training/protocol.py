"""The training protocol of a Config in words, read from the objects the trainer builds for it: the optimiser
and every hyper-parameter Keras gives it, the LR schedule, the plateau rule and early stopping as their Keras
callbacks hold them, augmentation and where it runs, label noise, the callbacks, epochs and batch size.

``ablation-suite show`` prints it per variant, so a reader can check a study against its paper without reading code.
"""

from __future__ import annotations

from ablation_suite.config import Config, augmentation_steps
from ablation_suite.training import augment
from ablation_suite.training.checkpoint import training_callbacks
from ablation_suite.training.schedules import create_optimizer, describe_schedule, learning_rate

# Each line of the protocol and the Config fields it reads (``show`` marks a line whose fields are searched).
READS = {
    "optimizer": ("optimizer", "learning_rate", "momentum", "nesterov", "precision"),
    "LR schedule": ("lr_schedule", "learning_rate", "warmup_epochs", "epochs"),
    "plateau cuts": (
        "reduce_lr_on_plateau",
        "reduce_lr_monitor",
        "reduce_lr_patience",
        "reduce_lr_factor",
        "reduce_lr_min_delta",
    ),
    "early stopping": (
        "early_stopping_patience",
        "early_stopping_monitor",
        "early_stopping_min_delta",
        "restore_best_weights",
    ),
    "checkpoint": ("checkpoint",),
    "inputs": ("image_size", "input_scale", "standardize"),
    "augmentation": ("augmentation", "augment_in", "jit_compile"),
    "label noise": ("label_noise", "label_noise_kind"),
    "callbacks": ("early_stopping_patience", "reduce_lr_on_plateau", "checkpoint"),
    "epochs, batch": ("epochs", "batch_size"),
}
GENERIC_OFF = {"use_ema": False}  # with use_ema off, Keras keeps but never reads the ema_* settings
STRENGTHS = {
    "flip": "horizontal",
    "vflip": "vertical",
    "shift": f"{augment.SHIFT:.0%} of the side",
    "zoom": f"+-{augment.ZOOM:.0%}",
    "rotation": f"+-{augment.ROTATION_DEGREES} degrees",
    "cutout": f"a square of {augment.CUTOUT_SIDE:.0%} of the side",
    "mixup": f"alpha {augment.MIXUP_ALPHA:g}",
    "cutmix": f"alpha {augment.CUTMIX_ALPHA:g}",
}


def protocol(config: Config) -> dict:
    """Line name (``READS``) -> what the trainer builds for ``config``, in words."""
    rate = learning_rate(config, steps_per_epoch=1)  # phases are in epochs whatever the steps per epoch
    callbacks = training_callbacks(config, rate)
    by_class = {type(callback).__name__: callback for callback in callbacks}
    return {
        "optimizer": optimizer_text(config),
        "LR schedule": describe_schedule(config),
        "plateau cuts": plateau_text(by_class.get("CutOnPlateau")),
        "early stopping": stopping_text(by_class.get("EarlyStopping")),
        "checkpoint": checkpoint_text(by_class.get("BestEpoch")),
        "inputs": inputs_text(config),
        "augmentation": augmentation_text(config),
        "label noise": (
            f"{config.label_noise:.0%} of the training labels flipped, "
            + ("each to another class at random" if config.label_noise_kind == "symmetric" else "class k to k+1 mod K")
            if config.label_noise
            else "none"
        ),
        "callbacks": ", ".join([*by_class, "EpochLog (history and LR per epoch)"]),
        "epochs, batch": f"{config.epochs} epoch{'s' if config.epochs > 1 else ''}"
        + (" at most" if config.early_stopping_patience else "")
        + f", batch size {config.batch_size}",
    }


def optimizer_text(config: Config) -> str:
    """The Keras class and every setting its ``get_config()`` reports, as built by training.schedules (at the
    base learning rate; the schedule line says how it moves)."""
    optimizer = create_optimizer(config, config.learning_rate)
    settings = optimizer.get_config()
    off = [key for key, value in GENERIC_OFF.items() if settings.get(key) == value]
    shown = {
        key: value
        for key, value in settings.items()
        if key != "name" and value is not None and key not in off and not (off and key.startswith("ema_"))
    }
    text = type(optimizer).__name__ + " " + ", ".join(f"{key}={_number(value)}" for key, value in shown.items())
    if config.precision == "mixed_float16":
        text += "; Keras wraps it in a LossScaleOptimizer (mixed_float16)"
    return text


def plateau_text(callback) -> str:
    if callback is None:
        return "off"
    return (
        f"ReduceLROnPlateau rule on the schedule: times {callback.factor:g} after {callback.patience} epochs "
        f"without {callback.monitor} improving by more than {callback.min_delta:g} (cooldown {callback.cooldown}, "
        f"min_lr {callback.min_lr:g})"
    )


def stopping_text(callback) -> str:
    if callback is None:
        return "off"
    return (
        f"EarlyStopping: after {callback.patience} epochs without {callback.monitor} improving by more than "
        f"{abs(callback.min_delta):g}; restore_best_weights={callback.restore_best_weights}"
    )


def checkpoint_text(callback) -> str:
    if callback is None:
        return "none"
    return f"every epoch trained, ending on the weights of the epoch with the best {callback.monitor}"


PIXELS = {  # Config.standardize, in words (training.data.standardized)
    "none": "pixels in [0, 1]",
    "channel": "each channel standardised by the training images' mean and spread",
    "pixel": "each pixel and channel standardised by the training images' mean and spread",
    "image": "each image standardised by its own mean and spread",
}


def inputs_text(config: Config) -> str:
    size = f"resized to {config.image_size}x{config.image_size} (bilinear)" if config.image_size else "as loaded"
    scale = f", upsampled x{config.input_scale} (nearest)" if config.input_scale > 1 else ""
    return f"{size}{scale}; {PIXELS[config.standardize]}"


def augmentation_text(config: Config) -> str:
    steps = augmentation_steps(config.augmentation)
    if not steps:
        return "none"
    where = augment.augment_in(config)
    place = {"pipeline": "in the tf.data pipeline", "train_step": "in the model's train step"}[where]
    chosen = " (augment_in=auto, as chosen on this machine)" if config.augment_in == "auto" else ""
    return ", ".join(f"{step} ({STRENGTHS[step]})" for step in steps) + f"; training batches only, {place}{chosen}"


def _number(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)
