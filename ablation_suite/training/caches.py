"""What one process keeps between the cells it trains, held by whoever runs them (a command, a worker's
``Run``, a notebook call) and never by a module: a new command, worker or notebook call starts with none.

- ``Datasets``: the raw datasets loaded (the last ``KEEP``; a study's cells share them, splits are made per
  cell), their content fingerprints, and the file caches of streamed images their loads wrote, which a
  refused command removes;
- ``Caches``: those datasets and the compiled networks a worker may re-use (training.reuse.CompiledModels,
  made when the first cell trains, since it needs Keras).
"""

from __future__ import annotations

from collections import OrderedDict

from ablation_suite.config import DATASETS, Config
from ablation_suite.training import streams
from ablation_suite.training.data import content_fingerprint, load_raw, split_fingerprint


class Datasets:
    """Raw datasets by (name, image size), loaded once each, the least recently used dropped past ``KEEP``."""

    KEEP = 2

    def __init__(self):
        self._loaded: OrderedDict = OrderedDict()  # (dataset, image_size) -> (raw parts, content fingerprint)
        self._written: list[tuple] = []  # file caches of streamed images these loads wrote

    def raw(self, dataset: str, image_size: int = 0) -> tuple:
        """``training.data.load_raw``'s (x_train, y_train, x_test, y_test, class_names), loaded on first use."""
        key = (dataset, image_size)
        if key not in self._loaded:
            raw = load_raw(dataset, image_size)
            wrote = {part.wrote for part in raw[:4] if getattr(part, "wrote", None)}
            self._written += [written for written in wrote if written not in self._written]
            self._loaded[key] = (raw, content_fingerprint(*raw))
            while len(self._loaded) > self.KEEP:
                self._loaded.popitem(last=False)
        self._loaded.move_to_end(key)
        return self._loaded[key][0]

    def content(self, dataset: str, image_size: int = 0) -> str:
        """The content fingerprint of the dataset as loaded (training.data.content_fingerprint)."""
        self.raw(dataset, image_size)
        return self._loaded[(dataset, image_size)][1]

    def split(self, config: Config) -> str:
        """The fingerprint of ``config``'s split, without copying any image (training.data.split_fingerprint)."""
        return split_fingerprint(self.raw(config.dataset, config.image_size), config)

    def shape_and_classes(self, dataset: str, image_size: int = 0) -> tuple[tuple, int]:
        """(image shape, number of classes): from config.DATASETS for named datasets, else from their files."""
        if dataset in DATASETS:
            shape = DATASETS[dataset].shape
            return ((image_size, image_size, shape[2]) if image_size else shape), DATASETS[dataset].classes
        x_train, _, _, _, class_names = self.raw(dataset, image_size)
        return tuple(x_train.shape[1:]), len(class_names)

    def remove_written(self) -> bool:
        """Remove the file caches these loads wrote (a refused command leaves nothing behind) and forget every
        dataset (their streamed images pointed into the caches); whether there was any."""
        written, self._written = self._written, []
        for cache in written:
            streams.remove_written(cache)
        if written:
            self._loaded.clear()
        return bool(written)


class Caches:
    """The datasets and the compiled networks one process keeps for the cells it trains."""

    def __init__(self):
        self.datasets = Datasets()
        self._compiled = None
        self.fusing: dict = {}  # whether --fuse auto fuses a network at a batch size (loops.fusing.pays)

    @property
    def compiled(self):
        """The compiled networks kept for re-use (training.reuse.CompiledModels; Keras loads on first use)."""
        if self._compiled is None:
            from ablation_suite.training.reuse import CompiledModels

            self._compiled = CompiledModels()
        return self._compiled

    def kept_networks(self) -> int:
        return self._compiled.networks() if self._compiled is not None else 0
