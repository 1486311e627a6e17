"""optuna-dashboard serves our studies as they are: the tiny study and a search study named STUDY/search."""

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import optuna
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, deadline: float):
    """JSON of ``url``, retried while the server is starting."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.load(response)
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_optuna_dashboard_lists_and_opens_our_studies(finished_study, tmp_path):
    executable = shutil.which("optuna-dashboard", path=str(Path(sys.executable).parent))  # the same environment
    if executable is None:
        pytest.fail("optuna-dashboard is a test dependency: pip install -e '.[test]'")
    db = tmp_path / "s.db"
    db.write_bytes(finished_study.read_bytes())
    url = f"sqlite:///{db}"
    search = optuna.create_study(storage=url, study_name="bn_placement/search/bn=after", direction="maximize")
    search.set_user_attr("level", {"bn": "after"})
    search.optimize(lambda t: t.suggest_float("learning_rate", 1e-4, 1e-1, log=True), n_trials=3)
    port = free_port()
    server = subprocess.Popen(
        [executable, url, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        summaries = get(f"http://127.0.0.1:{port}/api/studies", time.monotonic() + 60)["study_summaries"]
        ids = {s["study_name"]: s["study_id"] for s in summaries}
        assert set(ids) == {"bn_placement", "bn_placement/search/bn=after"}
        main = get(f"http://127.0.0.1:{port}/api/studies/{ids['bn_placement']}?after=0", time.monotonic() + 10)
        assert len(main["trials"]) == 6 and {t["state"] for t in main["trials"]} == {"Complete"}
        assert {"history", "confusion_matrix", "worker"} <= {a["key"] for a in main["trials"][0]["user_attrs"]}
        found = get(
            f"http://127.0.0.1:{port}/api/studies/{ids['bn_placement/search/bn=after']}?after=0", time.monotonic() + 10
        )
        assert len(found["trials"]) == 3 and found["best_trials"]
    finally:
        server.terminate()
        server.wait(timeout=30)
