"""Clause 6: inaccurate or irrelevant data is corrected or removed on request; erasure keeps only
anonymised facts and is refused while a restriction, appeal or legal hold applies."""

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from core.db import UnitOfWork
from core.enums import EvidenceSource
from core.errors import NotFound, PermissionDenied, PolicyError
from core.models import (
    Annotation,
    AuditEntry,
    Customer,
    CustomerVulnerability,
    DataRequest,
    Incident,
    IncidentBehaviour,
    Letter,
    StageEvent,
    ThirdPartyContact,
)
from core.services import customers as customer_service
from core.services import dataprotection as dp
from core.services import incidents as incident_service
from core.services.dataprotection.erasure import REDACTED
from core.services.timeline import get_timeline
from tests.services.dp_scenarios import NOW, a_full_history, a_request
from tests.services.test_incident_summary import recount, summary


def _one(url, model, ident):
    with UnitOfWork(url) as u:
        obj = u.session.get(model, ident)
        u.session.expunge_all() if obj is None else u.session.expunge(obj)
        return obj


def _audit(url, action):
    with UnitOfWork(url) as u:
        entries = u.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()
        u.session.expunge_all()
        return entries


@pytest.fixture
def history(db_url):
    return a_full_history(db_url, "NPH710001", "Dawn", "Ashby", active=False)


def test_amend_changes_the_record_and_keeps_before_and_after(db_url, uow, actors, history):
    cid = min(history["customer"])
    incident_id = min(history["incident"])
    request = a_request(db_url, cid, "rectification", details="My phone number and the incident are wrong")
    result = dp.decide_rectification(
        actors["dmo"],
        request,
        "amend",
        "Customer showed a bill",
        [
            {"entity_type": "customer", "entity_id": cid, "field": "phone", "value": "01604 000000"},
            {
                "entity_type": "incident",
                "entity_id": incident_id,
                "field": "description",
                "value": "The customer raised their voice on the phone.",
            },
        ],
        uow(),
    )
    assert len(result["applied"]) == 2
    customer = _one(db_url, Customer, cid)
    assert customer.phone == "01604 000000" and customer.amended_by_id == actors["dmo"].user_id
    incident = _one(db_url, Incident, incident_id)
    assert incident.description == "The customer raised their voice on the phone."
    assert incident.amended_at is not None
    entries = _audit(db_url, "rectify_amend")
    assert [(e.entity_type, e.before, e.after) for e in entries] == [
        ("customer", {"phone": ""}, {"phone": "01604 000000"}),
        (
            "incident",
            {"description": "The customer shouted at the call handler (incident 1)."},
            {"description": "The customer raised their voice on the phone."},
        ),
    ]
    assert all("Customer showed a bill" in e.reason for e in entries)
    request_row = _one(db_url, DataRequest, request)
    assert (request_row.status, request_row.decision) == ("closed", "amend")


def test_annotate_adds_a_note_that_the_timeline_shows(db_url, uow, actors, history):
    cid = min(history["customer"])
    incident_id = max(history["incident"])
    request = a_request(db_url, cid, "rectification")
    dp.decide_rectification(
        actors["dmo"],
        request,
        "annotate",
        "Record kept; dispute noted",
        [
            {
                "entity_type": "incident",
                "entity_id": incident_id,
                "text": "The customer says they did not threaten anyone.",
            }
        ],
        uow(),
    )
    with UnitOfWork(db_url) as u:
        notes = u.session.scalars(
            select(Annotation).where(
                Annotation.entity_id == incident_id, Annotation.entity_type == "incident"
            )
        ).all()
        assert [n.text for n in notes] == ["The customer says they did not threaten anyone."]
    timeline = get_timeline(actors["dmo"], cid, uow())
    events = timeline["events"] if isinstance(timeline, dict) else timeline
    assert any("did not threaten anyone" in str(e) for e in events)


