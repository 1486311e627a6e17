"""Before anything is written: every cell's data loads and every distinct network builds; and the size of
the network a cell trains (``study.py show``)."""

from __future__ import annotations


class CellError(ValueError):
    """A cell's network cannot be built for its data (e.g. an input too small for its poolings)."""


def preflight(ablation, base, seeds: int) -> None:
    """Load every cell's data and build every distinct model once, so impossible cells fail before any write."""
    import keras

    from training.data import load_data

    # Seeds and learning rates never change data or model: one build per remaining difference.
    for config in {c.replace(seed=0, learning_rate=base.learning_rate) for c in ablation.configs(base, seeds)}:
        data = load_data(config)  # raw datasets are cached; a split per distinct data set-up is cheap
        _build(config, data.input_shape, data.num_classes)
    keras.utils.clear_session()


def model_size(config) -> tuple[int, int]:
    """(parameters, multiply-adds per image) of the network a cell trains, built without its data."""
    import keras

    from baselines.cost import multiply_adds, parameters
    from training.data import image_shape_and_classes

    model = _build(config, *image_shape_and_classes(config.dataset))
    size = parameters(model), multiply_adds(model)
    keras.utils.clear_session()
    return size


def _build(config, image_shape, num_classes):
    import baselines

    try:
        return baselines.build(config, image_shape, num_classes)
    except ValueError as error:
        raise CellError(f"cell {config.model} on {config.dataset}: {error}") from None
