"""Issue 13 items 5, 6 and 7: the policy's protocols hold on every path (SQLite and PostgreSQL).

- clause 4.1 / 5: "immediate adjustments to in-person contact" are immediate: an interim in-person
  arrangement is in force from the moment a violent incident is saved until the H&S Well-being
  Officer decides the PVP consideration, and every view of the arrangements shows it, without reasons;
- clauses 4.2 / 6: hearsay is not recorded as evidence: refused, kept only as a note that
  something needs checking, and existing hearsay incidents become such notes (migration 0011);
- clause 5: cases are managed within service areas.
"""

import datetime as dt
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, select, text

from core.db import UnitOfWork
from core.errors import PermissionDenied, PolicyError
from core.models import Case, CheckNote, Incident, PvpConsideration
from core.policy.incidents import DEFAULT_INTERIM_ARRANGEMENT, HEARSAY_REFUSAL
from core.services import arrangements, cases, registers
from core.services.check_notes import WHAT, check_notes, record_check_note
from core.services.customers import open_cases
from core.services.incidents import NewIncident, amend_incident, incident_form, log_incident, saved_incident
from core.services.timeline import get_timeline
from db.setup import alembic_config
from tests.scenarios import NOW, a_customer, area_id
from tests.services.case_scenarios import informal_details, version

TODAY = NOW.date()
THREAT = "The customer said he would hit the surveyor with the ladder."
HEARSAY = "A neighbour said the customer keeps a knife by the door."
PAIRS = "No lone visits: attend in pairs"


def violent(customer_id: int, **overrides) -> NewIncident:
    values: dict[str, Any] = dict(
        customer_id=customer_id,
        occurred_at=NOW - dt.timedelta(hours=2),
        channel="in_person",
        category="aggressive",
        behaviours=["threatening_language"],
        description=THREAT,
        evidence_source="first_hand",
        violence_or_threat=True,
        police_reference="NP-4242",
        in_person_arrangement=PAIRS,
    )
    values.update(overrides)
    return NewIncident(**values)


def ordinary(customer_id: int, **overrides) -> NewIncident:
    values: dict[str, Any] = dict(
        customer_id=customer_id,
        occurred_at=NOW - dt.timedelta(days=2),
        channel="phone",
        category="unreasonable_demands",
        behaviours=["contact_overload"],
        description="The customer phoned the repairs line 14 times in one morning.",
        evidence_source="first_hand",
    )
    values.update(overrides)
    return NewIncident(**values)


@pytest.fixture
def tl(actors):
    return actors["teamleader"]  # Housing Management


@pytest.fixture
def repairs_tl(actors):
    return actors["teamleader2"]  # Repairs and Maintenance


@pytest.fixture
def customer(db_url, tl):
    return a_customer(db_url, tl)


def consideration_of(uow, incident_id: int) -> int:
    with uow() as u:
        return u.session.scalar(
            select(PvpConsideration.id).where(PvpConsideration.incident_id == incident_id)
        )


# --- clause 4.1: the interim in-person arrangement ---------------------------------------------


def test_clause_4_1_a_violent_incident_puts_the_interim_in_person_arrangement_in_force_at_once(
    actors, tl, customer, uow
):
    contractor = actors["contractor"]
    assert not arrangements.arrangements_for(contractor, customer, uow()).in_force
    incident_id = log_incident(tl, violent(customer), uow(), now=NOW)

    seen = arrangements.arrangements_for(contractor, customer, uow())
    assert seen.in_force and seen.interim_in_person == (PAIRS,)
    said = " ".join(str(v) for v in seen.__dict__.values())
    assert THREAT not in said and "NP-4242" not in said and "threat" not in said.lower()

    assert PAIRS in saved_incident(tl, incident_id, uow()).message
    export = registers.red_flag_export(actors["hsw"], uow())
    assert [(r.flag_type, r.start_date, r.review_date) for r in export] == [
        (f"Interim in-person arrangement: {PAIRS}", (NOW - dt.timedelta(hours=2)).date(), None)
    ]
    header = get_timeline(tl, customer, uow(), today=TODAY).header
    assert ("Interim in-person arrangement", PAIRS) in [(r.what, r.terms) for r in header.active_restrictions]


