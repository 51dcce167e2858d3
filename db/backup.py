"""Back up and restore the Fair Treatment database.

    python -m db.backup backup [FILE]   # default: data/backups/fair_treatment-<UTC time>.db|.dump
    python -m db.backup restore FILE    # replaces the database with the backup (app stopped)

(`make backup`, `make restore FILE=...`.) The embedded SQLite database is copied with SQLite's
online backup API, so a backup taken while the app is running is a consistent snapshot; the
copy is checked with `PRAGMA integrity_check` before it is reported as saved. Backups are
owner-only files (0600) in an owner-only folder (0700).

A restore cannot destroy: before it touches anything it checks that the file opens cleanly,
passes its integrity check and is a Fair Treatment database at a schema revision this code
knows (its alembic version); it refuses while the app is running against the database (SQLite:
every app process holds a shared lock on `<database>.app-lock`; PostgreSQL: other connections);
it takes a safety backup of the live database first (its path is printed); then SQLite is
restored into a new file that is swapped in with one atomic rename, and PostgreSQL with
`pg_restore --clean --single-transaction` (all or nothing). A restore adds one audit entry
(`restore_database`) naming the file. Any file name works (spaces, `#`, `?`).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from core import config
from core.errors import ConfigError


def _sqlite_path(url: str) -> Path | None:
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
        raise ConfigError(
            f"{name} is not installed: install the PostgreSQL client tools "
            "(apt-get install postgresql-client)."
        )
    return found


def _private_folder(folder: Path, tighten: bool) -> None:
    """Create a backups folder owner-only (0700); `tighten` also fixes the default folder if
    it exists with wider permissions (a folder the operator named is left as it is)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if tighten and folder.stat().st_mode & 0o077:
        with contextlib.suppress(PermissionError):
            folder.chmod(0o700)


def default_backup_path(url: str, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d-%H%M%S")
    suffix = ".db" if _sqlite_path(url) else ".dump"
    return config.data_dir() / "backups" / f"fair_treatment-{stamp}{suffix}"


def backup(url: str | None = None, target: Path | str | None = None) -> Path:
    """Write a consistent backup of the database to `target` and return its path."""
    url = url or config.database_url()
    named = target is not None
    target = Path(target) if target is not None else default_backup_path(url)
    _private_folder(target.parent, tighten=not named)
    source = _sqlite_path(url)
    if source is not None:
        if not source.exists():
            raise ConfigError(f"There is no database at {source} to back up.")
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        os.close(os.open(partial, os.O_CREAT | os.O_RDWR, 0o600))  # owner-only from the start
        src = sqlite3.connect(source.resolve().as_uri(), uri=True, timeout=30)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
            src.close()
        if ok != "ok":
            partial.unlink(missing_ok=True)
            raise ConfigError(f"The backup failed its integrity check: {ok}")
        os.replace(partial, target)  # a half-written backup never has the final name
        return target
    dsn, env = _libpq(url)
    target.unlink(missing_ok=True)
    os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
    result = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), dsn],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise ConfigError(f"pg_dump failed: {result.stderr.strip()}")
    return target


def known_revisions() -> set[str]:
    """Every alembic revision of this code's migrations."""
    from alembic.script import ScriptDirectory

    from db.setup import alembic_config

    return {
        script.revision
        for script in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()
    }


REQUIRED_TABLES = {"alembic_version", "app_user", "audit_entry", "customer", "incident", "case_file"}


def check_sqlite_backup(source: Path) -> str:
    """The backup's schema revision, or a ConfigError saying why it is not a usable Fair
    Treatment backup. Opened read-only through a file: URI, so any file name works."""
    try:
        conn = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as problem:
        raise ConfigError(f"{source} cannot be opened ({problem}).") from None
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = REQUIRED_TABLES - tables
        if ok != "ok":
            raise ConfigError(f"The backup {source} failed its integrity check: {ok}")
        if missing:
            raise ConfigError(
                f"{source} is not a Fair Treatment backup (no {', '.join(sorted(missing))} table)."
            )
        versions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.DatabaseError as problem:
        raise ConfigError(f"{source} is not a Fair Treatment SQLite backup ({problem}).") from None
    finally:
        conn.close()
    return _known(source, versions)


def _known(source: Path, versions: list[str]) -> str:
    known = known_revisions()
    if len(versions) != 1 or versions[0] not in known:
        raise ConfigError(
            f"{source} is at schema revision {', '.join(versions) or 'none'}, which this "
            f"version of Fair Treatment does not know ({', '.join(sorted(known))})."
        )
    return versions[0]


