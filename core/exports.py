"""CSV and Excel exports of registers and lists.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return could be run as a
formula by a spreadsheet (CSV/formula injection), so it is prefixed with a single quote.
Every export goes through `export()`, which records who exported what, and when, in the
audit log.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import enum
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.db import UnitOfWork
from core.errors import PolicyError
from core.permissions import Actor, Permission, require

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
Row = Mapping[str, Any] | Any  # a dict, or a dataclass read model (its fields are the columns)
FORMATS = {
    "csv": ("csv", "text/csv"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would treat as a formula gets a leading single quote."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    """Lists, enums and booleans as readable text; dates and numbers stay as they are."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return getattr(value, "label", value.value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (list, tuple, set)):
        return "; ".join(str(_plain(v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _as_mapping(row: Row) -> Mapping[str, Any]:
    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        return {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}
    return cast(Mapping[str, Any], row)


def _columns(rows: Sequence[Row], columns: Sequence[str] | None) -> list[str]:
    if columns:
        return list(columns)
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(_as_mapping(row)))
    return list(seen)


def _cells(rows: Sequence[Row], columns: list[str]) -> Iterable[list[Any]]:
    for row in rows:
        values = _as_mapping(row)
        yield [neutralise(_plain(values.get(column))) for column in columns]


def to_csv(rows: Sequence[Row], columns: Sequence[str] | None = None) -> bytes:
    """UTF-8 CSV (with a byte-order mark so Excel reads accents and emoji correctly)."""
    columns = _columns(rows, columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in columns])
    for cells in _cells(rows, columns):
        writer.writerow(
            [
                "" if c is None else (c.isoformat() if isinstance(c, (dt.date, dt.datetime)) else c)
                for c in cells
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Sequence[Row], columns: Sequence[str] | None = None, sheet: str = "Export") -> bytes:
    """An Excel workbook; text cells are always stored as text, never as formulas."""
    columns = _columns(rows, columns)
    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    ws.append([neutralise(c) for c in columns])
    for cells in _cells(rows, columns):
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in cells])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # belt and braces: never a formula
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(
    actor: Actor,
    what: str,
    rows: Sequence[Row],
    fmt: str,
    uow: UnitOfWork,
    *,
    permission: Permission,
    columns: Sequence[str] | None = None,
    filters: dict | None = None,
    today: dt.date | None = None,
) -> tuple[str, bytes, str]:
    """Build the file and record the export (who, what, when, how many rows) in the audit log.
    Returns (file name, bytes, MIME type)."""
    require(actor, permission)
    if fmt not in FORMATS:
        raise PolicyError(f"Choose an export format: {', '.join(FORMATS)}.")
    columns = _columns(rows, columns)
    data = to_csv(rows, columns) if fmt == "csv" else to_xlsx(rows, columns, sheet=what)
    extension, mime = FORMATS[fmt]
    filename = f"{what}_{(today or dt.date.today()):%Y-%m-%d}.{extension}"
    with uow:
        uow.audit(
            actor,
            "export",
            entity_type=what,
            after={
                "format": fmt,
                "rows": len(rows),
                "columns": columns,
                "file": filename,
                "filters": {k: v for k, v in (filters or {}).items() if v not in (None, "")},
            },
            reason=f"Exported {what} ({len(rows)} rows) as {fmt.upper()}",
        )
        uow.commit()
    return filename, data, mime
