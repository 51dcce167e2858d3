"""The need-to-know view (clause 4.2): a viewer sees the arrangements in force and whom to contact,
never a reason, incident, category or letter; every viewer look-up is in the disclosure log."""

import datetime as dt
from dataclasses import asdict, is_dataclass

import pytest
from sqlalchemy import func, select

from core.enums import Category, FormalActionType, LetterType, Stage
from core.errors import NotFound, PermissionDenied, PolicyError
from core.models import DisclosureLog, FormalAction, Incident, Letter, PvpConsideration, StageEvent
from core.policy.deadlines import add_months
from core.services import arrangements, registers
from core.services.customers import add_third_party_contact, get_customer
from tests.scenarios import NOW, a_customer, an_incident
from tests.services.test_registers import TODAY, a_formal_case, approve

INCIDENT_TEXT = "The customer pushed the repairs operative against the van door."
SPOC_REASON = "Contacted seven teams a day demanding the same repair."
DECISION_REASON = "Evidence of repeated contact across teams despite the warning."
PVP_REASONS = "Pushed a repairs operative; police referred under NP-777."
FORMAL_REASON = "Warning ignored; third incident in a month."
POLICE_ACTION_TERMS = "Referred to Northamptonshire Police, crime ref NP-777."
LETTER_NAME = "formal_letter_secret.docx"


def strings_in(value):
    """Every string and dict key anywhere in a returned structure."""
    if is_dataclass(value):
        value = asdict(value)
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings_in(v)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            yield from strings_in(v)
    elif isinstance(value, bytes):
        yield "<bytes>"
    elif value is not None:
        yield str(value)


@pytest.fixture
def flagged(db_url, uow, actors):
    """A customer with every kind of arrangement and every kind of secret behind them."""
    tl = actors["teamleader"]
    case = a_formal_case(db_url, uow, tl)
    customer = case["customer"]
    violent = an_incident(
        db_url,
        tl,
        customer,
        when=NOW - dt.timedelta(days=1),
        behaviours=["physical_violence"],
        violence_or_threat=True,
        police_reference="NP-777",
        description=INCIDENT_TEXT,
    )
    request_id = registers.request_spoc(
        tl, case["case"], SPOC_REASON, case["counting"] + [violent], uow(), now=NOW
    )
    approve(actors, uow, request_id, decision_reason=DECISION_REASON, channels=["email", "phone"])
    with uow() as u:
        consideration = u.session.scalar(select(PvpConsideration.id))
    entry = registers.propose_pvp(
        tl, customer, consideration, PVP_REASONS, "Meet at the area office only.", True, uow()
    )
    registers.approve_pvp(actors["hsw"], entry, add_months(TODAY, 12), True, uow(), today=TODAY)
    with uow() as u:
        event = StageEvent(
            case_id=case["case"],
            from_stage=Stage.WARNING,
            to_stage=Stage.FORMAL,
            decided_on=TODAY,
            decided_by_id=tl.user_id,
            reason=FORMAL_REASON,
        )
        u.session.add(event)
        u.session.flush()
        u.session.add_all(
            [
                FormalAction(
                    case_id=case["case"],
                    stage_event_id=event.id,
                    kind=FormalActionType.ONE_CHANNEL,
                    terms="Email only.",
                    details={"why": FORMAL_REASON},
                    starts_on=TODAY,
                    review_due=add_months(TODAY, 6),
                ),
                FormalAction(
                    case_id=case["case"],
                    stage_event_id=event.id,
                    kind=FormalActionType.POLICE_REFERRAL,
                    terms=POLICE_ACTION_TERMS,
                    starts_on=TODAY,
                    review_due=add_months(TODAY, 6),
                ),
                Letter(
                    case_id=case["case"],
                    customer_id=customer,
                    letter_type=LetterType.FORMAL,
                    author_id=tl.user_id,
                    content=b"letter bytes",
                    filename=LETTER_NAME,
                ),
            ]
        )
        u.commit()
    add_third_party_contact(tl, customer, "Mary O'Brien", "Sister", uow(), phone="01604 000000")
    return {"customer": customer, "case": case["case"]}


SECRETS = [
    INCIDENT_TEXT,
    "shouted and swore",
    SPOC_REASON,
    DECISION_REASON,
    PVP_REASONS,
    FORMAL_REASON,
    POLICE_ACTION_TERMS,
    "NP-777",
    LETTER_NAME,
    "Reviewed the incident log",
    "Police referral",
    "Legal action",
] + [c.label for c in Category]
FORBIDDEN_KEYS = {
    "reason",
    "reasons",
    "decision_reason",
    "incident",
    "incidents",
    "category",
    "categories",
    "letter",
    "letters",
    "description",
    "evidence",
    "discussion",
    "police_reference",
}


