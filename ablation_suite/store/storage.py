"""Which Optuna storage a ``--storage`` value (or ``$ABLATION_STORAGE``) means, checked before anything is
written, and how a URL or a command line is shown without its password (``masked``, ``masked_command``)."""

from __future__ import annotations

import os
import re
import shlex
import time
from pathlib import Path

import optuna

from ablation_suite.errors import UserError

DEFAULT_RUNS_DIR = Path("runs")
ENV = "ABLATION_STORAGE"  # the storage when --storage is not given; how workers and restarts receive it
RDB_SCHEMES = (
    "sqlite:///",
    "postgresql://",
    "postgresql+psycopg2://",
    "postgresql+psycopg://",
    "mysql://",
    "mysql+pymysql://",
)
JOURNAL_SCHEME = "journal:"
GRPC_SCHEME = "grpc://"  # Optuna's gRPC storage proxy (ablation-suite serve, ablation_suite/store/proxy.py)
PROXY_WAIT_SECONDS = 10  # how long a command waits for the proxy to answer before it gives up
PASSWORD = re.compile(r"(://[^:/@\s]*):([^@\s]*)@")  # where a URL's password sits: scheme://USER:PASSWORD@
ALLOWED = (
    "sqlite:///PATH.db (default runs/studies.db), journal:PATH (file journal for many local workers), "
    "postgresql://... or mysql://... (many machines), grpc://HOST:PORT (a `ablation-suite serve` proxy)"
)


class StorageError(UserError):
    """The storage URL or the study in it cannot be used; the message says how to fix it."""


def default_url() -> str:
    return f"sqlite:///{DEFAULT_RUNS_DIR / 'studies.db'}"


def given_url(option: str | None) -> str:
    """The checked storage URL: ``--storage``, else ``$ABLATION_STORAGE``, else the default SQLite file."""
    return check_url(option or os.environ.get(ENV) or default_url())


def masked(url: str) -> str:
    """``url`` as it may be recorded or shown: a database password replaced by ``***`` (file storages have none).
    Any other text is returned unchanged, so this can be applied to every word of a command line."""
    if not re.search(r"://[^/@]*@", url) and "password=" not in url:
        return url  # no credentials (file storages, plain words)
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # not a URL SQLAlchemy reads: hide whatever sits where a password would
        shown = PASSWORD.sub(r"\1:***@", url)
    return re.sub(r"([?&]password=)[^&]*", r"\1***", shown)  # libpq also reads ?password=


def masked_command(command: str | list[str]) -> str:
    """A command line (text, or its words) as it may be recorded or shown: every URL in it masked
    (``--storage URL``, ``--storage=URL`` or an abbreviation of the option alike)."""

    def word(arg: str) -> str:
        if arg.startswith("--") and "=" in arg:
            option, value = arg.split("=", 1)
            return f"{option}={masked(value)}"
        return masked(arg)

    if isinstance(command, str):
        try:
            command = shlex.split(command)
        except ValueError:  # unbalanced quotes: mask the text as a whole
            return PASSWORD.sub(r"\1:***@", command)
    return " ".join(shlex.quote(word(arg)) for arg in command)


def _scrubbed(text: str, url: str) -> str:
    """A driver's error ``text`` without the password of ``url`` (as written and URL-decoded), should it quote it."""
    from urllib.parse import unquote

    found = PASSWORD.search(url)
    for secret in {found.group(2), unquote(found.group(2))} - {""} if found else ():
        text = text.replace(secret, "***")
    return text


def check_url(url: str) -> str:
    """Validate ``url`` without touching disk or network; returns it unchanged."""
    if url.startswith(JOURNAL_SCHEME):
        path = Path(url[len(JOURNAL_SCHEME) :])
        _check_parent(path, url)
    elif url.startswith("sqlite:///"):
        _check_parent(Path(url[len("sqlite:///") :]), url)
    elif url.startswith(GRPC_SCHEME):
        proxy_address(url)
    elif not url.startswith(RDB_SCHEMES):
        raise StorageError(f"--storage {masked(url)!r}: unknown scheme; use one of: {ALLOWED}")
    else:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(url)
        except (ArgumentError, ValueError):
            raise StorageError(
                f"--storage {masked(url)!r} is not a database URL; for example "
                "postgresql+psycopg://USER@HOST:5432/DATABASE (password in PGPASSWORD)"
            ) from None
    return url