def test_clause_4_1_the_interim_arrangement_ends_when_the_hsw_officer_decides_the_consideration(
    actors, tl, customer, uow
):
    incident_id = log_incident(tl, violent(customer), uow(), now=NOW)
    registers.close_pvp_consideration(
        actors["hsw"],
        consideration_of(uow, incident_id),
        "Reviewed with the surveyor: no register entry needed.",
        uow(),
    )
    seen = arrangements.arrangements_for(actors["contractor"], customer, uow())
    assert seen.interim_in_person == () and not seen.in_force
    assert registers.red_flag_export(actors["hsw"], uow()) == []


def test_clause_4_1_the_interim_arrangement_holds_while_a_proposed_entry_awaits_approval(
    actors, tl, customer, uow
):
    incident_id = log_incident(
        tl,
        violent(
            customer,
            in_person_arrangement="other",
            in_person_arrangement_other="Visit only with the estate officer",
        ),
        uow(),
        now=NOW,
    )
    entry = registers.propose_pvp(
        tl,
        customer,
        consideration_of(uow, incident_id),
        "Threatened a surveyor in person.",
        "Two officers on visits.",
        True,
        uow(),
    )
    assert arrangements.arrangements_for(actors["contractor"], customer, uow()).interim_in_person == (
        "Visit only with the estate officer",
    )
    registers.approve_pvp(actors["hsw"], entry, TODAY + dt.timedelta(days=300), True, uow(), today=TODAY)
    seen = arrangements.arrangements_for(actors["contractor"], customer, uow())
    assert seen.interim_in_person == () and seen.red_flag


def test_clause_4_1_violence_without_a_chosen_wording_gets_the_safest_default_and_other_needs_words(
    tl, customer, uow
):
    with pytest.raises(PolicyError, match="you chose 'other'"):
        log_incident(tl, violent(customer, in_person_arrangement="other"), uow(), now=NOW)
    log_incident(tl, violent(customer, in_person_arrangement=""), uow(), now=NOW)
    with uow() as u:
        assert u.session.scalar(select(Incident.in_person_arrangement)) == DEFAULT_INTERIM_ARRANGEMENT


# --- clauses 4.2 and 6: hearsay is not recorded as evidence -------------------------------------


def test_clause_4_2_hearsay_is_refused_and_kept_only_as_a_note_that_something_needs_checking(
    db_url, tl, customer, uow
):
    with pytest.raises(PolicyError) as refused:
        log_incident(tl, ordinary(customer, evidence_source="hearsay", description=HEARSAY), uow(), now=NOW)
    assert HEARSAY_REFUSAL in str(refused.value) and "first-hand account" in str(refused.value)
    assert "trusted third party" in str(refused.value)
    with uow() as u:
        assert u.session.scalar(select(func.count()).select_from(Incident)) == 0
        assert u.session.scalar(select(func.count()).select_from(Case)) == 0

    note_id = record_check_note(tl, customer, "Mrs Patel, the neighbour at no. 14", uow(), today=TODAY)
    notes = check_notes(tl, customer, uow())
    assert [(n.id, n.what, n.who_to_ask, n.noted_on) for n in notes] == [
        (note_id, WHAT, "Mrs Patel, the neighbour at no. 14", TODAY)
    ]
    timeline = get_timeline(tl, customer, uow(), today=TODAY)
    assert [e for e in timeline.events if e.kind == "incident"] == []


def test_clause_6_an_incident_cannot_be_corrected_into_hearsay(tl, customer, uow):
    incident_id = log_incident(tl, ordinary(customer), uow(), now=NOW)
    with uow() as u:
        changes = incident_form(u, u.session.get(Incident, incident_id))
    changes.evidence_source = "hearsay"
    with pytest.raises(PolicyError, match="Hearsay or opinion is not recorded"):
        amend_incident(tl, incident_id, changes, "The officer did not see it.", uow(), now=NOW)


