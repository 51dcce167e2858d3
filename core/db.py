"""Engine creation and the unit of work: one transaction per user action, committed or
rolled back whole, with the audit entry written inside the same transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from core import config
from core.errors import ConfigError, StaleRecord
from core.models import AuditEntry
from core.permissions import Actor

_engines: dict[str, Engine] = {}


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def secure_sqlite_file(path: Path) -> None:
    """Owner-only permissions for the embedded database: the folder 0700 and the file 0600,
    created that way before SQLite opens it (SQLite gives its -wal and -shm files the
    database file's permissions)."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):  # a shared folder owned by someone else: leave it
        folder.chmod(0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if file.exists() and file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except PermissionError:
            pass


def _without_row_values(context: Any) -> Exception | None:
    """PostgreSQL puts the values of the failing row into an error's DETAIL ("Failing row
    contains (..., 07700 900123, ...)"), and a data error (SQLSTATE class 22, e.g. "invalid
    input syntax for type integer: ...") into its message; hide_parameters does not cover
    that. Keep the primary message (constraint and column names, our triggers' own words)
    without DETAIL, or for a data error only its class, in the error and in the driver error
    chained to it (what a traceback prints)."""
    from sqlalchemy.exc import DBAPIError

    original, wrapped = context.original_exception, context.sqlalchemy_exception
    diag = getattr(original, "diag", None)
    if diag is None or not diag.sqlstate or not isinstance(wrapped, DBAPIError):
        return None  # e.g. a connection failure: its message names no data, keep it
    if diag.sqlstate.startswith("22"):
        text = f"{type(original).__name__} (SQLSTATE {diag.sqlstate}) [value hidden]"
    else:
        text = diag.message_primary or type(original).__name__
    original.args = (text,)
    return DBAPIError.instance(
        wrapped.statement,
        context.parameters,
        original,
        context.dialect.loaded_dbapi.Error,
        hide_parameters=True,
        connection_invalidated=context.is_disconnect,
        dialect=context.dialect,
    )


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"DATABASE_URL is not a valid SQLAlchemy URL: {url!r}. "
            "Example: postgresql+psycopg://user:pass@host/dbname"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        db_path = parsed.database
        if db_path and db_path != ":memory:":
            folder = Path(db_path).resolve().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
                probe = folder / ".write-test"
                probe.write_text("ok")
                probe.unlink()
                secure_sqlite_file(Path(db_path).resolve())
            except OSError:
                raise ConfigError(
                    f"The data folder {folder} is not writable: "
                    "fix its permissions or set FT_DATA_DIR / DATABASE_URL."
                ) from None
        # hide_parameters: an error's message (and so the server log) never holds the values
        # bound to a statement, e.g. an incident description or a phone number.
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    try:
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    except (NoSuchModuleError, ImportError):
        raise ConfigError(
            f"No database driver for {parsed.drivername!r}: use postgresql+psycopg:// or sqlite:///"
        ) from None
    event.listen(engine, "handle_error", _without_row_values)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """One engine (connection pool) per URL per process; no application state lives here."""
    url = url or config.database_url()
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def to_jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: Any) -> dict[str, Any]:
    """The column values of a model instance, ready to store as JSON in the audit log."""
    mapper = inspect(obj).mapper
    return {attr.key: to_jsonable(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the fields that differ, so the audit log shows what changed."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


class UnitOfWork:
    """`with uow:` opens a session; `uow.commit()` makes the action permanent; leaving the
    block without committing (or on an error) rolls everything back."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = sessionmaker(bind=get_engine(self.url), expire_on_commit=False)()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
        if exc_type is not None and issubclass(exc_type, StaleDataError):
            # A flush inside the block (e.g. before an audit entry) met a newer version.
            raise StaleRecord() from None

    def commit(self) -> None:
        try:
            self.session.commit()
        except StaleDataError:
            self.session.rollback()
            raise StaleRecord() from None

    def flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError:
            self.session.rollback()
            raise StaleRecord() from None

    def audit(
        self,
        actor: Actor | None,
        action: str,
        entity: Any = None,
        *,
        entity_type: str = "",
        entity_id: int | None = None,
        customer_id: int | None = None,
        before: dict | None = None,
        after: dict | None = None,
        reason: str = "",
    ) -> AuditEntry:
        """Record who did what, in this same transaction. `entity` fills type and id."""
        if entity is not None:
            self.session.flush()
            entity_type = entity_type or entity.__tablename__
            entity_id = entity_id if entity_id is not None else entity.id
            if customer_id is None:
                customer_id = getattr(entity, "customer_id", None)
                if entity_type == "customer":
                    customer_id = entity.id
        entry = AuditEntry(
            user_id=actor.user_id if actor else None,
            username=actor.username if actor else "system",
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            customer_id=customer_id,
            before=before,
            after=after,
            reason=reason,
        )
        self.session.add(entry)
        return entry


@event.listens_for(AuditEntry, "before_update")
def _refuse_audit_update(*_args: Any) -> None:
    raise PermissionError("Audit entries are append-only: they cannot be changed.")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_delete(*_args: Any) -> None:
    raise PermissionError("Audit entries are append-only: they cannot be deleted.")


_app_locks: dict[str, Any] = {}


def app_lock_path(url: str | None = None) -> Path | None:
    """The lock file every app process holds (shared) while it serves an embedded SQLite
    database; `db.backup restore` needs it exclusively, so it refuses while the app runs."""
    parsed = make_url(url or config.database_url())
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(parsed.database).resolve()
    return path.with_name(path.name + ".app-lock")


def hold_app_lock(url: str | None = None) -> None:
    """Called by app.py on every run; the first call in a process takes a shared lock that the
    operating system releases when the process ends (even if it crashes)."""
    import fcntl

    path = app_lock_path(url)
    if path is None or str(path) in _app_locks:
        return
    handle = os.fdopen(os.open(path, os.O_CREAT | os.O_RDWR, 0o600), "r+")
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:  # a restore holds it: try again on the next run
        handle.close()
        return
    _app_locks[str(path)] = handle


def release_app_lock(url: str | None = None) -> None:
    path = app_lock_path(url)
    handle = _app_locks.pop(str(path), None) if path is not None else None
    if handle is not None:
        handle.close()
