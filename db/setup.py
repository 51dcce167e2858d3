"""Create or migrate the database and load demo data when it is empty.

    python -m db.setup            # migrate + demo data if empty
    python -m db.setup --no-demo  # migrate only
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from core import config
from core.db import UnitOfWork, get_engine
from core.errors import ConfigError
from core.models import User

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: Optional[str] = None) -> None:
    url = url or config.database_url()
    try:
        with get_engine(url).begin() as connection:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        reason = (str(exc.orig).strip().splitlines() or ["no answer"])[0]
        raise ConfigError(f"Cannot reach the database at {_safe(url)}: {reason}. "
                          "Check DATABASE_URL and that the server is running.") from None


def is_empty(url: Optional[str] = None) -> bool:
    with UnitOfWork(url) as uow:
        return uow.session.scalar(select(func.count()).select_from(User)) == 0


def initialise(url: Optional[str] = None, demo: bool = True, size: float = 1.0) -> bool:
    """Migrate; load demo data if there are no users yet. Returns True if demo data was loaded."""
    migrate(url)
    if demo and is_empty(url):
        from core.demo import load_demo_data
        load_demo_data(url, size=size)
        return True
    return False


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid URL>"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-demo", action="store_true", help="do not load demo data")
    parser.add_argument("--size", type=float, default=1.0, help="demo data size multiplier")
    args = parser.parse_args(argv)
    try:
        loaded = initialise(demo=not args.no_demo, size=args.size)
    except ConfigError as exc:
        print(f"Fair Treatment cannot start: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"Fair Treatment cannot start: database error: {exc.__class__.__name__}: "
              f"{str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    url = _safe(config.database_url())
    print(f"Database ready at {url}" + (" (demo data loaded)" if loaded else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
