"""Knob-aware building blocks shared by every family: the one place each knob becomes layers.

Each block reads normalisation (placement ``bn`` and kind ``normalization``), activation,
initialiser, regulariser and dropout from the Config, so a network written with these blocks
honours every ablation factor. Builders receive a Config whose ``bn`` is already resolved to
none/before/after (``baselines.create`` replaces "default" by the network's published placement).
"""

from __future__ import annotations

import zlib

import keras
from keras import layers

from ablation_suite.config import DROPOUT_OWN, dropout_rates, layer_scope

INITIALIZERS = {  # each takes the layer's seed
    "zeros": lambda seed: keras.initializers.Zeros(),
    "random_normal": keras.initializers.RandomNormal,
    "random_uniform": keras.initializers.RandomUniform,
    "glorot_uniform": keras.initializers.GlorotUniform,
    "glorot_normal": keras.initializers.GlorotNormal,
    "he_uniform": keras.initializers.HeUniform,
    "he_normal": keras.initializers.HeNormal,
    "lecun_uniform": keras.initializers.LecunUniform,
    "lecun_normal": keras.initializers.LecunNormal,
}
ACTIVATIONS = {
    "relu": lambda name: layers.ReLU(name=name),
    "leaky_relu": lambda name: layers.LeakyReLU(negative_slope=0.3, name=name),  # Keras 2's default slope
    "elu": lambda name: layers.ELU(name=name),
    "gelu": lambda name: layers.Activation("gelu", name=name),
    "swish": lambda name: layers.Activation("swish", name=name),
    "sigmoid": lambda name: layers.Activation("sigmoid", name=name),
    "tanh": lambda name: layers.Activation("tanh", name=name),
}
REGULARIZERS = {
    "none": lambda strength: None,
    "l1": lambda strength: keras.regularizers.L1(strength),
    "l2": lambda strength: keras.regularizers.L2(strength),
    "l1l2": lambda strength: keras.regularizers.L1L2(l1=strength, l2=strength),
}
# The Config fields these blocks turn into layers: a factor of these only changes the built network, so a
# network that ignores them (built without the blocks) would train identical cells (workers/preflight.py).
NETWORK_KNOBS = (
    "bn",
    "bn_momentum",
    "normalization",
    "normalization_scope",
    "activation",
    "initializer",
    "initializer_scope",
    "dropout",
    "dropout_sites",
    "regularizer",
    "regularizer_scope",
    "reg_strength",
)
KERAS_INITIALIZER = "glorot_uniform"  # what a layer outside Config.initializer_scope keeps (Keras's default)
GROUPS = 32  # group normalisation's group count (Wu & He 2018, the paper's default)
# Normalisation kinds as Wu & He (2018, fig. 2) define them for an (N, H, W, C) map: batch over
# (N, H, W), layer over (H, W, C), instance over (H, W) per channel, group over (H, W) and a group of
# channels. Layer, group and instance are one Keras layer, GroupNormalization, with 1, 32 or C
# groups; every kind has a per-channel scale and shift. (suffix of the layer name, factory)
NORMALIZATIONS = {
    "batch": ("bn", lambda channels, config, name: layers.BatchNormalization(momentum=config.bn_momentum, name=name)),
    "layer": ("ln", lambda channels, config, name: layers.GroupNormalization(groups=1, name=name)),
    "group": (
        "gn",
        lambda channels, config, name: layers.GroupNormalization(groups=group_count(channels, name), name=name),
    ),
    "instance": ("in", lambda channels, config, name: layers.GroupNormalization(groups=channels, name=name)),
    "none": None,  # no layer
}


def layer_seed(config, name: str) -> int:
    """The seed of one layer's random draws: the cell's seed and the layer's name.

    Seeds are a paired axis: a layer keeps its initial weights (and dropout masks) at every level
    that has it, whatever layers other levels add or remove before it; two layers never share a seed.
    """
    return zlib.crc32(f"{config.seed}:{name}".encode()) & 0x7FFFFFFF


def weights(config, name: str, role: str) -> dict:
    """Initialiser (seeded per layer) and regulariser keyword arguments for the Conv2D or Dense ``name``, which
    plays ``role`` (config.LAYER_ROLES): each reaches it when its scope names the role, else Keras's defaults."""
    initializer = config.initializer if role in layer_scope("initializer_scope", config.initializer_scope) else None
    regularizer = config.regularizer if role in layer_scope("regularizer_scope", config.regularizer_scope) else "none"
    return dict(
        kernel_initializer=INITIALIZERS[initializer or KERAS_INITIALIZER](layer_seed(config, name)),
        kernel_regularizer=REGULARIZERS[regularizer](config.reg_strength),
    )