def test_remove_clears_a_field_without_copying_it_into_the_audit_log(db_url, uow, actors, history):
    cid = min(history["customer"])
    incident_id = min(history["incident"])
    request = a_request(db_url, cid, "rectification")
    dp.decide_rectification(
        actors["dmo"],
        request,
        "remove",
        "Witness details irrelevant",
        [{"entity_type": "incident", "entity_id": incident_id, "field": "witnesses"}],
        uow(),
    )
    assert _one(db_url, Incident, incident_id).witnesses == ""
    [entry] = _audit(db_url, "rectify_remove")
    assert "A. Jones" not in str(entry.before) and entry.after == {"witnesses": ""}


def test_an_incident_relied_on_by_a_decision_cannot_be_removed(db_url, uow, actors, history):
    cid = min(history["customer"])
    incident_id = min(history["incident"])
    request = a_request(db_url, cid, "rectification")
    with pytest.raises(PolicyError, match="evidence for stage decision"):
        dp.decide_rectification(
            actors["dmo"],
            request,
            "remove",
            "Irrelevant",
            [{"entity_type": "incident", "entity_id": incident_id}],
            uow(),
        )
    assert _one(db_url, Incident, incident_id) is not None
    assert _one(db_url, DataRequest, request).status == "open"


def test_an_unused_incident_and_a_vulnerability_can_be_removed(db_url, uow, actors, history):
    cid = min(history["customer"])
    with UnitOfWork(db_url) as u:
        base = u.session.get(Incident, min(history["incident"]))
        extra = Incident(
            customer_id=cid,
            case_id=base.case_id,
            service_area_id=base.service_area_id,
            occurred_at=base.occurred_at,
            channel=base.channel,
            category=base.category,
            description="Logged against the wrong customer",
            evidence_source=base.evidence_source,
            recorded_by_id=base.recorded_by_id,
        )
        extra.behaviours = [IncidentBehaviour(behaviour="same_matter")]
        u.session.add(extra)
        u.commit()
        extra_id = extra.id
    request = a_request(db_url, cid, "rectification")
    dp.decide_rectification(
        actors["dmo"],
        request,
        "remove",
        "Wrong customer",
        [
            {"entity_type": "incident", "entity_id": extra_id},
            {"entity_type": "customer_vulnerability", "entity_id": min(history["customer_vulnerability"])},
        ],
        uow(),
    )
    assert _one(db_url, Incident, extra_id) is None
    assert _one(db_url, CustomerVulnerability, min(history["customer_vulnerability"])) is None
    with UnitOfWork(db_url) as u:
        assert (
            u.session.scalar(
                select(func.count())
                .select_from(IncidentBehaviour)
                .where(IncidentBehaviour.incident_id == extra_id)
            )
            == 0
        )
    entries = {e.entity_type: e for e in _audit(db_url, "rectify_remove_record")}
    assert set(entries) == {"incident", "customer_vulnerability"}
    assert entries["customer_vulnerability"].before == {"id": min(history["customer_vulnerability"])}
    assert summary(db_url) == recount(db_url)  # the monitoring summary lost the incident