def proxy_address(url: str) -> tuple[str, int]:
    """The host and port of a ``grpc://HOST:PORT`` URL."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or port is None or parts.path not in ("", "/") or parts.query:
        raise StorageError(f"--storage {url!r}: a storage proxy is grpc://HOST:PORT, e.g. grpc://127.0.0.1:13000")
    return host, port


def _check_parent(path: Path, url: str):
    if not path.name:
        raise StorageError(f"--storage {url!r} names no file; for example sqlite:///runs/studies.db")
    parent = path.parent
    if parent != DEFAULT_RUNS_DIR and not parent.is_dir():
        raise StorageError(f"--storage {url!r}: directory {parent} does not exist; create it or choose another path")


def exists(url: str) -> bool:
    """Whether a file-backed storage has been written yet (remote databases are assumed to exist)."""
    if url.startswith(JOURNAL_SCHEME):
        return Path(url[len(JOURNAL_SCHEME) :]).is_file()
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :]).is_file()
    return True


def backup_root(url: str) -> Path:
    """Where mid-trial checkpoints live: beside a file storage, else (a database, a proxy) under runs/ of
    this machine."""
    for prefix in (JOURNAL_SCHEME, "sqlite:///"):
        if url.startswith(prefix):
            return Path(url[len(prefix) :]).parent / "backups"
    return DEFAULT_RUNS_DIR / "backups"


def open_storage(url: str) -> optuna.storages.BaseStorage:
    """The Optuna storage for a checked URL, creating the default runs/ directory if needed."""
    if url.startswith(JOURNAL_SCHEME):
        path = Path(url[len(JOURNAL_SCHEME) :])
        path.parent.mkdir(parents=True, exist_ok=True)
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        path.parent.mkdir(parents=True, exist_ok=True)
        # A generous timeout lets several local workers share one SQLite file without "database is locked".
        storage = _rdb_with_retry(url, engine_kwargs={"connect_args": {"timeout": 60}})
        # a file this user may only read (a shared study, say) has no queue to pop and no write lock to take
        return _locking_writes_at_once(storage) if os.access(path, os.W_OK) else storage
    if url.startswith(GRPC_SCHEME):
        return _proxy(url)
    try:
        return _rdb_with_retry(url)
    except ImportError as error:
        raise StorageError(
            f"--storage {masked(url)!r}: the database driver is not installed ({error}); "
            "pip install -e '.[postgres]' (PostgreSQL) or pip install pymysql (MySQL)"
        ) from None


def load_study(url: str, study_name: str) -> optuna.Study:
    """An existing study, or a clear error naming the studies that do exist."""
    if not exists(url):
        raise StorageError(
            f"no study {study_name!r}: storage {masked(url)} does not exist yet; "
            f"start it with `ablation-suite run {study_name}` (same --storage)"
        )
    storage = open_storage(url)
    known = [s.study_name for s in optuna.get_all_study_summaries(storage)]
    if study_name not in known:
        raise StorageError(f"no study {study_name!r} in {masked(url)}; studies there: {', '.join(known) or 'none'}")
    return optuna.load_study(study_name=study_name, storage=storage)


def _proxy(url: str) -> optuna.storages.BaseStorage:
    """A client of the storage proxy at ``url``, once the proxy answers."""
    import warnings

    host, port = proxy_address(url)
    with warnings.catch_warnings():  # experimental since Optuna 4.2: said once in the docs, not on every run
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        storage = optuna.storages.GrpcStorageProxy(host=host, port=port)
    try:
        storage.wait_server_ready(timeout=PROXY_WAIT_SECONDS)
    except ConnectionError:
        storage.close()
        raise StorageError(
            f"--storage {url}: no storage proxy answers at {host}:{port} within "
            f"{PROXY_WAIT_SECONDS} s; start it there with `ablation-suite serve --storage URL "
            f"--port {port}`, or check the SSH tunnel or network to it"
        ) from None
    return storage


def _locking_writes_at_once(storage: optuna.storages.RDBStorage) -> optuna.storages.RDBStorage:
    """Every SQLite transaction takes the write lock when it begins (BEGIN IMMEDIATE), SQLAlchemy's recipe for
    pysqlite. Otherwise Python's sqlite3 begins a transaction only at its first write, so Optuna's "read the
    waiting trial, then mark it running" is not atomic: two workers popping the queue together both got the same
    trial (10 of 300 in a test of two processes) and trained its cell twice."""
    from sqlalchemy import event

    @event.listens_for(storage.engine, "connect")
    def _no_implicit_begin(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(storage.engine, "begin")
    def _begin_immediate(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    storage.engine.dispose()  # connections opened while creating the storage would keep the old behaviour
    return storage


def _rdb_with_retry(url: str, attempts: int = 5, **kwargs) -> optuna.storages.RDBStorage:
    """RDBStorage, retried: workers starting together on an empty database race to create Optuna's
    schema, and the losers fail with "already exists" although the schema is then fine."""
    import sqlalchemy.exc

    for attempt in range(attempts):
        try:
            return optuna.storages.RDBStorage(url, **kwargs)
        except sqlalchemy.exc.DatabaseError as error:
            if attempt == attempts - 1:
                reason = _scrubbed(str(error).splitlines()[0], url)
                raise StorageError(
                    f"--storage {masked(url)}: cannot open the database ({reason}); "
                    "check the URL, the server and the credentials, or that the file is an "
                    "Optuna SQLite database"
                ) from None
            time.sleep(0.5 * (attempt + 1))
