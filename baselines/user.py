"""Networks of your own: ``model="path/to/models.py:build"`` or ``model="package.module:build"``, a function
``(input_shape, num_classes, config) -> keras.Model`` producing logits, resolved here for ``baselines.create``.

A builder's published normalisation placement (what ``bn="default"`` means for it) is its attribute
``published_bn`` ("none", "before" or "after"); without one, ``bn="default"`` places none. The knobs reach
the network only through the shared blocks of ``baselines.blocks`` (conv_block, dense_head, ...).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path

from ablation_suite import userfiles
from ablation_suite.errors import UserError

PLACEMENTS = ("none", "before", "after")
FORM = '"path/to/models.py:build" or "package.module:build"'


class ModelError(UserError):
    """A network of the user's own cannot be found, loaded or used; the message names the value and the fix."""


def is_user_model(model: str) -> bool:
    return ":" in model


def source_file(model: str) -> Path | None:
    """The file that defines a user builder (a ``.py`` path, or the module's file), None if it has none."""
    where = model.rpartition(":")[0]
    if where.endswith(".py"):
        return Path(where).expanduser().resolve()
    try:
        spec = importlib.util.find_spec(where)
    except (ImportError, ValueError):
        return None
    return Path(spec.origin) if spec is not None and spec.origin and spec.has_location else None


def file_sha256(model: str) -> str | None:
    """SHA-256 of the builder's file (provenance), None when there is no file to hash."""
    path = source_file(model)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None and path.is_file() else None


def builder(model: str):
    """The function ``model`` names, with its placement for ``bn="default"``."""
    where, _, name = model.rpartition(":")
    module = _load_file(model, where) if where.endswith(".py") else _import(model, where)
    if not hasattr(module, name):
        defined = sorted(
            k
            for k, v in vars(module).items()
            if callable(v) and not k.startswith("_") and getattr(v, "__module__", None) == module.__name__
        )
        raise ModelError(
            f"model={model!r}: {where} defines no {name!r}; functions it defines: "
            f"{', '.join(defined) or 'none'}; write {where}:FUNCTION"
        )
    function = getattr(module, name)
    if not callable(function):
        raise ModelError(
            f"model={model!r}: {name!r} in {where} is a {type(function).__name__}, not a function; "
            "name a function (input_shape, num_classes, config) -> keras.Model"
        )
    placement = getattr(function, "published_bn", "none")
    if placement not in PLACEMENTS:
        raise ModelError(
            f"model={model!r}: {name}.published_bn={placement!r}; set it to one of {', '.join(PLACEMENTS)}"
        )
    return function, placement


def _load_file(model: str, where: str):
    path = Path(where).expanduser().resolve()
    if not path.is_file():
        raise ModelError(
            f"model={model!r}: no such file {path}; give the path of a Python file (relative to the "
            f"directory you run from, or absolute) as {FORM}"
        )
    key = f"_user_model_{hashlib.sha256(str(path).encode()).hexdigest()[:12]}"
    stamp = path.stat().st_mtime_ns
    loaded = sys.modules.get(key)
    if loaded is not None and getattr(loaded, "_user_model_stamp", None) == stamp:
        return loaded
    try:
        module = userfiles.import_file(path, key)
    except Exception as error:  # the user's code: any error of it is a bad model value
        hint = userfiles.old_import_hint(error) if isinstance(error, ImportError) else ""
        raise ModelError(
            f"model={model!r}: importing {path} failed: {type(error).__name__}: {error}{hint}; fix "
            "the file (it must import without side effects beyond defining the builder)"
        ) from None
    module._user_model_stamp = stamp
    sys.modules[key] = module
    return module


def _import(model: str, where: str):
    try:
        return userfiles.import_module(where)
    except ModuleNotFoundError as error:
        raise ModelError(
            f"model={model!r}: no module {error.name!r} ({error}); install the package or add its "
            f"folder to PYTHONPATH, or give a file as {FORM}"
        ) from None
    except Exception as error:
        raise ModelError(f"model={model!r}: importing {where} failed: {type(error).__name__}: {error}") from None


def create(model: str, input_shape, num_classes: int, config):
    """Build the user's network and check it is a keras.Model giving one logit per class."""
    import keras

    function, placement = builder(model)
    if config.bn == "default":
        config = config.replace(bn=placement)
    try:
        network = function(tuple(input_shape), int(num_classes), config)
    except ValueError:
        raise  # the builder's own refusal (e.g. baselines.blocks.check_min_size): its message says why
    except Exception as error:
        raise ModelError(
            f"model={model!r}: calling it with input_shape={tuple(input_shape)}, num_classes="
            f"{num_classes} raised {type(error).__name__}: {error}; it must take (input_shape, num_classes, "
            "config) and build a keras.Model for them"
        ) from None
    if not isinstance(network, keras.Model):
        raise ModelError(
            f"model={model!r} returned {type(network).__name__}, not a keras.Model; return keras.Model(inputs, logits)"
        )
    outputs = network.outputs if getattr(network, "outputs", None) else [network(keras.ops.zeros((1, *input_shape)))]
    shape = tuple(outputs[0].shape[1:])
    if len(outputs) != 1 or shape != (int(num_classes),):
        raise ModelError(
            f"model={model!r}: the network's output has shape {shape if len(outputs) == 1 else 'several'} "
            f"per image; it must be one logit per class, ({num_classes},): end with "
            "baselines.blocks.logits(x, num_classes, config) (no softmax)"
        )
    return network
