"""`make run`'s initialisation: schema and demo data on an empty database, idempotent after.
(That the migrations match the models is tests/services/test_migrations.py.)"""
import os
import stat
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from core.db import UnitOfWork
from core.models import Case, Customer, Incident, User
from db.setup import initialise
from core.demo import DEMO_USERS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def counts(url):
    with UnitOfWork(url) as uow:
        return {m.__name__: uow.session.scalar(select(func.count()).select_from(m))
                for m in (User, Customer, Incident, Case)}


def test_first_start_creates_schema_and_demo_data_and_second_changes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert initialise(url, size=0.05) is True
    first = counts(url)
    assert first["User"] == len(DEMO_USERS) and first["Incident"] >= 250 and first["Case"] > 0
    assert initialise(url, size=0.05) is False
    assert counts(url) == first


def run_setup(env_overrides):
    env = {**os.environ, **env_overrides}
    return subprocess.run([sys.executable, "-m", "db.setup", "--no-demo"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("url, hint", [
    ("not a url at all", "not a valid SQLAlchemy URL"),
    ("postgresql+psycopg://nobody:x@127.0.0.1:1/none", "Cannot reach the database"),
    ("mysql+nosuchdriver://x@localhost/db", "No database driver"),
])
def test_bad_database_url_gives_one_clear_line(url, hint):
    result = run_setup({"DATABASE_URL": url})
    assert result.returncode == 2
    assert hint in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; covered by the next test")
def test_unwritable_data_folder_gives_one_clear_line(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IREAD | stat.S_IEXEC)
    result = run_setup({"DATABASE_URL": "", "FT_DATA_DIR": str(folder)})
    assert result.returncode == 2 and "not writable" in result.stderr


def test_data_folder_that_is_a_file_gives_one_clear_line(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    result = run_setup({"DATABASE_URL": "", "FT_DATA_DIR": str(not_a_folder / "data")})
    assert result.returncode == 2 and "not writable" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name, value", [("FT_BCRYPT_ROUNDS", "twelve"), ("FT_BCRYPT_ROUNDS", "99")])
def test_a_bad_setting_gives_one_clear_line(tmp_path, name, value):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", name: value}
    result = subprocess.run([sys.executable, "-m", "db.setup", "--size", "0.01"], cwd=ROOT,
                            env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert f"{name} must be a whole number from 4 to 16" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
