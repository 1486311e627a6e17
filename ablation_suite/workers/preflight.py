"""Before anything is written: every cell's data loads and every distinct network builds; what in the protocol
would make an answer an artefact (batch-norm statistics that cannot settle); and the size of the network a cell
trains (``ablation-suite show``)."""

from __future__ import annotations

import json
import math

from ablation_suite.config import DATASETS
from ablation_suite.errors import UserError

# Batch norm's moving statistics (what the test pass uses) start at mean 0 and variance 1 and move towards the
# data's by (1 - momentum) each training step: after n steps momentum**n of the start is left. More than this
# share left at the end of training and the test pass normalises with statistics that never settled.
UNSETTLED_SHARE = 0.05


class CellError(UserError):
    """A cell's network cannot be built for its data (e.g. an input too small for its poolings)."""


def preflight(ablation, base, seeds: int, datasets=None, download: bool = True, sizes: dict | None = None) -> list[str]:
    """Load every cell's data (into ``datasets``, training.caches.Datasets, which the cells then train on) and
    build every distinct model once, so impossible cells fail before any write; and refuse a factor level that
    the network ignores. Returns the protocol's warnings (``unsettled_statistics``), one per distinct problem.

    ``download=False`` (``show``): a Keras dataset (one ``run`` may have to download) is not loaded; its networks
    are built and checked for the shape the dataset is known to have, and its split and warnings are left to
    ``run``. Every other source is local and checked in full, so ``show`` refuses what ``run`` refuses. ``sizes``:
    the ``unseeded`` Configs whose (parameters, multiply-adds) to measure as their network is built (``show``'s
    table), filled in here."""
    import keras

    from ablation_suite.training.caches import Datasets
    from ablation_suite.training.data import load_data

    datasets = datasets if datasets is not None else Datasets()

    networks, shapes = {}, {}  # a cell's Config without seed and learning rate -> its network as Keras describes
    warnings = {}
    # in the cells' order (not a set's, which varies with the hash seed): the first impossible cell is refused first
    for config in dict.fromkeys(unseeded(c, base) for c in ablation.configs(base, seeds)):
        if not download and config.dataset in DATASETS and DATASETS[config.dataset].source == "keras":
            shapes[config] = datasets.shape_and_classes(config.dataset, config.image_size)
            networks[config] = _described(config, *shapes[config], sizes)
            continue
        data = load_data(config, datasets)  # each dataset loads once; a split per distinct data set-up is cheap
        shapes[config] = data.input_shape, data.num_classes
        networks[config] = _described(config, *shapes[config], sizes)
        if warning := unsettled_statistics(config, len(data.y_train), networks[config]):
            warnings.setdefault(warning, config)
    _refuse_levels_the_network_ignores(ablation, base, networks)
    _refuse_base_knobs_the_network_ignores(ablation, base, networks, shapes)
    keras.utils.clear_session()
    return list(warnings)


def unsettled_statistics(config, train_images: int, network: str) -> str:
    """A warning when the network (its Keras JSON) has batch norm whose moving statistics keep more than
    UNSETTLED_SHARE of their start after every training step of the cell (fewer if early stopping ends it
    sooner), with the momentum that would settle them; "" otherwise. The momentum is read from the network's
    own layers (the slowest), so a network of one's own that sets it without the knob is judged as it trains."""
    momenta = _batch_norm_momenta(json.loads(network))
    if not momenta:
        return ""
    momentum = max(momenta)
    per_epoch = math.ceil(train_images / config.batch_size)
    steps = per_epoch * config.epochs
    left = momentum**steps
    if left <= UNSETTLED_SHARE:
        return ""
    settling = math.floor(100 * UNSETTLED_SHARE ** (1 / steps)) / 100
    return (
        f"batch norm's moving statistics cannot settle in {config.model} cells with momentum {momentum:g}"
        f" and batch_size={config.batch_size}: {steps} training steps ({per_epoch} per epoch x {config.epochs} "
        f"epochs) leave {left:.0%} of their initial values, so the test pass normalises with statistics that never "
        f"saw the data and its accuracy can sit near chance while training accuracy is high; set "
        f"--set bn_momentum={settling:g} or lower (or train more steps)"
    )


