"""Data-protection scenarios built with the ORM directly: one customer's full history with a
row in every table that can hold data about them, returning the ids it created per table."""

from __future__ import annotations

import datetime as dt
import io

import docx
from sqlalchemy import insert, select

from core.db import UnitOfWork
from core.enums import (
    ActionStatus,
    AppealOutcome,
    Behaviour,
    Category,
    Channel,
    DataRequestKind,
    EvidenceSource,
    FormalActionType,
    LetterType,
    RegisterStatus,
    ReviewOutcome,
    Stage,
    Vulnerability,
)
from core.models import (
    AccessLog,
    Annotation,
    Appeal,
    AuditEntry,
    Case,
    CheckNote,
    Customer,
    CustomerVulnerability,
    DataRequest,
    DisclosureLog,
    FormalAction,
    Incident,
    IncidentBehaviour,
    Letter,
    PvpConsideration,
    PvpEntry,
    Review,
    ServiceArea,
    ServiceReferral,
    SpocEntry,
    SpocRequest,
    StageEvent,
    ThirdPartyContact,
    User,
    stage_event_incident,
)
from core.models.registers import spoc_request_incident
from core.services.customers import search_text_for

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def docx_bytes(*lines: str) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


def a_full_history(
    url: str,
    ref: str,
    first: str,
    last: str,
    *,
    start: dt.date = TODAY - dt.timedelta(days=200),
    closed: bool = False,
    active: bool = False,
    open_appeal: bool = False,
    legal_hold: bool = False,
    mention: str = "",
    title: str = "Ms",
    phone: str = "",
    email: str = "",
) -> dict:
    """A customer with a row in every table about them. `active`: the restriction, SPOC and PVP
    entries are still active; `closed`: the case is closed (everything ended). Returns
    {table name: set of ids} (link tables: set of id tuples; 'customer': the id)."""
    with UnitOfWork(url) as uow:
        s = uow.session
        area = s.scalar(select(ServiceArea.id).where(ServiceArea.name == "Housing Management"))
        leader = s.scalar(select(User.id).where(User.username == "teamleader"))
        assert leader is not None
        dmo = s.scalar(select(User.id).where(User.username == "dmo"))
        hsw = s.scalar(select(User.id).where(User.username == "hsw"))
        ad = s.scalar(select(User.id).where(User.username == "ad.housing"))
        customer = Customer(
            housing_ref=ref,
            title=title,
            first_name=first,
            last_name=last,
            address_line1="1 Test Row",
            town="Northampton",
            postcode="NN1 1AA",
            phone=phone,
            email=email,
            service_area_id=area,
            legal_hold=legal_hold,
            legal_hold_reason="Possession proceedings" if legal_hold else "",
            created_at=_at(start),
        )
        customer.search_text = search_text_for(customer)  # as the customer service stores it
        s.add(customer)
        s.flush()
        cid = customer.id
        vulnerability = CustomerVulnerability(
            customer_id=cid,
            kind=Vulnerability.MENTAL_HEALTH,
            details="Anxiety (disclosed by the customer)",
            recorded_at=_at(start),
            recorded_by_id=leader,
        )
        third = ThirdPartyContact(
            customer_id=cid,
            name=f"Relative of {first}",
            relationship_to_customer="Sister",
            phone="07000 000001",
            started_on=start,
        )
        case = Case(
            customer_id=cid,
            service_area_id=area,
            stage=Stage.CLOSED if closed else Stage.FORMAL,
            opened_at=_at(start),
            opened_by_id=leader,
            closed_at=_at(start + dt.timedelta(days=120)) if closed else None,
            closure_reason="Normal relations restored" if closed else "",
        )
        s.add_all([vulnerability, third, case])
        s.flush()
        incidents = []
        for n in range(2):
            description = f"The customer shouted at the call handler (incident {n + 1})."
            if n == 1 and mention:
                description += f" The customer said {mention} had complained too."
            incident = Incident(
                customer_id=cid,
                case_id=case.id,
                service_area_id=area,
                occurred_at=_at(start + dt.timedelta(days=10 * n)),
                channel=Channel.PHONE,
                category=Category.AGGRESSIVE,
                description=description,
                evidence_source=EvidenceSource.FIRST_HAND,
                witnesses="Call handler A. Jones",
                staff_affected="Call handler",
                violence_or_threat=n == 1,
                in_person_adjustment=n == 1,  # as log_incident derives it
                police_reference="NP/1234" if n == 1 else "",
                recorded_by_id=leader,
                recorded_at=_at(start + dt.timedelta(days=10 * n), 12),
            )
            incident.behaviours = [IncidentBehaviour(behaviour=Behaviour.THREATENING_LANGUAGE)]
            incidents.append(incident)
        s.add_all(incidents)
        s.flush()
        referral = ServiceReferral(
            incident_id=incidents[0].id,
            customer_id=cid,
            case_id=case.id,
            service_area_id=area,
            description="Repair delayed for months",
            raised_at=_at(start),
            raised_by_id=leader,
        )
        informal = StageEvent(
            case_id=case.id,
            from_stage=Stage.NONE,
            to_stage=Stage.INFORMAL,
            decided_on=start + dt.timedelta(days=1),
            decided_by_id=leader,
            reason="Behaviour set out",
            details={"contact_made": True, "note": "called"},
            recorded_at=_at(start + dt.timedelta(days=1)),
        )
        formal = StageEvent(
            case_id=case.id,
            from_stage=Stage.INFORMAL,
            to_stage=Stage.FORMAL,
            decided_on=start + dt.timedelta(days=11),
            decided_by_id=leader,
            reason="Threat of violence",
            skip_reason="Violence justified skipping the warning",
            recorded_at=_at(start + dt.timedelta(days=11)),
        )
        s.add_all([referral, informal, formal])
        s.flush()
        s.execute(
            insert(stage_event_incident),
            [
                {"stage_event_id": informal.id, "incident_id": incidents[0].id},
                {"stage_event_id": formal.id, "incident_id": incidents[1].id},
            ],
        )
        action = FormalAction(
            case_id=case.id,
            stage_event_id=formal.id,
            kind=FormalActionType.ONE_CHANNEL,
            terms="Email only",
            starts_on=formal.decided_on,
            review_due=formal.decided_on + dt.timedelta(days=180),
            status=ActionStatus.ACTIVE if active else ActionStatus.LIFTED,
            ended_on=None if active else start + dt.timedelta(days=100),
            ended_reason="" if active else "Lifted at review",
        )
        appeal = Appeal(
            case_id=case.id,
            subject_type="stage_event",
            subject_id=formal.id,
            received_on=start + dt.timedelta(days=15),
            grounds="The customer disputes the facts",
            decision_maker_id=ad,
            due_on=start + dt.timedelta(days=22),
            decided_on=None if open_appeal else start + dt.timedelta(days=20),
            outcome=None if open_appeal else AppealOutcome.UPHELD,
            decision_notes="" if open_appeal else "Decision stands",
            recorded_by_id=leader,
            recorded_at=_at(start + dt.timedelta(days=15)),
        )
        letter = Letter(
            case_id=case.id,
            customer_id=cid,
            letter_type=LetterType.FORMAL,
            subject_type="stage_event",
            author_id=leader,
            created_at=_at(start + dt.timedelta(days=11)),
            sent_on=start + dt.timedelta(days=11),
            content=docx_bytes(f"Dear {first} {last}", "Formal stage."),
            filename=f"formal-{ref}.docx",
            checksum="x",
        )
        spoc_request = SpocRequest(
            case_id=case.id,
            customer_id=cid,
            requested_by_id=leader,
            requested_at=_at(start + dt.timedelta(days=12)),
            reason="Contacts many teams",
            status=RegisterStatus.ACTIVE,
            meeting_on=start + dt.timedelta(days=14),
            attendees="DMO, team leader",
            discussion="Reviewed the log",
            decision_reason="Evidence of repeated contact",
            decided_by_id=dmo,
            decided_at=_at(start + dt.timedelta(days=14)),
        )
        consideration = PvpConsideration(
            incident_id=incidents[1].id,
            customer_id=cid,
            raised_at=_at(start + dt.timedelta(days=10)),
            status="closed",
            closed_reason="Entered on the register",
        )
        s.add_all([action, appeal, letter, spoc_request, consideration])
        s.flush()
        s.execute(
            insert(spoc_request_incident),
            [{"spoc_request_id": spoc_request.id, "incident_id": incidents[1].id}],
        )
        spoc = SpocEntry(
            request_id=spoc_request.id,
            customer_id=cid,
            case_id=case.id,
            spoc_user_id=leader,
            channels=["email"],
            contact_times="Mon-Fri 10-12",
            contact_limit="Two a week",
            terms="All contact through the SPOC",
            starts_on=start + dt.timedelta(days=14),
            review_due=start + dt.timedelta(days=194),
            status=RegisterStatus.ACTIVE if active else RegisterStatus.ENDED,
            ended_on=None if active else start + dt.timedelta(days=100),
        )
        pvp = PvpEntry(
            customer_id=cid,
            consideration_id=consideration.id,
            proposed_by_id=leader,
            proposed_at=_at(start + dt.timedelta(days=12)),
            reasons="Threat to an operative",
            arrangements="Two officers on visits",
            approved_by_id=hsw,
            approved_at=_at(start + dt.timedelta(days=13)),
            starts_on=start + dt.timedelta(days=13),
            review_due=start + dt.timedelta(days=300),
            status=RegisterStatus.ACTIVE if active else RegisterStatus.ENDED,
            ended_on=None if active else start + dt.timedelta(days=100),
        )
        s.add_all([spoc, pvp])
        s.flush()
        action_review = Review(
            case_id=case.id,
            subject_type="formal_action",
            subject_id=action.id,
            held_on=start + dt.timedelta(days=100),
            reviewed_by_id=leader,
            evidence_considered="No further incidents",
            outcome=ReviewOutcome.LIFT,
            recorded_at=_at(start + dt.timedelta(days=100)),
        )
        pvp_review = Review(
            case_id=None,
            subject_type="pvp_entry",
            subject_id=pvp.id,
            held_on=start + dt.timedelta(days=100),
            reviewed_by_id=hsw,
            evidence_considered="No further threats",
            outcome=ReviewOutcome.LIFT,
            recorded_at=_at(start + dt.timedelta(days=100)),
        )
        disclosure = DisclosureLog(
            viewer_id=s.scalar(select(User.id).where(User.username == "contractor")),
            customer_id=cid,
            at=_at(start + dt.timedelta(days=30)),
        )
        access = AccessLog(
            user_id=leader, customer_id=cid, what="timeline", at=_at(start + dt.timedelta(days=30))
        )
        note = Annotation(
            customer_id=cid,
            entity_type="incident",
            entity_id=incidents[0].id,
            text="The customer disputes the wording",
            by_id=dmo,
            at=_at(start + dt.timedelta(days=40)),
        )
        request = DataRequest(
            customer_id=cid,
            kind=DataRequestKind.SAR,
            received_on=start + dt.timedelta(days=40),
            due_on=start + dt.timedelta(days=70),
            identity_checked=True,
            details="All my data",
            status="closed",
            decision="released",
            logged_by_id=dmo,
        )
        check = CheckNote(
            customer_id=cid,
            service_area_id=case.service_area_id,
            noted_on=start + dt.timedelta(days=20),
            who_to_ask="The caretaker",
            recorded_by_id=leader,
        )
        s.add_all([action_review, pvp_review, disclosure, access, note, request, check])
        s.flush()
        audit_about = AuditEntry(
            username="teamleader",
            user_id=leader,
            action="log_incident",
            entity_type="incident",
            entity_id=incidents[0].id,
            customer_id=cid,
            after={"description": incidents[0].description},
            at=_at(start),
        )
        audit_by_entity = AuditEntry(
            username="teamleader",
            user_id=leader,
            action="record_stage",
            entity_type="stage_event",
            entity_id=formal.id,
            customer_id=None,
            after={"reason": "Threat of violence"},
            at=_at(start + dt.timedelta(days=11)),
        )
        s.add_all([audit_about, audit_by_entity])
        s.flush()
        evidence = _evidence_rows(s, cid, case.id, incidents[0].id, leader, ref, start)
        ids = evidence | {
            "customer": {cid},
            "customer_vulnerability": {vulnerability.id},
            "third_party_contact": {third.id},
            "case_file": {case.id},
            "incident": {i.id for i in incidents},
            "incident_behaviour": {(i.id, Behaviour.THREATENING_LANGUAGE.value) for i in incidents},
            "service_referral": {referral.id},
            "stage_event": {informal.id, formal.id},
            "stage_event_incident": {(informal.id, incidents[0].id), (formal.id, incidents[1].id)},
            "formal_action": {action.id},
            "review": {action_review.id, pvp_review.id},
            "appeal": {appeal.id},
            "letter": {letter.id},
            "spoc_request": {spoc_request.id},
            "spoc_request_incident": {(spoc_request.id, incidents[1].id)},
            "spoc_entry": {spoc.id},
            "pvp_consideration": {consideration.id},
            "pvp_entry": {pvp.id},
            "annotation": {note.id},
            "data_request": {request.id},
            "access_log": {access.id},
            "disclosure_log": {disclosure.id},
            "check_note": {check.id},
            "audit_entry": {audit_about.id, audit_by_entity.id},
            "_letter_bytes": {letter.id: letter.content},
        }
        uow.commit()
        return ids


