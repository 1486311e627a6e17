"""The model zoo: builders register themselves by name and return a keras.Model producing logits.

``create(name, input_shape, num_classes, config)`` builds one; ``names()`` lists them. Knobs are
applied by the shared blocks in ``baselines.blocks``, never per family.
"""

from __future__ import annotations

import importlib
import pkgutil

_REGISTRY = {}


def register(builder):
    """Register a builder under its function name (= the keras.Model name)."""
    _REGISTRY[builder.__name__] = builder
    return builder


def _load_families():
    for module in pkgutil.iter_modules(__path__):
        if module.name != "blocks":
            importlib.import_module(f"{__name__}.{module.name}")


def names() -> list[str]:
    _load_families()
    return sorted(_REGISTRY)


def describe(name: str) -> str:
    """First line of the builder's docstring."""
    _load_families()
    return (_REGISTRY[name].__doc__ or "").strip().splitlines()[0]


def create(name, input_shape, num_classes, config):
    """Build the registered network ``name``; an unknown name fails with the valid ones."""
    _load_families()
    if name not in _REGISTRY:
        raise ValueError(f"model={name!r} is not a registered baseline; choose one of: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](tuple(input_shape), int(num_classes), config)
