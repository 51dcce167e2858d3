"""The subject access pack: everything held about one customer, with redaction flags."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from core.db import UnitOfWork, to_jsonable
from core.enums import DataRequestKind
from core.errors import PolicyError
from core.models import (
    Customer,
    DataRequest,
    User,
    utcnow,
)
from core.permissions import Actor, Permission, require
from core.policy import dataprotection as rules
from core.services.dataprotection._common import (
    _LINK_KEYS,
    _STAFF_COLUMNS,
    _THIRD_PARTY_FIELDS,
    PACK_TABLES,
    T,
    _counts,
    _customer,
    _in,
    _open_request,
    csv_bytes,
)
from core.services.dataprotection.collect import _collect

Progress = Callable[[float, str], None] | None


def _step(progress: Progress, fraction: float, message: str) -> None:
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), message)


def _text_fields(name: str, row: dict) -> Iterable[tuple[str, str]]:
    for key, value in row.items():
        if isinstance(value, str) and value:
            yield key, value
        elif isinstance(value, (dict, list)) and value:
            yield key, json.dumps(to_jsonable(value), ensure_ascii=False)


def _chunks(values: Iterable[str], size: int = 500) -> Iterable[list[str]]:
    values = sorted(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _phone_digits(column):
    """The phone column with the usual separators removed, in SQL (either database)."""
    for sep in (" ", "-", "(", ")", "+", "."):
        column = func.replace(column, sep, "")
    return column


def _scanner(s, customer: Customer, texts: list[str]) -> rules.RedactionScanner:
    """A scanner for these texts, built only from the customers the texts could name.

    Last names and housing references are looked up through their indexes (every spelling of
    each candidate word); emails and phone numbers only when the texts contain one. The flags
    are the same as a scanner built from every customer, at a cost that follows the subject's
    records, not the number of other customers."""
    keys = rules.lookup_keys(texts)
    conditions = []
    names = {form for phrase in keys.phrases for form in rules.name_spellings(phrase)}
    conditions += [Customer.last_name.in_(part) for part in _chunks(names)]
    conditions += [Customer.housing_ref.in_(part) for part in _chunks(keys.references)]
    conditions += [func.lower(Customer.email).in_(part) for part in _chunks(keys.emails)]
    phones = keys.phones | {"44" + p[1:] for p in keys.phones if p.startswith("0")}
    conditions += [_phone_digits(Customer.phone).in_(part) for part in _chunks(phones)]
    cols = (
        Customer.id,
        Customer.first_name,
        Customer.last_name,
        Customer.title,
        Customer.housing_ref,
        Customer.email,
        Customer.phone,
    )
    others: dict[int, tuple] = {}
    for condition in conditions:
        found = s.execute(
            select(*cols).where(condition, Customer.id != customer.id, Customer.anonymised_at.is_(None))
        )
        others.update((row[0], tuple(row[1:])) for row in found)
    return rules.RedactionScanner(
        (
            rules.Identity("another customer", first, last, title, ref, email, phone)
            for _, (first, last, title, ref, email, phone) in sorted(others.items())
        ),
        exclude_names=[
            f"{customer.first_name} {customer.last_name}",
            f"{customer.title} {customer.last_name}",
        ],
    )


def _letter_text(content: bytes) -> str:
    try:
        import docx

        document = docx.Document(io.BytesIO(content))
    except Exception:  # not a readable .docx: nothing to scan
        return ""
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "letter"


def _staff(s, records: dict[str, list[dict]]) -> dict[int, dict]:
    ids = {
        row[col]
        for rows in records.values()
        for row in rows
        for col in _STAFF_COLUMNS
        if isinstance(row.get(col), int)
    }
    users = s.execute(select(User.id, User.name, User.role).where(_in(User.id, ids))).all()
    return {u.id: {"name": u.name, "role": u.role.label} for u in users}


def _row_texts(records: dict[str, list[dict]]) -> list[tuple[str, Any, str, str]]:
    """(table, row id, field, text) for every free-text value in the records but the customer's own."""
    out = []
    for name, rows in records.items():
        if name == "customer":
            continue
        for row in rows:
            row_id = row.get("id", "/".join(str(row.get(k)) for k in _LINK_KEYS.get(name, ())))
            out += [(name, row_id, field, text) for field, text in _text_fields(name, row)]
    return out


