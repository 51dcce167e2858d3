"""A letter's facts: the docxtpl context and the "facts used" table, assembled from the part
every letter shares (date, reference, officer, customer, appeal route) and the part its own
builder gives (core/letters/builders.py). Pure: the records arrive loaded, `today` is passed in.
The queries that load them live in core/services/letters/facts.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from core.enums import LetterType
from core.letters import wording as W
from core.policy.deadlines import APPEAL_WINDOW_DAYS, appeal_deadline
from core.policy.letters import CUSTOMER_LETTERS, letter_appeal_window_start

# --- which facts each letter gets ---------------------------------------------------------
_COMMON = {"letter_date", "reference", "officer", "customer", "paragraphs"}
_TO_CUSTOMER = _COMMON | {"appeal_route"}
CONTEXT_KEYS: dict[LetterType, frozenset[str]] = {
    LetterType.INFORMAL_SUMMARY: frozenset(_TO_CUSTOMER | {"conversation_date", "incidents"}),
    LetterType.WARNING: frozenset(
        _TO_CUSTOMER
        | {"incidents", "previous_incidents", "previous_incident_dates", "review_date", "decision_date"}
    ),
    LetterType.FORMAL: frozenset(
        _TO_CUSTOMER | {"incidents", "restrictions", "decision_date", "warning_date"}
    ),
    LetterType.APPEAL_ACK: frozenset(_TO_CUSTOMER | {"appeal"}),
    LetterType.APPEAL_OUTCOME: frozenset(_TO_CUSTOMER | {"appeal"}),
    LetterType.REVIEW_OUTCOME: frozenset(_TO_CUSTOMER | {"review"}),
    LetterType.THIRD_PARTY: frozenset(_TO_CUSTOMER | {"contact"}),
    LetterType.PVP_NOTICE: frozenset(_TO_CUSTOMER | {"pvp"}),
    # Clause 4.2: staff need the arrangements, never the reasons: no incidents in this context.
    LetterType.STAFF_NOTICE: frozenset(_COMMON | {"arrangements"}),
    LetterType.SPOC: frozenset(_TO_CUSTOMER | {"spoc"}),
    LetterType.CLOSURE: frozenset(_TO_CUSTOMER | {"closure"}),
}

# The record each letter is about (Letter.subject_type).
SUBJECT_TYPE: dict[LetterType, str] = {
    LetterType.INFORMAL_SUMMARY: "stage_event",
    LetterType.WARNING: "stage_event",
    LetterType.FORMAL: "stage_event",
    LetterType.APPEAL_ACK: "appeal",
    LetterType.APPEAL_OUTCOME: "appeal",
    LetterType.REVIEW_OUTCOME: "review",
    LetterType.THIRD_PARTY: "third_party_contact",
    LetterType.PVP_NOTICE: "pvp_entry",
    LetterType.STAFF_NOTICE: "customer",
    LetterType.SPOC: "spoc_entry",
    LetterType.CLOSURE: "stage_event",
}


@dataclass
class Body:
    """What one letter type's builder contributes."""

    subject_id: int
    context: dict
    facts: list[tuple[str, str]]
    defaults: list[str] = field(default_factory=list)
    about_spoc: bool = False  # appeals about a SPOC go to ICT's Assistant Director
    responsible: Any = None  # the User who made the decision, when not the author
    dated: bool = True  # the staff notice lists no letter date among its facts


@dataclass
class LetterFacts:
    letter_type: LetterType
    case_id: int | None
    customer_id: int
    subject_type: str
    subject_id: int
    context: dict
    facts: list[tuple[str, str]]
    default_paragraphs: list[str] = field(default_factory=list)
    appeal_by: dt.date | None = None

    @property
    def filename(self) -> str:
        return (
            f"{self.letter_type.value}_{W.safe_filename_part(self.context['customer']['housing_ref'])}"
            f"_{self.subject_type}-{self.subject_id}_{self.context['letter_iso']}.docx"
        )


def appeal_route(
    responsible,
    service_area: str,
    letter_type: LetterType,
    first_sent_on: dt.date | None,
    today: dt.date,
    about_spoc: bool,
) -> tuple[dict, dt.date]:
    """How and by when the customer may appeal, as the letter states it."""
    by = appeal_deadline(letter_appeal_window_start(letter_type, first_sent_on, today))
    return {
        "by": W.british_date(by),
        "officer_name": responsible.name,
        "officer_contact": W.officer(responsible)["contact"],
        "decided_by": W.assistant_director(service_area, about_spoc),
        "window_days": APPEAL_WINDOW_DAYS,
    }, by


def assemble(
    letter_type: LetterType, case, author, today: dt.date, body: Body, first_sent_on: dt.date | None
) -> LetterFacts:
    """The whole letter's facts: the shared part, the builder's part and the appeal route."""
    customer = case.customer
    addressee = W.customer(customer)
    ctx: dict[str, Any] = {
        "letter_date": W.british_date(today),
        "letter_iso": today.isoformat(),
        "reference": f"{customer.housing_ref}/C{case.id}",
        "officer": W.officer(author),
        "customer": addressee,
        "paragraphs": [],
        **body.context,
    }
    facts = [
        ("Customer", customer.full_name),
        ("Address", addressee["address"]),
        ("Housing reference", customer.housing_ref),
    ]
    if body.dated:
        facts.append(("Letter date", ctx["letter_date"]))
    facts += body.facts
    appeal_by = None
    if letter_type in CUSTOMER_LETTERS:
        responsible = body.responsible or author
        ctx["appeal_route"], appeal_by = appeal_route(
            responsible, case.service_area.name, letter_type, first_sent_on, today, body.about_spoc
        )
        facts += [
            ("Responsible officer", responsible.name),
            ("Appeal by", ctx["appeal_route"]["by"]),
            ("Appeals decided by", ctx["appeal_route"]["decided_by"]),
        ]
    return LetterFacts(
        letter_type,
        case.id,
        customer.id,
        SUBJECT_TYPE[letter_type],
        body.subject_id,
        ctx,
        facts,
        [d for d in body.defaults if d],
        appeal_by,
    )


def context_with_paragraphs(facts: LetterFacts, paragraphs: list[str] | None) -> dict:
    ctx = dict(facts.context)
    ctx["paragraphs"] = list(facts.default_paragraphs if paragraphs is None else paragraphs)
    return ctx