def assert_nothing_secret(view):
    everything = list(strings_in(view))
    for secret in SECRETS:
        assert not any(secret.lower() in s.lower() for s in everything), secret
    keys = set()

    def collect(v):
        if is_dataclass(v):
            v = asdict(v)
        if isinstance(v, dict):
            keys.update(v)
            [collect(x) for x in v.values()]
        elif isinstance(v, (list, tuple)):
            [collect(x) for x in v]

    collect(view)
    assert not keys & FORBIDDEN_KEYS
    assert "<bytes>" not in everything


def test_viewer_gets_the_arrangements_and_whom_to_contact(actors, uow, flagged):
    view = arrangements.arrangements_for(actors["contractor"], flagged["customer"], uow(), today=TODAY)
    assert view.red_flag is True and view.two_officers_on_visits is True
    assert view.visit_arrangements == ("Meet at the area office only.",)
    spoc = view.single_point_of_contact[0]
    assert spoc.contact == actors["teamleader"].name and spoc.channels == ("Email", "Telephone")
    assert spoc.contact_times == "Mon-Fri 10:00-12:00"
    assert [(r.arrangement, r.terms, r.starts_on) for r in view.restrictions] == [
        ("Contact limited to one channel", "Email only.", TODAY)
    ]
    assert view.third_party_contact[0].name == "Mary O'Brien"
    contacts = {(c.name, c.about.split(":")[0].split(" (")[0]) for c in view.whom_to_contact}
    assert (actors["teamleader"].name, "Single point of contact") in contacts
    assert (actors["hsw"].name, "Visit arrangements") in contacts


def test_viewer_cannot_obtain_any_reason_incident_category_or_letter(actors, uow, flagged):
    view = arrangements.arrangements_for(actors["contractor"], flagged["customer"], uow(), today=TODAY)
    assert_nothing_secret(view)
    # the view is the same whoever asks: staff get no extra detail through this function either
    assert_nothing_secret(
        arrangements.arrangements_for(actors["dmo"], flagged["customer"], uow(), today=TODAY)
    )
    # no argument can widen it
    with pytest.raises(TypeError):
        arrangements.arrangements_for(actors["contractor"], flagged["customer"], uow(), include_reasons=True)


def test_viewer_is_refused_by_every_service_that_holds_details(actors, uow, flagged, db_url):
    viewer = actors["contractor"]
    from core.services import incidents, timeline

    refused = [
        lambda: get_customer(viewer, flagged["customer"], uow()),
        lambda: timeline.get_timeline(viewer, flagged["customer"], uow()),
        lambda: registers.spoc_register(viewer, uow()),
        lambda: registers.spoc_requests(viewer, uow(), status="all"),
        lambda: registers.pvp_register(viewer, uow(), status="all"),
        lambda: registers.pvp_queue(viewer, uow()),
        lambda: registers.red_flag_export(viewer, uow()),
        lambda: registers.spoc_evidence_choices(viewer, flagged["case"], uow()),
        lambda: registers.export_register(viewer, "pvp_register", "csv", uow),
        lambda: arrangements.disclosure_log(viewer, uow()),
    ]
    if hasattr(incidents, "get_incident"):
        with uow() as u:
            incident_id = u.session.scalar(select(Incident.id))
        refused.append(lambda: incidents.get_incident(viewer, incident_id, uow()))
    for call in refused:
        with pytest.raises(PermissionDenied):
            call()


def test_each_viewer_look_up_is_in_the_disclosure_log(actors, uow, flagged):
    def logged():
        with uow() as u:
            return u.session.scalar(select(func.count()).select_from(DisclosureLog))

    assert logged() == 0
    arrangements.arrangements_for(actors["contractor"], flagged["customer"], uow())
    arrangements.arrangements_for(actors["contractor"], flagged["customer"], uow())
    assert logged() == 2
    arrangements.arrangements_for(actors["teamleader"], flagged["customer"], uow())  # staff with case access
    assert logged() == 2
    rows = arrangements.disclosure_log(actors["dmo"], uow())
    assert [r.viewer for r in rows] == ["contractor", "contractor"]
    assert rows[0].customer_id == flagged["customer"] and rows[0].at is not None
    assert registers.disclosure_log is arrangements.disclosure_log
    for who in ("teamleader", "hsw", "contractor"):
        with pytest.raises(PermissionDenied):
            arrangements.disclosure_log(actors[who], uow())