def normalizes(config, placement: str, dense: bool = False) -> bool:
    """Whether the network puts a normalisation layer at ``placement`` ("before"/"after" the activation) of a
    convolution, or of a hidden ``dense`` layer."""
    in_scope = not dense or config.normalization_scope == "all"
    return config.bn == placement and config.normalization != "none" and in_scope


def group_count(channels: int, name: str) -> int:
    """32 groups, or one channel per group below 32 channels; refuses a count that does not divide."""
    groups = min(GROUPS, channels)
    if channels % groups:
        raise ValueError(
            f"normalization='group' splits channels into {GROUPS} groups (Wu & He 2018), but layer "
            f"{name!r} has {channels} channels, not a multiple of {GROUPS}; choose normalization="
            "'batch', 'layer' or 'instance' for this model"
        )
    return groups


def normalize(x, config, name):
    """The normalisation layer ``config.normalization`` names (x unchanged for "none", and after a dense layer
    when ``config.normalization_scope`` is "conv")."""
    if config.normalization == "none" or (config.normalization_scope == "conv" and len(x.shape) == 2):
        return x
    if config.normalization == "instance" and len(x.shape) == 2:
        raise ValueError(
            f"normalization='instance' normalises each channel over its spatial positions, but "
            f"{name!r} is a dense layer with none (every output would be the constant shift); "
            f"model={config.model!r} has dense hidden layers: use 'batch', 'layer' or 'group', or "
            "normalization_scope='conv' (no normalisation after dense layers)"
        )
    suffix, factory = NORMALIZATIONS[config.normalization]
    return factory(x.shape[-1], config, f"{name}_{suffix}")(x)


def activate(x, config, name, shortcut=None):
    """[norm] -> [+ shortcut] -> activation -> [norm]: the normalisation sits where ``config.bn`` puts it.

    With a ``shortcut`` this is the merge of a post-activation residual block (He et al. 2016): the
    branch is normalised before the sum when the placement is "before", as in the paper.
    """
    if normalizes(config, "before"):
        x = normalize(x, config, name)
    if shortcut is not None:
        x = layers.Add(name=f"{name}_add")([x, shortcut])
    x = ACTIVATIONS[config.activation](f"{name}_{config.activation}")(x)
    if normalizes(config, "after"):
        x = normalize(x, config, name)
    return x


def conv(x, filters, config, name, kernel_size=3, strides=1, padding="same", groups=1, role="conv"):
    """A Conv2D named ``{name}_conv``; without bias when a normalisation layer follows it (its shift replaces it).
    ``role``: "conv", or "shortcut" for a residual projection (Config.initializer_scope, regularizer_scope)."""
    return layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        groups=groups,
        use_bias=not normalizes(config, "before"),
        name=f"{name}_conv",
        **weights(config, f"{name}_conv", role),
    )(x)


def conv_block(x, filters, config, name, **conv_args):
    """Conv2D -> [norm] -> activation -> [norm]."""
    return activate(conv(x, filters, config, name, **conv_args), config, name)


def dense_block(x, units, config, name):
    """Dense -> [norm] -> activation -> [norm]."""
    x = layers.Dense(
        units,
        use_bias=not normalizes(config, "before", dense=True),
        name=f"{name}_dense",
        **weights(config, f"{name}_dense", "dense"),
    )(x)
    return activate(x, config, name)


def shortcut(x, filters, strides, config, name, zero_pad=False):
    """A residual block's shortcut: the input where the block keeps the shape, else a 1x1 projection
    with the stride, normalised like a branch before its sum (He et al.'s option B), or with
    ``zero_pad`` the input subsampled by the stride with zero channels appended (option A, no
    parameters)."""
    if strides == 1 and x.shape[-1] == filters:
        return x
    if zero_pad:
        if strides > 1:
            x = layers.MaxPooling2D(1, strides=strides, name=f"{name}_subsample")(x)  # every strides-th pixel
        return ZeroChannels(filters - x.shape[-1], name=f"{name}_pad")(x)
    x = conv(x, filters, config, name, kernel_size=1, strides=strides, role="shortcut")
    return normalize(x, config, name) if normalizes(config, "before") else x


