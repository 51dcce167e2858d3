"""Letters drafted from the case's records (issue 5), on SQLite and PostgreSQL: every letter
opened with python-docx shows the customer's name, the dates, the restrictions and the appeal
date; sending records the letter and starts the appeal window; batches zip every due letter."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile

import pytest
from docx import Document
from sqlalchemy import select

from core.enums import LetterType, ReviewOutcome
from core.errors import PermissionDenied, PolicyError
from core.letters import british_date, docx_text, template_version
from core.models import AuditEntry, Letter, StageEvent
from core.policy.deadlines import appeal_deadline
from core.services import letters as svc
from tests.services.letter_scenarios import (
    CONTACT_LIMIT_TERMS,
    FORMAL_INCIDENT,
    HEARSAY_INCIDENT,
    INFORMAL_INCIDENT,
    ONE_CHANNEL_TERMS,
    PVP_ARRANGEMENTS,
    PVP_REASONS,
    SPOC_TIMES,
    TODAY,
    WARNING_INCIDENT,
    a_case_with_history,
)

APPEAL_BY = british_date(appeal_deadline(TODAY))  # 18 December 2026
FAIR_TREATMENT_STATEMENT = [
    "Northampton Partnership Homes believes everyone should be treated fairly.",
    "We will not tolerate racist, sexist or other offensive comments, abuse or threatening behaviour.",
    "If you are the victim of such comments or behaviour while at work you have the right to "
    "challenge it and ask the person(s) to stop.",
]

# What each letter must say, beyond the customer's name (checked for every letter).
EXPECTED = {
    LetterType.INFORMAL_SUMMARY: [
        "12 June 2026",
        "10 June 2026",
        INFORMAL_INCIDENT,
        "Threatening, intimidating or abusive language or behaviour",
    ],
    LetterType.WARNING: [
        "15 July 2026",
        WARNING_INCIDENT,
        "Review date: 17 October 2026",
        "previous incident on 10 June 2026",
        *FAIR_TREATMENT_STATEMENT,
        "Overload of letters, calls, emails or social-media contact",
    ],
    LetterType.FORMAL: [
        "1 September 2026",
        FORMAL_INCIDENT,
        "3 September 2026",
        "Contact limited to one channel",
        ONE_CHANNEL_TERMS,
        "3 December 2026",
        "Contact limited to certain times or a number of contacts",
        CONTACT_LIMIT_TERMS,
        "3 March 2027",
        "17 July 2026",
    ],
    LetterType.APPEAL_ACK: [
        "25 July 2026",
        "Fair Treatment Letter (warning stage)",
        "17 July 2026",
        "14 August 2026",
        "31 July 2026",
    ],
    LetterType.APPEAL_OUTCOME: [
        "25 July 2026",
        "30 July 2026",
        "the original decision stands",
        "The call records support the warning.",
    ],
    LetterType.REVIEW_OUTCOME: [
        "16 November 2026",
        "Outcome: continued",
        "16 May 2027",
        "Contact limited to one channel",
    ],
    LetterType.THIRD_PARTY: ["Łukasz Nowak", "brother", "17 November 2026"],
    LetterType.PVP_NOTICE: [
        "18 November 2026",
        "18 November 2027",
        PVP_ARRANGEMENTS,
        "How to challenge the marker",
    ],
    LetterType.STAFF_NOTICE: [
        "NPH900001",
        ONE_CHANNEL_TERMS,
        CONTACT_LIMIT_TERMS,
        PVP_ARRANGEMENTS,
        "Two officers on every visit",
        "Contact the customer through Łukasz Nowak",
    ],
    LetterType.SPOC: [
        SPOC_TIMES,
        "Email and Telephone",
        "One call a week",
        "10 September 2026",
        "10 March 2027",
        "Assistant Director for Corporate Service and ICT",
    ],
    LetterType.CLOSURE: ["19 November 2026", "continue until they are reviewed", ONE_CHANNEL_TERMS],
}


@pytest.fixture
def history(db_url, actors):
    return a_case_with_history(db_url, actors)


def _draft(actors, uow, case_id, letter_type, who="teamleader", paragraphs=None, subject_id=None):
    return svc.draft_letter(
        actors[who], case_id, letter_type.value, subject_id, paragraphs, uow(), today=TODAY
    )


def _text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))  # opens as a real Word file
    assert doc.paragraphs
    return docx_text(content)


@pytest.mark.parametrize("letter_type", list(LetterType), ids=lambda t: t.value)
def test_every_letter_carries_the_case_facts_and_no_template_left_overs(history, actors, uow, letter_type):
    draft = _draft(actors, uow, history.case_id, letter_type)
    text = _text(draft.content)
    assert "Siân O'Brien-Nkemelu" in text
    for expected in EXPECTED[letter_type]:
        assert expected in text, expected
    for left_over in ("{{", "}}", "{%", "%}", "None"):
        assert left_over not in text
    assert HEARSAY_INCIDENT not in text, "hearsay is never used in a decision letter (clause 4.2)"
    assert draft.template_version == template_version(letter_type)
    assert draft.checksum == hashlib.sha256(draft.content).hexdigest()
    assert draft.preview and "Siân" in draft.preview


INFORMAL_APPEAL_BY = "10 July 2026"


@pytest.mark.parametrize(
    "letter_type", [t for t in LetterType if t != LetterType.STAFF_NOTICE], ids=lambda t: t.value
)
def test_every_customer_letter_states_how_and_by_when_to_appeal_and_the_ombudsman(
    history, actors, uow, letter_type
):
    text = _text(_draft(actors, uow, history.case_id, letter_type).content)
    assert "Dear Ms O'Brien-Nkemelu," in text
    assert "12 Abington Street" in text and "NN1 2AA" in text
    # Issue 13 item 2: one appeal clock. The informal decision was already given in writing on
    # 12 June (notified_on), so its letter repeats that decision's appeal-by date, 10 July.
    assert (INFORMAL_APPEAL_BY if letter_type == LetterType.INFORMAL_SUMMARY else APPEAL_BY) in text
    assert actors["teamleader"].name in text  # the responsible officer
    assert "Housing Ombudsman" in text
    assert "Assistant Director" in text


def test_staff_notice_gives_arrangements_but_no_reasons_or_incident_details(history, actors, uow):
    text = _text(_draft(actors, uow, history.case_id, LetterType.STAFF_NOTICE).content)
    for secret in (
        INFORMAL_INCIDENT,
        WARNING_INCIDENT,
        FORMAL_INCIDENT,
        PVP_REASONS,
        "Threatening",
        "Overload",
        "Unreasonable",
        "appeal",
        "Ombudsman",
        "warning",
    ):
        assert secret not in text, secret


def test_facts_used_are_listed_for_the_page(history, actors, uow):
    draft = _draft(actors, uow, history.case_id, LetterType.FORMAL)
    facts = {label for label, _ in draft.facts}
    assert {"Customer", "Address", "Incident", "Restriction", "Appeal by", "Responsible officer"} <= facts
    assert ("Appeal by", APPEAL_BY) in draft.facts


def test_user_paragraphs_are_printed_as_typed_never_run_as_template_code(history, actors, uow):
    typed = [
        "Tom & Jerry <b>bold</b> \"quoted\" 'single' – Zoë, Łukasz, Siân",
        "{{ customer.name }} {% for x in range(3) %}loop{% endfor %} {{ 7*7 }}",
        "Line one\nline two",
    ]
    draft = _draft(actors, uow, history.case_id, LetterType.WARNING, paragraphs=typed)
    text = _text(draft.content)
    for paragraph in typed:
        assert paragraph in text
    assert "49" not in text and "looploop" not in text
    assert draft.paragraphs == tuple(typed)


def test_suggested_paragraphs_are_used_when_none_are_given(history, actors, uow):
    draft = _draft(actors, uow, history.case_id, LetterType.APPEAL_OUTCOME)
    assert draft.default_paragraphs == ("The call records support the warning.",)
    assert draft.paragraphs == draft.default_paragraphs
    empty = _draft(actors, uow, history.case_id, LetterType.APPEAL_OUTCOME, paragraphs=[])
    assert "The call records support the warning." not in _text(empty.content)


def test_letter_types_for_case_lists_the_records_each_letter_can_be_about(history, actors, uow):
    options = {
        o.letter_type: o for o in svc.letter_types_for_case(actors["teamleader"], history.case_id, uow())
    }
    assert set(options) == {t.value for t in LetterType}
    assert [s.subject_id for s in options["warning"].subjects] == [history.warning_id]
    assert [s.subject_id for s in options["review_outcome"].subjects] == [history.review_id]
    assert [s.subject_id for s in options["pvp_notice"].subjects] == [history.pvp_id]
    assert all(o.available for o in options.values())


def test_mark_sent_records_the_letter_with_checksum_and_starts_the_appeal_window(history, actors, uow):
    sent_on = TODAY + dt.timedelta(days=3)
    result = svc.mark_sent(actors["teamleader"], history.case_id, "warning", None, None, uow(), today=sent_on)
    assert result.notified_on == sent_on
    with uow() as u:
        letter = u.session.get(Letter, result.letter_id)
        assert letter.letter_type == LetterType.WARNING and letter.status == "sent"
        assert letter.sent_on == sent_on and letter.author_id == actors["teamleader"].user_id
        assert letter.checksum == hashlib.sha256(letter.content).hexdigest() == result.checksum
        assert letter.template_version == template_version(LetterType.WARNING)
        assert (letter.subject_type, letter.subject_id) == ("stage_event", history.warning_id)
        assert letter.case_id == history.case_id and letter.filename.endswith(".docx")
        text = _text(letter.content)
        assert british_date(appeal_deadline(sent_on)) in text and british_date(sent_on) in text
        assert u.session.get(StageEvent, history.warning_id).notified_on == sent_on
        actions = [
            a.action
            for a in u.session.scalars(
                select(AuditEntry).where(AuditEntry.customer_id == history.customer_id)
            )
        ]
        assert "send_letter" in actions and "notify_decision" in actions


def test_a_second_copy_keeps_the_first_letters_appeal_deadline(history, actors, uow):
    first_day = TODAY
    svc.mark_sent(actors["teamleader"], history.case_id, "formal", None, None, uow(), today=first_day)
    later = TODAY + dt.timedelta(days=10)
    again = svc.mark_sent(actors["teamleader"], history.case_id, "formal", None, None, uow(), today=later)
    assert again.notified_on == first_day
    text = _text(again.content)
    assert british_date(appeal_deadline(first_day)) in text
    assert british_date(appeal_deadline(later)) not in text
    with uow() as u:
        assert u.session.get(StageEvent, history.formal_id).notified_on == first_day


def test_sending_other_letters_leaves_the_decision_notification_alone(history, actors, uow):
    svc.mark_sent(actors["teamleader"], history.case_id, "informal_summary", None, None, uow(), today=TODAY)
    with uow() as u:
        assert u.session.get(StageEvent, history.informal_id).notified_on == dt.date(2026, 6, 12)
        assert u.session.get(StageEvent, history.warning_id).notified_on is None


def test_sent_letters_are_listed_and_their_file_is_kept_exactly(history, actors, uow):
    sent = svc.mark_sent(actors["hsw"], history.case_id, "pvp_notice", None, None, uow(), today=TODAY)
    listed = svc.letters_for_case(actors["teamleader"], history.case_id, uow())
    assert [(x.letter_type, x.author) for x in listed] == [("pvp_notice", actors["hsw"].name)]
    stored = svc.letter_content(actors["teamleader"], sent.letter_id, uow())
    assert stored.content == sent.content


def test_a_role_without_letters_cannot_draft_or_send(history, actors, uow):
    with pytest.raises(PermissionDenied):
        _draft(actors, uow, history.case_id, LetterType.WARNING, who="contractor")
    with pytest.raises(PermissionDenied):
        svc.mark_sent(actors["admin"], history.case_id, "warning", None, None, uow(), today=TODAY)


def test_a_warning_without_a_review_date_is_refused_with_a_reason(history, actors, uow):
    with uow() as u:
        event = u.session.get(StageEvent, history.warning_id)
        event.review_due = None
        event.case.warning_review_due = None
        u.commit()
    with pytest.raises(PolicyError, match="review date"):
        _draft(actors, uow, history.case_id, LetterType.WARNING)


def test_review_outcome_letters_say_lifted_varied_or_continued(db_url, actors, uow):
    for ref, outcome, words in [
        ("NPH900011", ReviewOutcome.LIFT, "Outcome: lifted"),
        ("NPH900012", ReviewOutcome.VARY, "Outcome: varied"),
    ]:
        h = a_case_with_history(db_url, actors, ref=ref, review_outcome=outcome)
        text = _text(_draft(actors, uow, h.case_id, LetterType.REVIEW_OUTCOME).content)
        assert words in text
        assert "Outcome: continued" not in text


def test_batch_zip_holds_every_due_review_letter_as_a_valid_docx(db_url, actors, uow):
    names = [
        ("NPH900021", "Zoë", "O'Brien-Nkemelu"),
        ("NPH900022", "Łukasz", "Kowalski & Sons"),
        ("NPH900023", "Siân", "<Jones>"),
    ]
    for ref, first, last in names:
        a_case_with_history(db_url, actors, ref=ref, first=first, last=last)
    a_case_with_history(db_url, actors, ref="NPH900024", review_held=dt.date(2026, 11, 2))  # not this week
    since, until = svc.week_of(TODAY)
    due = svc.letters_due(actors["teamleader"], "review_outcome", uow(), since, until)
    assert sorted(d.housing_ref for d in due) == [ref for ref, _, _ in names]
    calls = []
    batch = svc.batch_zip(
        actors["teamleader"],
        "review_outcome",
        uow(),
        since,
        until,
        today=TODAY,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert batch.count == 3 and not batch.problems
    with zipfile.ZipFile(io.BytesIO(batch.content)) as archive:
        assert sorted(archive.namelist()) == sorted(batch.filenames)
        texts = [_text(archive.read(name)) for name in archive.namelist()]
    for _, first, last in names:
        assert sum(f"{first} {last}" in t for t in texts) == 1
    # once sent, a letter is no longer due
    svc.mark_sent(
        actors["teamleader"], due[0].case_id, "review_outcome", due[0].subject_id, None, uow(), today=TODAY
    )
    assert len(svc.letters_due(actors["teamleader"], "review_outcome", uow(), since, until)) == 2


def test_letters_due_covers_each_type_of_record(history, actors, uow):
    since, until = svc.week_of(TODAY)
    leader = actors["teamleader"]
    assert [d.subject_id for d in svc.letters_due(leader, "pvp_notice", uow(), since, until)] == [
        history.pvp_id
    ]
    assert [d.subject_id for d in svc.letters_due(leader, "third_party", uow(), since, until)] == [
        history.contact_id
    ]
    assert [d.subject_id for d in svc.letters_due(leader, "staff_notice", uow(), since, until)] == [
        history.customer_id
    ]
    july = (dt.date(2026, 7, 13), dt.date(2026, 7, 31))
    assert [d.subject_id for d in svc.letters_due(leader, "warning", uow(), *july)] == [history.warning_id]
    assert [d.subject_id for d in svc.letters_due(leader, "appeal_ack", uow(), *july)] == [history.appeal_id]
    with pytest.raises(PolicyError):
        svc.letters_due(leader, "warning", uow(), until, since)


def test_a_third_party_letter_is_only_about_a_contact_in_force(history, actors, uow):
    """The letter asks the arrangements service (clause 4.2), as the page's list of subjects
    does: an ended contact is no longer an arrangement to write to the customer about."""
    from core.models import ThirdPartyContact

    with uow() as u:
        u.session.get(ThirdPartyContact, history.contact_id).active = False
        u.commit()
    with pytest.raises(PolicyError, match="third-party contact in force"):
        _draft(actors, uow, history.case_id, LetterType.THIRD_PARTY, subject_id=history.contact_id)
    options = {
        o.letter_type: o for o in svc.letter_types_for_case(actors["teamleader"], history.case_id, uow())
    }
    assert not options[LetterType.THIRD_PARTY].available