def _evidence_rows(
    s, cid: int, case_id: int, incident_id: int, leader: int, ref: str, start: dt.date
) -> dict[str, set]:
    """Issue 16's tables: a contact, an attachment, a partner referral, a household and needs."""
    from core.enums import Channel
    from core.enums_evidence import Agency, Direction, EntryKind, PartnerAction
    from core.models import (
        Attachment,
        CommunicationNeeds,
        ContactLog,
        Household,
        HouseholdMember,
        PartnerReferral,
    )

    contact = ContactLog(
        customer_id=cid,
        case_id=case_id,
        kind=EntryKind.CONTACT,
        occurred_at=_at(start),
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        staff_id=leader,
        summary="Asked about the repair",
        recorded_by_id=leader,
    )
    attachment = Attachment(
        customer_id=cid,
        case_id=case_id,
        subject_type="incident",
        subject_id=incident_id,
        filename="photo.png",
        media_type="image/png",
        extension="png",
        size_bytes=3,
        sha256="0" * 64,
        content=b"abc",
        uploaded_by_id=leader,
    )
    partner = PartnerReferral(
        customer_id=cid,
        case_id=case_id,
        agency=Agency.POLICE,
        action=PartnerAction.REFERRAL,
        made_on=start,
        reference="NP-1",
        recorded_by_id=leader,
    )
    household = Household(property_ref=f"PROP-{ref}", address_line1="12 Abington Square")
    needs = CommunicationNeeds(customer_id=cid, large_print=True)
    s.add_all([contact, attachment, partner, household, needs])
    s.flush()
    member = HouseholdMember(household_id=household.id, customer_id=cid)
    s.add(member)
    s.flush()
    return {
        "contact_log": {contact.id},
        "attachment": {attachment.id},
        "partner_referral": {partner.id},
        "household": {household.id},
        "household_member": {member.id},
        "communication_needs": {needs.id},
    }


