"""Issue 16 item 3: evidence files on an incident, a contact/note or a decision.

The type is checked by content (the `filetype` library reads the file's signature; the name's
extension must agree), the size is limited (FT_ATTACHMENT_MAX_MB, default 20), the bytes are
kept in the database with a SHA-256 checksum (or, with FT_ATTACHMENT_DIR set, in that folder).
Files are never executed; only images are shown inline. Every download is access-logged. A
contractor (no VIEW_CASES) never sees them."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path

import filetype  # type: ignore[import-untyped]
from sqlalchemy import select

from core.db import UnitOfWork, snapshot
from core.enums_evidence import AttachmentSubject
from core.errors import ConfigError, NotFound, PolicyError
from core.models import AccessLog, Attachment, ContactLog, Incident, StageEvent, User
from core.permissions import Actor, Permission, require
from core.validation import clean_line

log = logging.getLogger(__name__)

# extension -> the MIME types its content may have (detected by filetype, or sniffed below)
ALLOWED: dict[str, tuple[str, ...]] = {
    "jpg": ("image/jpeg",),
    "jpeg": ("image/jpeg",),
    "png": ("image/png",),
    "gif": ("image/gif",),
    "webp": ("image/webp",),
    "heic": ("image/heic",),
    "pdf": ("application/pdf",),
    "mp3": ("audio/mpeg",),
    "m4a": ("audio/mp4", "video/mp4"),
    "wav": ("audio/x-wav",),
    "ogg": ("audio/ogg",),
    "amr": ("audio/amr",),
    "mp4": ("video/mp4",),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
    "doc": ("application/x-ole-storage",),
    "msg": ("application/x-ole-storage",),
    "eml": ("message/rfc822",),
    "txt": ("text/plain",),
}
INLINE = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
OLE_SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")


@dataclass(frozen=True)
class AttachmentRow:
    id: int
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    subject_type: str
    subject_id: int
    uploaded_by: str
    uploaded_at: dt.datetime
    inline: bool  # an image: may be shown on the page


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    content: bytes
    inline: bool


def max_bytes() -> int:
    raw = os.environ.get("FT_ATTACHMENT_MAX_MB", "").strip() or "20"
    if not raw.isdigit() or not 1 <= int(raw) <= 500:
        raise ConfigError(f"FT_ATTACHMENT_MAX_MB must be a whole number from 1 to 500, not {raw!r}.")
    return int(raw) * 1024 * 1024


def storage_dir() -> Path | None:
    raw = os.environ.get("FT_ATTACHMENT_DIR", "").strip()
    return Path(raw) if raw else None


def _text_kind(content: bytes) -> str | None:
    """Types without a binary signature: an email (.eml) has headers; plain text decodes."""
    try:
        text = content[:65536].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    message = message_from_bytes(content[:65536])
    if message.get("From") and (message.get("Date") or message.get("Subject")):
        return "message/rfc822"
    return "text/plain"


def detect(filename: str, content: bytes) -> tuple[str, str]:
    """(extension, media type) after checking the content matches the name; PolicyError if not."""
    extension = Path(filename).suffix.lower().lstrip(".")
    if extension not in ALLOWED:
        raise PolicyError(
            f"Files of type .{extension or '(none)'} cannot be attached. Allowed: "
            + ", ".join(f".{e}" for e in sorted(ALLOWED))
            + "."
        )
    kind = filetype.guess(content)
    if kind is not None:
        media = kind.mime
    elif content.startswith(OLE_SIGNATURE):
        media = "application/x-ole-storage"
    else:
        media = _text_kind(content) or "application/octet-stream"
    if extension == "docx" and media == "application/zip":
        media = ALLOWED["docx"][0] if b"word/" in content else media
    if extension == "txt" and media == "message/rfc822":
        media = "text/plain"
    if media not in ALLOWED[extension]:
        raise PolicyError(
            f"{filename}: the file's content is not a .{extension} file (it looks like "
            f"{media}). Nothing was saved."
        )
    return extension, media


_SUBJECTS = {
    AttachmentSubject.INCIDENT: Incident,
    AttachmentSubject.NOTE: ContactLog,
    AttachmentSubject.DECISION: StageEvent,
}


def _subject_owner(session, subject: AttachmentSubject, subject_id: int) -> tuple[int, int | None]:
    row = session.get(_SUBJECTS[subject], subject_id)
    if row is None:
        raise NotFound(f"No such {subject.label.lower()}.")
    if isinstance(row, StageEvent):
        return row.case.customer_id, row.case_id
    return row.customer_id, row.case_id


def attach_file(
    actor: Actor,
    subject_type: str,
    subject_id: int,
    filename: str,
    content: bytes,
    uow: UnitOfWork,
    description: str = "",
) -> int:
    """Attach an evidence file; returns its id. Refused if too large or its content does not
    match its name."""
    require(actor, Permission.RECORD_INCIDENTS)
    subject = (
        AttachmentSubject(subject_type) if subject_type in AttachmentSubject._value2member_map_ else None
    )
    if subject is None:
        raise PolicyError("Attach the file to an incident, a contact or note, or a decision.")
    name = clean_line(Path(filename or "").name, "File name", required=True)
    if not content:
        raise PolicyError(f"{name} is empty.")
    limit = max_bytes()
    if len(content) > limit:
        raise PolicyError(f"{name} is {len(content) / 1048576:.1f} MB; the limit is {limit // 1048576} MB.")
    extension, media = detect(name, content)
    digest = hashlib.sha256(content).hexdigest()
    with uow:
        customer_id, case_id = _subject_owner(uow.session, subject, subject_id)
        row = Attachment(
            customer_id=customer_id,
            case_id=case_id,
            subject_type=subject.value,
            subject_id=subject_id,
            filename=name,
            media_type=media,
            extension=extension,
            size_bytes=len(content),
            sha256=digest,
            uploaded_by_id=actor.user_id,
            description=clean_line(description, "Description"),
        )
        folder = storage_dir()
        if folder is None:
            row.content = content
        uow.session.add(row)
        uow.flush()
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{row.id}-{digest}.bin"  # never the uploaded name: nothing to execute
            path.write_bytes(content)
            row.stored_path = str(path)
        uow.audit(actor, "attach_file", row, after=snapshot(row))
        uow.commit()
        log.info("file attached", extra={"attachment_id": row.id, "actor_id": actor.user_id})
        return row.id


def remove_stored_files(rows: list[dict]) -> int:
    """Delete the folder copies of attachment rows being erased or deleted (rows from the
    data-protection map); database-stored bytes go with their rows. Returns files removed."""
    removed = 0
    for row in rows:
        path = Path(row.get("stored_path") or "")
        if row.get("stored_path") and path.is_file():
            path.unlink()
            removed += 1
    return removed


def attachment_bytes(session, attachment_id: int) -> bytes:
    """The stored bytes (database or folder). No permission check: callers check theirs."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("No such attachment.")
    if row.content is not None:
        return bytes(row.content)
    return Path(row.stored_path).read_bytes() if row.stored_path else b""


