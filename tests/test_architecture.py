"""The structure the README's architecture section describes: dependency arrows run one way, the
leaves never import TensorFlow, and no source file outgrows one concept."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"config", "ablations", "baselines", "training", "driver", "reports", "study", "study_api", "benchmarks"}
# What each part may import of ours (itself always): study -> driver -> training -> baselines -> config,
# ablations -> config, reports -> (driver's record, ablations' data, config).
ALLOWED = {
    "config": set(),
    "ablations": {"config"},
    "baselines": {"config"},
    "training": {"config", "baselines"},
    "driver": {"config", "ablations", "training", "baselines"},
    "reports": {"config", "ablations", "driver"},
}
NO_TENSORFLOW = ("config", "ablations", "reports")  # data and figures: cheap to import, no TensorFlow
MAX_LINES = 420  # "about 400": past it a file holds two concepts



def sources(part: str) -> list[Path]:
    return [ROOT / f"{part}.py"] if (ROOT / f"{part}.py").is_file() else sorted((ROOT / part).glob("*.py"))


def imported(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports (at any depth of the file)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_dependencies_point_one_way(part):
    for path in sources(part):
        wrong = (imported(path) & OURS) - ALLOWED[part] - {part}
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}; {part} may import only {ALLOWED[part]}"


@pytest.mark.parametrize("part", NO_TENSORFLOW)
def test_leaves_never_import_tensorflow(part):
    for path in sources(part):
        assert not imported(path) & {"tensorflow", "keras"}, f"{path.relative_to(ROOT)} imports TensorFlow/Keras"



def test_no_source_file_outgrows_one_concept():
    long = {str(path.relative_to(ROOT)): n for part in [*ALLOWED, "study", "study_api", "benchmarks"]
            for path in sources(part)
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"files longer than {MAX_LINES} lines (split them by concept): {long}"