def test_clause_4_2_migration_0011_turns_hearsay_incidents_into_notes_without_their_content(
    db_url, tl, customer, uow
):
    kept = log_incident(tl, ordinary(customer), uow(), now=NOW)
    config = alembic_config(db_url)
    command.downgrade(config, "0009")
    with UnitOfWork(db_url) as u:
        u.session.execute(
            text(
                "INSERT INTO incident (customer_id, case_id, service_area_id, occurred_at, channel, category, "
                "description, evidence_source, third_party_name, witnesses, staff_affected, violence_or_threat, "
                "police_reference, police_not_referred_reason, in_person_adjustment, service_failure, "
                "recorded_by_id, recorded_at) SELECT customer_id, case_id, service_area_id, occurred_at, channel, "
                "category, :said, 'hearsay', 'Mrs Patel', '', '', violence_or_threat, '', 'Second-hand.', "
                "in_person_adjustment, service_failure, recorded_by_id, recorded_at FROM incident WHERE id = :id"
            ),
            {"said": HEARSAY, "id": kept},
        )
        u.session.commit()
    command.upgrade(config, "head")
    with UnitOfWork(db_url) as u:
        assert u.session.scalars(select(Incident.id)).all() == [kept]
        notes = u.session.scalars(select(CheckNote)).all()
        assert [(n.customer_id, n.who_to_ask, n.noted_on) for n in notes] == [
            (customer, "Mrs Patel", (NOW - dt.timedelta(days=2)).date())
        ]
        every_note_value = " ".join(str(v) for v in notes[0].__dict__.values())
        assert HEARSAY not in every_note_value


# --- clause 5: cases are managed within service areas -------------------------------------------


def test_clause_5_an_incident_is_filed_to_the_case_of_the_area_it_happened_in(
    db_url, tl, repairs_tl, customer, uow
):
    housing = log_incident(tl, ordinary(customer), uow(), now=NOW)
    repairs = log_incident(repairs_tl, ordinary(customer), uow(), now=NOW)
    with uow() as u:
        filed = {
            i: (u.session.get(Incident, i).case_id, u.session.get(Incident, i).case.service_area_id)
            for i in (housing, repairs)
        }
    (housing_case, housing_area), (repairs_case, repairs_area) = filed[housing], filed[repairs]
    assert housing_case != repairs_case
    assert (housing_area, repairs_area) == (area_id(db_url), area_id(db_url, "Repairs and Maintenance"))
    cases.record_informal_stage(
        tl,
        housing_case,
        informal_details(decided_on=TODAY),
        version(db_url, housing_case),
        uow(),
        today=TODAY,
    )
    rows = open_cases(repairs_tl, customer, uow())
    assert [(r.case_id, r.stage.value, r.can_act) for r in rows] == [
        (repairs_case, "none", True),
        (housing_case, "informal", False),
    ]


def test_clause_5_a_team_leader_reads_but_cannot_change_another_areas_case(
    db_url, tl, repairs_tl, customer, uow
):
    incident_id = log_incident(tl, ordinary(customer), uow(), now=NOW)
    with uow() as u:
        case_id = u.session.get(Incident, incident_id).case_id
    with pytest.raises(PermissionDenied, match="another service area"):
        cases.record_informal_stage(
            repairs_tl,
            case_id,
            informal_details(decided_on=TODAY),
            version(db_url, case_id),
            uow(),
            today=TODAY,
        )
    assert cases.case_overview(repairs_tl, case_id, uow(), today=TODAY) is not None
    with uow() as u:
        changes = incident_form(u, u.session.get(Incident, incident_id))
    changes.witnesses = "Ms Green, housing officer"
    with pytest.raises(PermissionDenied, match="another service area"):
        amend_incident(repairs_tl, incident_id, changes, "Adding the witness.", uow(), now=NOW)
    amend_incident(tl, incident_id, changes, "Adding the witness.", uow(), now=NOW)
    cases.record_informal_stage(
        tl, case_id, informal_details(decided_on=TODAY), version(db_url, case_id), uow(), today=TODAY
    )


def test_clause_5_the_dmo_hsw_officer_and_assistant_directors_keep_the_reach_their_roles_need(db_url, actors):
    from core.permissions import acts_in_area

    repairs = area_id(db_url, "Repairs and Maintenance")
    assert not acts_in_area(actors["teamleader"], repairs)
    assert acts_in_area(actors["teamleader2"], repairs)
    for role in ("dmo", "hsw", "ad.housing", "ad.ict"):
        assert acts_in_area(actors[role], repairs), role