def _spy(monkeypatch, module, name) -> list:
    """Record (username, record id) for every call of module.name, then run the real function."""
    calls, real = [], getattr(module, name)

    def spy(uow, actor, record_id, *args, **kwargs):
        calls.append((actor.username, record_id))
        return real(uow, actor, record_id, *args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def _form(url, incident_id):
    with UnitOfWork(url) as u:
        return incident_service.incident_form(u, u.session.get(Incident, incident_id))


def test_a_dmo_incident_rectification_is_the_team_leaders_amendment(
    db_url, uow, actors, history, monkeypatch
):
    calls = _spy(monkeypatch, incident_service, "apply_incident_amendment")
    first, second = sorted(history["incident"])
    held = summary(db_url)
    incident_service.amend_incident(
        actors["teamleader"],
        first,
        replace(_form(db_url, first), description="The customer shouted at the call handler twice."),
        "Call recording checked",
        uow(),
        now=NOW,
    )
    request = a_request(db_url, min(history["customer"]), "rectification")
    dp.decide_rectification(
        actors["dmo"],
        request,
        "amend",
        "Call recording supports the customer",
        [
            {
                "entity_type": "incident",
                "entity_id": second,
                "field": "description",
                "value": "The customer raised their voice at the call handler.",
            }
        ],
        uow(),
        now=NOW,
    )
    assert calls == [("teamleader", first), ("dmo", second)]
    by_leader, by_dmo = _one(db_url, Incident, first), _one(db_url, Incident, second)
    assert (by_leader.amended_at, by_leader.amended_by_id) == (NOW, actors["teamleader"].user_id)
    assert (by_dmo.amended_at, by_dmo.amended_by_id) == (NOW, actors["dmo"].user_id)
    [leader_entry] = _audit(db_url, "amend_incident")
    [dmo_entry] = _audit(db_url, "rectify_amend")
    assert leader_entry.before == {"description": "The customer shouted at the call handler (incident 1)."}
    assert dmo_entry.before == {"description": "The customer shouted at the call handler (incident 2)."}
    assert dmo_entry.after == {"description": "The customer raised their voice at the call handler."}
    assert dmo_entry.reason == f"Rectification request {request}: Call recording supports the customer"
    # the monitoring summary (kept by triggers) is exact and unmoved: day, area and category stayed
    assert summary(db_url) == held == recount(db_url)


def test_an_incident_rule_refuses_the_dmo_too_and_the_whole_decision_rolls_back(db_url, uow, actors, history):
    cid = min(history["customer"])
    incident_id = max(history["incident"])
    with UnitOfWork(db_url) as u:
        incident = u.session.get(Incident, incident_id)
        incident.evidence_source, incident.third_party_name = (
            EvidenceSource.TRUSTED_THIRD_PARTY,
            "Neighbour at No. 3",
        )
        u.commit()
    with pytest.raises(PolicyError) as leader_refusal:
        incident_service.amend_incident(
            actors["teamleader"],
            incident_id,
            replace(_form(db_url, incident_id), third_party_name=""),
            "Name not needed",
            uow(),
            now=NOW,
        )
    request = a_request(db_url, cid, "rectification")
    with pytest.raises(PolicyError) as dmo_refusal:
        dp.decide_rectification(
            actors["dmo"],
            request,
            "remove",
            "Not relevant",
            [
                {"entity_type": "customer", "entity_id": cid, "field": "town"},  # allowed ...
                {"entity_type": "incident", "entity_id": incident_id, "field": "third_party_name"},
            ],  # ... refused
            uow(),
            now=NOW,
        )
    assert (
        str(dmo_refusal.value)
        == str(leader_refusal.value)
        == "Name the trusted third party who gave this account."
    )
    customer, incident = _one(db_url, Customer, cid), _one(db_url, Incident, incident_id)
    assert (customer.town, customer.amended_at) == ("Northampton", None)  # the first change rolled back
    assert (incident.third_party_name, incident.amended_at) == ("Neighbour at No. 3", None)
    row = _one(db_url, DataRequest, request)
    assert (row.status, row.decision) == ("open", "")
    assert _audit(db_url, "rectify_remove") == [] and _audit(db_url, "decide_data_request") == []


def test_a_dmo_correction_of_a_customer_is_the_team_leaders_correction(
    db_url, uow, actors, history, monkeypatch
):
    calls = _spy(monkeypatch, customer_service, "apply_customer_correction")
    cid = min(history["customer"])
    leader, dmo = actors["teamleader"], actors["dmo"]
    with pytest.raises(
        PolicyError, match="Title is too long"
    ) as too_long:  # the customer service's own limit
        dp.decide_rectification(
            dmo,
            a_request(db_url, cid, "rectification"),
            "amend",
            "Title",
            [{"entity_type": "customer", "entity_id": cid, "field": "title", "value": "x" * 21}],
            uow(),
            now=NOW,
        )
    request = a_request(db_url, cid, "rectification")
    dp.decide_rectification(
        dmo,
        request,
        "amend",
        "Deed poll seen",
        [
            {"entity_type": "customer", "entity_id": cid, "field": "last_name", "value": "Ashby-Clarke"},
            {"entity_type": "customer", "entity_id": cid, "field": "postcode", "value": "nn2 2bb"},
        ],
        uow(),
        now=NOW,
    )
    assert calls == [("dmo", cid)] * 3  # the refused title, then last name and postcode
    customer = _one(db_url, Customer, cid)
    assert (customer.last_name, customer.postcode) == ("Ashby-Clarke", "NN2 2BB")  # the same cleaning
    assert (customer.amended_at, customer.amended_by_id) == (NOW, dmo.user_id)
    assert [c["id"] for c in customer_service.search_customers(leader, "ashby-clarke", uow())] == [cid]
    removal = a_request(db_url, cid, "rectification")
    dp.decide_rectification(
        dmo,
        removal,
        "remove",
        "Former address",
        [{"entity_type": "customer", "entity_id": cid, "field": "address_line1"}],
        uow(),
        now=NOW,
    )
    assert customer_service.search_customers(leader, "test row", uow()) == []
    [entry] = _audit(db_url, "rectify_remove")
    assert entry.after["address_line1"] == "" and "test row" not in entry.after["search_text"]
    assert "Test Row" not in str(entry.before) and "test row" not in str(entry.before)  # the derived text too
    assert entry.before["address_line1"] == "<removed: 10 characters>"
    assert str(too_long.value) == "Title is too long (21 characters; the limit is 20)."


def test_refusal_needs_a_reason_and_changes_nothing(db_url, uow, actors, history):
    cid = min(history["customer"])
    request = a_request(db_url, cid, "rectification")
    with pytest.raises(PolicyError, match="Reason for the decision is required"):
        dp.decide_rectification(actors["dmo"], request, "refuse", "  ", [], uow())
    dp.decide_rectification(
        actors["dmo"], request, "refuse", "The record is accurate: first-hand evidence", [], uow()
    )
    row = _one(db_url, DataRequest, request)
    assert (row.decision, row.decision_reason) == ("refuse", "The record is accurate: first-hand evidence")


def test_changes_to_another_customers_record_are_refused(db_url, uow, actors, history):
    other = a_full_history(db_url, "NPH710099", "Eve", "Other")
    request = a_request(db_url, min(history["customer"]), "rectification")
    with pytest.raises(NotFound):
        dp.decide_rectification(
            actors["dmo"],
            request,
            "amend",
            "x",
            [
                {
                    "entity_type": "incident",
                    "entity_id": min(other["incident"]),
                    "field": "description",
                    "value": "changed",
                }
            ],
            uow(),
        )
    with pytest.raises(PermissionDenied):
        dp.decide_rectification(actors["teamleader"], request, "refuse", "no", [], uow())


def test_erasure_keeps_anonymised_facts_and_removes_personal_data(db_url, uow, actors, history):
    other = a_full_history(db_url, "NPH710002", "Frank", "Other")
    cid = min(history["customer"])
    request = a_request(db_url, cid, "erasure", details="Erase everything")
    result = dp.erase_customer(actors["dmo"], request, uow(), reason="No restriction remains")
    assert result["audit_entries_kept"] >= 2
    with UnitOfWork(db_url) as u:
        s = u.session
        customer = s.get(Customer, cid)
        assert customer.anonymised_at is not None
        assert (customer.first_name, customer.phone, customer.address_line1, customer.postcode) == (
            "Erased",
            "",
            "",
            "",
        )
        assert "Ashby" not in customer.full_name and customer.housing_ref == f"ERASED-{cid}"
        incidents = s.scalars(select(Incident).where(Incident.customer_id == cid)).all()
        assert len(incidents) == 2  # facts kept for statistics
        assert {i.category.value for i in incidents} == {"aggressive"}
        assert all(
            i.description == "[erased]" and i.witnesses == "" and i.police_reference == "" for i in incidents
        )
        assert (
            s.scalar(
                select(func.count())
                .select_from(IncidentBehaviour)
                .where(IncidentBehaviour.incident_id.in_(history["incident"]))
            )
            == 2
        )
        events = s.scalars(select(StageEvent).where(StageEvent.id.in_(history["stage_event"]))).all()
        assert {e.to_stage.value for e in events} == {"informal", "formal"}
        assert all(e.reason == "" for e in events)
        assert {tuple(e.details.items()) for e in events} == {(("contact_made", True),), ()}
        assert s.get(Letter, min(history["letter"])).content == b""
        assert (
            s.scalar(
                select(func.count())
                .select_from(ThirdPartyContact)
                .where(ThirdPartyContact.customer_id == cid)
            )
            == 0
        )
        assert (
            s.scalar(select(func.count()).select_from(Annotation).where(Annotation.customer_id == cid)) == 0
        )
        # the other customer is untouched
        assert s.get(Customer, min(other["customer"])).first_name == "Frank"
        assert s.get(Letter, min(other["letter"])).content != b""
        assert s.get(DataRequest, request).decision == "erased"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "erase_customer")).one()
        assert "Ashby" not in str(entry.before) + str(entry.after)


