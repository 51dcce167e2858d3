"""Outgoing email (issue 15): every reminder is a row here first, written in the transaction that
caused it; `python -m core.reminders send` claims and sends pending rows over SMTP when configured."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, utcnow


class OutboxMessage(Base):
    """One email to one user. `dedupe_key` is unique, so a digest or a notice is queued once;
    `status` moves pending -> sending (claimed) -> sent, or back to pending after a failure
    (`attempts` counts them) until `failed`."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
