"""The SPOC and PVP registers (clause 5) and the need-to-know disclosure log (clause 4.2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import RegisterStatus
from core.models.base import Base, enum_type, utcnow
from core.models.cases import Incident
from core.models.people import Customer

spoc_request_incident = Table(
    "spoc_request_incident",
    Base.metadata,
    Column("spoc_request_id", Integer, ForeignKey("spoc_request.id"), primary_key=True),
    Column("incident_id", Integer, ForeignKey("incident.id"), primary_key=True),
)


class SpocRequest(Base):
    __tablename__ = "spoc_request"
    __table_args__ = (Index("ix_spoc_request_status_requested", "status", "requested_at"),)  # home page

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[RegisterStatus] = mapped_column(enum_type(RegisterStatus), default=RegisterStatus.PENDING)
    meeting_on: Mapped[dt.date | None]
    attendees: Mapped[str] = mapped_column(Text, default="")
    discussion: Mapped[str] = mapped_column(Text, default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None]

    evidence: Mapped[list[Incident]] = relationship(secondary=spoc_request_incident)
    customer: Mapped[Customer] = relationship()


class SpocEntry(Base):
    """An approved SPOC on the central register."""

    __tablename__ = "spoc_entry"
    __table_args__ = (Index("ix_spoc_entry_status_review", "status", "review_due", "case_id"),)  # monitoring

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("spoc_request.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    spoc_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    # issue 15: who stands in for the named SPOC officer during absences
    deputy_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    channels: Mapped[list[Any]] = mapped_column(default=list)
    contact_times: Mapped[str] = mapped_column(String(200), default="")
    contact_limit: Mapped[str] = mapped_column(String(200), default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[dt.date]
    review_due: Mapped[dt.date] = mapped_column(index=True)
    status: Mapped[RegisterStatus] = mapped_column(enum_type(RegisterStatus), default=RegisterStatus.ACTIVE)
    ended_on: Mapped[dt.date | None]
    ended_reason: Mapped[str] = mapped_column(Text, default="")

    customer: Mapped[Customer] = relationship()


class PvpConsideration(Base):
    """Raised by a violent/threatening incident; waits in the H&S Well-being Officer's queue."""

    __tablename__ = "pvp_consideration"
    __table_args__ = (Index("ix_pvp_consideration_status_raised", "status", "raised_at"),)  # home page

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="open")
    closed_reason: Mapped[str] = mapped_column(Text, default="")


class PvpEntry(Base):
    """A PVP register entry: proposed by a team leader, live only once the H&S officer approves."""

    __tablename__ = "pvp_entry"
    __table_args__ = (
        Index("ix_pvp_entry_status_review", "status", "review_due", "customer_id"),
    )  # monitoring

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    consideration_id: Mapped[int | None] = mapped_column(ForeignKey("pvp_consideration.id"))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reasons: Mapped[str] = mapped_column(Text)
    flag_type: Mapped[str] = mapped_column(String(60), default="PVP")
    arrangements: Mapped[str] = mapped_column(Text, default="")
    two_officers_on_visits: Mapped[bool] = mapped_column(default=True)
    status: Mapped[RegisterStatus] = mapped_column(enum_type(RegisterStatus), default=RegisterStatus.PENDING)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_at: Mapped[dt.datetime | None]
    starts_on: Mapped[dt.date | None]
    review_due: Mapped[dt.date | None] = mapped_column(index=True)
    customer_notified_on: Mapped[dt.date | None]
    not_notified_reason: Mapped[str] = mapped_column(Text, default="")
    reconsider_notice_on: Mapped[dt.date | None]
    ended_on: Mapped[dt.date | None]
    ended_reason: Mapped[str] = mapped_column(Text, default="")

    customer: Mapped[Customer] = relationship()


class DisclosureLog(Base):
    """Who saw which customer's arrangements on a need-to-know basis, and when."""

    __tablename__ = "disclosure_log"
    __table_args__ = (Index("ix_disclosure_log_at", "at"),)  # migration 0004

    id: Mapped[int] = mapped_column(primary_key=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
