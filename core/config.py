"""Settings read from the environment, with the embedded SQLite default."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"


def data_dir() -> Path:
    return Path(os.environ.get("FT_DATA_DIR", DEFAULT_DATA_DIR))


def database_url() -> str:
    """`DATABASE_URL` if set, else a SQLite file in the git-ignored data folder."""
    url = os.environ.get("DATABASE_URL", "").strip()
    return url or f"sqlite:///{data_dir() / 'fair_treatment.db'}"


def session_idle_minutes() -> int:
    return int(os.environ.get("FT_SESSION_IDLE_MINUTES", "30"))
