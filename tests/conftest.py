"""Shared test set-up: quiet TensorFlow, tiny CLI option sets, one tiny study. The suite is imported as installed
(``pip install -e .``, as ``make test`` does), never from the repository on sys.path."""

import importlib.util
import os
import socket
import subprocess
import sys
import time

import pytest
from common import REPO, TINY, free_port

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _register_benchmarks() -> None:
    """The repository's benchmarks package, for the tests of its tables: it is not installed (it measures the suite
    from beside it), and the checkout is not on sys.path (so that no top-level folder stands in for the package)."""
    spec = importlib.util.spec_from_file_location(
        "benchmarks", REPO / "benchmarks" / "__init__.py", submodule_search_locations=[str(REPO / "benchmarks")]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["benchmarks"] = module
    spec.loader.exec_module(module)


_register_benchmarks()


@pytest.fixture(scope="session")
def finished_study(tmp_path_factory):
    """bn_placement run once through the CLI on tiny digits (3 levels x 2 seeds), with its TensorBoard tracker's logs
    (--track) in the "tensorboard" folder next to the database; tests that change the database copy it."""
    from ablation_suite.cli import main as study

    db = tmp_path_factory.mktemp("study") / "s.db"
    assert (
        study.main(
            [
                "run",
                "bn_placement",
                *TINY,
                "--storage",
                f"sqlite:///{db}",
                "--track",
                f"tensorboard={db.parent / 'tensorboard'}",
            ]
        )
        == 0
    )
    return db


STUDY = [sys.executable, str(REPO / "study.py")]
PROXY_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def proxy(tmp_path):
    """`study.py serve` on a free port of 127.0.0.1, stopped (and waited for) at the end."""
    port = free_port()
    server = subprocess.Popen(
        [*STUDY, "serve", "--storage", f"sqlite:///{tmp_path / 's.db'}", "--port", str(port)],
        cwd=tmp_path,
        env=PROXY_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the proxy never accepted a connection"
                time.sleep(0.2)
        yield port, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stdout.close()


@pytest.fixture(autouse=True)
def no_figure_outlives_its_test():
    """Figures a test drew itself are closed after it, so the figure count pyplot warns about (an error here, see
    pyproject.toml) is what one test, or one report it renders, holds open at once."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


TIERS = ("unit", "e2e", "engines")


def pytest_collection_modifyitems(items):
    """Every test has one tier (markers in pyproject.toml): a test marked neither unit nor engines is end to end."""
    for item in items:
        marked = [tier for tier in TIERS if item.get_closest_marker(tier)]
        if not marked:
            item.add_marker(pytest.mark.e2e)
        elif len(marked) > 1:
            raise pytest.UsageError(f"{item.nodeid} is marked {marked}: give each test one tier of {TIERS}")
