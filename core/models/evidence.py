"""Issue 16: the evidence and the people around a case. Contacts and case notes (one log),
attachments, households at an address, communication needs and partner-agency actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import Channel
from core.enums_evidence import Agency, Direction, EntryKind, HouseholdRole, PartnerAction, PreferredFormat
from core.models.base import Base, enum_type, utcnow


class ContactLog(Base):
    """A contact with the customer or a case note (clause 2.3: "notes of phone calls / visits").

    A contact from the customer outside a restriction in force is marked (`outside_arrangement`,
    with the restriction and the reasons), which the case, the review and the timeline show."""

    __tablename__ = "contact_log"
    __table_args__ = (Index("ix_contact_log_customer_at", "customer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    kind: Mapped[EntryKind] = mapped_column(enum_type(EntryKind))
    occurred_at: Mapped[dt.datetime]
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    direction: Mapped[Direction] = mapped_column(enum_type(Direction))
    staff_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    duration_minutes: Mapped[int | None]
    with_whom: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text)
    outside_arrangement: Mapped[bool] = mapped_column(default=False)
    outside_reasons: Mapped[list[Any]] = mapped_column(default=list)
    formal_action_id: Mapped[int | None] = mapped_column(ForeignKey("formal_action.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    amended_at: Mapped[dt.datetime | None]
    amended_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class Attachment(Base):
    """An evidence file on an incident, a contact/note or a decision. The bytes are in `content`
    (the data-protection map leaves a column of that name out of its rows) unless a folder is
    configured, when `stored_path` names the file there. Never executed; only images inline."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int]
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    extension: Mapped[str] = mapped_column(String(10))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    stored_path: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Household(Base):
    """An address from the housing system, by its property reference."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    property_ref: Mapped[str] = mapped_column(String(40), unique=True)
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    town: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(12), default="", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def address(self) -> str:
        parts = (self.address_line1, self.address_line2, self.town, self.postcode)
        return ", ".join(p for p in parts if p)


class HouseholdMember(Base):
    """A customer's membership of a household: one household per customer at a time."""

    __tablename__ = "household_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), unique=True)
    role: Mapped[HouseholdRole] = mapped_column(enum_type(HouseholdRole), default=HouseholdRole.TENANT)
    joined_on: Mapped[dt.date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class CommunicationNeeds(Base):
    """A customer's preferred format and communication needs (issue 16 item 6)."""

    __tablename__ = "communication_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), unique=True)
    preferred_format: Mapped[PreferredFormat] = mapped_column(
        enum_type(PreferredFormat), default=PreferredFormat.STANDARD
    )
    large_print: Mapped[bool] = mapped_column(default=False)
    easy_read: Mapped[bool] = mapped_column(default=False)
    interpreter_language: Mapped[str] = mapped_column(String(60), default="")
    bsl: Mapped[bool] = mapped_column(default=False)
    advocate_name: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PartnerReferral(Base):
    """A referral to, contact with, or legal remedy through another agency (issue 16 item 5)."""

    __tablename__ = "partner_referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    agency: Mapped[Agency] = mapped_column(enum_type(Agency))
    action: Mapped[PartnerAction] = mapped_column(enum_type(PartnerAction))
    made_on: Mapped[dt.date]
    reference: Mapped[str] = mapped_column(String(60), default="")
    details: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    outcome_on: Mapped[dt.date | None]
    court_date: Mapped[dt.date | None] = mapped_column(index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
