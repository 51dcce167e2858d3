"""Incidents, service referrals, cases and what happens on them: stage events, formal actions,
reviews, appeals and letters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import (
    ActionStatus,
    AppealOutcome,
    Behaviour,
    Category,
    Channel,
    EvidenceSource,
    FormalActionType,
    LetterType,
    ReviewOutcome,
    Stage,
)
from core.models.base import Base, enum_type, utcnow
from core.models.people import Customer, ServiceArea, User
from core.policy import incidents as rules

stage_event_incident = Table(
    "stage_event_incident",
    Base.metadata,
    Column("stage_event_id", Integer, ForeignKey("stage_event.id"), primary_key=True),
    Column("incident_id", Integer, ForeignKey("incident.id"), primary_key=True),
)


def _opener_as_owner(context: Any) -> int | None:
    """Insert default for `Case.owner_id`: whoever opened the case owns it."""
    return context.get_current_parameters().get("opened_by_id")


class Case(Base):
    """One customer's case under the policy. `version` gives optimistic locking."""

    __tablename__ = "case_file"
    __table_args__ = (  # monitoring (issue 7, migration 0003): open cases by stage, warnings due for review
        Index("ix_case_file_stage_area", "stage", "service_area_id"),
        Index("ix_case_file_stage_warning_review", "stage", "warning_review_due", "service_area_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    service_area_id: Mapped[int] = mapped_column(ForeignKey("service_area.id"), index=True)
    stage: Mapped[Stage] = mapped_column(enum_type(Stage), default=Stage.NONE, index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # issue 15: the named team leader/manager who owns the case; the one who opened it by default
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id"), index=True, default=_opener_as_owner
    )
    closed_at: Mapped[dt.datetime | None]
    closure_reason: Mapped[str] = mapped_column(Text, default="")
    warning_review_due: Mapped[dt.date | None] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(default=1)

    customer: Mapped[Customer] = relationship()
    service_area: Mapped[ServiceArea] = relationship()
    incidents: Mapped[list[Incident]] = relationship(back_populates="case")
    stage_events: Mapped[list[StageEvent]] = relationship(back_populates="case", order_by="StageEvent.id")
    formal_actions: Mapped[list[FormalAction]] = relationship(back_populates="case")

    __mapper_args__ = {"version_id_col": version}


class Incident(Base):
    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_occurred_category", "occurred_at", "category"),
        # monitoring (issue 7): covers the period x category x service area aggregates
        Index("ix_incident_period_area", "occurred_at", "category", "service_area_id"),
        # the timeline's newest-first page of one customer's incidents (issue 18, migration 0005)
        Index("ix_incident_customer_occurred", "customer_id", "occurred_at"),
        # one incident per form submission (issue 13 item 10, migration 0005)
        Index("ux_incident_submission_token", "submission_token", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    service_area_id: Mapped[int] = mapped_column(ForeignKey("service_area.id"), index=True)
    occurred_at: Mapped[dt.datetime]
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    category: Mapped[Category] = mapped_column(enum_type(Category))
    description: Mapped[str] = mapped_column(Text)
    evidence_source: Mapped[EvidenceSource] = mapped_column(enum_type(EvidenceSource))
    third_party_name: Mapped[str] = mapped_column(String(200), default="")
    witnesses: Mapped[str] = mapped_column(Text, default="")
    staff_affected: Mapped[str] = mapped_column(String(200), default="")
    violence_or_threat: Mapped[bool] = mapped_column(default=False)
    police_reference: Mapped[str] = mapped_column(String(60), default="")
    police_not_referred_reason: Mapped[str] = mapped_column(Text, default="")
    in_person_adjustment: Mapped[bool] = mapped_column(default=False)
    service_failure: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    amended_at: Mapped[dt.datetime | None]
    amended_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(server_default="1")  # optimistic locking (migration 0005)
    submission_token: Mapped[str | None] = mapped_column(String(64))  # the form submission that saved it

    customer: Mapped[Customer] = relationship()
    case: Mapped[Case | None] = relationship(back_populates="incidents")
    behaviours: Mapped[list[IncidentBehaviour]] = relationship(
        back_populates="incident", cascade="all, delete-orphan"
    )
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def counts_as_evidence(self) -> bool:
        """Hearsay or opinion is never considered in decisions (clauses 4.2 and 6): the one rule
        is core.policy.incidents.counts_as_evidence."""
        return rules.counts_as_evidence(self.evidence_source)


class IncidentBehaviour(Base):
    __tablename__ = "incident_behaviour"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    behaviour: Mapped[Behaviour] = mapped_column(enum_type(Behaviour), primary_key=True)

    incident: Mapped[Incident] = relationship(back_populates="behaviours")


class ServiceReferral(Base):
    """An NPH service failure behind the behaviour, referred to the service area until resolved."""

    __tablename__ = "service_referral"
    __table_args__ = (Index("ix_service_referral_raiser_open", "raised_by_id", "resolved_at"),)  # home page

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    service_area_id: Mapped[int] = mapped_column(ForeignKey("service_area.id"))
    description: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    resolved_at: Mapped[dt.datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    resolution: Mapped[str] = mapped_column(Text, default="")

    service_area: Mapped[ServiceArea] = relationship()


class StageEvent(Base):
    """A decision moving a case into a stage (or closing it), with its evidence and reasons.

    `details` holds the stage's own checklist (e.g. informal: contact made, behaviour set out).
    """

    __tablename__ = "stage_event"
    __table_args__ = (
        Index("ix_stage_event_decided_on", "decided_on"),  # monitoring: movements in a period
        Index("ix_stage_event_period_moves", "decided_on", "case_id", "from_stage", "to_stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    from_stage: Mapped[Stage] = mapped_column(enum_type(Stage))
    to_stage: Mapped[Stage] = mapped_column(enum_type(Stage))
    decided_on: Mapped[dt.date]
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    skip_reason: Mapped[str] = mapped_column(Text, default="")
    underlying_issues_considered: Mapped[bool] = mapped_column(default=False)
    underlying_issues_notes: Mapped[str] = mapped_column(Text, default="")
    adjustments: Mapped[str] = mapped_column(Text, default="")
    review_due: Mapped[dt.date | None]
    notified_on: Mapped[dt.date | None]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="stage_events")
    decided_by: Mapped[User] = relationship()
    evidence: Mapped[list[Incident]] = relationship(secondary=stage_event_incident)


class FormalAction(Base):
    """A formal-stage restriction (clause 4.1), temporary and reviewed within 3 to 12 months."""

    __tablename__ = "formal_action"
    __table_args__ = (
        Index("ix_formal_action_status_review", "status", "review_due", "case_id"),
    )  # monitoring

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    stage_event_id: Mapped[int] = mapped_column(ForeignKey("stage_event.id"), index=True)
    kind: Mapped[FormalActionType] = mapped_column(enum_type(FormalActionType))
    terms: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    starts_on: Mapped[dt.date]
    review_due: Mapped[dt.date] = mapped_column(index=True)
    status: Mapped[ActionStatus] = mapped_column(enum_type(ActionStatus), default=ActionStatus.ACTIVE)
    ended_on: Mapped[dt.date | None]
    ended_reason: Mapped[str] = mapped_column(Text, default="")
    # Legal remedies (injunction, demotion, possession; migration 0007): the court's dates.
    court_reference: Mapped[str] = mapped_column(String(60), default="")
    proceedings_issued_on: Mapped[dt.date | None]
    hearing_on: Mapped[dt.date | None]
    order_on: Mapped[dt.date | None]

    case: Mapped[Case] = relationship(back_populates="formal_actions")
    stage_event: Mapped[StageEvent] = relationship()


class Review(Base):
    """A review of a warning, formal action, SPOC or PVP entry. `subject_type` names which."""

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int]
    held_on: Mapped[dt.date]
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    evidence_considered: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[ReviewOutcome] = mapped_column(enum_type(ReviewOutcome))
    next_review_due: Mapped[dt.date | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Appeal(Base):
    """An appeal against a decision; `subject_type` is stage_event, formal_action or spoc."""

    __tablename__ = "appeal"
    __table_args__ = (
        Index("ix_appeal_pending_due", "decided_on", "due_on", "case_id"),
        Index("ix_appeal_case_pending", "case_id", "decided_on", "due_on"),  # home page: appeals on my cases
    )  # monitoring: overdue

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int]
    received_on: Mapped[dt.date]
    late: Mapped[bool] = mapped_column(default=False)
    late_accepted_reason: Mapped[str] = mapped_column(Text, default="")
    grounds: Mapped[str] = mapped_column(Text, default="")
    decision_maker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    due_on: Mapped[dt.date] = mapped_column(index=True)
    decided_on: Mapped[dt.date | None]
    outcome: Mapped[AppealOutcome | None] = mapped_column(enum_type(AppealOutcome))
    decision_notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    decision_maker: Mapped[User] = relationship(foreign_keys=[decision_maker_id])


class Letter(Base):
    """A letter drafted from a template; the .docx bytes are kept in the database."""

    __tablename__ = "letter"
    __table_args__ = (Index("ix_letter_subject", "subject_id", "letter_type"),)  # home page: letters to send

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    letter_type: Mapped[LetterType] = mapped_column(enum_type(LetterType))
    subject_type: Mapped[str] = mapped_column(String(30), default="")
    subject_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(10), default="sent")
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_on: Mapped[dt.date | None]
    template_version: Mapped[str] = mapped_column(String(80), default="")
    checksum: Mapped[str] = mapped_column(String(64), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    filename: Mapped[str] = mapped_column(String(200), default="")