@keras.saving.register_keras_serializable(package="baselines")
class ZeroChannels(layers.Layer):
    """Appends ``count`` all-zero channels (half in front, half behind, as the reference code pads)."""

    def __init__(self, count, **kwargs):
        super().__init__(**kwargs)
        self.count = count

    def call(self, x):
        front = self.count // 2
        return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [front, self.count - front]])

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.count)

    def get_config(self):
        return {**super().get_config(), "count": self.count}


def global_average_pool(x, config, name="pool"):
    """GlobalAveragePooling2D of the last activated map; refuses a per-channel normalisation placed
    after that activation, whose output has its shift as every channel's spatial mean: the pooled
    features would be constants and the network could not learn."""
    per_channel = config.normalization == "instance" or config.normalization == "group" and x.shape[-1] <= GROUPS
    if normalizes(config, "after") and per_channel:
        raise ValueError(
            f"normalization={config.normalization!r} after the last activation of model="
            f"{config.model!r} feeds global average pooling, which would then output constants "
            "(each channel's spatial mean is the normalisation's shift); place it with bn='before', "
            "or use 'batch' or 'layer'"
        )
    return layers.GlobalAveragePooling2D(name=name)(x)


def logits(x, num_classes, config, name="logits"):
    """The output layer: a plain Dense producing logits (softmax lives in the loss), always in float32
    so a mixed-precision network's loss and softmax stay numerically stable."""
    return layers.Dense(num_classes, name=name, dtype="float32", **weights(config, name, "logits"))(x)


def dense_head(x, hidden, rates, num_classes, config):
    """Flatten, then per hidden layer a dense block followed by dropout at its rate, then the logits."""
    x = layers.Flatten(name="flatten")(x)
    for d, (units, rate) in enumerate(zip(hidden, rates), start=1):
        x = dense_block(x, units, config, name=f"fc{d}")
        x = dropout(x, rate, config, name=f"fc{d}_dropout")
    return logits(x, num_classes, config)


def block_dropout(config, blocks: int, default: str | None = None, convs: int | None = None) -> list[float]:
    """Per-site dropout rates from ``config.dropout``; ``default`` is the network's own schedule.

    A network whose design includes dropout (e.g. `drop`) passes it as ``default``, used while the knob is
    "default" ("off" switches it off); a per-site list must have one rate per site. A network that can place
    dropout after every convolution block (Config.dropout_sites="convs") passes ``convs``, its number of sites
    then; the others refuse "convs".
    """
    if config.dropout_sites == "convs":
        if convs is None:
            raise ValueError(
                f"dropout_sites='convs': model={config.model!r} places dropout at its own sites only; use "
                "dropout_sites='default', or a network that places it after every convolution (baselines.simple_cnn)"
            )
        blocks = convs
    schedule = default if config.dropout == DROPOUT_OWN and default else config.dropout
    rates = dropout_rates(schedule, blocks)
    if len(rates) != blocks:
        raise ValueError(
            f"dropout={config.dropout!r} lists {len(rates)} rates but model={config.model!r} has "
            f"{blocks} dropout sites; give {blocks} comma-separated rates or one constant rate"
        )
    return rates


def dropout(x, rate, config, name):
    """Dropout with its own seed, so masks are paired across levels (no layer at rate 0: "off" adds nothing)."""
    return layers.Dropout(rate, seed=layer_seed(config, name), name=name)(x) if rate > 0 else x


def check_min_size(input_shape, minimum, model):
    """Refuse inputs smaller than the network's poolings allow, suggesting input_scale."""
    height, width = input_shape[:2]
    if min(height, width) < minimum:
        factor = -(-minimum // min(height, width))
        raise ValueError(
            f"model={model!r} needs inputs of at least {minimum}x{minimum} pixels but gets "
            f"{height}x{width}; set input_scale={factor} (or larger) to upsample the images"
        )


def check_halvings(input_shape, halvings, model):
    """Refuse an input too small for ``halvings`` stride-2 stages: each must halve a map of >= 2 pixels.

    Stride-2 stages here round up (Keras "same" padding, Caffe's ceil mode), so 28 px MNIST passes
    five poolings (28-14-7-4-2-1) while 8 px digits do not.
    """
    check_min_size(input_shape, 2 ** (halvings - 1) + 1, model)