def check_postgres_backup(source: Path) -> str:
    """The schema revision in a pg_dump custom-format file (read with pg_restore, without
    touching any database), or a ConfigError."""
    listing = subprocess.run([_tool("pg_restore"), "--list", str(source)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise ConfigError(
            f"{source} is not a PostgreSQL backup made with make backup "
            f"({listing.stderr.strip().splitlines()[0] if listing.stderr.strip() else 'unreadable'})."
        )
    if not all(
        f"TABLE public {t}" in listing.stdout or f"TABLE DATA public {t}" in listing.stdout
        for t in REQUIRED_TABLES
    ):
        raise ConfigError(f"{source} is not a Fair Treatment backup (tables missing).")
    data = subprocess.run(
        [_tool("pg_restore"), "--data-only", "--table", "alembic_version", "--file", "-", str(source)],
        capture_output=True,
        text=True,
    )
    lines = data.stdout.split("COPY public.alembic_version", 1)[-1].splitlines()[1:]
    versions = (
        [line.strip() for line in lines[: lines.index("\\.")] if line.strip()] if "\\." in lines else []
    )
    return _known(source, versions)


def app_is_running(url: str) -> bool:
    """True if an app process is serving this database (see the module docstring)."""
    from core.db import app_lock_path

    lock = app_lock_path(url)
    if lock is not None:
        import fcntl

        with os.fdopen(os.open(lock, os.O_CREAT | os.O_RDWR, 0o600), "r+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
        return False
    from sqlalchemy import create_engine, text

    engine = create_engine(url, hide_parameters=True)
    try:
        with engine.connect() as conn:
            others = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        engine.dispose()
    return bool(others)


def restore(source: Path | str, url: str | None = None) -> Path | None:
    """Replace the database with the backup in `source`, then audit the restore. Returns the
    safety backup of the database as it was (None if there was no database yet)."""
    url = url or config.database_url()
    source = Path(source)
    if not source.is_file():
        raise ConfigError(f"There is no backup file at {source}.")
    target = _sqlite_path(url)
    revision = check_sqlite_backup(source) if target is not None else check_postgres_backup(source)
    from core.db import UnitOfWork, dispose_engines

    dispose_engines()
    if app_is_running(url):
        raise ConfigError(
            "Fair Treatment is running against this database: stop the app (every "
            "streamlit process) first, then restore. Nothing was changed."
        )
    safety = None
    if target is None or target.exists():
        safety = backup(url, _safety_path(url))
    if target is not None:
        _swap_in_sqlite(source, target)
    else:
        _pg_restore(source, url)
    dispose_engines()
    with UnitOfWork(url) as uow:
        uow.audit(
            None,
            "restore_database",
            entity_type="database",
            after={"file": source.name, "revision": revision},
            reason="Restored from backup",
        )
        uow.commit()
    dispose_engines()
    return safety


def _safety_path(url: str) -> Path:
    """data/backups/fair_treatment-before-restore-<UTC time>.db (SQLite: the backups folder
    beside the database file)."""
    normal = default_backup_path(url)
    live = _sqlite_path(url)
    folder = live.resolve().parent / "backups" if live is not None else normal.parent
    return folder / normal.name.replace("fair_treatment-", "fair_treatment-before-restore-")


def _swap_in_sqlite(source: Path, target: Path) -> None:
    """Copy the backup into a new file beside the database, check it, then rename it over
    the database in one step. The live database's WAL is folded in first and removed, so no
    stale -wal/-shm file is ever applied to the restored one."""
    from core.db import secure_sqlite_file

    fresh = target.with_name(target.name + ".restoring")
    fresh.unlink(missing_ok=True)
    secure_sqlite_file(fresh)
    src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
    dst = sqlite3.connect(fresh)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if ok != "ok":
        fresh.unlink(missing_ok=True)
        raise ConfigError(
            f"The restored copy failed its integrity check ({ok}); the database was not changed."
        )
    if target.exists():
        live = sqlite3.connect(target, timeout=30)
        try:
            live.execute("PRAGMA journal_mode=DELETE")  # checkpoint and remove the WAL
        finally:
            live.close()
    os.replace(fresh, target)
    for leftover in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        leftover.unlink(missing_ok=True)


def _pg_restore(source: Path, url: str) -> None:
    dsn, env = _libpq(url)
    result = subprocess.run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            dsn,
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise ConfigError(f"pg_restore failed (nothing was changed): {result.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
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
            safety = restore(args.file)
            print(
                f"Database restored from {args.file}"
                + (f"; the database as it was is saved in {safety}" if safety else "")
            )
    except ConfigError as problem:
        print(f"Fair Treatment {args.command} failed: {problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
