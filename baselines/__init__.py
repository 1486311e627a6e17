"""The model zoo: builders register themselves by name and return a keras.Model producing logits.

``create(name, input_shape, num_classes, config)`` builds one (or a network of the user's own,
"path/to/models.py:build" or "package.module:build": ``baselines.user``); ``build(config, image_shape,
num_classes)`` builds ``config.model`` at the input size the pipeline feeds it; ``names()`` lists
them. Knobs are applied by the shared blocks in ``baselines.blocks``, never per family.
"""

from __future__ import annotations

import importlib
import pkgutil

_REGISTRY = {}
_PLACEMENT = {}  # name -> the normalisation placement of the published network
_NOT_FAMILIES = {"blocks", "cost", "user"}


def register(builder=None, *, bn: str = "none"):
    """Register a builder under its function name (= the keras.Model name).

    ``bn`` is where the published network normalises ("none", "before" or "after" the activation);
    it is used while Config.bn is "default", so every network is built as published unless a knob
    says otherwise. Use as ``@register`` or ``@register(bn="before")``.
    """

    def add(function):
        _REGISTRY[function.__name__] = function
        _PLACEMENT[function.__name__] = bn
        return function

    return add(builder) if builder is not None else add


def register_variant(name: str, doc: str, build, bn: str = "none"):
    """Register ``build(input_shape, num_classes, config, name)`` as the network ``name``: for the
    depth and width variants of a family, which differ only in the numbers their builder gets."""

    def builder(input_shape, num_classes, config):
        return build(input_shape, num_classes, config, name)

    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = doc
    builder.__module__ = getattr(build, "func", build).__module__  # the family's module, as with @register
    return register(builder, bn=bn)


def _load_families():
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _NOT_FAMILIES:
            importlib.import_module(f"{__name__}.{module.name}")


def names() -> list[str]:
    _load_families()
    return sorted(_REGISTRY)


def describe(name: str) -> str:
    """First line of the builder's docstring."""
    _load_families()
    return (_REGISTRY[name].__doc__ or "").strip().splitlines()[0]


def create(name, input_shape, num_classes, config):
    """Build the registered network ``name``, or the user's "FILE.py:FUNCTION" / "package.module:FUNCTION";
    an unknown name fails with the valid ones."""
    from ablation_suite.baselines import user

    if user.is_user_model(name):
        return user.create(name, input_shape, num_classes, config)
    _load_families()
    if name not in _REGISTRY:
        raise ValueError(
            f"model={name!r} is not a registered baseline; choose one of: {', '.join(sorted(_REGISTRY))}; "
            f"or a network of your own, {user.FORM}"
        )
    if config.bn == "default":
        config = config.replace(bn=_PLACEMENT[name])
    return _REGISTRY[name](tuple(input_shape), int(num_classes), config)


def build(config, image_shape, num_classes):
    """``config.model`` for images of ``image_shape`` upsampled by ``config.input_scale``, as the input
    pipeline feeds them."""
    height, width, channels = image_shape
    return create(
        config.model, (height * config.input_scale, width * config.input_scale, channels), num_classes, config
    )
