"""Back up and restore the Fair Treatment database.

    python -m db.backup backup [FILE]   # default: data/backups/fair_treatment-<UTC time>.db|.dump
    python -m db.backup restore FILE    # replaces the database's contents with the backup

(`make backup`, `make restore FILE=...`.) The embedded SQLite database is copied with SQLite's
online backup API, so a backup taken while the app is running is a consistent snapshot; the
copy is checked with `PRAGMA integrity_check` before it is reported as saved. PostgreSQL is
dumped with `pg_dump --format=custom` and restored with `pg_restore --clean`; stop the app
before restoring PostgreSQL (open connections hold locks on the tables being replaced).
A restore adds one audit entry (`restore_database`) naming the file, so the log shows it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Optional

from sqlalchemy.engine import make_url

from core import config
from core.errors import ConfigError


def _sqlite_path(url: str) -> Optional[Path]:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise ConfigError("An in-memory SQLite database cannot be backed up.")
    return Path(parsed.database)


def _libpq(url: str) -> tuple[str, dict]:
    """A libpq connection string for pg_dump/pg_restore, with the password passed in the
    environment (PGPASSWORD) rather than on the command line."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(f"Backups support SQLite and PostgreSQL, not {parsed.get_backend_name()!r}.")
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise ConfigError(f"{name} is not installed: install the PostgreSQL client tools "
                          "(apt-get install postgresql-client).")
    return found


def default_backup_path(url: str, now: Optional[dt.datetime] = None) -> Path:
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%d-%H%M%S")
    suffix = ".db" if _sqlite_path(url) else ".dump"
    return config.data_dir() / "backups" / f"fair_treatment-{stamp}{suffix}"


def backup(url: Optional[str] = None, target: Optional[Path | str] = None) -> Path:
    """Write a consistent backup of the database to `target` and return its path."""
    url = url or config.database_url()
    target = Path(target) if target else default_backup_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = _sqlite_path(url)
    if source is not None:
        if not source.exists():
            raise ConfigError(f"There is no database at {source} to back up.")
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        src = sqlite3.connect(source, timeout=30)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")     # one self-contained file
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
            src.close()
        if ok != "ok":
            partial.unlink(missing_ok=True)
            raise ConfigError(f"The backup failed its integrity check: {ok}")
        os.replace(partial, target)          # a half-written backup never has the final name
        return target
    dsn, env = _libpq(url)
    result = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                             "--file", str(target), dsn], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise ConfigError(f"pg_dump failed: {result.stderr.strip()}")
    return target


def restore(source: Path | str, url: Optional[str] = None) -> None:
    """Replace the database's contents with the backup in `source`, then audit the restore."""
    url = url or config.database_url()
    source = Path(source)
    if not source.is_file():
        raise ConfigError(f"There is no backup file at {source}.")
    from core.db import UnitOfWork, dispose_engines
    dispose_engines()
    target = _sqlite_path(url)
    if target is not None:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            ok = src.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as problem:
            src.close()
            raise ConfigError(f"{source} is not a Fair Treatment SQLite backup ({problem}).") from None
        if ok != "ok":
            src.close()
            raise ConfigError(f"The backup {source} failed its integrity check: {ok}")
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)          # page-by-page copy under SQLite's own locking
        finally:
            dst.close()
            src.close()
    else:
        dsn, env = _libpq(url)
        result = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                                 "--no-privileges", "--single-transaction", "--exit-on-error",
                                 "--dbname", dsn, str(source)], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise ConfigError(f"pg_restore failed: {result.stderr.strip()}")
    dispose_engines()
    with UnitOfWork(url) as uow:
        uow.audit(None, "restore_database", entity_type="database",
                  after={"file": source.name}, reason="Restored from backup")
        uow.commit()
    dispose_engines()


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Back up or restore the Fair Treatment database.")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("backup", help="write a backup file")
    b.add_argument("file", nargs="?", help="where to write it (default: data/backups/...)")
    r = sub.add_parser("restore", help="replace the database with a backup file")
    r.add_argument("file", nargs="?", help="the backup file")
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            print(f"Backup written to {backup(target=args.file)}")
        else:
            if not args.file:
                print("Name the backup file: make restore FILE=data/backups/....db", file=sys.stderr)
                return 2
            restore(args.file)
            print(f"Database restored from {args.file}")
    except ConfigError as problem:
        print(f"Fair Treatment {args.command} failed: {problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
