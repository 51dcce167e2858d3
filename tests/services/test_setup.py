"""`make run`'s initialisation: schema and demo data on an empty database, idempotent after.
(That the migrations match the models is tests/services/test_migrations.py.)"""

import os
import stat
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from core.db import UnitOfWork
from core.demo import DEMO_USERS
from core.models import Case, Customer, Incident, User
from db.setup import initialise

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def counts(url):
    with UnitOfWork(url) as uow:
        return {
            m.__name__: uow.session.scalar(select(func.count()).select_from(m))
            for m in (User, Customer, Incident, Case)
        }


def test_first_start_creates_schema_and_demo_data_and_second_changes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert initialise(url, demo=True, size=0.05) is True
    first = counts(url)
    assert first["User"] == len(DEMO_USERS) and first["Incident"] >= 250 and first["Case"] > 0
    assert initialise(url, demo=True, size=0.05) is False
    assert counts(url) == first


def run_setup(env_overrides):
    env = {**os.environ, **env_overrides}
    return subprocess.run(
        [sys.executable, "-m", "db.setup", "--no-demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "url, hint",
    [
        ("not a url at all", "not a valid SQLAlchemy URL"),
        ("postgresql+psycopg://nobody:x@127.0.0.1:1/none", "Cannot reach the database"),
        ("mysql+nosuchdriver://x@localhost/db", "No database driver"),
    ],
)
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
    result = subprocess.run(
        [sys.executable, "-m", "db.setup", "--demo", "--size", "0.01"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert f"{name} must be a whole number from 4 to 16" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


# --- issue 14: a safe way into production ---------------------------------------------------


def setup_cli(tmp_path, *args, **env):
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
        "FT_DATA_DIR": str(tmp_path / "data"),
        **env,
    }
    environment.pop("FT_PRODUCTION", None) if "FT_PRODUCTION" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "db.setup", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_plain_setup_loads_no_demo_data_but_the_service_areas(tmp_path):
    from core.models import ServiceArea

    url = f"sqlite:///{tmp_path / 'plain.db'}"
    assert initialise(url) is False
    assert counts(url) == {"User": 0, "Customer": 0, "Incident": 0, "Case": 0}
    with UnitOfWork(url) as uow:
        names = uow.session.scalars(select(ServiceArea.name).order_by(ServiceArea.id)).all()
    assert "Housing Management" in names and len(names) == 5
    initialise(url)  # idempotent
    with UnitOfWork(url) as uow:
        assert uow.session.scalar(select(func.count()).select_from(ServiceArea)) == 5


def test_production_setup_creates_the_first_administrator_with_a_one_time_password(tmp_path):
    from core import auth

    result = setup_cli(tmp_path, "--no-demo", "--admin", "Jo.Bloggs@nph.org.uk")
    assert result.returncode == 0, result.stderr
    line = next(out for out in result.stdout.splitlines() if "one-time password" in out)
    username, password = line.split("username ")[1].split(",")[0], line.rsplit(" ", 1)[1]
    assert username == "jo.bloggs" and len(password) >= 16
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    assert counts(url) == {"User": 1, "Customer": 0, "Incident": 0, "Case": 0}

    def uow():
        return UnitOfWork(url)

    signed = auth.attempt_sign_in("jo.bloggs", password, uow)
    assert signed.actor is not None and signed.actor.must_change_password
    assert signed.actor.role.value == "admin"
    with UnitOfWork(url) as u:
        stored = u.session.scalar(select(User))
        assert stored.email == "Jo.Bloggs@nph.org.uk" and password not in stored.password_hash
    assert not auth.demo_accounts_present(uow())
    # Run again: a second administrator is refused, the first is unchanged.
    again = setup_cli(tmp_path, "--no-demo", "--admin", "other@nph.org.uk")
    assert again.returncode == 2 and "administrator exists already" in again.stderr
    # The one-time password is replaced at the first sign-in.
    from core.services.users import change_own_password

    change_own_password(signed.actor, password, "a long private passphrase", uow())
    assert auth.session_problem(signed.actor, uow()) == auth.ENDED
    fresh = auth.attempt_sign_in("jo.bloggs", "a long private passphrase", uow).actor
    assert fresh is not None and not fresh.must_change_password


def test_demo_data_only_when_asked_and_never_in_production(tmp_path):
    refused = setup_cli(tmp_path, "--demo", "--size", "0.01", FT_PRODUCTION="1")
    assert refused.returncode == 2 and "FT_PRODUCTION" in refused.stderr
    plain = setup_cli(tmp_path)
    assert plain.returncode == 0, plain.stderr
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    assert counts(url)["User"] == 0
    bad = setup_cli(tmp_path, "--admin", "not-an-email")
    assert bad.returncode == 2 and "email address" in bad.stderr


def test_the_cookie_key_leaves_the_database_when_ft_cookie_key_is_set(tmp_path):
    from core import auth
    from core.models import AppSetting

    url = f"sqlite:///{tmp_path / 'prod.db'}"
    assert setup_cli(tmp_path).returncode == 0
    os.environ.pop("FT_COOKIE_KEY", None)
    auth.cookie_key(UnitOfWork(url))  # generated and kept by an earlier run
    done = setup_cli(tmp_path, FT_COOKIE_KEY="x" * 12 + "Qp7-LmZ2rT9w")
    assert done.returncode == 0, done.stderr
    with UnitOfWork(url) as uow:
        assert uow.session.get(AppSetting, "cookie_key") is None


def test_the_data_folder_and_database_files_are_owner_only(tmp_path):
    folder = tmp_path / "data"
    result = setup_cli(tmp_path, DATABASE_URL="", FT_DATA_DIR=str(folder))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = [f for f in folder.iterdir() if f.name.startswith("fair_treatment.db")]
    assert any(f.name == "fair_treatment.db" for f in files)
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    # While the database is in use its WAL and shared-memory files are owner-only too.
    url = f"sqlite:///{folder / 'fair_treatment.db'}"
    with UnitOfWork(url) as uow:
        from core.models import ServiceArea

        uow.session.add(ServiceArea(name="Extra area"))
        uow.commit()
        wal = [f for f in folder.iterdir() if f.name.endswith(("-wal", "-shm"))]
        assert wal and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in wal)
