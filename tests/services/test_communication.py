"""Issue 16 item 6: communication needs on every letter, large print, and the Equality Act check."""

import datetime as dt
import io

import pytest
from docx import Document

from core.db import UnitOfWork
from core.errors import PolicyError
from core.models import Case
from core.services import cases, communication
from core.services.letters import drafting
from tests.services.case_scenarios import (
    TODAY,
    a_case_at_formal_stage,
    a_case_at_warning_stage,
    another_incident,
    formal_decision,
    version,
)


def customer_of(url: str, case_id: int) -> int:
    with UnitOfWork(url) as uow:
        return uow.session.get_one(Case, case_id).customer_id


def draft(actors, uow, case_id):
    return drafting.draft_letter(actors["teamleader"], case_id, "formal", None, None, uow(), today=TODAY)


def test_a_large_print_letter_says_so_at_the_top_and_is_in_large_print(db_url, uow, actors):
    case_id = a_case_at_formal_stage(db_url, actors)
    standard = Document(io.BytesIO(draft(actors, uow, case_id).content))
    assert standard.styles["Normal"].font.size is None or standard.styles["Normal"].font.size.pt < 16
    communication.record_needs(
        actors["teamleader"],
        customer_of(db_url, case_id),
        communication.NeedsForm(
            preferred_format="large_print", interpreter_language="Polish", advocate_name="Ann Advocate"
        ),
        uow(),
    )
    letter = draft(actors, uow, case_id)
    document = Document(io.BytesIO(letter.content))
    top = document.paragraphs[0].text
    assert top.startswith("Communication needs: preferred format: large print")
    assert "interpreter: Polish" in top and "advocate: Ann Advocate" in top
    assert document.styles["Normal"].font.size.pt >= 16
    assert all(r.font.size is None or r.font.size.pt >= 16 for p in document.paragraphs for r in p.runs)
    assert letter.preview.startswith("Communication needs:")


def test_a_letter_for_a_customer_without_recorded_needs_has_no_needs_line(db_url, uow, actors):
    case_id = a_case_at_formal_stage(db_url, actors)
    assert "Communication needs" not in draft(actors, uow, case_id).preview


def test_written_only_restriction_refused_for_a_bsl_user_unless_an_alternative_is_named(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    communication.record_needs(
        actors["teamleader"], customer_of(db_url, case_id), communication.NeedsForm(bsl=True), uow()
    )
    another_incident(db_url, actors, case_id, dt.date(2026, 11, 1))
    email_only = {
        "kind": "one_channel",
        "terms": "Email only",
        "channel": "email",
        "review_due": dt.date(2027, 5, 5),
    }
    with pytest.raises(PolicyError, match="British Sign Language"):
        cases.take_formal_actions(
            actors["teamleader"],
            case_id,
            formal_decision([email_only]),
            version(db_url, case_id),
            uow(),
            TODAY,
        )
    kept = dict(email_only, adjustment="Video call with a BSL interpreter once a month.")
    cases.take_formal_actions(
        actors["teamleader"], case_id, formal_decision([kept]), version(db_url, case_id), uow(), TODAY
    )
