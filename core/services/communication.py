"""Issue 16 item 6: recording a customer's preferred format and communication needs; what every
letter drafted for them says at the top and whether it is in large print; and the needs the
Equality Act check on a written-only restriction takes into account."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork, snapshot
from core.enums import LetterType
from core.enums_evidence import PreferredFormat
from core.errors import NotFound
from core.models import CommunicationNeeds, Customer
from core.permissions import Actor, Permission, require
from core.policy import communication as rules
from core.policy.letters import CUSTOMER_LETTERS
from core.validation import clean_line, clean_text, parse_enum


@dataclass
class NeedsForm:
    preferred_format: str = PreferredFormat.STANDARD.value
    large_print: bool = False
    easy_read: bool = False
    interpreter_language: str = ""
    bsl: bool = False
    advocate_name: str = ""
    notes: str = ""


def _needs(row: CommunicationNeeds | None) -> rules.Needs:
    if row is None:
        return rules.Needs()
    return rules.Needs(
        row.preferred_format.value,
        row.preferred_format.label,
        row.large_print,
        row.easy_read,
        row.interpreter_language,
        row.bsl,
        row.advocate_name,
    )


def needs_in(session, customer_id: int) -> rules.Needs:
    """The customer's recorded needs (none recorded: standard print). No permission check."""
    return _needs(
        session.scalar(select(CommunicationNeeds).where(CommunicationNeeds.customer_id == customer_id))
    )


def record_needs(actor: Actor, customer_id: int, form: NeedsForm, uow: UnitOfWork) -> None:
    """Record (or change) a customer's preferred format and needs; the change is audited."""
    require(actor, Permission.RECORD_INCIDENTS)
    values = {
        "preferred_format": parse_enum(PreferredFormat, form.preferred_format, "Preferred format"),
        "large_print": bool(form.large_print),
        "easy_read": bool(form.easy_read),
        "bsl": bool(form.bsl),
        "interpreter_language": clean_line(form.interpreter_language, "Interpreter language", max_len=60),
        "advocate_name": clean_line(form.advocate_name, "Advocate's name"),
        "notes": clean_text(form.notes, "Notes", max_len=2000),
    }
    with uow:
        customer = uow.session.get(Customer, customer_id)
        if customer is None or customer.anonymised_at is not None:
            raise NotFound("No such customer.")
        row = uow.session.scalar(
            select(CommunicationNeeds).where(CommunicationNeeds.customer_id == customer_id)
        )
        before = snapshot(row) if row else None
        if row is None:
            row = CommunicationNeeds(customer_id=customer_id)
            uow.session.add(row)
        for key, value in values.items():
            setattr(row, key, value)
        row.recorded_by_id = actor.user_id
        uow.flush()
        uow.audit(actor, "record_communication_needs", row, before=before, after=snapshot(row))
        uow.commit()


def get_needs(actor: Actor, customer_id: int, uow: UnitOfWork) -> rules.Needs:
    require(actor, Permission.VIEW_CASES)
    with uow:
        return needs_in(uow.session, customer_id)


def letter_format(session, customer_id: int, letter_type: LetterType) -> tuple[str, bool]:
    """(the needs line for the top of the letter, large print?) for a letter to this customer.
    A notice to staff is not written for the customer: no line, standard print."""
    if LetterType(letter_type) not in CUSTOMER_LETTERS:
        return "", False
    needs = needs_in(session, customer_id)
    return rules.needs_line(needs), needs.wants_large_print


def writing_needs_in(session, customer_id: int) -> list[str]:
    """Needs that make writing hard, for the written-only restriction check (core.policy.stages)."""
    return rules.writing_needs(needs_in(session, customer_id))
