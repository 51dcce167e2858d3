"""Seeded work for the home page, ownership and reminder tests (issue 15): an overdue appeal, an
overdue PVP review, an open PVP consideration, a pending SPOC request, a data request near its
due date, a case whose owner was disabled, a user without a service area, an area without an AD."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.auth import hash_password
from core.db import UnitOfWork
from core.enums import (
    Category,
    Channel,
    DataRequestKind,
    EvidenceSource,
    RegisterStatus,
    Role,
    Stage,
)
from core.models import (
    Appeal,
    Case,
    Customer,
    DataRequest,
    Incident,
    PvpConsideration,
    PvpEntry,
    ServiceArea,
    SpocRequest,
    StageEvent,
    User,
)
from core.policy.deadlines import appeal_decision_due, sar_due


@dataclass(frozen=True)
class Seeded:
    formal_case_id: int
    formal_customer_id: int
    orphan_case_id: int
    appeal_id: int
    pvp_entry_id: int
    spoc_request_id: int
    data_request_id: int
    old_owner_id: int
    housing_id: int


def _user(session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def seed_work(url: str, today: dt.date) -> Seeded:
    with UnitOfWork(url) as uow:
        s = uow.session
        leader, ad, dmo, hsw = (_user(s, u) for u in ("teamleader", "ad.housing", "dmo", "hsw"))
        housing = leader.service_area_id
        assert housing is not None, "the demo team leader works in one service area"
        old = User(
            username="teamleader.old",
            name="Former Leader",
            email="old@nph.example",
            password_hash=hash_password("x-unused-password"),
            role=Role.TEAM_LEADER,
            service_area_id=housing,
            active=False,
        )
        noarea = User(
            username="tl.noarea",
            name="New Starter",
            email="new@nph.example",
            password_hash=hash_password("x-unused-password"),
            role=Role.TEAM_LEADER,
            active=True,
        )
        s.add_all([old, noarea, ServiceArea(name="Lettings")])
        a = Customer(
            housing_ref="NPH700001", first_name="Siân", last_name="Kowalski", service_area_id=housing
        )
        b = Customer(housing_ref="NPH700002", first_name="Zoë", last_name="Jones", service_area_id=housing)
        s.add_all([a, b])
        s.flush()
        case = Case(customer_id=a.id, service_area_id=housing, opened_by_id=leader.id, stage=Stage.FORMAL)
        orphan = Case(customer_id=b.id, service_area_id=housing, opened_by_id=old.id, stage=Stage.INFORMAL)
        s.add_all([case, orphan])
        s.flush()
        incident = Incident(
            customer_id=a.id,
            case_id=case.id,
            service_area_id=housing,
            occurred_at=dt.datetime.combine(today - dt.timedelta(days=40), dt.time(10), dt.UTC),
            channel=Channel.PHONE,
            category=Category.AGGRESSIVE,
            description="Shouted.",
            evidence_source=EvidenceSource.FIRST_HAND,
            violence_or_threat=True,
            recorded_by_id=leader.id,
        )
        s.add(incident)
        s.flush()
        event = StageEvent(
            case_id=case.id,
            from_stage=Stage.WARNING,
            to_stage=Stage.FORMAL,
            decided_on=today - dt.timedelta(days=30),
            decided_by_id=leader.id,
            notified_on=today - dt.timedelta(days=30),
        )
        s.add(event)
        s.flush()
        received = today - dt.timedelta(days=12)
        appeal = Appeal(
            case_id=case.id,
            subject_type="stage_event",
            subject_id=event.id,
            received_on=received,
            decision_maker_id=ad.id,
            due_on=appeal_decision_due(received),
            recorded_by_id=leader.id,
        )
        consideration = PvpConsideration(incident_id=incident.id, customer_id=a.id)
        pvp = PvpEntry(
            customer_id=a.id,
            proposed_by_id=leader.id,
            reasons="Threats.",
            status=RegisterStatus.ACTIVE,
            approved_by_id=hsw.id,
            starts_on=today - dt.timedelta(days=370),
            review_due=today - dt.timedelta(days=5),
            customer_notified_on=today - dt.timedelta(days=360),
        )
        spoc = SpocRequest(case_id=case.id, customer_id=a.id, requested_by_id=leader.id, reason="Many calls.")
        sar_received = today - dt.timedelta(days=25)
        request = DataRequest(
            customer_id=a.id,
            kind=DataRequestKind.SAR,
            received_on=sar_received,
            due_on=sar_due(sar_received),
            logged_by_id=dmo.id,
        )
        s.add_all([appeal, consideration, pvp, spoc, request])
        uow.commit()
        return Seeded(case.id, a.id, orphan.id, appeal.id, pvp.id, spoc.id, request.id, old.id, housing)
