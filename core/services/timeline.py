"""A customer's whole history on one page (issue 3): incidents, stage changes, formal actions,
letters, appeals, reviews, service referrals, SPOC and PVP register entries and annotations,
each with who recorded it; hearsay clearly marked as not evidence (clauses 4.2, 6); corrections
shown as "amended on ... by ..." (clause 6). The header gives the current stage, the
restrictions in force and the next deadlines. Viewing a timeline is recorded in the access log.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Optional

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from core.db import UnitOfWork
from core.enums import ActionStatus, RegisterStatus, Stage
from core.errors import NotFound, PolicyError
from core.models import (
    AccessLog, Annotation, Appeal, AuditEntry, Case, Customer, FormalAction, Incident, Letter,
    PvpConsideration, PvpEntry, Review, ServiceArea, ServiceReferral, SpocEntry, SpocRequest,
    StageEvent, ThirdPartyContact, User,
)
from core.permissions import Actor, Permission, require
from core.policy.deadlines import appeal_deadline

# kind code -> label, in the order the filter offers them
EVENT_TYPES: dict[str, str] = {
    "incident": "Incident",
    "stage": "Stage change",
    "formal_action": "Formal action",
    "letter": "Letter",
    "appeal": "Appeal",
    "review": "Review",
    "referral": "Service referral",
    "spoc": "SPOC register",
    "pvp": "PVP register",
    "third_party": "Third-party contact",
    "annotation": "Annotation",
}
NOT_EVIDENCE = "Hearsay or opinion: not evidence, never counts towards a decision"


def _as_datetime(day: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(day, dt.datetime):
        return day if day.tzinfo else day.replace(tzinfo=dt.timezone.utc)
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.timezone.utc)


def _fmt_day(day: Optional[dt.date | dt.datetime]) -> str:
    if day is None:
        return ""
    return f"{day:%d %b %Y %H:%M}" if isinstance(day, dt.datetime) else f"{day:%d %b %Y}"


class _Builder:
    def __init__(self, names: dict[int, str], amendments: dict[tuple[str, int], tuple[dt.datetime, str]],
                 creators: dict[tuple[str, int], str]):
        self.names = names
        self.amendments = amendments
        self.creators = creators
        self.events: list[dict] = []

    def who(self, user_id: Optional[int]) -> str:
        return self.names.get(user_id, "") if user_id else ""

    def add(self, kind: str, at: dt.date | dt.datetime, title: str, details: str, recorded_by: str,
            entity_type: str, entity_id: int, *, not_evidence: bool = False,
            amended: Optional[tuple[dt.datetime, str]] = None) -> None:
        amended = amended or self.amendments.get((entity_type, entity_id))
        recorded_by = recorded_by or self.creators.get((entity_type, entity_id), "")
        self.events.append({
            "kind": kind, "type": EVENT_TYPES[kind], "at": _as_datetime(at), "when": _fmt_day(at),
            "title": title, "details": details, "recorded_by": recorded_by,
            "not_evidence": not_evidence, "evidence": NOT_EVIDENCE if not_evidence else "",
            "amended": (f"amended on {amended[0]:%d %b %Y %H:%M} by {amended[1]}" if amended else ""),
            "entity_type": entity_type, "entity_id": entity_id,
        })


def _from_audit(uow: UnitOfWork, customer_id: int, names_by_username: dict[str, str]):
    """From the audit log: the latest correction of each of this customer's records, and who
    first wrote each record (for records whose table has no 'recorded by' column)."""
    rows = uow.session.execute(
        select(AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.action, AuditEntry.at,
               AuditEntry.username)
        .where(AuditEntry.customer_id == customer_id).order_by(AuditEntry.id)).all()
    amendments: dict[tuple[str, int], tuple[dt.datetime, str]] = {}
    creators: dict[tuple[str, int], str] = {}
    for entity_type, entity_id, action, at, username in rows:
        if entity_id is None:
            continue
        who = names_by_username.get(username, username)
        creators.setdefault((entity_type, entity_id), who)
        if action.startswith("amend"):
            amendments[(entity_type, entity_id)] = (at, who)
    return amendments, creators


def _in_range(event: dict, date_from: Optional[dt.date], date_to: Optional[dt.date]) -> bool:
    day = event["at"].date()
    return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)


def get_timeline(actor: Actor, customer_id: int, uow: UnitOfWork, *, newest_first: bool = True,
                 kinds: Optional[Iterable[str]] = None, date_from: Optional[dt.date] = None,
                 date_to: Optional[dt.date] = None, today: Optional[dt.date] = None) -> dict:
    """The customer's timeline: {"customer", "header", "events", "counts"}. `kinds` filters by
    event type (codes of EVENT_TYPES); `date_from`/`date_to` by date, both ends included."""
    require(actor, Permission.VIEW_CASES)
    today = today or dt.date.today()
    wanted = set(kinds) if kinds else set(EVENT_TYPES)
    unknown = wanted - set(EVENT_TYPES)
    if unknown:
        raise PolicyError(f"Unknown timeline type: {', '.join(sorted(unknown))}.")
    if date_from and date_to and date_from > date_to:
        raise PolicyError("The 'from' date must be on or before the 'to' date.")
    with uow:
        s = uow.session
        customer = s.get(Customer, customer_id)
        if customer is None or customer.anonymised_at is not None:
            raise NotFound("No such customer.")
        users = s.execute(select(User.id, User.username, User.name)).all()
        names = {uid: name for uid, _username, name in users}
        areas = dict(s.execute(select(ServiceArea.id, ServiceArea.name)).all())
        amendments, creators = _from_audit(uow, customer_id, {u: n for _i, u, n in users})
        b = _Builder(names, amendments, creators)
        cases = s.scalars(select(Case).where(Case.customer_id == customer_id).order_by(Case.id)).all()
        case_ids = [c.id for c in cases]

        incidents = s.scalars(select(Incident).options(selectinload(Incident.behaviours))
                              .where(Incident.customer_id == customer_id)).all()
        for i in incidents:
            behaviours = "; ".join(x.behaviour.label for x in i.behaviours)
            source = i.evidence_source.label
            if i.third_party_name:
                source += f": {i.third_party_name}"
            parts = [f"{i.category.label}: {behaviours}", i.description, f"Channel: {i.channel.label}",
                     f"Source: {source}"]
            if i.witnesses:
                parts.append(f"Witnesses: {i.witnesses}")
            if i.staff_affected:
                parts.append(f"Staff affected: {i.staff_affected}")
            if i.violence_or_threat:
                police = (f"police reference {i.police_reference}" if i.police_reference
                          else f"not referred to police: {i.police_not_referred_reason}")
                parts.append(f"Violence or threat of violence; {police}; immediate adjustment to "
                             "in-person contact; PVP register consideration raised")
            if i.service_failure:
                parts.append("NPH service failure behind it: referred to the service area")
            amended = (i.amended_at, b.who(i.amended_by_id)) if i.amended_at else None
            b.add("incident", i.occurred_at, f"Incident ({i.category.label})", "\n".join(parts),
                  b.who(i.recorded_by_id), "incident", i.id, not_evidence=not i.counts_as_evidence,
                  amended=amended)

        deciders: dict[int, str] = {}
        if case_ids:
            for e in s.scalars(select(StageEvent).where(StageEvent.case_id.in_(case_ids))).all():
                deciders[e.id] = b.who(e.decided_by_id)
                parts = [e.reason] if e.reason else []
                if e.skip_reason:
                    parts.append(f"Stage skipped because: {e.skip_reason}")
                if e.underlying_issues_considered:
                    parts.append("Underlying issues considered" +
                                 (f": {e.underlying_issues_notes}" if e.underlying_issues_notes else ""))
                if e.adjustments:
                    parts.append(f"Adjustments: {e.adjustments}")
                if e.review_due:
                    parts.append(f"Review due {_fmt_day(e.review_due)}")
                b.add("stage", e.decided_on, f"{e.from_stage.label} to {e.to_stage.label}",
                      "\n".join(parts), b.who(e.decided_by_id), "stage_event", e.id)
            for a in s.scalars(select(FormalAction).where(FormalAction.case_id.in_(case_ids))).all():
                parts = [a.terms] if a.terms else []
                parts.append(f"Status: {a.status.label}; review due {_fmt_day(a.review_due)}")
                court = [f"{w} {_fmt_day(d)}" for w, d in (("issued", a.proceedings_issued_on),
                         ("hearing", a.hearing_on), ("order", a.order_on)) if d]  # issue 13: legal remedies
                parts += [f"Court {a.court_reference}: {', '.join(court)}".replace("Court :", "Court:")] if court else []
                if a.ended_on:
                    parts.append(f"Ended {_fmt_day(a.ended_on)}: {a.ended_reason}")
                b.add("formal_action", a.starts_on, a.kind.label, "\n".join(parts),
                      deciders.get(a.stage_event_id, ""), "formal_action", a.id)
            for ap in s.scalars(select(Appeal).where(Appeal.case_id.in_(case_ids))).all():
                parts = [ap.grounds] if ap.grounds else []
                parts.append(f"Against {ap.subject_type.replace('_', ' ')} #{ap.subject_id}; "
                             f"decision due {_fmt_day(ap.due_on)}; decided by {b.who(ap.decision_maker_id)}")
                if ap.late:
                    parts.append("Received late" + (f"; accepted because {ap.late_accepted_reason}"
                                                    if ap.late_accepted_reason else ""))
                if ap.outcome:
                    parts.append(f"Outcome {_fmt_day(ap.decided_on)}: {ap.outcome.label}. {ap.decision_notes}".strip())
                b.add("appeal", ap.received_on, "Appeal received" + (f" ({ap.outcome.label})" if ap.outcome else ""),
                      "\n".join(parts), b.who(ap.recorded_by_id), "appeal", ap.id)

        letter_cols = (Letter.id, Letter.letter_type, Letter.status, Letter.author_id, Letter.created_at,
                       Letter.sent_on, Letter.filename)
        for lid, ltype, status, author_id, created_at, sent_on, filename in s.execute(
                select(*letter_cols).where(Letter.customer_id == customer_id)).all():
            details = f"Status: {status}" + (f"; sent {_fmt_day(sent_on)}" if sent_on else "")
            if filename:
                details += f"; file {filename}"
            b.add("letter", created_at, ltype.label, details, b.who(author_id), "letter", lid)

        spoc_requests = s.scalars(select(SpocRequest).where(SpocRequest.customer_id == customer_id)).all()
        for r in spoc_requests:
            parts = [r.reason, f"Status: {r.status.label}"]
            if r.meeting_on:
                parts.append(f"Review meeting {_fmt_day(r.meeting_on)}" + (f" with {r.attendees}" if r.attendees else ""))
            if r.decision_reason:
                parts.append(f"Decision: {r.decision_reason}")
            b.add("spoc", r.requested_at, "SPOC requested", "\n".join(parts), b.who(r.requested_by_id),
                  "spoc_request", r.id)
        spoc_deciders = {r.id: b.who(r.decided_by_id) for r in spoc_requests}
        spoc_entries = s.scalars(select(SpocEntry).where(SpocEntry.customer_id == customer_id)).all()
        for e in spoc_entries:
            parts = [f"Contact: {b.who(e.spoc_user_id)}; channels: {', '.join(map(str, e.channels or []))}",
                     f"Status: {e.status.label}; review due {_fmt_day(e.review_due)}"]
            if e.terms:
                parts.append(e.terms)
            if e.ended_on:
                parts.append(f"Ended {_fmt_day(e.ended_on)}: {e.ended_reason}")
            b.add("spoc", e.starts_on, "SPOC on the register", "\n".join(parts),
                  spoc_deciders.get(e.request_id, ""), "spoc_entry", e.id)

        for c in s.scalars(select(PvpConsideration).where(PvpConsideration.customer_id == customer_id)).all():
            b.add("pvp", c.raised_at, "PVP register consideration raised",
                  f"From incident #{c.incident_id}; status: {c.status}" +
                  (f"; {c.closed_reason}" if c.closed_reason else ""), "", "pvp_consideration", c.id)
        pvp_entries = s.scalars(select(PvpEntry).where(PvpEntry.customer_id == customer_id)).all()
        for p in pvp_entries:
            parts = [p.reasons, f"Status: {p.status.label}"]
            if p.approved_at:
                parts.append(f"Approved by {b.who(p.approved_by_id)} on {_fmt_day(p.approved_at)}")
            if p.review_due:
                parts.append(f"Review due {_fmt_day(p.review_due)}")
            if p.ended_on:
                parts.append(f"Ended {_fmt_day(p.ended_on)}: {p.ended_reason}")
            b.add("pvp", p.proposed_at, f"PVP entry proposed ({p.flag_type})", "\n".join(parts),
                  b.who(p.proposed_by_id), "pvp_entry", p.id)

        review_filters = []
        if case_ids:
            review_filters.append(Review.case_id.in_(case_ids))
        if spoc_entries:
            review_filters.append(and_(Review.subject_type.in_(("spoc", "spoc_entry")),
                                       Review.subject_id.in_([e.id for e in spoc_entries])))
        if pvp_entries:
            review_filters.append(and_(Review.subject_type.in_(("pvp", "pvp_entry")),
                                       Review.subject_id.in_([p.id for p in pvp_entries])))
        if review_filters:
            for r in s.scalars(select(Review).where(or_(*review_filters))).all():
                parts = [f"Outcome: {r.outcome.label}"]
                if r.evidence_considered:
                    parts.append(f"Evidence considered: {r.evidence_considered}")
                if r.next_review_due:
                    parts.append(f"Next review due {_fmt_day(r.next_review_due)}")
                if r.notes:
                    parts.append(r.notes)
                b.add("review", r.held_on, f"Review of {r.subject_type.replace('_', ' ')}",
                      "\n".join(parts), b.who(r.reviewed_by_id), "review", r.id)

        referrals = s.scalars(select(ServiceReferral).where(ServiceReferral.customer_id == customer_id)).all()
        for r in referrals:
            status = (f"Resolved {_fmt_day(r.resolved_at)} by {b.who(r.resolved_by_id)}: {r.resolution}"
                      if r.resolved_at else "Open until marked resolved")
            b.add("referral", r.raised_at, f"Service referral to {areas.get(r.service_area_id, '')}",
                  f"{r.description}\n{status}", b.who(r.raised_by_id), "service_referral", r.id)

        contacts = s.scalars(select(ThirdPartyContact).where(ThirdPartyContact.customer_id == customer_id)).all()
        for t in contacts:
            b.add("third_party", t.started_on, f"Contact via third party: {t.name}",
                  f"{t.relationship_to_customer}".strip(), "", "third_party_contact", t.id)
            if t.stopped_on:
                b.add("third_party", t.stopped_on, f"Third-party contact stopped: {t.name}",
                      t.stopped_reason, "", "third_party_contact", t.id)

        for n in s.scalars(select(Annotation).where(Annotation.customer_id == customer_id)).all():
            about = f"On {n.entity_type.replace('_', ' ')}" + (f" #{n.entity_id}" if n.entity_id else "")
            b.add("annotation", n.at, "Annotation", f"{about}: {n.text}", b.who(n.by_id),
                  "annotation", n.id)

        header = _header(customer, cases, spoc_entries, pvp_entries, referrals, contacts, b, uow, today)

        s.add(AccessLog(user_id=actor.user_id, customer_id=customer_id, what="timeline"))
        uow.commit()

    counts = {k: 0 for k in EVENT_TYPES}
    for e in b.events:
        counts[e["kind"]] += 1
    events = [e for e in b.events if e["kind"] in wanted and _in_range(e, date_from, date_to)]
    events.sort(key=lambda e: (e["at"], EVENT_ORDER[e["kind"]], e["entity_id"]), reverse=newest_first)
    amended = ((customer.amended_at, b.who(customer.amended_by_id)) if customer.amended_at
               else amendments.get(("customer", customer.id)))
    return {
        "customer": {"id": customer.id, "name": customer.full_name, "housing_ref": customer.housing_ref,
                     "address": customer.address,
                     "amended": (f"amended on {amended[0]:%d %b %Y %H:%M} by {amended[1]}" if amended else "")},
        "header": header, "events": events, "counts": counts, "total": len(b.events),
    }


EVENT_ORDER = {k: n for n, k in enumerate(EVENT_TYPES)}


def _header(customer, cases, spoc_entries, pvp_entries, referrals, contacts, b: _Builder,
            uow: UnitOfWork, today: dt.date) -> dict:
    s = uow.session
    open_cases = [c for c in cases if c.stage != Stage.CLOSED]
    current = open_cases[-1] if open_cases else (cases[-1] if cases else None)
    restrictions: list[dict] = []
    deadlines: list[dict] = []

    def deadline(what: str, due: Optional[dt.date]) -> None:
        if due:
            deadlines.append({"what": what, "due": due, "overdue": due < today})

    case_ids = [c.id for c in cases]
    if case_ids:
        for a in s.scalars(select(FormalAction).where(FormalAction.case_id.in_(case_ids),
                                                      FormalAction.status == ActionStatus.ACTIVE)).all():
            restrictions.append({"what": a.kind.label, "terms": a.terms, "review_due": a.review_due})
            deadline(f"Review of {a.kind.label.lower()}", a.review_due)
        for ap in s.scalars(select(Appeal).where(Appeal.case_id.in_(case_ids), Appeal.decided_on.is_(None))).all():
            deadline(f"Appeal decision (received {_fmt_day(ap.received_on)})", ap.due_on)
        for c in open_cases:
            deadline("Warning-stage review", c.warning_review_due)
        if current is not None and current.stage != Stage.CLOSED:
            last = s.scalars(select(StageEvent).where(StageEvent.case_id == current.id)
                             .order_by(StageEvent.id.desc()).limit(1)).first()
            if last is not None:
                window_end = appeal_deadline(last.notified_on or last.decided_on)
                if window_end >= today:
                    deadline(f"Customer's appeal window for the {last.to_stage.label.lower()} decision closes",
                             window_end)
    for e in spoc_entries:
        if e.status == RegisterStatus.ACTIVE:
            restrictions.append({"what": "Single point of contact", "terms": e.terms or e.contact_limit,
                                 "review_due": e.review_due})
            deadline("SPOC review", e.review_due)
    for p in pvp_entries:
        if p.status == RegisterStatus.ACTIVE:
            restrictions.append({"what": "PVP register (red flag)", "terms": p.arrangements,
                                 "review_due": p.review_due})
            deadline("PVP entry review", p.review_due)
    for t in contacts:
        if t.active:
            restrictions.append({"what": "Contact via third party",
                                 "terms": f"{t.name} ({t.relationship_to_customer})", "review_due": None})
    deadlines.sort(key=lambda d: d["due"])
    return {
        "case_id": current.id if current else None,
        "stage": current.stage.value if current else None,
        "stage_label": current.stage.label if current else "No case yet",
        "active_restrictions": restrictions,
        "next_deadlines": deadlines,
        "open_referrals": sum(1 for r in referrals if r.resolved_at is None),
    }
