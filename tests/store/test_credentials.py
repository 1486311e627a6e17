"""A storage password never reaches the database, a report, an export, the output or a child's command line.

The PostgreSQL server is real (pgserver, on a Unix socket as in test_workers.py), with a role that must
give its password (scram-sha-256); if it cannot start, the test fails rather than skips.
"""

import os
import re
import subprocess
import sys
import time
import zlib
from urllib.parse import parse_qs, urlparse

import optuna
import pytest
from common import REPO, TINY

from ablation_suite.cli import main as study
from ablation_suite.store import storage
from ablation_suite.workers import processes as workers

SECRET = "Pw4Ablat0rZq9"  # URL-safe, so the URL carries it as written
USER, DATABASE = "ablator", "ablations"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A PostgreSQL server whose role ``ablator`` logs in with SECRET only; yields (superuser URI, socket dir)."""
    import pgserver
    import psycopg

    pgdata = tmp_path_factory.mktemp("pg") / "pgdata"
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    uri = server.get_uri()
    with psycopg.connect(uri, autocommit=True) as connection:
        connection.execute(f"CREATE ROLE {USER} LOGIN PASSWORD '{SECRET}'")
        connection.execute(f"CREATE DATABASE {DATABASE} OWNER {USER}")
        hba = pgdata / "pg_hba.conf"  # pgserver trusts every local user: ask this role for its password
        hba.write_text(f"local all {USER} scram-sha-256\n" + hba.read_text())
        connection.execute("SELECT pg_reload_conf()")
    yield uri, parse_qs(urlparse(uri).query)["host"][0]
    server.cleanup()


def url(socket_dir: str, password: str | None = SECRET) -> str:
    return f"postgresql+psycopg://{USER}{':' + password if password else ''}@/{DATABASE}?host={socket_dir}"


def database_dump(superuser_uri: str) -> str:
    """Every row of every table of the study database (Optuna's attributes, params, values, ...) as text."""
    import psycopg

    with psycopg.connect(superuser_uri.replace("/postgres?", f"/{DATABASE}?")) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        ]
        assert "study_user_attributes" in tables and "trial_user_attributes" in tables
        return "\n".join(
            f"{table}: {row}" for table in tables for row in connection.execute(f'SELECT * FROM "{table}"')
        )


def pdf_text(data: bytes) -> str:
    """The text strings of a PDF's (deflated) content streams, concatenated in order: lines wrapped or split
    into kerned pieces join up again, so a password cut across them is still found."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            stream = zlib.decompress(stream)
        except zlib.error:
            pass
        text += re.findall(rb"\(((?:\\.|[^\\)])*)\)", stream)
    return b"".join(text).decode("latin-1")


def run_with_two_workers(storage_url: str, cwd) -> tuple[str, list[list[str]]]:
    """``run`` with --workers 2 and a restart after every trial; its output and its children's command lines."""
    import psutil

    argv = [
        sys.executable,
        str(REPO / "study.py"),
        "run",
        "bn_placement",
        *TINY,
        "--storage",
        storage_url,
        "--workers",
        "2",
        "--recycle-mb",
        "1",
        "--fuse",
        "off",  # a worker restarts between groups of cells; one cell per group, so between cells, as this test needs
    ]
    env = {key: value for key, value in os.environ.items() if key not in (storage.ENV, "PGPASSWORD")}
    with open(cwd / "run.out", "w") as out:
        # no network kept for re-use, so every trial's growth counts and --recycle-mb 1 restarts the worker
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**env, "TF_CPP_MIN_LOG_LEVEL": "3", "ABLATION_REUSE_TRACES": "0"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        seen, deadline = {}, time.time() + 900  # PID -> the command line it showed at each poll
        while process.poll() is None and time.time() < deadline:
            try:
                parent = psutil.Process(process.pid)
                for shown in (parent, *parent.children(recursive=True)):
                    seen.setdefault(shown.pid, []).append(shown.cmdline())
            except psutil.Error:
                pass  # a process that just ended
            time.sleep(0.2)
        process.wait(timeout=max(1, deadline - time.time()))
    output = (cwd / "run.out").read_text()
    assert process.returncode == 0, output[-3000:]
    return output, [line for pid, polls in seen.items() for line in written_by_the_run(polls, argv, pid == process.pid)]


def written_by_the_run(polls: list[list[str]], typed: list[str], is_parent: bool) -> list[list[str]]:
    """The command lines a process showed that the run wrote, not the user: the parent shows the one typed until it
    re-executes itself, and a child caught between fork and exec still shows it (for a moment). A child that
    shows it for a second or more, with nothing else, runs it: the run wrote it."""
    lines = [line for i, line in enumerate(polls) if line not in polls[:i]]
    if not is_parent and lines == [typed] and len(polls) >= 5:
        return lines
    return [line for line in lines if line != typed]