def _flags(scanner: rules.RedactionScanner, texts: list[tuple[str, Any, str, str]]) -> list[dict]:
    flags: list[dict] = []
    for name, row_id, column, text in texts:
        for found, kind in scanner.scan(text):
            flags.append({"table": name, "row_id": row_id, "field": column, "found": found, "kind": kind})
        if (name, column) in _THIRD_PARTY_FIELDS and name != "third_party_contact":
            flags.append(
                {
                    "table": name,
                    "row_id": row_id,
                    "field": column,
                    "found": text,
                    "kind": "third party named: check consent or redact",
                }
            )
    return flags


def _letters(s, letters: list[dict]) -> dict[int, bytes]:
    """Each letter's bytes, by id (one customer's letters)."""
    content = T["letter"].c.content
    return {
        letter["id"]: s.execute(select(content).where(T["letter"].c.id == letter["id"])).scalar_one() or b""
        for letter in letters
    }


def _write_pack(z: zipfile.ZipFile, pack: _Pack, progress: Progress) -> None:
    letters = pack.records["letter"]
    for i, letter in enumerate(letters):
        _step(progress, 0.4 + 0.3 * i / max(len(letters), 1), f"Adding letter {i + 1} of {len(letters)}")
        path = f"letters/{letter['id']}-{_safe_name(letter.get('filename') or letter['letter_type'])}"
        if not path.lower().endswith(".docx"):
            path += ".docx"
        letter["file_in_pack"] = path
        z.writestr(path, pack.contents[letter["id"]])
    for row in pack.records["attachment"]:  # issue 16: the evidence files themselves
        path = f"attachments/{row['id']}-{_safe_name(row.get('filename') or 'file')}"
        row["file_in_pack"] = path
        z.writestr(path, pack.files.get(row["id"], b""))
    _step(progress, 0.7, "Writing data files")
    for name, _title in PACK_TABLES:
        columns = [col.name for col in T[name].c if col.name != "content"]
        if name in ("letter", "attachment"):
            columns.append("file_in_pack")
        z.writestr(f"csv/{name}.csv", csv_bytes(pack.records[name], columns))
    data = {
        "customer_id": pack.customer.id,
        "generated_at": pack.now.isoformat(),
        "request_id": pack.request.id if pack.request else None,
        "staff": {str(k): v for k, v in pack.staff.items()},
        "tables": {name: to_jsonable(pack.records[name]) for name, _ in PACK_TABLES},
    }
    z.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
    z.writestr(
        "FOR_DMO_REVIEW_remove_before_release/redactions.csv",
        csv_bytes(pack.flags, ["table", "row_id", "field", "found", "kind"]),
    )
    _step(progress, 0.8, "Writing the summary document")
    z.writestr(
        "summary.docx",
        _summary_docx(pack.customer, pack.request, pack.records, pack.staff, pack.flags, pack.now),
    )
    z.writestr("README.txt", _readme(pack.customer, pack.request, pack.records, pack.flags, pack.now))


@dataclass
class _Pack:
    customer: Customer
    request: DataRequest | None
    records: dict[str, list[dict]]
    staff: dict[int, dict]
    contents: dict[int, bytes]
    flags: list[dict]
    now: dt.datetime
    files: dict[int, bytes] = field(default_factory=dict)


