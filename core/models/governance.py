"""Audit trail, access log, data-protection requests and annotations (clause 6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import DataRequestKind
from core.models.base import Base, enum_type, utcnow


class AuditEntry(Base):
    """Append-only: who did what, when, to which record, before and after, and why.

    Written in the same transaction as the change; the ORM refuses updates and deletes.
    `user_id` is a plain number, not a foreign key, so the trail outlives the account.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entity", "entity_type", "entity_id"),
        # migration 0004: keyset paging and the filtered audit page
        Index("ix_audit_entity_at", "entity_type", "at"),
        Index("ix_audit_username_at", "username", "at"),
        Index("ix_audit_customer_at", "customer_id", "at"),
        Index("ix_audit_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    customer_id: Mapped[int | None] = mapped_column(index=True)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    reason: Mapped[str] = mapped_column(Text, default="")


class AccessLog(Base):
    """Viewing a customer's records is itself recorded (who looked, when, at what)."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_at", "at"),)  # migration 0004

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    what: Mapped[str] = mapped_column(String(60), default="case")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DataRequest(Base):
    """A subject access, rectification or erasure request handled by the DMO."""

    __tablename__ = "data_request"
    __table_args__ = (Index("ix_data_request_status_due", "status", "due_on"),)  # home page

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[DataRequestKind] = mapped_column(enum_type(DataRequestKind))
    received_on: Mapped[dt.date]
    due_on: Mapped[dt.date]
    identity_checked: Mapped[bool] = mapped_column(default=False)
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    decision: Mapped[str] = mapped_column(String(20), default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    logged_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None]


class Annotation(Base):
    """A note attached to a record (e.g. the customer disputes it), shown on the timeline."""

    __tablename__ = "annotation"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AppSetting(Base):
    """Installation-wide settings kept in the database so every app process shares them
    (e.g. the login cookie key generated on first run)."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
