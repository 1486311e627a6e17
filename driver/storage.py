"""Which Optuna storage a ``--storage`` value means, checked before anything is written."""

from __future__ import annotations

import time
from pathlib import Path

import optuna

DEFAULT_RUNS_DIR = Path("runs")
RDB_SCHEMES = ("sqlite:///", "postgresql://", "postgresql+psycopg2://", "postgresql+psycopg://",
               "mysql://", "mysql+pymysql://")
JOURNAL_SCHEME = "journal:"
ALLOWED = "sqlite:///PATH.db (default runs/studies.db), journal:PATH (file journal for many local workers), " \
          "postgresql://... or mysql://... (many machines)"


class StorageError(ValueError):
    """The storage URL or the study in it cannot be used; the message says how to fix it."""


def default_url() -> str:
    return f"sqlite:///{DEFAULT_RUNS_DIR / 'studies.db'}"


def check_url(url: str) -> str:
    """Validate ``url`` without touching disk or network; returns it unchanged."""
    if url.startswith(JOURNAL_SCHEME):
        path = Path(url[len(JOURNAL_SCHEME):])
        _check_parent(path, url)
    elif url.startswith("sqlite:///"):
        _check_parent(Path(url[len("sqlite:///"):]), url)
    elif not url.startswith(RDB_SCHEMES):
        raise StorageError(f"--storage {url!r}: unknown scheme; use one of: {ALLOWED}")
    return url


def _check_parent(path: Path, url: str):
    if not path.name:
        raise StorageError(f"--storage {url!r} names no file; for example sqlite:///runs/studies.db")
    parent = path.parent
    if parent != DEFAULT_RUNS_DIR and not parent.is_dir():
        raise StorageError(f"--storage {url!r}: directory {parent} does not exist; create it or choose another path")


def exists(url: str) -> bool:
    """Whether a file-backed storage has been written yet (remote databases are assumed to exist)."""
    if url.startswith(JOURNAL_SCHEME):
        return Path(url[len(JOURNAL_SCHEME):]).is_file()
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):]).is_file()
    return True


def backup_root(url: str) -> Path:
    """Where mid-trial checkpoints live: beside a file storage, else under runs/ of this machine."""
    for prefix in (JOURNAL_SCHEME, "sqlite:///"):
        if url.startswith(prefix):
            return Path(url[len(prefix):]).parent / "backups"
    return DEFAULT_RUNS_DIR / "backups"


def open_storage(url: str) -> optuna.storages.BaseStorage:
    """The Optuna storage for a checked URL, creating the default runs/ directory if needed."""
    if url.startswith(JOURNAL_SCHEME):
        path = Path(url[len(JOURNAL_SCHEME):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        # A generous timeout lets several local workers share one SQLite file without "database is locked".
        return _rdb_with_retry(url, engine_kwargs={"connect_args": {"timeout": 60}})
    try:
        return _rdb_with_retry(url)
    except ImportError as error:
        raise StorageError(f"--storage {url!r}: the database driver is not installed ({error}); "
                           "pip install -e '.[postgres]' (PostgreSQL) or pip install pymysql (MySQL)") from None


def load_study(url: str, study_name: str) -> optuna.Study:
    """An existing study, or a clear error naming the studies that do exist."""
    if not exists(url):
        raise StorageError(f"no study {study_name!r}: storage {url} does not exist yet; "
                           f"start it with `python study.py run {study_name}` (same --storage)")
    storage = open_storage(url)
    known = [s.study_name for s in optuna.get_all_study_summaries(storage)]
    if study_name not in known:
        raise StorageError(f"no study {study_name!r} in {url}; studies there: {', '.join(known) or 'none'}")
    return optuna.load_study(study_name=study_name, storage=storage)


def _rdb_with_retry(url: str, attempts: int = 5, **kwargs) -> optuna.storages.RDBStorage:
    """RDBStorage, retried: workers starting together on an empty database race to create Optuna's
    schema, and the losers fail with "already exists" although the schema is then fine."""
    import sqlalchemy.exc

    for attempt in range(attempts):
        try:
            return optuna.storages.RDBStorage(url, **kwargs)
        except sqlalchemy.exc.DatabaseError as error:
            if attempt == attempts - 1:
                raise StorageError(f"--storage {url}: cannot open the database ({str(error).splitlines()[0]}); "
                                   "check the URL, the server and the credentials, or that the file is an "
                                   "Optuna SQLite database") from None
            time.sleep(0.5 * (attempt + 1))
