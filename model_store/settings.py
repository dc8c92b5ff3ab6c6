"""Where settings come from: the environment first, then `.streamlit/secrets.toml`, then defaults.

It lives in the lowest layer so that `python -m model_store`, `python -m clinic` and the app read
the same values the same way.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from functools import lru_cache
from pathlib import Path

DEFAULT_MODEL_URI = "models:/final_model@champion"
SECRETS_FILE = Path(".streamlit") / "secrets.toml"


@lru_cache(maxsize=1)
def _secrets() -> dict:
    path = Path(os.environ.get("CLINIC_SECRETS_FILE", SECRETS_FILE))
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def setting(name: str, default: str | None = None) -> str | None:
    """The value of `name` from the environment, else from secrets.toml, else `default`."""
    value = os.environ.get(name)
    if value:
        return value
    value = _secrets().get(name)
    return str(value) if value not in (None, "") else default


def _data_dir_path() -> Path:
    return Path(setting("CLINIC_DATA_DIR", ".data")).resolve()


def data_dir() -> Path:
    """`CLINIC_DATA_DIR` (default `./.data`), owner-only (0700): it holds patients' encrypted
    records, the keys and the model store. mkdir's mode leaves an existing directory as it was
    (and is cut by the umask), so the mode is set every time the directory is opened."""
    path = _data_dir_path()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _owner_only(path, 0o700)
    return path


def tracking_uri() -> str:
    """MLflow's tracking URI; by default a SQLite store inside the data dir (made 0600)."""
    uri = setting("MLFLOW_TRACKING_URI") or f"sqlite:///{data_dir() / 'mlflow.db'}"
    private_sqlite(uri)
    return uri


def registry_uri() -> str:
    uri = setting("MLFLOW_REGISTRY_URI")
    if uri is None:
        return tracking_uri()
    private_sqlite(uri)
    return uri


SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
"""Files SQLite keeps beside a database. It creates them with the database file's own mode
(unix VFS: findCreateFileMode, and the -shm from the database's fstat), so a 0600 database
gets 0600 companions; ones left over from before are tightened here."""


def private_sqlite(url: str) -> Path | None:
    """Make the file of a SQLite URL owner-only (0600) before SQLAlchemy or MLflow opens it:
    create it empty with that mode (SQLite takes an empty file as a new database), or tighten
    an existing one and its companions. Other URLs (PostgreSQL, a tracking server, an
    in-memory database) are left alone; returns the file, or None."""
    if not url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url  # SQLite URLs only; the sign-in path never needs it

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).resolve()
    # No such directory, or a file in the way: SQLite's own "unable to open database file"
    # says it better, where the caller reports an unreachable store.
    with contextlib.suppress(FileExistsError, FileNotFoundError, NotADirectoryError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for file in (path, *(path.with_name(path.name + s) for s in SQLITE_COMPANIONS)):
        _owner_only(file, 0o600)
    return path


def make_private(root: Path | None = None) -> None:
    """Every directory under `root` (default: the data dir, if there is one) 0700 and every
    file 0600: for what MLflow writes there (run artifacts, model files) with the process's
    default modes."""
    root = root or _data_dir_path()
    for parent, _directories, files in os.walk(root):
        _owner_only(Path(parent), 0o700)
        for name in files:
            _owner_only(Path(parent) / name, 0o600)  # os.walk does not follow symlinks


def _owner_only(path: Path, mode: int) -> None:
    """chmod `path` to `mode` if it exists, is ours and is not already so (a file shared with
    another account, e.g. a mounted store, is left for its owner)."""
    try:
        status = path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return
    if path.is_symlink() or status.st_uid != os.getuid():
        return
    if status.st_mode & 0o777 != mode:
        path.chmod(mode)


def artifact_location() -> str:
    """Where a new experiment keeps its artifacts when the tracking store is local (0700)."""
    path = data_dir() / "mlartifacts"
    path.mkdir(mode=0o700, exist_ok=True)
    _owner_only(path, 0o700)
    return path.as_uri()


def model_uri() -> str:
    return setting("CLINIC_MODEL_URI", DEFAULT_MODEL_URI)
