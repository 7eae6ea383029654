"""Settings: where the database is, read from the environment or Streamlit secrets."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_SQLITE_PATH = DATA_DIR / "tracker.sqlite3"
ENV_DATABASE_URL = "TRACKER_DATABASE_URL"


def default_database_url() -> str:
    """The embedded default: a SQLite file under data/."""
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def database_url(secrets: object | None = None) -> str:
    """TRACKER_DATABASE_URL from the environment, else from secrets, else the SQLite default.

    `secrets` is any mapping-like object (st.secrets in the app); passing it in keeps this
    module free of streamlit.
    """
    url = os.environ.get(ENV_DATABASE_URL, "").strip()
    if url:
        return normalize_url(url)
    if secrets is not None:
        try:
            value = secrets.get(ENV_DATABASE_URL)  # type: ignore[attr-defined]
        except Exception:  # st.secrets raises when no secrets file exists
            value = None
        if value:
            return normalize_url(str(value))
    return default_database_url()


def normalize_url(url: str) -> str:
    """Map plain postgres URLs onto the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


ENV_BACKUP_KEY = "TRACKER_BACKUP_KEY"
ENV_BACKUP_KEY_FILE = "TRACKER_BACKUP_KEY_FILE"


def backup_key() -> bytes:
    """The secret that signs backups: TRACKER_BACKUP_KEY, else the key file (data/backup.key), made on first use.

    A dump restores without --trust-unsigned only where the same key is set, so a server that
    restores another's dumps needs that server's key.
    """
    value = os.environ.get(ENV_BACKUP_KEY, "").strip()
    if value:
        return value.encode()
    path = Path(os.environ.get(ENV_BACKUP_KEY_FILE) or DATA_DIR / "backup.key")
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made meanwhile by another process
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return path.read_bytes().strip()


ENV_APP_URL = "TRACKER_APP_URL"
ENV_ICS_URL = "TRACKER_ICS_URL"


def app_url() -> str | None:
    """The app's address as the ministry's network reaches it (links in calendar events); None if not set."""
    return os.environ.get(ENV_APP_URL, "").strip().rstrip("/") or None


def ics_url() -> str:
    """Where `python -m tracker ics-serve` answers (the feed addresses handed to Outlook)."""
    return os.environ.get(ENV_ICS_URL, "").strip().rstrip("/") or "http://localhost:8502"
