"""Page tests with streamlit.testing.v1.AppTest.

The one documented helper for signing in without the form is `app_as(username)`: it sets the
session state streamlit-authenticator sets after a successful login, then runs app.py, so the
page under test goes through the same navigation and role checks as a real user.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from core.db import dispose_engines
from core.demo import load_demo_data

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT = 30


@pytest.fixture
def app_db(sqlite_url, monkeypatch) -> str:
    """A fresh SQLite database with the demo staff, used by app.py through DATABASE_URL."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.chdir(ROOT)
    return sqlite_url


@pytest.fixture
def demo_app_db(tmp_path, monkeypatch) -> Iterator[str]:
    """A fresh SQLite database with a small demo data set (customers, cases, incidents)."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    from db.setup import migrate

    migrate(url)
    load_demo_data(url, size=0.02)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    yield url
    dispose_engines()


def new_app() -> AppTest:
    return AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=TIMEOUT)


def app_as(username: str, page: str | None = None) -> AppTest:
    """An AppTest signed in as `username`, optionally switched to `page` (e.g. 'pages/incident.py')."""
    at = new_app()
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at
