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
    backups.restore(file, db_url)

    restored = contents(db_url)
    audit_saved, audit_now = saved.pop("audit_entry"), restored.pop("audit_entry")
    assert restored == saved
    assert audit_now[:len(audit_saved)] == audit_saved
    with UnitOfWork(db_url) as uow:
        last = uow.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert (last.action, last.after) == ("restore_database", {"file": "ft.backup"})
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
    with pytest.raises(ConfigError, match="not a Fair Treatment SQLite backup|integrity"):
        backups.restore(junk, sqlite_url)
    assert contents(sqlite_url) == before


def test_command_line_backup_and_restore(sqlite_url, tmp_path):
    dispose_engines()
    env = dict(os.environ, DATABASE_URL=sqlite_url, FT_DATA_DIR=str(tmp_path / "data"))
    run = lambda *args: subprocess.run([sys.executable, "-m", "db.backup", *args], cwd=ROOT,
                                       env=env, capture_output=True, text=True, timeout=120)
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