def _batch_norm_momenta(node) -> list[float]:
    """The momentum of every BatchNormalization layer in a Keras JSON description (at any depth)."""
    if isinstance(node, list):
        return [m for item in node for m in _batch_norm_momenta(item)]
    if not isinstance(node, dict):
        return []
    own = [float(node["config"].get("momentum", 0.99))] if node.get("class_name") == "BatchNormalization" else []
    return own + [m for value in node.values() for m in _batch_norm_momenta(value)]


def _described(config, image_shape, num_classes, sizes: dict | None = None) -> str:
    import keras

    from ablation_suite.baselines.cost import multiply_adds, parameters

    keras.utils.clear_session()  # layers Keras names itself (dense_3, ...) get the same names in every build
    model = _build(config, image_shape, num_classes)
    if sizes is not None and config in sizes:
        sizes[config] = parameters(model), multiply_adds(model)
    return model.to_json()


def unseeded(config, base):
    """Seeds and learning rates never change data or model: one build per remaining difference (the key of
    ``preflight``'s networks and sizes)."""
    return config.replace(seed=0, learning_rate=base.learning_rate)


def _refuse_levels_the_network_ignores(ablation, base, networks: dict) -> None:
    """A level of a factor that only shapes the network (baselines.blocks.NETWORK_KNOBS) must build another
    network than the factor's base level in the same cell; else the study would train identical networks
    under two labels (e.g. BN placement on a network that never calls the shared blocks)."""
    from ablation_suite.baselines.blocks import NETWORK_KNOBS

    base_levels = ablation.base_levels()
    for variant in ablation.variants():
        for factor, stored in variant.items():
            twin = {**variant, factor: base_levels[factor]}
            fields = {**ablation.overrides({factor: stored}), **ablation.overrides({factor: base_levels[factor]})}
            if stored == base_levels[factor] or not set(fields) <= set(NETWORK_KNOBS):
                continue
            built = [networks.get(unseeded(base.replace(**ablation.overrides(v)), base)) for v in (variant, twin)]
            if built[0] is not None and built[0] == built[1]:
                config = base.replace(**ablation.overrides(variant))
                raise CellError(
                    f"factor {factor!r}: level {stored!r} builds the same network as the base level "
                    f"{base_levels[factor]!r} on model={config.model!r}, which ignores "
                    f"{', '.join(sorted(fields))} (it is not built from the shared blocks of "
                    "baselines/blocks.py there); build it with those blocks so the knob reaches it, "
                    "or drop the level"
                )


def _refuse_base_knobs_the_network_ignores(ablation, base, networks: dict, shapes: dict) -> None:
    """A network knob set in the base (or by --set) must change the network of some cell: else it is set for
    nothing (e.g. bn_momentum on a network published without batch norm). One extra build per such knob,
    stopping at the first cell where it acts."""
    from ablation_suite.ablations.levels import fields_varied
    from ablation_suite.baselines.blocks import NETWORK_KNOBS
    from ablation_suite.config import Config, ConfigError

    varied = set().union(*fields_varied(ablation.factors).values()) | set(ablation.search_space)
    for knob in NETWORK_KNOBS:
        default = getattr(Config(), knob)
        if knob in varied or getattr(base, knob) == default:
            continue
        for config, described in networks.items():
            try:
                without = config.replace(**{knob: default})
            except ConfigError:
                break  # the default is not even valid here: the knob matters
            if _described(without, *shapes[config]) != described:
                break
        else:
            raise CellError(
                f"{knob}={getattr(base, knob)!r} builds the same network as {knob}={default!r} in every "
                f"cell (model={base.model!r} ignores it, e.g. it has no layer the knob shapes); leave "
                f"{knob} at its default, or use a network where it acts"
            )


def model_size(config) -> tuple[int, int]:
    """(parameters, multiply-adds per image) of the network a cell trains, built without its data."""
    import keras

    from ablation_suite.baselines.cost import multiply_adds, parameters
    from ablation_suite.training.caches import Datasets

    model = _build(config, *Datasets().shape_and_classes(config.dataset, config.image_size))
    size = parameters(model), multiply_adds(model)
    keras.utils.clear_session()
    return size


def _build(config, image_shape, num_classes):
    from ablation_suite import baselines

    try:
        return baselines.build(config, image_shape, num_classes)
    except ValueError as error:
        raise CellError(f"cell {config.model} on {config.dataset}: {error}") from None
