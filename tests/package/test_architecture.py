"""The structure the documentation's architecture page describes: one import name, dependency arrows that run
one way (this table IS the specification: change the two together), leaves that never import TensorFlow,
and no file or package that outgrows one concept."""

import ast
from pathlib import Path

import pytest

import ablation_suite

pytestmark = pytest.mark.unit

PACKAGE = Path(ablation_suite.__file__).parent
# What each part of ablation_suite may import of ours (itself always). "store.record" allows that module alone.
# Front ends on top (cli -> api), then the trial loops, the worker processes, the study store, one trial, the
# network zoo, and the leaves: config (knobs), stats (numbers), errors and userfiles (imported by everyone).
ALLOWED = {
    "errors": set(),
    "userfiles": set(),
    "stats": set(),
    "config": {"errors"},
    "ablations": {"errors", "userfiles", "config", "stats"},
    "baselines": {"errors", "userfiles", "config"},
    "training": {"errors", "config", "baselines"},
    "store": {"errors", "config", "stats", "ablations", "baselines", "training"},
    "workers": {"errors", "config", "ablations", "baselines", "training", "store"},
    "reports": {"errors", "config", "stats", "ablations", "store.record"},
    "trackers": {"errors", "config", "ablations", "store", "reports"},
    "loops": {"errors", "config", "stats", "ablations", "baselines", "training", "store", "workers", "trackers"},
    "api": {"errors", "config", "ablations", "training", "store", "loops", "reports", "trackers"},
    "cli": {
        "errors",
        "config",
        "stats",
        "ablations",
        "baselines",
        "training",
        "store",
        "loops",
        "workers",
        "reports",
        "trackers",
        "api",
    },
    "__main__": {"cli"},
}
NO_TENSORFLOW = (
    "errors",
    "userfiles",
    "stats",
    "config",
    "ablations",
    "reports",
)  # cheap to import: data, numbers, figures
MAX_LINES = 420  # "about 400": past it a file holds two concepts
MAX_MODULES = 14  # "about a dozen" flat modules a package (its __init__ aside): past it it holds two concepts


def parts() -> list[str]:
    return sorted(
        path.stem if path.is_file() else path.name
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    )


def sources(part: str) -> list[Path]:
    single = PACKAGE / f"{part}.py"
    return [single] if single.is_file() else sorted((PACKAGE / part).glob("*.py"))


def imported(path: Path) -> set[str]:
    """What ``path`` imports of ours, as "part" and "part.module" (at any depth of the file)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [f"{node.module}.{alias.name}" for alias in node.names]  # a name may be a module
        for module in modules:
            pieces = module.split(".")
            if pieces[0] == "ablation_suite" and len(pieces) > 1:
                names.add(pieces[1] + (f".{pieces[2]}" if len(pieces) > 2 else ""))
    return names


def crossing(part: str, names: set[str]) -> set[str]:
    """The imports among ``names`` that ``part`` may not make."""
    return {
        name
        for name in names
        if name.split(".")[0] != part and name not in ALLOWED[part] and name.split(".")[0] not in ALLOWED[part]
    }


def test_every_part_of_the_package_has_its_arrows():
    assert set(parts()) == set(ALLOWED), "a part was added or removed: give it its row in ALLOWED (and the docs)"


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_dependencies_point_one_way(part):
    for path in sources(part):
        wrong = crossing(part, imported(path))
        assert not wrong, (
            f"{path.relative_to(PACKAGE.parent)} imports {sorted(wrong)}; {part} may import {ALLOWED[part]}"
        )


def test_the_arrows_catch_an_import_that_crosses_them(tmp_path):
    """The check above can fail: reports importing the trial loops, or store.frame (not store.record)."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from ablation_suite.loops import runner\nimport ablation_suite.store.frame\n"
        "from ablation_suite.store.record import trial_cell\n"
    )
    assert crossing("reports", imported(bad)) == {"loops.runner", "store.frame"}


@pytest.mark.parametrize("part", NO_TENSORFLOW)
def test_leaves_never_import_tensorflow(part):
    for path in sources(part):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module.split(".")[0])
        assert not names & {"tensorflow", "keras"}, f"{path.relative_to(PACKAGE.parent)} imports TensorFlow/Keras"


def test_no_source_file_outgrows_one_concept():
    long = {
        str(path.relative_to(PACKAGE.parent)): n
        for part in parts()
        for path in sources(part)
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"files longer than {MAX_LINES} lines (split them by concept): {long}"


def test_no_package_holds_two_concepts():
    modules = {part: [path for path in sources(part) if path.stem != "__init__"] for part in parts()}
    crowded = {part: n for part, found in modules.items() if (n := len(found)) > MAX_MODULES and part != "ablations"}
    assert not crowded, f"packages with more than {MAX_MODULES} modules (split them by concept): {crowded}"
