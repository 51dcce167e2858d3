"""The case timeline (issue 3): every kind of event with who recorded it, hearsay marked as not
evidence, corrections marked, filters, the header, and the access log (clause 6)."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.enums import ActionStatus, FormalActionType, LetterType, RegisterStatus, ReviewOutcome, Stage
from core.errors import NotFound, PermissionDenied, PolicyError
from core.models import (
    AccessLog,
    Annotation,
    Appeal,
    Case,
    FormalAction,
    Letter,
    PvpEntry,
    Review,
    SpocEntry,
    SpocRequest,
    StageEvent,
)
from core.services.customers import CustomerDetails, add_third_party_contact, update_customer
from core.services.incidents import NewIncident, amend_incident, log_incident
from core.services.timeline import EVENT_TYPES, NOT_EVIDENCE, get_timeline
from tests.scenarios import NOW, a_customer, an_incident, area_id

TODAY = NOW.date()


@pytest.fixture
def tl(actors):
    return actors["teamleader"]


def a_case_with_history(db_url, uow, actors) -> tuple[int, int]:
    """A customer at formal stage with one of everything; returns (customer_id, case_id)."""
    tl, dmo, hsw, ad = actors["teamleader"], actors["dmo"], actors["hsw"], actors["ad.housing"]
    customer = a_customer(db_url, tl)
    an_incident(db_url, tl, customer, when=NOW - dt.timedelta(days=60))
    an_incident(
        db_url,
        tl,
        customer,
        when=NOW - dt.timedelta(days=40),
        evidence_source="hearsay",
        description="A neighbour told the officer the customer kicked the door.",
    )
    with uow() as u:
        case = u.session.scalar(select(Case).where(Case.customer_id == customer))
        case.stage = Stage.FORMAL
        informal = StageEvent(
            case_id=case.id,
            from_stage=Stage.NONE,
            to_stage=Stage.INFORMAL,
            decided_on=TODAY - dt.timedelta(days=55),
            decided_by_id=tl.user_id,
            reason="Phoned the customer; behaviour and consequences set out.",
        )
        formal = StageEvent(
            case_id=case.id,
            from_stage=Stage.WARNING,
            to_stage=Stage.FORMAL,
            decided_on=TODAY - dt.timedelta(days=10),
            decided_by_id=tl.user_id,
            reason="Further incident after the warning.",
        )
        u.session.add_all([informal, formal])
        u.session.flush()
        action = FormalAction(
            case_id=case.id,
            stage_event_id=formal.id,
            kind=FormalActionType.ONE_CHANNEL,
            terms="Email only",
            starts_on=TODAY - dt.timedelta(days=10),
            review_due=TODAY + dt.timedelta(days=80),
            status=ActionStatus.ACTIVE,
        )
        u.session.add(action)
        u.session.add(
            Letter(
                case_id=case.id,
                customer_id=customer,
                letter_type=LetterType.FORMAL,
                author_id=tl.user_id,
                content=b"docx",
                created_at=NOW - dt.timedelta(days=9),
                sent_on=TODAY - dt.timedelta(days=9),
                filename="formal.docx",
            )
        )
        u.session.add(
            Appeal(
                case_id=case.id,
                subject_type="formal_action",
                subject_id=1,
                received_on=TODAY - dt.timedelta(days=2),
                grounds="Customer disputes it.",
                decision_maker_id=ad.user_id,
                due_on=TODAY + dt.timedelta(days=3),
                recorded_by_id=tl.user_id,
            )
        )
        u.session.add(
            Review(
                case_id=case.id,
                subject_type="warning",
                subject_id=formal.id,
                held_on=TODAY - dt.timedelta(days=20),
                reviewed_by_id=tl.user_id,
                outcome=ReviewOutcome.CONTINUE,
            )
        )
        request = SpocRequest(
            case_id=case.id,
            customer_id=customer,
            requested_by_id=tl.user_id,
            requested_at=NOW - dt.timedelta(days=8),
            reason="Contact overload",
            status=RegisterStatus.ACTIVE,
        )
        u.session.add(request)
        u.session.flush()
        u.session.add(
            SpocEntry(
                request_id=request.id,
                customer_id=customer,
                case_id=case.id,
                spoc_user_id=tl.user_id,
                channels=["email"],
                starts_on=TODAY - dt.timedelta(days=5),
                review_due=TODAY + dt.timedelta(days=90),
            )
        )
        u.session.add(
            PvpEntry(
                customer_id=customer,
                proposed_by_id=tl.user_id,
                reasons="Threat to an officer",
                proposed_at=NOW - dt.timedelta(days=4),
                status=RegisterStatus.ACTIVE,
                approved_by_id=hsw.user_id,
                approved_at=NOW - dt.timedelta(days=3),
                review_due=TODAY + dt.timedelta(days=30),
            )
        )
        u.session.add(
            Annotation(
                customer_id=customer,
                entity_type="incident",
                entity_id=1,
                text="Customer disputes this account.",
                by_id=dmo.user_id,
                at=NOW - dt.timedelta(days=1),
            )
        )
        u.commit()
        return customer, case.id


def test_the_timeline_shows_every_kind_of_event_with_who_recorded_it(db_url, uow, actors, tl):
    customer, _ = a_case_with_history(db_url, uow, actors)
    add_third_party_contact(tl, customer, "Anna Nowak", "Daughter", uow())
    timeline = get_timeline(tl, customer, uow(), today=TODAY)
    kinds = {e.kind for e in timeline.events}
    assert kinds == set(EVENT_TYPES) - {
        "referral",
        "contact",
        "attachment",
        "partner",
    }  # issue 16 kinds: test_attachments
    by_kind = {e.kind: e for e in timeline.events}
    assert by_kind["incident"].recorded_by == "Priya Shah"
    assert by_kind["annotation"].recorded_by == "Gareth Evans"
    assert by_kind["stage"].recorded_by == "Priya Shah"
    assert "Email only" in by_kind["formal_action"].details
    assert by_kind["formal_action"].recorded_by == "Priya Shah"  # who decided the stage
    assert by_kind["third_party"].recorded_by == "Priya Shah"  # from the audit log
    assert timeline.counts["incident"] == 2 and timeline.counts["stage"] == 2


def test_newest_first_or_oldest_first(db_url, uow, actors, tl):
    customer, _ = a_case_with_history(db_url, uow, actors)
    newest = [e.at for e in get_timeline(tl, customer, uow(), today=TODAY).events]
    oldest = [e.at for e in get_timeline(tl, customer, uow(), newest_first=False, today=TODAY).events]
    assert newest == sorted(newest, reverse=True)
    assert oldest == sorted(oldest)
    assert len(newest) == len(oldest) > 10


def test_hearsay_is_clearly_marked_not_evidence(db_url, uow, actors, tl):
    customer, _ = a_case_with_history(db_url, uow, actors)
    incidents = get_timeline(tl, customer, uow(), kinds=["incident"], today=TODAY).events
    assert [e.not_evidence for e in incidents] == [True, False]
    assert incidents[0].evidence == NOT_EVIDENCE and "not evidence" in NOT_EVIDENCE
    assert incidents[1].evidence == ""


def test_filters_by_type_and_date(db_url, uow, actors, tl):
    customer, _ = a_case_with_history(db_url, uow, actors)
    only = get_timeline(tl, customer, uow(), kinds=["letter", "appeal"], today=TODAY).events
    assert sorted(e.kind for e in only) == ["appeal", "letter"]
    window = get_timeline(
        tl,
        customer,
        uow(),
        date_from=TODAY - dt.timedelta(days=12),
        date_to=TODAY - dt.timedelta(days=3),
        today=TODAY,
    ).events
    assert window and all(
        TODAY - dt.timedelta(days=12) <= e.at.date() <= TODAY - dt.timedelta(days=3) for e in window
    )
    assert "incident" not in {e.kind for e in window}
    with pytest.raises(PolicyError, match="on or before"):
        get_timeline(tl, customer, uow(), date_from=TODAY, date_to=TODAY - dt.timedelta(days=1))
    with pytest.raises(PolicyError, match="Unknown timeline type"):
        get_timeline(tl, customer, uow(), kinds=["gossip"])


def test_header_shows_stage_restrictions_and_next_deadlines(db_url, uow, actors, tl):
    customer, case_id = a_case_with_history(db_url, uow, actors)
    header = get_timeline(tl, customer, uow(), today=TODAY).header
    assert header.stage == "formal" and header.case_id == case_id
    assert {r.what for r in header.active_restrictions} == {
        "Contact limited to one channel",
        "Single point of contact",
        "PVP register (red flag)",
    }
    dues = [d.due for d in header.next_deadlines]
    assert dues == sorted(dues)
    assert header.next_deadlines[0].what.startswith("Appeal decision")
    assert header.next_deadlines[0].due == TODAY + dt.timedelta(days=3)


def test_corrections_show_amended_on_by(db_url, uow, actors, tl):
    customer = a_customer(db_url, tl)
    incident_id = an_incident(db_url, tl, customer)
    amend_incident(
        tl,
        incident_id,
        NewIncident(
            customer_id=customer,
            occurred_at=NOW - dt.timedelta(days=1),
            channel="email",
            category="aggressive",
            behaviours=["threatening_language"],
            description="The customer swore in an email.",
            evidence_source="first_hand",
        ),
        "It was an email",
        uow(),
        now=NOW,
    )
    update_customer(
        tl,
        customer,
        CustomerDetails(
            first_name="Siân",
            last_name="O'Brien-Nkemelu",
            housing_ref="NPH900001",
            phone="01604 000000",
            service_area_id=area_id(db_url),
        ),
        "New phone number",
        uow(),
        now=NOW,
    )
    timeline = get_timeline(tl, customer, uow(), today=TODAY)
    [incident] = timeline.events
    assert incident.amended == "amended on 20 Nov 2026 10:00 by Priya Shah"
    assert timeline.customer.amended == "amended on 20 Nov 2026 10:00 by Priya Shah"


def test_a_service_referral_appears_until_and_after_it_is_resolved(db_url, uow, actors, tl):
    customer = a_customer(db_url, tl)
    log_incident(
        tl,
        NewIncident(
            customer_id=customer,
            occurred_at=NOW - dt.timedelta(days=1),
            channel="phone",
            category="unreasonable_persistence",
            behaviours=["same_matter"],
            description="Sixth call about the same fence.",
            evidence_source="first_hand",
            service_failure=True,
            referral_service_area_id=area_id(db_url, "Repairs and Maintenance"),
            referral_description="Fence not repaired in 18 months",
        ),
        uow(),
        now=NOW,
    )
    timeline = get_timeline(tl, customer, uow(), kinds=["referral"], today=TODAY)
    [referral] = timeline.events
    assert "Open until marked resolved" in referral.details
    assert timeline.header.open_referrals == 1


def test_viewing_a_timeline_is_recorded_in_the_access_log(db_url, uow, actors, tl):
    customer = a_customer(db_url, tl)
    get_timeline(actors["dmo"], customer, uow())
    with uow() as u:
        rows = u.session.execute(select(AccessLog.user_id, AccessLog.customer_id, AccessLog.what)).all()
    assert rows == [(actors["dmo"].user_id, customer, "timeline")]


def test_viewers_cannot_see_a_timeline_and_nothing_is_logged(db_url, uow, actors, tl):
    customer = a_customer(db_url, tl)
    with pytest.raises(PermissionDenied):
        get_timeline(actors["contractor"], customer, uow())
    with pytest.raises(NotFound):
        get_timeline(tl, customer + 999, uow())
    with uow() as u:
        assert u.session.scalar(select(func.count()).select_from(AccessLog)) == 0


# --- paged in SQL (issue 18 item 2) ----------------------------------------------------------------


def many_incidents(uow, customer, tl, n, area):
    """`n` incidents straight into the tables (not through the service), some on the same minute."""
    from core.enums import Category, Channel, EvidenceSource
    from core.models import Incident

    with uow() as u:
        case_id = u.session.scalar(select(Case.id).where(Case.customer_id == customer))
        u.session.add_all(
            [
                Incident(
                    customer_id=customer,
                    case_id=case_id,
                    service_area_id=area,
                    occurred_at=NOW - dt.timedelta(hours=100 + i // 3),
                    channel=Channel.PHONE,
                    category=Category.AGGRESSIVE,
                    description=f"Call {i}",
                    evidence_source=EvidenceSource.FIRST_HAND,
                    recorded_by_id=tl.user_id,
                )
                for i in range(n)
            ]
        )
        u.commit()


def test_a_long_timeline_returns_one_page_newest_first_with_counts_per_type(db_url, uow, actors, tl):
    from core.services.timeline import PAGE_SIZE

    customer, _ = a_case_with_history(db_url, uow, actors)
    many_incidents(uow, customer, tl, PAGE_SIZE + 30, area_id(db_url))
    page = get_timeline(tl, customer, uow(), today=TODAY)
    assert len(page.events) == PAGE_SIZE
    assert page.counts["incident"] == PAGE_SIZE + 32 and page.counts["stage"] == 2
    assert page.counts["letter"] == 1 and page.counts["pvp"] == 1
    assert page.total == sum(page.counts.values()) == page.matching
    assert [e.at for e in page.events] == sorted((e.at for e in page.events), reverse=True)
    assert page.events[0].kind == "annotation"  # the newest event comes first
    assert page.next_after is not None


def test_paging_through_a_timeline_shows_every_event_once_in_order(db_url, uow, actors, tl):
    customer, _ = a_case_with_history(db_url, uow, actors)
    many_incidents(uow, customer, tl, 20, area_id(db_url))
    for newest_first in (True, False):
        whole = get_timeline(tl, customer, uow(), today=TODAY, newest_first=newest_first, limit=1000)
        assert whole.next_after is None and len(whole.events) == whole.total
        seen, after = [], None
        while True:
            page = get_timeline(
                tl, customer, uow(), today=TODAY, newest_first=newest_first, limit=4, after=after
            )
            assert len(page.events) <= 4
            seen += page.events
            after = page.next_after
            if after is None:
                break
        assert [e.key for e in seen] == [e.key for e in whole.events]
    only = get_timeline(
        tl, customer, uow(), kinds=["incident"], date_from=TODAY - dt.timedelta(days=50), today=TODAY, limit=5
    )
    assert only.matching == 20 + 1 and len(only.events) == 5 and only.counts["incident"] == 22
