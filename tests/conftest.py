"""Shared fixtures: a fresh, migrated database per test on SQLite and (where available)
PostgreSQL, the demo staff accounts as Actors, and scenario builders.

PostgreSQL: set FT_TEST_POSTGRES_URL (`.ci/run` starts a server and sets it). Without it the
PostgreSQL variants skip with a reason locally, and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

os.environ.setdefault("FT_BCRYPT_ROUNDS", "4")

from core.db import UnitOfWork, dispose_engines
from core.demo import load_demo_data
from db.setup import migrate

PG_URL = os.environ.get("FT_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _no_postgres() -> None:
    reason = "PostgreSQL tests need FT_TEST_POSTGRES_URL (set by .ci/run, which starts a server)"
    if IN_CI:
        pytest.fail(reason + ": it is missing under CI=true")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite database with the demo staff, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    migrate(url)
    load_demo_data(url, staff_only=True)
    dispose_engines()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    if not PG_URL:
        _no_postgres()
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"ft_template_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    migrate(url)
    load_demo_data(url, staff_only=True)
    dispose_engines()
    yield name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _sqlite_copy(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "ft.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def _postgres_copy(template: str):
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"ft_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    return admin, name, PG_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    """A fresh migrated database with demo staff, on each backend."""
    if request.param == "sqlite":
        yield _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
        dispose_engines()
        return
    if not PG_URL:
        _no_postgres()
    admin, name, url = _postgres_copy(request.getfixturevalue("postgres_template"))
    yield url
    dispose_engines()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path) -> Iterator[str]:
    """SQLite only, for tests about the embedded default or the pages."""
    yield _sqlite_copy(sqlite_template, tmp_path)
    dispose_engines()


@pytest.fixture
def uow(db_url):
    """A factory of units of work on the test database: uow() for each service call."""
    return lambda: UnitOfWork(db_url)


@pytest.fixture
def actors(db_url) -> dict:
    from tests.scenarios import demo_actors

    return demo_actors(db_url)