def list_attachments(
    actor: Actor,
    customer_id: int,
    uow: UnitOfWork,
    *,
    subject_type: str | None = None,
    subject_id: int | None = None,
) -> list[AttachmentRow]:
    """A customer's attachments (optionally one subject's), newest first, without their bytes."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        stmt = (
            select(
                Attachment.id,
                Attachment.filename,
                Attachment.media_type,
                Attachment.size_bytes,
                Attachment.sha256,
                Attachment.subject_type,
                Attachment.subject_id,
                User.name,
                Attachment.uploaded_at,
            )
            .join(User, User.id == Attachment.uploaded_by_id)
            .where(Attachment.customer_id == customer_id)
        )
        if subject_type is not None:
            stmt = stmt.where(Attachment.subject_type == subject_type, Attachment.subject_id == subject_id)
        rows = uow.session.execute(stmt.order_by(Attachment.id.desc())).all()
        return [AttachmentRow(*r, inline=r.media_type in INLINE) for r in rows]


def download_attachment(actor: Actor, attachment_id: int, uow: UnitOfWork) -> Download:
    """The file, with its checksum verified; the download is recorded in the access log."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        row = uow.session.get(Attachment, attachment_id)
        if row is None:
            raise NotFound("No such attachment.")
        content = attachment_bytes(uow.session, attachment_id)
        if hashlib.sha256(content).hexdigest() != row.sha256:
            raise PolicyError(
                "This file does not match the checksum recorded when it was attached: "
                "it may have been altered. Ask the Data Management Officer."
            )
        uow.session.add(
            AccessLog(user_id=actor.user_id, customer_id=row.customer_id, what=f"attachment {row.id}")
        )
        uow.commit()
        return Download(row.filename, row.media_type, content, row.media_type in INLINE)
