"""Create or migrate the database; demo data only when asked for.

    python -m db.setup                          # create/migrate the schema and the service areas
    python -m db.setup --no-demo --admin EMAIL  # production: the same, plus the first administrator
                                                # with a one-time password printed once
    python -m db.setup --demo [--size N]        # demo data into an empty database (make run)

With FT_PRODUCTION=1, --demo is refused (and the app will not start with demo accounts).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

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


def migrate(url: str | None = None) -> None:
    url = url or config.database_url()
    try:
        with get_engine(url).begin() as connection:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        reason = (str(exc.orig).strip().splitlines() or ["no answer"])[0]
        raise ConfigError(
            f"Cannot reach the database at {_safe(url)}: {reason}. "
            "Check DATABASE_URL and that the server is running."
        ) from None


def is_empty(url: str | None = None) -> bool:
    with UnitOfWork(url) as uow:
        return uow.session.scalar(select(func.count()).select_from(User)) == 0


# The service areas of the policy (reference data every database needs).
SERVICE_AREAS = [
    ("Housing Management", False),
    ("Repairs and Maintenance", False),
    ("Income and Tenancy", False),
    ("Customer Services", False),
    ("Corporate Service and ICT", True),
]


def initialise(url: str | None = None, demo: bool = False, size: float = 1.0) -> bool:
    """Migrate; with `demo`, load demo data if there are no users yet, else make sure the
    service areas exist. Returns True if demo data was loaded."""
    if demo and config.production():
        raise ConfigError("FT_PRODUCTION=1 is set: demo data (published passwords) is refused.")
    migrate(url)
    from core.auth import forget_stored_cookie_key

    forget_stored_cookie_key(UnitOfWork(url))
    if demo and is_empty(url):
        from core.demo import load_demo_data

        load_demo_data(url, size=size)
        return True
    ensure_service_areas(url)
    return False


def ensure_service_areas(url: str | None = None) -> int:
    """Add the policy's service areas to a database that has none. Returns how many were added."""
    from core.models import ServiceArea

    with UnitOfWork(url) as uow:
        if uow.session.scalar(select(func.count()).select_from(ServiceArea)):
            return 0
        for name, corporate in SERVICE_AREAS:
            uow.session.add(ServiceArea(name=name, is_corporate_ict=corporate))
        uow.audit(
            None,
            "add_service_areas",
            entity_type="service_area",
            after={"names": [n for n, _ in SERVICE_AREAS]},
            reason="db.setup",
        )
        uow.commit()
        return len(SERVICE_AREAS)


def add_first_administrator(email: str, url: str | None = None) -> tuple[str, str]:
    """The first administrator, named after the email's local part: (username, one-time password)."""
    from core.errors import PolicyError
    from core.services.users import create_first_administrator

    email = (email or "").strip()
    if email.count("@") != 1 or not email.split("@")[0] or "." not in email.split("@")[1]:
        raise ConfigError(f"--admin needs the administrator's email address, not {email!r}.")
    username = re.sub(r"[^a-z0-9._-]", "", email.split("@")[0].lower()).lstrip("._-") or "admin"
    try:
        return username, create_first_administrator(username, email, UnitOfWork(url))
    except PolicyError as refusal:
        raise ConfigError(str(refusal)) from None


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid URL>"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--demo", action="store_true", help="load demo data into an empty database")
    parser.add_argument("--no-demo", action="store_true", help="no demo data (the default)")
    parser.add_argument("--admin", metavar="EMAIL", help="create the first administrator (one-time password)")
    parser.add_argument("--size", type=float, default=1.0, help="demo data size multiplier")
    args = parser.parse_args(argv)
    if args.demo and (args.no_demo or args.admin):
        print("Fair Treatment set-up: --demo cannot be combined with --no-demo or --admin.", file=sys.stderr)
        return 2
    try:
        loaded = initialise(demo=args.demo, size=args.size)
        admin = add_first_administrator(args.admin) if args.admin else None
    except ConfigError as exc:
        print(f"Fair Treatment cannot start: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(
            f"Fair Treatment cannot start: database error: {exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]}",
            file=sys.stderr,
        )
        return 2
    url = _safe(config.database_url())
    print(f"Database ready at {url}" + (" (demo data loaded: not for real information)" if loaded else ""))
    if admin:
        print(
            f"First administrator: username {admin[0]}, one-time password {admin[1]}\n"
            "It is shown only now; it must be changed at the first sign-in."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