@pytest.mark.parametrize(
    "situation, expected",
    [
        ({"active": True}, "formal-stage restriction"),
        ({"active": True}, "SPOC register"),
        ({"active": True}, "PVP register"),
        ({"open_appeal": True}, "awaiting a decision"),
        ({"legal_hold": True}, "legal hold (Possession proceedings)"),
    ],
)
def test_erasure_is_refused_with_the_reason(db_url, uow, actors, situation, expected):
    history = a_full_history(db_url, "NPH720001", "Gail", "Held", **situation)
    cid = min(history["customer"])
    request = a_request(db_url, cid, "erasure")
    with pytest.raises(PolicyError, match="cannot be erased") as refusal:
        dp.erase_customer(actors["dmo"], request, uow())
    assert expected in str(refusal.value)
    with UnitOfWork(db_url) as u:
        assert u.session.get(Customer, cid).first_name == "Gail"
        assert u.session.get(DataRequest, request).status == "open"
    assert expected in " ".join(dp.erasure_check(actors["dmo"], cid, uow()))


def test_legal_hold_blocks_then_releases_erasure(db_url, uow, actors, history):
    cid = min(history["customer"])
    dp.set_legal_hold(actors["dmo"], cid, True, "Court claim pending", uow())
    request = a_request(db_url, cid, "erasure")
    with pytest.raises(PolicyError, match="Court claim pending"):
        dp.erase_customer(actors["dmo"], request, uow())
    with pytest.raises(PolicyError, match="already on"):
        dp.set_legal_hold(actors["dmo"], cid, True, "again", uow())
    dp.set_legal_hold(actors["dmo"], cid, False, "Claim settled", uow())
    dp.erase_customer(actors["dmo"], request, uow())
    [on, off] = _audit(db_url, "set_legal_hold")
    # issue 14: erasure keeps who did what, when and why, and scrubs the before/after values
    assert (on.username, on.entity_id, on.reason) == ("dmo", cid, "Court claim pending")
    assert on.after == on.before == off.before == REDACTED and off.reason == "Claim settled"


def test_refused_erasure_can_be_closed_with_the_reason(db_url, uow, actors):
    history = a_full_history(db_url, "NPH730001", "Hal", "Active", active=True)
    request = a_request(db_url, min(history["customer"]), "erasure")
    dp.complete_request(
        actors["dmo"], request, "refused", "Restriction still active; ask again after review", uow()
    )
    row = _one(db_url, DataRequest, request)
    assert (row.status, row.decision) == ("closed", "refused")