def build_sar_pack(
    actor: Actor,
    uow: UnitOfWork,
    request_id: int | None = None,
    customer_id: int | None = None,
    progress: Progress = None,
    now: dt.datetime | None = None,
) -> bytes:
    """A zip of everything held about one customer: data.json, one CSV per table, every letter
    (.docx), a readable summary.docx, and a redactions list for the DMO to action before release.

    Give the request (its identity must be checked) or, for the DMO's own review, a customer id.
    `progress(fraction, message)` is called as the pack is built.
    """
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    now = now or utcnow()
    with uow:
        s = uow.session
        request = None
        if request_id is not None:
            request = _open_request(uow, request_id, DataRequestKind.SAR)
            customer_id = request.customer_id
        if customer_id is None:
            raise PolicyError("Choose a subject access request or a customer.")
        customer = _customer(uow, customer_id)
        _step(progress, 0.05, "Collecting records")
        records = _collect(s, customer_id)
        contents = _letters(s, records["letter"])
        _step(progress, 0.3, "Checking free text for other people's personal data")
        texts = _row_texts(records)
        texts += [("letter", i, "content", _letter_text(c)) for i, c in contents.items()]
        flags = _flags(_scanner(s, customer, [t[3] for t in texts]), texts)
        from core.services.attachments import attachment_bytes

        files = {row["id"]: attachment_bytes(s, row["id"]) for row in records["attachment"]}
        pack = _Pack(customer, request, records, _staff(s, records), contents, flags, now, files)
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
            _write_pack(z, pack, progress)
        data = zipped.getvalue()
        uow.audit(
            actor,
            "build_sar_pack",
            entity_type="data_request" if request else "customer",
            entity_id=request_id if request else customer_id,
            customer_id=customer_id,
            after={
                "rows": _counts(records),
                "letters": len(contents),
                "redaction_flags": len(flags),
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        )
        uow.commit()
    _step(progress, 1.0, "Pack ready")
    return data


def _readme(
    customer: Customer, request: DataRequest | None, records: dict, flags: list, now: dt.datetime
) -> str:
    lines = [
        "Subject access pack: personal data held by Northampton Partnership Homes",
        f"Customer reference: {customer.housing_ref}",
        f"Generated: {now:%d %B %Y %H:%M} UTC",
        f"Request received: {request.received_on:%d %B %Y}; due {request.due_on:%d %B %Y}"
        if request
        else "No request logged: built for the Data Management Officer's review.",
        "",
        "summary.docx  a readable summary of every record",
        "data.json     every record in machine-readable form",
        "csv/          one spreadsheet file per table",
        "letters/      every letter issued, as Word documents",
        "",
        f"BEFORE RELEASE: the folder FOR_DMO_REVIEW_remove_before_release lists {len(flags)} "
        "place(s) where other people's personal data may appear. Redact them, then delete that "
        "folder and the 'Before release' section of summary.docx.",
    ]
    return "\n".join(lines) + "\n"


def _label(value: Any) -> str:
    if hasattr(value, "label"):
        return value.label
    if isinstance(value, dt.datetime):
        return f"{value:%d %b %Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d %b %Y}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(to_jsonable(value), ensure_ascii=False)
    return str(value)


def _summary_docx(
    customer: Customer, request: DataRequest | None, records: dict, staff: dict, flags: list, now: dt.datetime
) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Personal data held about you", 0)
    document.add_paragraph(f"{customer.full_name} (reference {customer.housing_ref})")
    if request is not None:
        document.add_paragraph(
            f"Request received {request.received_on:%d %B %Y}; response due {request.due_on:%d %B %Y}."
        )
    document.add_paragraph(
        f"Produced on {now:%d %B %Y} under clause 6 of the Unacceptable Behaviour Policy. Every "
        "record held about you is listed below and included in full in data.json and the csv "
        "folder; letters are in the letters folder."
    )
    if flags:
        document.add_heading("Before release: redactions (Data Management Officer only)", 1)
        document.add_paragraph("Remove this section once the items below are redacted.")
        for flag in flags:
            document.add_paragraph(
                f"{flag['table']} {flag['row_id']}, {flag['field']}: "
                f"\u201c{flag['found']}\u201d ({flag['kind']})",
                style="List Bullet",
            )
    skip = {"search_text", "version"}
    for name, title in PACK_TABLES:
        rows = records[name]
        document.add_heading(f"{title} ({len(rows)})", 1)
        if not rows:
            document.add_paragraph("None held.")
            continue
        for row in rows:
            if name == "audit_entry":
                who = row.get("username") or "system"
                changed = sorted(set(row.get("after") or {}) | set(row.get("before") or {}))
                text = (
                    f"{_label(row['at'])}  {who}: {row['action'].replace('_', ' ')} "
                    f"({row['entity_type']} {row.get('entity_id') or ''})"
                    + (f"; fields: {', '.join(changed[:12])}" if changed else "")
                    + (f"; reason: {row['reason']}" if row.get("reason") else "")
                )
                document.add_paragraph(text, style="List Bullet")
                continue
            parts = []
            for key, value in row.items():
                if key in skip or value in (None, "", {}, []):
                    continue
                if key in _STAFF_COLUMNS and isinstance(value, int) and value in staff:
                    value = f"{staff[value]['name']} ({staff[value]['role']})"
                parts.append(f"{key.replace('_', ' ')}: {_label(value)}")
            document.add_paragraph("; ".join(parts), style="List Bullet")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
