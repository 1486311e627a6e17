"""Cell reuse (loops.reuse) over the seed-001 catalogue: the share of its trainings that are twins of a cell an
earlier ablation already trained, when the ablations run one after another in one storage.

Counted from the cells each ablation would train, not by training them (CIFAR-10, their dataset, cannot be fetched
here, and the count does not depend on the training): within one storage, one code version and one named dataset,
a cell's identity is its effective Config (seed included), which is what this compares. Search designs are left
out (their cells depend on the values their searches find), and a seeds="auto" ablation counts its cap of seeds:
the most it could train.
"""

from __future__ import annotations

import json

from ablation_suite import ablations
from ablation_suite.ablations._seed001 import SOURCE
from ablation_suite.config import Config
from ablation_suite.config.rules import effective


def seed_001_ablations() -> list[str]:
    """The catalogue's ablations of seed report 001 that train fixed cells, in name order (the order they run)."""
    names = []
    for name in ablations.names():
        ablation = ablations.load(name)
        if (ablation.source or "").startswith(SOURCE) and not ablation.searches:
            names.append(name)
    return names


def measure(quick: bool = False, directory=None) -> dict:
    seen: set[str] = set()
    per_ablation = {}
    for name in seed_001_ablations():
        ablation = ablations.load(name)
        base = Config().replace(**ablation.base)
        configs = ablation.configs(base, ablation.seed_cap)
        keys = [json.dumps(effective(config.to_dict()), sort_keys=True, default=str) for config in configs]
        reused = sum(key in seen for key in keys)
        seen |= set(keys)
        per_ablation[name] = {"cells": len(keys), "reused": reused}
    cells = sum(entry["cells"] for entry in per_ablation.values())
    reused = sum(entry["reused"] for entry in per_ablation.values())
    return {
        "catalogue_trainings_saved": reused / cells if cells else 0.0,
        "cells": cells,
        "reused": reused,
        "per_ablation": per_ablation,
        "method": "counted from the cells' effective Configs (one storage, code and dataset), searches left out",
    }
