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


def _whole_number(name: str, default: int, low: int, high: int) -> int:
    """An integer setting from the environment; a bad value is a ConfigError naming the fix."""
    from core.errors import ConfigError

    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {raw!r}.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {value}.")
    return value


def session_idle_minutes() -> int:
    return _whole_number("FT_SESSION_IDLE_MINUTES", 30, 1, 24 * 60)


def bcrypt_rounds() -> int:
    return _whole_number("FT_BCRYPT_ROUNDS", 12, 4, 16)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def log_level() -> str:
    """`FT_LOG_LEVEL` (DEBUG, INFO, WARNING or ERROR; default INFO) for the app's own loggers."""
    from core.errors import ConfigError

    raw = os.environ.get("FT_LOG_LEVEL", "").strip().upper()
    if not raw:
        return "INFO"
    if raw not in LOG_LEVELS:
        raise ConfigError(f"FT_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {raw!r}.")
    return raw


def production() -> bool:
    """FT_PRODUCTION=1: refuse demo accounts and demo data."""
    return os.environ.get("FT_PRODUCTION", "").strip().lower() in {"1", "true", "yes"}
