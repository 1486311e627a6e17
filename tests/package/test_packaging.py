"""pyproject.toml and environment.yml pin the same versions; the Makefile and CI use the README commands."""

import re

import pytest
import tomllib
from common import REPO

pytestmark = pytest.mark.unit


def _pins(lines):
    pins = {}
    for line in lines:
        match = re.match(r"^([A-Za-z0-9_.\-]+(?:\[[a-z,]+\])?)\s*([<>=!~].*)$", line.strip())
        if match:
            pins[match.group(1).lower()] = match.group(2).replace(" ", "")
    return pins


@pytest.mark.unit
def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = _pins(
        project["dependencies"]
        + project["optional-dependencies"]["test"]
        + project["optional-dependencies"]["bench"]
        + project["optional-dependencies"]["lint"]
        + project["optional-dependencies"]["docs"]
    )
    pip_section = (REPO / "environment.yml").read_text().split("- pip:", 1)[1]
    conda = _pins(line.strip().lstrip("- ") for line in pip_section.splitlines())
    assert conda == wanted
    for name in (
        "tensorflow",
        "keras",
        "optuna",
        "optuna-integration",
        "scikit-learn",
        "pandas",
        "seaborn",
        "matplotlib",
        "scipy",
    ):
        assert "<" in wanted[name], f"{name} has no upper (major) bound"


@pytest.mark.unit
def test_the_gpu_extra_pins_tensorflow_with_cuda_as_tensorflow():
    """`pip install -e '.[gpu]'` (what --gpus suggests when TensorFlow sees no GPU) adds TensorFlow's CUDA
    libraries for the very TensorFlow the suite pins."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    tensorflow = _pins(project["dependencies"])["tensorflow"]
    [gpu] = project["optional-dependencies"]["gpu"]
    assert gpu.replace(" ", "") == f"tensorflow[and-cuda]{tensorflow}"
    from ablation_suite.workers.devices import GPU_FIX

    assert GPU_FIX == "pip install -e '.[gpu]'"


@pytest.mark.unit
def test_readme_commands_are_the_make_targets():
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    ci = (REPO / ".ci" / "run").read_text()
    assert "make test" in ci and "make lint" in ci and "make docs" in ci  # the docs' strict build runs in CI
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert re.search(r"^docs:.*\n\t.*mkdocs build --strict", makefile, re.M) and "make docs" in readme
