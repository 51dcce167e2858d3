"""Logging and correcting incidents (clauses 3, 4.1, 4.2, 6) on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.errors import PermissionDenied, PolicyError
from core.models import (
    AuditEntry,
    Case,
    Incident,
    IncidentBehaviour,
    PvpConsideration,
    ServiceReferral,
)
from core.policy.deadlines import add_months
from core.services.incidents import (
    NewIncident,
    WordingToCheck,
    amend_incident,
    get_incident,
    list_incidents,
    list_service_referrals,
    log_incident,
    resolve_service_referral,
)
from tests.scenarios import NOW, a_customer, an_incident, area_id

TODAY = NOW.date()


def count(uow, model, *where):
    with uow() as u:
        return u.session.scalar(select(func.count()).select_from(model).where(*where))


def form(customer_id, **overrides) -> NewIncident:
    values = dict(
        customer_id=customer_id,
        occurred_at=NOW - dt.timedelta(days=1),
        channel="phone",
        category="aggressive",
        behaviours=["threatening_language"],
        description="The customer shouted and swore at the call handler.",
        evidence_source="first_hand",
    )
    values.update(overrides)
    return NewIncident(**values)


@pytest.fixture
def tl(actors):
    return actors["teamleader"]


@pytest.fixture
def customer(db_url, tl):
    return a_customer(db_url, tl)


def nothing_saved(uow, audit_before):
    return (
        count(uow, Incident) == 0
        and count(uow, Case) == 0
        and count(uow, IncidentBehaviour) == 0
        and count(uow, AuditEntry) == audit_before
    )


# --- the form's checks: a clear refusal, nothing saved ------------------------------------------


def test_an_incident_in_the_future_is_refused(tl, customer, uow):
    before = count(uow, AuditEntry)
    with pytest.raises(PolicyError, match="cannot be in the future"):
        log_incident(tl, form(customer, occurred_at=NOW + dt.timedelta(hours=2)), uow(), now=NOW)
    assert nothing_saved(uow, before)


def test_a_missing_category_is_refused(tl, customer, uow):
    before = count(uow, AuditEntry)
    with pytest.raises(PolicyError, match="Choose a behaviour category"):
        log_incident(tl, form(customer, category="", behaviours=[]), uow(), now=NOW)
    assert nothing_saved(uow, before)


def test_a_behaviour_outside_the_chosen_category_is_refused(tl, customer, uow):
    before = count(uow, AuditEntry)
    with pytest.raises(PolicyError, match="do not belong to 'Aggressive.*Covert recording"):
        log_incident(
            tl, form(customer, behaviours=["threatening_language", "covert_recording"]), uow(), now=NOW
        )
    assert nothing_saved(uow, before)


def test_violence_without_a_police_decision_is_refused(tl, customer, uow):
    before = count(uow, AuditEntry)
    with pytest.raises(PolicyError, match="police reference number"):
        log_incident(
            tl, form(customer, behaviours=["physical_violence"], violence_or_threat=True), uow(), now=NOW
        )
    assert nothing_saved(uow, before)
    assert count(uow, PvpConsideration) == 0


def test_all_problems_are_reported_together(tl, customer, uow):
    with pytest.raises(PolicyError) as refusal:
        log_incident(
            tl,
            form(customer, occurred_at=NOW + dt.timedelta(days=1), description=" ", violence_or_threat=True),
            uow(),
            now=NOW,
        )
    message = str(refusal.value)
    assert "future" in message and "Description is required" in message and "police" in message
    assert len(refusal.value.problems) == 3


def test_an_unnamed_trusted_third_party_is_refused(tl, customer, uow):
    with pytest.raises(PolicyError, match="Name the trusted third party"):
        log_incident(tl, form(customer, evidence_source="trusted_third_party"), uow(), now=NOW)
    assert count(uow, Incident) == 0


def test_roles_without_the_permission_cannot_log(actors, customer, uow):
    for role in ("contractor", "dmo", "hsw", "admin"):
        with pytest.raises(PermissionDenied):
            log_incident(actors[role], form(customer), uow(), now=NOW)
    assert count(uow, Incident) == 0


# --- the violence path and service failures ------------------------------------------------------


def test_violence_with_a_police_reference_records_adjustment_and_raises_pvp_consideration(tl, customer, uow):
    incident_id = log_incident(
        tl,
        form(
            customer, behaviours=["physical_violence"], violence_or_threat=True, police_reference="NP-24-1234"
        ),
        uow(),
        now=NOW,
    )
    with uow() as u:
        incident = u.session.get(Incident, incident_id)
        assert incident.in_person_adjustment is True
        assert incident.police_reference == "NP-24-1234"
        consideration = u.session.scalar(select(PvpConsideration))
        assert (consideration.incident_id, consideration.customer_id, consideration.status) == (
            incident_id,
            customer,
            "open",
        )
        assert "raise_pvp_consideration" in u.session.scalars(select(AuditEntry.action)).all()


def test_violence_with_a_recorded_reason_for_no_police_referral_is_accepted(tl, customer, uow):
    incident_id = log_incident(
        tl,
        form(
            customer,
            violence_or_threat=True,
            police_not_referred_reason="Threat was withdrawn at once; officer declined police involvement.",
        ),
        uow(),
        now=NOW,
    )
    assert get_incident(tl, incident_id, uow()).in_person_adjustment is True
    assert count(uow, PvpConsideration) == 1


def test_service_failure_creates_a_referral_that_stays_open_until_resolved(tl, customer, uow, db_url):
    repairs = area_id(db_url, "Repairs and Maintenance")
    log_incident(
        tl,
        form(
            customer,
            service_failure=True,
            referral_service_area_id=repairs,
            referral_description="Fence reported broken 18 months ago, still not repaired.",
        ),
        uow(),
        now=NOW,
    )
    [referral] = list_service_referrals(tl, uow(), customer_id=customer)
    assert referral.open and referral.service_area == "Repairs and Maintenance"
    with pytest.raises(PolicyError, match="What was done to resolve it is required"):
        resolve_service_referral(tl, referral.id, " ", uow(), now=NOW)
    assert list_service_referrals(tl, uow(), customer_id=customer)[0].open
    resolve_service_referral(tl, referral.id, "Fence replaced on 18 November.", uow(), now=NOW)
    assert list_service_referrals(tl, uow(), customer_id=customer) == []
    [done] = list_service_referrals(tl, uow(), customer_id=customer, open_only=False)
    assert done.resolution == "Fence replaced on 18 November." and not done.open
    with pytest.raises(PolicyError, match="already marked resolved"):
        resolve_service_referral(tl, referral.id, "again", uow(), now=NOW)


def test_service_failure_needs_an_area_and_a_description(tl, customer, uow):
    with pytest.raises(PolicyError, match="(?s)service area.*Describe the service failure"):
        log_incident(tl, form(customer, service_failure=True), uow(), now=NOW)
    assert count(uow, ServiceReferral) == 0 and count(uow, Incident) == 0


# --- hearsay is not recorded as evidence (issue 13 item 7 replaces "noted, marked not evidence") ---


def test_hearsay_is_refused_with_the_way_to_record_it_properly(tl, customer, uow):
    before = count(uow, AuditEntry)
    with pytest.raises(PolicyError, match="get a first-hand account|Get a first-hand account"):
        said = "A neighbour told the officer the customer shouted."
        log_incident(tl, form(customer, evidence_source="hearsay", description=said), uow(), now=NOW)
    assert nothing_saved(uow, before)
    assert list_incidents(tl, customer, uow()) == []


# --- the factual-language prompt ----------------------------------------------------------------


def test_non_factual_wording_is_sent_back_with_the_phrases_to_rephrase(tl, customer, uow):
    text = "Apparently he is a nutter and I think he meant it."
    with pytest.raises(WordingToCheck) as prompt:
        log_incident(tl, form(customer, description=text), uow(), now=NOW)
    assert [f["phrase"] for f in prompt.value.flags] == ["Apparently", "nutter", "I think"]
    assert "'Apparently' (hearsay)" in str(prompt.value)
    assert count(uow, Incident) == 0


def test_wording_kept_after_checking_is_saved_and_the_audit_says_so(tl, customer, uow):
    text = "The customer said the officer was 'useless' and apparently posted it online."
    incident_id = log_incident(tl, form(customer, description=text, wording_checked=True), uow(), now=NOW)
    with uow() as u:
        entry = u.session.scalar(select(AuditEntry).where(AuditEntry.action == "log_incident"))
        assert entry.entity_id == incident_id
        assert "apparently" in entry.reason


# --- corrections (clause 6) ---------------------------------------------------------------------


def test_a_correction_needs_a_reason(tl, customer, uow, db_url):
    incident_id = an_incident(db_url, tl, customer)
    with pytest.raises(PolicyError, match="Reason for the correction is required"):
        amend_incident(tl, incident_id, form(customer, channel="email"), "", uow(), now=NOW)
    assert get_incident(tl, incident_id, uow()).channel == "phone"


def test_a_correction_keeps_the_earlier_version_in_the_audit_log(tl, customer, uow, db_url):
    incident_id = an_incident(db_url, tl, customer)
    amend_incident(
        tl,
        incident_id,
        form(customer, channel="email", behaviours=["threatening_language", "discriminatory_abuse"]),
        "Call was an email; second behaviour missed",
        uow(),
        now=NOW,
    )
    after = get_incident(tl, incident_id, uow())
    assert after.channel == "email"
    assert after.behaviours == ["discriminatory_abuse", "threatening_language"]
    assert after.amended_by_id == tl.user_id and after.amended_at
    with uow() as u:
        entry = u.session.scalar(select(AuditEntry).where(AuditEntry.action == "amend_incident"))
        assert entry.before == {"channel": "phone", "behaviours": ["threatening_language"]}
        assert entry.after["channel"] == "email"
        assert entry.reason == "Call was an email; second behaviour missed"


def test_a_correction_is_checked_like_a_new_incident(tl, customer, uow, db_url):
    incident_id = an_incident(db_url, tl, customer)
    audit_before = count(uow, AuditEntry)
    with pytest.raises(PolicyError, match="do not belong"):
        amend_incident(tl, incident_id, form(customer, behaviours=["same_matter"]), "fix", uow(), now=NOW)
    with pytest.raises(PolicyError, match="Nothing was changed"):
        amend_incident(
            tl,
            incident_id,
            form(customer, occurred_at=NOW - dt.timedelta(days=1)),
            "no change",
            uow(),
            now=NOW,
        )
    assert count(uow, AuditEntry) == audit_before
    assert get_incident(tl, incident_id, uow()).amended_at is None


def test_correcting_to_violence_raises_a_pvp_consideration_once(tl, customer, uow, db_url):
    incident_id = an_incident(db_url, tl, customer)
    amend_incident(
        tl,
        incident_id,
        form(
            customer, violence_or_threat=True, police_reference="NP-1", occurred_at=NOW - dt.timedelta(days=1)
        ),
        "Threat to kill was missed",
        uow(),
        now=NOW,
    )
    assert count(uow, PvpConsideration) == 1


def test_an_incident_cannot_be_moved_to_another_customer(tl, customer, uow, db_url):
    other = a_customer(db_url, tl, ref="NPH900002", first="Zoë", last="Kowalski")
    incident_id = an_incident(db_url, tl, customer)
    with pytest.raises(PolicyError, match="cannot be moved"):
        amend_incident(tl, incident_id, form(other, channel="email"), "wrong customer", uow(), now=NOW)


# --- one set of side effects for logging and correcting (issue 12) -------------------------------


def a_live_pvp_entry(actors, uow, customer, db_url, tl, started_days_ago=200):
    """A violent incident, proposed and approved onto the PVP register long enough ago that a new
    violent incident moves its 12-month review date."""
    from core.services import registers

    violent = an_incident(
        db_url,
        tl,
        customer,
        when=NOW - dt.timedelta(days=started_days_ago + 2),
        behaviours=["physical_violence"],
        violence_or_threat=True,
        police_reference="NP-0",
    )
    with uow() as u:
        consideration = u.session.scalar(
            select(PvpConsideration.id).where(PvpConsideration.incident_id == violent)
        )
    entry_id = registers.propose_pvp(
        tl, customer, consideration, "Pushed an operative; police referred.", "No lone visits.", True, uow()
    )
    start = TODAY - dt.timedelta(days=started_days_ago)
    registers.approve_pvp(
        actors["hsw"], entry_id, add_months(start, 12), True, uow(), starts_on=start, today=TODAY
    )
    return entry_id, add_months(start, 12)


def test_correcting_an_incident_to_violence_restarts_the_live_pvp_clock(actors, tl, customer, uow, db_url):
    from core.models import PvpEntry

    entry_id, due = a_live_pvp_entry(actors, uow, customer, db_url, tl)
    incident_id = an_incident(db_url, tl, customer, when=NOW - dt.timedelta(hours=3))
    with uow() as u:
        assert u.session.get(PvpEntry, entry_id).review_due == due  # not violent: clock unmoved
    amend_incident(
        tl,
        incident_id,
        form(
            customer,
            violence_or_threat=True,
            police_reference="NP-9",
            occurred_at=NOW - dt.timedelta(hours=3),
        ),
        "The threat to stab the officer was missed",
        uow(),
        now=NOW,
    )
    with uow() as u:
        assert u.session.get(PvpEntry, entry_id).review_due == add_months(TODAY, 12)
        raised = u.session.scalars(select(PvpConsideration.incident_id)).all()
        restarted = u.session.scalars(
            select(AuditEntry.entity_id).where(AuditEntry.action == "restart_pvp_clock")
        ).all()
    assert incident_id in raised and restarted == [entry_id]


def test_correcting_hearsay_violence_to_first_hand_restarts_the_pvp_clock(actors, tl, customer, uow, db_url):
    from core.models import PvpEntry

    entry_id, due = a_live_pvp_entry(actors, uow, customer, db_url, tl)
    incident_id = an_incident(
        db_url,
        tl,
        customer,
        when=NOW - dt.timedelta(hours=3),
        violence_or_threat=True,
        police_not_referred_reason="Reported second-hand.",
        evidence_source="hearsay",
    )
    with uow() as u:
        assert u.session.get(PvpEntry, entry_id).review_due == due  # hearsay never moves it
    amend_incident(
        tl,
        incident_id,
        form(
            customer,
            violence_or_threat=True,
            occurred_at=NOW - dt.timedelta(hours=3),
            police_not_referred_reason="Reported second-hand.",
        ),
        "The officer saw it happen",
        uow(),
        now=NOW,
    )
    with uow() as u:
        assert u.session.get(PvpEntry, entry_id).review_due == add_months(TODAY, 12)
        assert (
            u.session.scalar(
                select(func.count())
                .select_from(PvpConsideration)
                .where(PvpConsideration.incident_id == incident_id)
            )
            == 1
        )


def test_logging_and_correcting_share_one_side_effects_function(monkeypatch, tl, customer, uow, db_url):
    from core.services import incidents as service

    calls = []
    real = service.apply_incident_effects
    monkeypatch.setattr(
        service, "apply_incident_effects", lambda *a, **k: calls.append(a[2].id) or real(*a, **k)
    )
    incident_id = an_incident(db_url, tl, customer)
    amend_incident(tl, incident_id, form(customer, channel="email"), "It was an email", uow(), now=NOW)
    assert len(calls) == 2 and calls[1] == incident_id


# --- lost updates (issue 14 item 8) ---------------------------------------------------------------


def test_a_correction_over_someone_elses_newer_one_is_refused(actors, tl, customer, uow, db_url):
    incident_id = an_incident(db_url, tl, customer)
    seen_by_first = get_incident(tl, incident_id, uow()).version
    seen_by_second = get_incident(actors["teamleader2"], incident_id, uow()).version
    amend_incident(
        tl,
        incident_id,
        form(customer, channel="email"),
        "It was an email",
        uow(),
        now=NOW,
        expected_version=seen_by_first,
    )
    with pytest.raises(PolicyError, match="This incident changed since you opened it"):
        amend_incident(
            actors["teamleader2"],
            incident_id,
            form(customer, channel="letter"),
            "It was a letter",
            uow(),
            now=NOW,
            expected_version=seen_by_second,
        )
    after = get_incident(tl, incident_id, uow())
    assert after.channel == "email" and after.version > seen_by_first
    assert count(uow, AuditEntry, AuditEntry.action == "amend_incident") == 1


# --- one incident per form submission (issue 13 item 10) ------------------------------------------


def test_the_same_form_submission_saved_twice_saves_one_incident_and_one_pvp_consideration(tl, customer, uow):
    violent = form(
        customer,
        behaviours=["physical_violence"],
        violence_or_threat=True,
        police_reference="NP-24-1",
        submission_token="a" * 64,
    )
    first = log_incident(tl, violent, uow(), now=NOW)
    second = log_incident(tl, violent, uow(), now=NOW)
    assert first == second
    assert count(uow, Incident) == 1 and count(uow, PvpConsideration) == 1
    assert count(uow, AuditEntry, AuditEntry.action == "log_incident") == 1
    other = log_incident(tl, form(customer, submission_token="b" * 64), uow(), now=NOW)
    assert other != first and count(uow, Incident) == 2
