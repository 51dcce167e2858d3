"""Notes that something needs checking (clauses 4.2 and 6). Hearsay or opinion is not recorded as
an incident: what was reported second-hand can be kept only as a note saying that something
needs checking and whom to ask, never what was said. A note is not evidence, not an incident
and never on the timeline as an incident."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork, snapshot
from core.errors import NotFound, PolicyError
from core.models import CheckNote, Customer, ServiceArea, User
from core.permissions import Actor, Permission, require
from core.readmodel import ReadModel
from core.validation import clean_line

WHAT = "Something needs checking"


@dataclass(frozen=True)
class CheckNoteRow(ReadModel):
    id: int
    customer_id: int
    noted_on: dt.date
    what: str  # always WHAT: the note never holds what was said
    who_to_ask: str
    service_area: str
    recorded_by: str


def record_check_note(
    actor: Actor,
    customer_id: int,
    who_to_ask: str,
    uow: UnitOfWork,
    noted_on: dt.date | None = None,
    service_area_id: int | None = None,
    today: dt.date | None = None,
) -> int:
    """Keep a note that something reported about the customer needs checking, and whom to ask
    (the person who could give a first-hand account). Returns the note's id."""
    require(actor, Permission.RECORD_INCIDENTS)
    today = today or dt.date.today()
    who = clean_line(who_to_ask, "Who to ask", required=True)
    day = noted_on or today
    if day > today:
        raise PolicyError("The date of the note cannot be in the future.")
    with uow:
        customer = uow.session.get(Customer, customer_id)
        if customer is None or customer.anonymised_at is not None:
            raise NotFound("No such customer.")
        area_id = service_area_id or actor.service_area_id or customer.service_area_id
        if area_id is not None and uow.session.get(ServiceArea, area_id) is None:
            raise PolicyError("The service area does not exist.")
        note = CheckNote(
            customer_id=customer.id,
            service_area_id=area_id,
            noted_on=day,
            who_to_ask=who,
            recorded_by_id=actor.user_id,
        )
        uow.session.add(note)
        uow.flush()
        uow.audit(actor, "record_check_note", note, customer_id=customer.id, after=snapshot(note))
        uow.commit()
        return note.id


def check_notes(actor: Actor, customer_id: int, uow: UnitOfWork, limit: int = 200) -> list[CheckNoteRow]:
    """A customer's notes that something needs checking, newest first."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        rows = uow.session.execute(
            select(CheckNote, ServiceArea.name, User.name)
            .outerjoin(ServiceArea, ServiceArea.id == CheckNote.service_area_id)
            .outerjoin(User, User.id == CheckNote.recorded_by_id)
            .where(CheckNote.customer_id == customer_id)
            .order_by(CheckNote.noted_on.desc(), CheckNote.id.desc())
            .limit(limit)
        ).all()
        return [
            CheckNoteRow(n.id, n.customer_id, n.noted_on, WHAT, n.who_to_ask, area or "", by or "")
            for n, area, by in rows
        ]
