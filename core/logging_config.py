"""Server-side logging, configured once per process (app.py calls configure_logging()).

The app's own loggers ("core", "ui", "db", "app" and below, named after their modules) log at
FT_LOG_LEVEL (default INFO); other libraries only at WARNING and above. One line per record:
time, level, logger, message, then the record's ids (`extra={"case_id": 7}`) as key=value.

Log lines carry ids, never personal data: no names, descriptions or addresses, and no
exception messages (they can quote input or SQL parameters). `describe_exception` gives an
exception's type, its SQL statement without parameters, and where it was raised.
"""

from __future__ import annotations

import logging
import sys
import traceback

from core import config

APP_LOGGERS = ("core", "ui", "db", "app", "pages", "__main__")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_NAME = "fair-treatment"
# The attributes every LogRecord has; anything else on a record came from `extra` (the ids).
_STANDARD = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class IdsFormatter(logging.Formatter):
    """FORMAT, followed by the record's extra ids in a stable order: `... case_id=7 actor_id=3`."""

    def __init__(self) -> None:
        super().__init__(FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{k}={v}" for k, v in sorted(vars(record).items()) if k not in _STANDARD)
        return f"{line} [{ids}]" if ids else line


def configure_logging(level: str | None = None) -> None:
    """Idempotent (Streamlit reruns app.py on every interaction): one stderr handler on the
    root logger, the app's loggers at `level` (default FT_LOG_LEVEL), libraries at WARNING."""
    from core.errors import ConfigError

    try:
        chosen, problem = level or config.log_level(), None
    except ConfigError as bad:
        chosen, problem = "INFO", bad
    root = logging.getLogger()
    if not any(h.get_name() == _HANDLER_NAME for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(IdsFormatter())
        root.addHandler(handler)
        if root.level == logging.NOTSET or root.level < logging.WARNING:
            root.setLevel(logging.WARNING)
    for name in APP_LOGGERS:
        logging.getLogger(name).setLevel(chosen)
    if problem is not None:
        logging.getLogger(__name__).warning("%s Using INFO.", problem)


def describe_exception(error: BaseException) -> str:
    """The exception chain as types and stack frames, without messages (which can hold names
    or SQL parameters). A database error adds its SQL statement, which has only placeholders."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        frames = "".join(traceback.format_tb(current.__traceback__))
        statement = getattr(current, "statement", None)
        sql = f"\n  SQL: {' '.join(str(statement).split())}" if isinstance(statement, str) else ""
        parts.append(f"{frames}{kind.__module__}.{kind.__qualname__} (message withheld){sql}")
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\n(the exception above led to the one below)\n".join(reversed(parts))