@pytest.mark.engines
def test_a_study_on_postgres_keeps_its_password_to_itself(server, tmp_path, capfd, monkeypatch):
    superuser, socket_dir = server
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(storage.ENV, raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    output, command_lines = run_with_two_workers(url(socket_dir), tmp_path)
    assert "restarting this worker" in output  # worker 0 found its storage again after re-executing itself
    # the extra worker and the restarted worker 0 were seen
    assert sum("-m ablation_suite run" in " ".join(line) for line in command_lines) >= 2, command_lines
    assert not [line for line in command_lines if SECRET in " ".join(line)]
    assert f"{USER}:***@" in output  # the header and the final line show the URL masked

    pdf, html, export = tmp_path / "pdf", tmp_path / "html", tmp_path / "trials.csv"
    for argv in (
        ["status"],
        ["report", "--out", str(html)],
        ["report", "--out", str(pdf), "--format", "pdf"],
        ["export", "--out", str(export)],
    ):
        assert study.main([argv[0], "bn_placement", "--storage", url(socket_dir), *argv[1:]]) == 0
    monkeypatch.setenv(storage.ENV, url(socket_dir))  # the storage from the environment
    assert study.main(["best", "bn_placement"]) == 0
    captured = capfd.readouterr()
    assert "best " in captured.out and SECRET not in captured.out + captured.err

    dump = database_dump(superuser)
    assert f"{USER}:***@" in dump and SECRET not in dump  # the command is recorded, masked
    attributes = optuna.load_study(study_name="bn_placement", storage=url(socket_dir))
    assert "***" in attributes.user_attrs["command"]
    for attrs in [attributes.user_attrs, *[{**t.user_attrs, **t.params} for t in attributes.get_trials()]]:
        assert SECRET not in repr(attrs)  # (system attributes are in the dump above)
    html_text = (html / "index.html").read_text()
    assert f"{USER}:***@" in html_text
    for path in [*html.rglob("*"), export]:
        assert not path.is_file() or SECRET.encode() not in path.read_bytes(), path
    text = pdf_text((pdf / "report.pdf").read_bytes())
    assert USER in text and SECRET not in text  # the provenance page is read (it names the user)


@pytest.mark.engines
def test_a_wrong_password_is_refused_without_being_shown(server, capsys, monkeypatch):
    socket_dir = server[1]
    monkeypatch.delenv("PGPASSWORD", raising=False)
    assert study.main(["status", "bn_placement", "--storage", url(socket_dir, "WrongPw77")]) == 2
    error = capsys.readouterr().err
    assert "cannot open the database" in error and "password authentication failed" in error
    assert "WrongPw77" not in error and f"{USER}:***@" in error


@pytest.mark.engines
def test_pgpassword_lets_a_url_without_password_connect(server, monkeypatch):
    socket_dir = server[1]
    monkeypatch.setenv("PGPASSWORD", SECRET)
    storage.open_storage(url(socket_dir, None))  # libpq reads PGPASSWORD
    assert "password" not in storage.masked(url(socket_dir, None))


@pytest.mark.unit
def test_urls_and_command_lines_are_shown_masked():
    assert storage.masked("postgresql://u:p%40ss@host:5432/db") == "postgresql://u:***@host:5432/db"
    assert storage.masked("postgresql://u@host/db?password=pw") == "postgresql://u@host/db?password=***"
    for plain in ("sqlite:///runs/a@b.db", "journal:runs/s.log", "bn_placement", "--seeds"):
        assert storage.masked(plain) == plain
    command = storage.masked_command(["run", "x", "--storage", "mysql://u:pw@h/d", "--sto=postgresql://u:pw@h/d"])
    assert "pw" not in command and command.count("u:***@") == 2
    assert (
        storage.masked_command("ablation-suite run x --storage 'postgresql://u:pw@h/d'")
        == "ablation-suite run x --storage 'postgresql://u:***@h/d'"
    )


@pytest.mark.unit
def test_workers_get_the_storage_in_their_environment_not_their_command_line(monkeypatch, capfd):
    argv = [
        "run",
        "x",
        "--storage",
        "postgresql://u:pw@h/d",
        "--sto=postgresql://u:pw@h/d",
        "--seeds",
        "2",
        "--workers",
        "2",
    ]
    assert workers.without_worker_options(argv) == ["run", "x", "--seeds", "2"]
    monkeypatch.delenv(storage.ENV, raising=False)
    assert storage.given_url(None) == storage.default_url()
    monkeypatch.setenv(storage.ENV, "journal:s.log")
    assert storage.given_url(None) == "journal:s.log" and storage.given_url("sqlite:///a.db") == "sqlite:///a.db"
    probe = f"import os, sys; print(os.environ[{storage.ENV!r}], sys.argv[1:])"
    [child] = workers.start(
        [sys.executable, "-c", probe, "--seeds", "2"],
        workers.worker_plans(1, None, workers.available_cores()),
        env={storage.ENV: "postgresql://u:pw@h/d"},
    )
    assert child.wait() == 0 and "postgresql://u:pw@h/d ['--seeds', '2']" in capfd.readouterr().out