def a_request(
    url: str,
    customer_id: int,
    kind: str,
    *,
    identity_checked: bool = True,
    received_on: dt.date | None = None,
    details: str = "Please correct my record",
) -> int:
    with UnitOfWork(url) as uow:
        dmo = uow.session.scalar(select(User.id).where(User.username == "dmo"))
        request = DataRequest(
            customer_id=customer_id,
            kind=DataRequestKind(kind),
            received_on=received_on or TODAY - dt.timedelta(days=3),
            due_on=(received_on or TODAY - dt.timedelta(days=3)) + dt.timedelta(days=30),
            identity_checked=identity_checked,
            details=details,
            logged_by_id=dmo,
        )
        uow.session.add(request)
        uow.commit()
        return request.id


LINK_TABLES = {
    "incident_behaviour": ("incident_id", "behaviour"),
    "stage_event_incident": ("stage_event_id", "incident_id"),
    "spoc_request_incident": ("spoc_request_id", "incident_id"),
}


def row_keys(table: str, rows) -> set:
    """The ids (or id tuples for link tables) of row mappings."""
    if table in LINK_TABLES:
        a, b = LINK_TABLES[table]
        return {(r[a], r[b].value if hasattr(r[b], "value") else r[b]) for r in rows}
    return {r["id"] for r in rows}
