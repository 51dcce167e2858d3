"""Backup and restore (issue 9): a round trip gives back every row of every table."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from core.db import UnitOfWork, dispose_engines
from core.errors import ConfigError
from core.models import AuditEntry, Base
from db import backup as backups
from tests.scenarios import a_customer, an_incident

ROOT = Path(__file__).resolve().parents[2]


def contents(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    out = {}
    with UnitOfWork(url) as uow:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in uow.session.execute(select(table).order_by(*order))]
    return out


def some_records(url: str, actors) -> None:
    tl = actors["teamleader"]
    first = a_customer(url, tl, ref="NPH900001")
    an_incident(url, tl, first)
    an_incident(url, tl, first, violence_or_threat=True, police_reference="NN-2026-1")
    second = a_customer(url, tl, ref="NPH900002", first="Zoë", last="Ng <b>bold</b>")
    an_incident(url, tl, second, description="Emoji 😀 and ‘quotes’ kept as typed")


def needs_tools(url: str) -> None:
    if url.startswith("postgresql") and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed")


def test_backup_then_restore_gives_back_every_row(db_url, actors, tmp_path):
    needs_tools(db_url)
    some_records(db_url, actors)
    saved = contents(db_url)
    assert len(saved["incident"]) == 3 and len(saved["customer"]) == 2
    file = backups.backup(db_url, tmp_path / "ft.backup")
    assert file.stat().st_size > 0

    # Work carries on after the backup, then the database is restored.
    a_customer(db_url, actors["teamleader"], ref="NPH900003")
    an_incident(db_url, actors["teamleader"], 1)
    assert contents(db_url) != saved
    safety = backups.restore(file, db_url)
    assert safety is not None and safety.is_file() and "before-restore" in safety.name

    restored = contents(db_url)
    audit_saved, audit_now = saved.pop("audit_entry"), restored.pop("audit_entry")
    assert restored == saved
    assert audit_now[: len(audit_saved)] == audit_saved
    with UnitOfWork(db_url) as uow:
        last = uow.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert (last.action, last.after["file"]) == ("restore_database", "ft.backup")
        assert last.after["revision"] in backups.known_revisions()
    assert len(audit_now) == len(audit_saved) + 1
    # The restored database is usable: new records get fresh ids, the audit log stays append-only.
    a_customer(db_url, actors["teamleader"], ref="NPH900004")
    with UnitOfWork(db_url) as uow, pytest.raises(Exception, match="append-only"):
        uow.session.execute(text("DELETE FROM audit_entry"))
        uow.session.flush()


def test_sqlite_backup_is_a_checked_self_contained_file(sqlite_url, tmp_path):
    file = backups.backup(sqlite_url, tmp_path / "copy.db")
    assert not Path(str(file) + ".partial").exists()
    import sqlite3

    with sqlite3.connect(file) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT count(*) FROM app_user").fetchone()[0] > 5


def test_restore_refuses_a_missing_or_broken_file(sqlite_url, tmp_path):
    with pytest.raises(ConfigError, match="no backup file"):
        backups.restore(tmp_path / "nope.db", sqlite_url)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    before = contents(sqlite_url)
    with pytest.raises(ConfigError, match="not a Fair Treatment SQLite backup|integrity|cannot be opened"):
        backups.restore(junk, sqlite_url)
    assert contents(sqlite_url) == before


def test_command_line_backup_and_restore(sqlite_url, tmp_path):
    dispose_engines()
    env = dict(os.environ, DATABASE_URL=sqlite_url, FT_DATA_DIR=str(tmp_path / "data"))

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "db.backup", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    made = run("backup")
    assert made.returncode == 0, made.stderr
    written = list((tmp_path / "data" / "backups").glob("fair_treatment-*.db"))
    assert len(written) == 1 and str(written[0]) in made.stdout
    done = run("restore", str(written[0]))
    assert done.returncode == 0, done.stderr
    missing = run("restore")
    assert missing.returncode == 2 and "Name the backup file" in missing.stderr
    wrong = run("restore", str(tmp_path / "absent.db"))
    assert wrong.returncode == 2 and "no backup file" in wrong.stderr


# --- issue 14: a restore cannot destroy ----------------------------------------------------


def sqlite_file(url: str) -> Path:
    return Path(url.split("sqlite:///", 1)[1])


def test_restore_refuses_a_valid_sqlite_file_that_is_not_a_fair_treatment_backup(sqlite_url, tmp_path):
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("INSERT INTO notes (text) VALUES ('hello')")
    before = contents(sqlite_url)
    with pytest.raises(ConfigError, match="not a Fair Treatment backup"):
        backups.restore(other, sqlite_url)
    assert contents(sqlite_url) == before
    assert not list(sqlite_file(sqlite_url).parent.glob("backups/*"))  # nothing touched


def test_restore_refuses_a_backup_of_an_unknown_schema_revision(sqlite_url, tmp_path):
    import sqlite3

    file = backups.backup(sqlite_url, tmp_path / "future.db")
    with sqlite3.connect(file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    before = contents(sqlite_url)
    with pytest.raises(ConfigError, match="schema revision 9999_from_the_future"):
        backups.restore(file, sqlite_url)
    assert contents(sqlite_url) == before


def test_restore_refuses_a_file_that_fails_its_integrity_check(sqlite_url, tmp_path):
    file = backups.backup(sqlite_url, tmp_path / "damaged.db")
    data = bytearray(file.read_bytes())
    for offset in range(4096 * 2, len(data) - 4096, 4096):  # scribble over every page header
        data[offset : offset + 16] = b"\xff" * 16
    file.write_bytes(bytes(data))
    before = contents(sqlite_url)
    with pytest.raises(ConfigError):
        backups.restore(file, sqlite_url)
    assert contents(sqlite_url) == before


def test_restore_refuses_while_the_app_is_running(sqlite_url, tmp_path):
    from core.db import hold_app_lock, release_app_lock

    file = backups.backup(sqlite_url, tmp_path / "good.db")
    hold_app_lock(sqlite_url)  # what app.py does on every run
    try:
        with pytest.raises(ConfigError, match="stop the app"):
            backups.restore(file, sqlite_url)
    finally:
        release_app_lock(sqlite_url)
    assert backups.restore(file, sqlite_url) is not None


def test_restore_from_a_running_app_process_is_refused(sqlite_url, tmp_path):
    """Another process (like `streamlit run app.py`) holding the app lock."""
    file = backups.backup(sqlite_url, tmp_path / "good.db")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from core.db import hold_app_lock; hold_app_lock(sys.argv[1]); "
                "print('held', flush=True); time.sleep(60)"
            ),
            sqlite_url,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ConfigError, match="running"):
            backups.restore(file, sqlite_url)
    finally:
        holder.kill()
        holder.wait(10)
    backups.restore(file, sqlite_url)


@pytest.mark.parametrize("name", ["backup #1.db", "what?.db", "with spaces and ?x=1#frag.db", "100%.db"])
def test_any_file_name_works(sqlite_url, actors_sqlite, tmp_path, name):
    a_customer(sqlite_url, actors_sqlite["teamleader"], ref="NPH900010")
    saved = contents(sqlite_url)
    file = backups.backup(sqlite_url, tmp_path / name)
    assert file.name == name and file.stat().st_size > 4096
    a_customer(sqlite_url, actors_sqlite["teamleader"], ref="NPH900011")
    backups.restore(file, sqlite_url)
    restored = contents(sqlite_url)
    restored.pop("audit_entry"), saved.pop("audit_entry")
    assert restored == saved
    assert len(restored["customer"]) == 1


@pytest.fixture
def actors_sqlite(sqlite_url):
    from tests.scenarios import demo_actors

    return demo_actors(sqlite_url)


def test_the_restored_file_is_swapped_in_whole_with_no_stale_wal(sqlite_url, actors_sqlite, tmp_path):
    file = backups.backup(sqlite_url, tmp_path / "good.db")
    a_customer(sqlite_url, actors_sqlite["teamleader"], ref="NPH900012")  # leaves a WAL behind
    db = sqlite_file(sqlite_url)
    backups.restore(file, sqlite_url)
    assert not db.with_name(db.name + ".restoring").exists()
    assert not db.with_name(db.name + "-wal").exists() or db.with_name(db.name + "-wal").stat().st_size == 0
    with UnitOfWork(sqlite_url) as uow:
        assert uow.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert uow.session.execute(text("SELECT count(*) FROM customer")).scalar() == 0
    safety = sorted((db.parent / "backups").glob("fair_treatment-before-restore-*.db"))
    assert len(safety) == 1
    import sqlite3

    with sqlite3.connect(safety[0]) as conn:  # the safety copy has the lost customer
        assert conn.execute("SELECT count(*) FROM customer").fetchone()[0] == 1


def test_backups_and_the_database_are_owner_only(sqlite_url, tmp_path):
    import stat

    file = backups.backup(sqlite_url, tmp_path / "private" / "copy.db")
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    safety = backups.restore(file, sqlite_url)
    assert stat.S_IMODE(safety.stat().st_mode) == 0o600
    db = sqlite_file(sqlite_url)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_postgres_restore_refuses_a_foreign_file_and_open_connections(db_url, tmp_path):
    if not db_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL variant")
    needs_tools(db_url)
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"PGDMP but not really" * 50)
    with pytest.raises(ConfigError, match="not a PostgreSQL backup"):
        backups.restore(junk, db_url)
    file = backups.backup(db_url, tmp_path / "good #1.dump")
    assert backups.check_postgres_backup(file) in backups.known_revisions()
    from sqlalchemy import create_engine

    other = create_engine(db_url)
    with other.connect(), pytest.raises(ConfigError, match="running"):  # an app still connected
        backups.restore(file, db_url)
    other.dispose()
    assert backups.restore(file, db_url) is not None