def test_customer_without_arrangements_shows_nothing_and_no_contact(actors, uow, db_url):
    customer = a_customer(db_url, actors["teamleader"], ref="NPH900050")
    an_incident(db_url, actors["teamleader"], customer)
    view = arrangements.arrangements_for(actors["contractor"], customer, uow())
    assert not arrangements.has_arrangements(view)
    assert view.whom_to_contact == ()


def test_unknown_customer_is_not_found_and_not_logged(actors, uow):
    with pytest.raises(NotFound):
        arrangements.arrangements_for(actors["contractor"], 999999, uow())
    with uow() as u:
        assert u.session.scalar(select(func.count()).select_from(DisclosureLog)) == 0


def test_staff_notice_says_what_the_arrangements_view_says(actors, uow, flagged):
    """Clause 4.2 has one home: the staff notice reads the same arrangements as the view, with
    the channel labels from the one label table (it once printed the stored codes)."""
    from core.letters import docx_text
    from core.services import letters

    draft = letters.draft_letter(
        actors["teamleader"], flagged["case"], "staff_notice", None, None, uow(), today=TODAY
    )
    text = docx_text(draft.content)
    view = arrangements.arrangements_for(actors["teamleader"], flagged["customer"], uow(), today=TODAY)
    assert "Channels: Email, Telephone." in text and "phone," not in text
    assert f"Single point of contact: {view.single_point_of_contact[0].contact}" in text
    assert "Contact limited to one channel: Email only." in text
    assert "Contact the customer through Mary O'Brien (Sister)." in text
    assert "Meet at the area office only." in text
    for secret in SECRETS:
        assert secret.lower() not in text.lower(), secret


def test_a_viewer_look_up_is_logged_even_when_no_arrangement_is_in_force(actors, uow, db_url):
    customer = a_customer(db_url, actors["teamleader"], ref="NPH900051")
    view = arrangements.arrangements_for(actors["contractor"], customer, uow())
    assert not view.in_force
    with uow() as u:
        logged = u.session.scalars(select(DisclosureLog.customer_id)).all()
    assert logged == [customer]


@pytest.mark.parametrize(
    "query",
    [
        "O'Brien",
        "Siân",
        "Abington Street",
        "NN1 2AA",
        "Siân O'Brien-Nkemelu",
        "O'Brien NN1 2AA",
        "NPH9%",
        "a",
    ],
)
def test_a_viewer_must_name_the_customer_precisely(actors, uow, db_url, query):
    """Issue 14 item 11: no surname, first-name, street or postcode fragment lists customers."""
    a_customer(db_url, actors["teamleader"], ref="NPH900052")
    with pytest.raises(PolicyError, match="housing reference"):
        arrangements.find_customers(actors["contractor"], query, uow())
    with uow() as u:
        assert u.session.scalar(select(func.count()).select_from(DisclosureLog)) == 0


def test_a_viewer_finds_a_customer_by_housing_reference_or_full_name_and_postcode(actors, uow, db_url):
    wanted = a_customer(db_url, actors["teamleader"], ref="NPH900053")
    a_customer(db_url, actors["teamleader"], ref="NPH900054", first="Zoë", last="O'Brien-Nkemelu")
    viewer = actors["contractor"]
    assert [m.customer_id for m in arrangements.find_customers(viewer, "nph900053", uow())] == [wanted]
    found = arrangements.find_customers(viewer, "  SIÂN  o'brien-nkemelu nn12aa ", uow())
    assert [(m.customer_id, m.housing_ref) for m in found] == [(wanted, "NPH900053")]
    assert arrangements.find_customers(viewer, "Siân O'Brien-Nkemelu NN9 9ZZ", uow()) == []
    # every customer a viewer's search showed is in the disclosure log
    with uow() as u:
        assert u.session.scalars(select(DisclosureLog.customer_id)).all() == [wanted, wanted]


def test_staff_with_case_access_still_search_by_fragment_unlogged(actors, uow, db_url):
    customer = a_customer(db_url, actors["teamleader"], ref="NPH900055")
    assert [m.customer_id for m in arrangements.find_customers(actors["teamleader"], "o'brien", uow())] == [
        customer
    ]
    with uow() as u:
        assert u.session.scalar(select(func.count()).select_from(DisclosureLog)) == 0
