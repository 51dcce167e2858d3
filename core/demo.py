"""Deterministic demo data: realistic customers, incidents in all four categories, and cases in
every stage with reviews and appeals both on time and overdue.

`size` scales the volume: 1.0 is about one landlord's ten years (5,000 incidents, 500
customers with cases); 100 and 200 are the benchmark volumes (500,000 and 1,000,000).
Rows are inserted in bulk, not through the services, so large volumes load in minutes.
"""
from __future__ import annotations

import datetime as dt
import random
from typing import Optional

from sqlalchemy import insert

from core.auth import hash_password
from core.db import UnitOfWork
from core.enums import (
    BEHAVIOURS_BY_CATEGORY, ActionStatus, AppealOutcome, Category, Channel, EvidenceSource,
    FormalActionType, RegisterStatus, ReviewOutcome, Role, Stage, Vulnerability,
)
from core.models import (
    Appeal, Case, CheckNote, Customer, CustomerVulnerability, FormalAction, Incident, IncidentBehaviour,
    PvpConsideration, PvpEntry, Review, ServiceArea, ServiceReferral, SpocEntry, SpocRequest, StageEvent, User,
    stage_event_incident,
)
from core.policy.deadlines import add_months, appeal_decision_due
from core.policy.incidents import DEFAULT_INTERIM_ARRANGEMENT

DEMO_PASSWORD = "fairtreatment-demo"
SERVICE_AREAS = ["Housing Management", "Repairs and Maintenance", "Income and Tenancy",
                 "Customer Services", "Corporate Service and ICT"]
# username, name, role, service area index (None: corporate)
DEMO_USERS = [
    ("teamleader", "Priya Shah", Role.TEAM_LEADER, 0),
    ("teamleader2", "Tom Okafor", Role.TEAM_LEADER, 1),
    ("dmo", "Gareth Evans", Role.DMO, None),
    ("hsw", "Aisha Rahman", Role.HSW_OFFICER, None),
    ("ad.housing", "Helen Marsh", Role.ASSISTANT_DIRECTOR, 0),
    ("ad.repairs", "Colin Baptiste", Role.ASSISTANT_DIRECTOR, 1),
    ("ad.income", "Marta Nowak", Role.ASSISTANT_DIRECTOR, 2),
    ("ad.customer", "Ifeoma Eze", Role.ASSISTANT_DIRECTOR, 3),
    ("ad.ict", "David Lloyd", Role.ASSISTANT_DIRECTOR, 4),
    ("contractor", "Lee Contractor (Acme Repairs)", Role.VIEWER, None),
    ("admin", "System Administrator", Role.ADMIN, None),
]
FIRST = ["Siân", "Łukasz", "Zoë", "James", "Olivia", "Mohammed", "Amelia", "Kwame", "Grace",
         "Connor", "Fatima", "Daniel", "Chloe", "Tariq", "Megan", "Oluwaseun", "Ewa", "Ryan",
         "Hannah", "Dmitri", "Bethany", "Aaliyah", "Callum", "Precious", "Liam", "Niamh"]
LAST = ["O'Brien-Nkemelu", "Kowalski", "Jones", "Smith", "Patel", "Williams", "Brown", "Taylor",
        "Davies", "Evans", "Wilson", "Thomas", "Roberts", "Khan", "Lewis", "Walker", "Hughes",
        "Green", "Mensah", "Ahmed", "Clarke", "Wright", "Novak", "Murphy", "Okoro", "Hall"]
STREETS = ["Abington Street", "Wellingborough Road", "Kettering Road", "St James Road",
           "Harlestone Road", "Kingsthorpe Grove", "Semilong Road", "Lumbertubs Way",
           "Blackthorn Bridge Court", "Eastfield Road", "Spencer Bridge Road", "Billing Road"]
DESCRIPTIONS = {
    Category.AGGRESSIVE: "During a call about a repair the customer shouted and swore at the "
                         "officer and said he would 'come down and sort you out'. The call was ended.",
    Category.UNREASONABLE_BEHAVIOUR: "The customer refused to say which repair the complaint was "
                                     "about despite three offers of help, then changed the complaint.",
    Category.UNREASONABLE_DEMANDS: "The customer sent 27 emails in two days demanding copies of all "
                                   "records held since 2015 and a reply within the hour.",
    Category.UNREASONABLE_PERSISTENCE: "The customer raised the same fence complaint for the sixth "
                                       "time with no new information after the final response.",
}
REFERRALS = ["Outstanding repair to the back fence reported 18 months ago.",
             "Rent account query unanswered after three chasers.",
             "Damp and mould in the bedroom not yet inspected.",
             "Complaint response sent after the 10-day target."]
CHUNK = 20_000


def _bulk(uow: UnitOfWork, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        uow.session.execute(insert(table), rows[start:start + CHUNK])


class _Ids:
    """Hands out primary keys so related rows can be bulk-inserted in one pass."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def __call__(self, name: str) -> int:
        self.next[name] = self.next.get(name, 0) + 1
        return self.next[name]


def load_demo_data(url: Optional[str] = None, size: float = 1.0, seed: int = 20260327,
                   today: Optional[dt.date] = None, staff_only: bool = False) -> dict[str, int]:
    """Fill an empty database. Returns row counts by table. `staff_only` loads just the service
    areas and one account per role (the tests' starting point)."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    n_incidents = 0 if staff_only else max(60, int(5000 * size))
    n_customers = 0 if staff_only else max(30, int(500 * size))
    ids = _Ids()
    password_hash = hash_password(DEMO_PASSWORD)

    areas = [{"id": ids("area"), "name": n, "is_corporate_ict": "ICT" in n} for n in SERVICE_AREAS]
    users = [{"id": ids("user"), "username": u, "name": n, "role": r.value, "email": f"{u}@nph.example",
              "password_hash": password_hash, "active": True,
              "service_area_id": areas[a]["id"] if a is not None else None}
             for u, n, r, a in DEMO_USERS]
    ad_by_area = {u["service_area_id"]: u["id"] for u in users if u["role"] == Role.ASSISTANT_DIRECTOR.value}
    for area in areas:
        area["assistant_director_id"] = ad_by_area.get(area["id"])
    leaders = [u["id"] for u in users if u["role"] == Role.TEAM_LEADER.value]
    dmo = next(u["id"] for u in users if u["role"] == Role.DMO.value)
    hsw = next(u["id"] for u in users if u["role"] == Role.HSW_OFFICER.value)
    operational = [a["id"] for a in areas if not a["is_corporate_ict"]]

    customers, vulnerabilities = [], []
    for i in range(n_customers):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        ref = f"NPH{100000 + i}"
        line1 = f"{rng.randint(1, 240)} {rng.choice(STREETS)}"
        postcode = f"NN{rng.randint(1, 7)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        cid = ids("customer")
        customers.append({
            "id": cid, "housing_ref": ref, "title": "",
            "first_name": first, "last_name": last, "address_line1": line1, "address_line2": "",
            "town": "Northampton", "postcode": postcode, "phone": f"01604 {rng.randint(100000, 999999)}",
            "email": f"customer{i}@example.org", "preferred_contact": rng.choice(list(Channel)).value,
            "service_area_id": rng.choice(operational), "legal_hold": False, "legal_hold_reason": "",
            "search_text": f"{first} {last} {ref} {line1} northampton {postcode}".lower(),
        })
        if rng.random() < 0.25:
            kind = rng.choice(list(Vulnerability))
            vulnerabilities.append({"id": ids("vuln"), "customer_id": cid, "kind": kind.value,
                                    "details": f"Recorded {kind.label.lower()} need", "recorded_by_id": leaders[0]})

    # Incidents spread over ten years, more recent ones more likely; customers skewed (a few repeat a lot).
    start = today - dt.timedelta(days=3650)
    incidents_by_customer: dict[int, list[dict]] = {}
    incidents, behaviours, referrals, check_notes = [], [], [], []
    while len(incidents) < n_incidents:   # hearsay draws become notes, not incidents
        customer = customers[min(int(rng.paretovariate(1.2)) - 1, n_customers - 1) if rng.random() < 0.3
                             else rng.randrange(n_customers)]
        category = rng.choices(list(Category), weights=[35, 25, 20, 20])[0]
        day = start + dt.timedelta(days=int(3650 * (rng.random() ** 0.6)))
        occurred = dt.datetime.combine(day, dt.time(rng.randint(8, 18), rng.choice([0, 15, 30, 45])))
        violent = category == Category.AGGRESSIVE and rng.random() < 0.2
        source = rng.choices(list(EvidenceSource), weights=[80, 12, 8])[0]
        if source == EvidenceSource.HEARSAY:  # not an incident: a note that something needs checking
            check_notes.append({"customer_id": customer["id"], "service_area_id": customer["service_area_id"],
                                "noted_on": occurred.date(), "who_to_ask": "Kim Ward (neighbourhood warden)",
                                "recorded_by_id": rng.choice(leaders), "recorded_at": occurred})
            continue
        iid = ids("incident")
        row = {
            "id": iid, "customer_id": customer["id"], "case_id": None,
            "service_area_id": customer["service_area_id"], "occurred_at": occurred,
            "channel": rng.choice(list(Channel)).value, "category": category.value,
            "description": DESCRIPTIONS[category], "evidence_source": source.value,
            "third_party_name": "Kim Ward (neighbourhood warden)" if source == EvidenceSource.TRUSTED_THIRD_PARTY else "",
            "witnesses": "", "staff_affected": rng.choice(["Call handler", "Repairs operative", "Housing officer"]),
            "violence_or_threat": violent, "police_reference": f"NP-{rng.randint(10000, 99999)}" if violent else "",
            "police_not_referred_reason": "", "in_person_adjustment": violent,
            "in_person_arrangement": DEFAULT_INTERIM_ARRANGEMENT if violent else "",
            "service_failure": rng.random() < 0.1, "recorded_by_id": rng.choice(leaders),
            "recorded_at": occurred + dt.timedelta(hours=2),
        }
        incidents.append(row)
        incidents_by_customer.setdefault(customer["id"], []).append(row)
        if row["service_failure"]:
            resolved = occurred.date() < today - dt.timedelta(days=60) and rng.random() < 0.85
            referrals.append({
                "id": ids("referral"), "incident_id": iid, "customer_id": customer["id"], "case_id": None,
                "service_area_id": rng.choice(operational), "raised_by_id": row["recorded_by_id"],
                "description": rng.choice(REFERRALS), "raised_at": row["recorded_at"],
                "resolved_at": occurred + dt.timedelta(days=rng.randint(5, 50)) if resolved else None,
                "resolved_by_id": row["recorded_by_id"] if resolved else None,
                "resolution": "Repair completed and confirmed with the customer." if resolved else ""})
        for b in rng.sample(BEHAVIOURS_BY_CATEGORY[category], k=rng.choice([1, 1, 2])):
            behaviours.append({"incident_id": iid, "behaviour": b.value})

    cases, events, event_links, actions, reviews, appeals = [], [], [], [], [], []
    spoc_requests, spoc_entries, considerations, pvp_entries = [], [], [], []
    for cid, rows in incidents_by_customer.items():
        rows.sort(key=lambda r: r["occurred_at"])
        _build_case(rng, ids, today, cid, rows, leaders, ad_by_area, dmo, hsw, areas,
                    cases, events, event_links, actions, reviews, appeals,
                    spoc_requests, spoc_entries, considerations, pvp_entries)

    with UnitOfWork(url) as uow:
        _bulk(uow, ServiceArea, [a | {"assistant_director_id": None} for a in areas])
        _bulk(uow, User, users)
        for area in areas:
            uow.session.get(ServiceArea, area["id"]).assistant_director_id = area["assistant_director_id"]
        _bulk(uow, Customer, customers)
        _bulk(uow, CustomerVulnerability, vulnerabilities)
        _bulk(uow, Case, cases)
        _bulk(uow, Incident, incidents)
        _bulk(uow, IncidentBehaviour, behaviours)
        _bulk(uow, CheckNote, check_notes)
        case_of_incident = {r["id"]: r["case_id"] for r in incidents}
        _bulk(uow, ServiceReferral, [r | {"case_id": case_of_incident[r["incident_id"]]} for r in referrals])
        _bulk(uow, StageEvent, events)
        _bulk(uow, stage_event_incident, event_links)
        _bulk(uow, FormalAction, actions)
        _bulk(uow, Review, reviews)
        _bulk(uow, Appeal, appeals)
        _bulk(uow, SpocRequest, spoc_requests)
        _bulk(uow, SpocEntry, spoc_entries)
        _bulk(uow, PvpConsideration, considerations)
        _bulk(uow, PvpEntry, pvp_entries)
        uow.audit(None, "load_demo_data", entity_type="database",
                  after={"incidents": len(incidents), "customers": len(customers), "seed": seed})
        _advance_sequences(uow)
        uow.commit()
    letters = 0 if staff_only else _send_recent_letters(url, today)
    return {"customers": len(customers), "incidents": len(incidents), "cases": len(cases), "letters": letters,
            "stage_events": len(events), "formal_actions": len(actions), "appeals": len(appeals),
            "reviews": len(reviews), "spoc_entries": len(spoc_entries), "pvp_entries": len(pvp_entries)}


def _advance_sequences(uow: UnitOfWork) -> None:
    """PostgreSQL: rows inserted with explicit ids leave each id sequence at 1, so the next
    row a service adds would collide; move every sequence past the largest id."""
    if uow.session.get_bind().dialect.name != "postgresql":
        return
    from sqlalchemy import text
    from core.models import Base
    for table in Base.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
            uow.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))


def _build_case(rng, ids, today, customer_id, rows, leaders, ad_by_area, dmo, hsw, areas,
                cases, events, event_links, actions, reviews, appeals,
                spoc_requests, spoc_entries, considerations, pvp_entries) -> None:
    """One case per customer; the stage reached follows how many counting incidents there are."""
    area_id = rows[0]["service_area_id"]
    case_id = ids("case")
    leader = rng.choice(leaders)
    counting = [r for r in rows if r["evidence_source"] != EvidenceSource.HEARSAY.value]
    wanted = rng.choices([0, 1, 2, 3], weights=[15, 35, 28, 22])[0]
    target = [Stage.NONE, Stage.INFORMAL, Stage.WARNING, Stage.FORMAL][min(wanted, len(counting))]
    old = rows[-1]["occurred_at"].date() < today - dt.timedelta(days=900)
    closing = target != Stage.NONE and rng.random() < (0.8 if old else 0.15)
    closure, closure_day = "No further incidents: normal relations restored.", None
    # Decisions rest on the incidents that led to them: the latest ones for a case still open,
    # the earliest ones for a case that has since closed.
    steps = [Stage.NONE, Stage.INFORMAL, Stage.WARNING, Stage.FORMAL].index(target)
    picks = (counting[:steps] if closing else counting[-steps:]) if steps else []
    case = {"id": case_id, "customer_id": customer_id, "service_area_id": area_id,
            "stage": Stage.NONE.value, "opened_at": rows[0]["recorded_at"], "opened_by_id": leader,
            "closed_at": None, "closure_reason": "", "warning_review_due": None, "version": 1}
    cases.append(case)
    for r in rows:
        r["case_id"] = case_id
        if r["violence_or_threat"]:
            considerations.append({"id": ids("consideration"), "incident_id": r["id"],
                                   "customer_id": customer_id, "raised_at": r["recorded_at"],
                                   "status": "open", "closed_reason": ""})

    def event(frm: Stage, to: Stage, incident: dict, **extra) -> dict:
        decided = min(incident["occurred_at"].date() + dt.timedelta(days=rng.randint(1, 6)), today)
        row = {"id": ids("event"), "case_id": case_id, "from_stage": frm.value, "to_stage": to.value,
               "decided_on": decided, "decided_by_id": leader, "reason": "Behaviour set out in the incident record.",
               "skip_reason": "", "underlying_issues_considered": True,
               "underlying_issues_notes": "No recorded vulnerability affects this decision.",
               "adjustments": "", "review_due": None, "notified_on": decided, "details": {},
               "recorded_at": dt.datetime.combine(decided, dt.time(16))} | extra
        events.append(row)
        event_links.append({"stage_event_id": row["id"], "incident_id": incident["id"]})
        return row

    stage = Stage.NONE
    if target in (Stage.INFORMAL, Stage.WARNING, Stage.FORMAL):
        event(Stage.NONE, Stage.INFORMAL, picks[0], details={
            "contact_made": True, "behaviour_set_out": True, "expectations_stated": True,
            "consequences_stated": True, "root_cause_looked_for": True, "third_party_offered": True})
        stage = Stage.INFORMAL
    if target in (Stage.WARNING, Stage.FORMAL):
        warn = event(Stage.INFORMAL, Stage.WARNING, picks[1])
        warn["review_due"] = add_months(warn["decided_on"], rng.choice([3, 6]))
        case["warning_review_due"] = warn["review_due"]
        stage = Stage.WARNING
        _maybe_appeal(rng, ids, today, case_id, "stage_event", warn, ad_by_area[area_id], appeals)
        if target == Stage.WARNING and warn["review_due"] < today - dt.timedelta(days=14) and rng.random() < 0.75:
            reviews.append({"id": ids("review"), "case_id": case_id, "subject_type": "warning",
                            "subject_id": warn["id"], "held_on": warn["review_due"], "reviewed_by_id": leader,
                            "evidence_considered": "No incidents that count as evidence since the warning.",
                            "outcome": ReviewOutcome.NO_FURTHER_ACTION.value, "next_review_due": None, "notes": ""})
            closing, closure = True, "Warning review: no further incidents, no further action."
            closure_day = warn["review_due"]
    if target == Stage.FORMAL:
        formal = event(Stage.WARNING, Stage.FORMAL, picks[2])
        stage = Stage.FORMAL
        kinds = rng.sample([FormalActionType.ONE_CHANNEL, FormalActionType.CONTACT_LIMITS,
                            FormalActionType.ISSUE_LIMIT, FormalActionType.DECLINE_WITHOUT_EVIDENCE],
                           k=rng.choice([1, 2]))
        for kind in kinds:
            months = rng.choice([3, 6, 12])
            action = {"id": ids("action"), "case_id": case_id, "stage_event_id": formal["id"],
                      "kind": kind.value, "terms": "Contact by email only, answered within 10 working days"
                      if kind == FormalActionType.ONE_CHANNEL else "Up to two contacts a week, Monday to Friday 10:00-12:00",
                      "details": {}, "starts_on": formal["decided_on"],
                      "review_due": add_months(formal["decided_on"], months),
                      "status": ActionStatus.ACTIVE.value, "ended_on": None, "ended_reason": ""}
            actions.append(action)
            if action["review_due"] < today and rng.random() < 0.6:
                held = action["review_due"] - dt.timedelta(days=rng.randint(0, 10))
                outcome = rng.choice([ReviewOutcome.LIFT, ReviewOutcome.CONTINUE])
                next_due = add_months(held, 6) if outcome == ReviewOutcome.CONTINUE else None
                reviews.append({"id": ids("review"), "case_id": case_id, "subject_type": "formal_action",
                                "subject_id": action["id"], "held_on": held, "reviewed_by_id": leader,
                                "evidence_considered": "No further counting incidents since the restriction began.",
                                "outcome": outcome.value, "next_review_due": next_due, "notes": ""})
                if outcome == ReviewOutcome.LIFT:
                    action.update(status=ActionStatus.LIFTED.value, ended_on=held, ended_reason="Lifted at review")
                else:
                    action["review_due"] = next_due
        _maybe_appeal(rng, ids, today, case_id, "stage_event", formal, ad_by_area[area_id], appeals)
        if rng.random() < 0.3:
            _spoc(rng, ids, today, case_id, rows[0]["customer_id"], formal, leader, dmo, counting,
                  spoc_requests, spoc_entries)
    violent = [r for r in rows if r["violence_or_threat"]]
    if violent and rng.random() < 0.5:
        start = violent[-1]["occurred_at"].date() + dt.timedelta(days=7)
        if start <= today:
            pvp_entries.append({
                "id": ids("pvp"), "customer_id": customer_id, "consideration_id": None,
                "proposed_by_id": leader, "proposed_at": dt.datetime.combine(start, dt.time(9)),
                "reasons": "Threat of violence to a repairs operative (police referred).",
                "flag_type": "PVP", "arrangements": "Two officers on all visits; no lone working.",
                "two_officers_on_visits": True, "status": RegisterStatus.ACTIVE.value,
                "approved_by_id": hsw, "approved_at": dt.datetime.combine(start, dt.time(15)),
                "starts_on": start, "review_due": add_months(start, 12),
                "customer_notified_on": start, "not_notified_reason": "", "reconsider_notice_on": None,
                "ended_on": None, "ended_reason": ""})
    if closing:
        close = event(stage, Stage.CLOSED, counting[-1], reason=closure,
                      **({"decided_on": closure_day} if closure_day else {}))
        case.update(closed_at=dt.datetime.combine(close["decided_on"], dt.time(17)), closure_reason=closure)
        for action in actions:
            if action["case_id"] == case_id and action["status"] == ActionStatus.ACTIVE.value:
                action.update(status=ActionStatus.LIFTED.value, ended_on=close["decided_on"],
                              ended_reason="Case closed")
        stage = Stage.CLOSED
    case["stage"] = stage.value


def _send_recent_letters(url: Optional[str], today: dt.date, days: int = 365, limit: int = 80) -> int:
    """Decision letters for recent stage decisions, drafted from the real templates and sent
    through the letters service on the decision date (which starts each appeal window)."""
    from sqlalchemy import select
    from core.auth import actor_from_user
    from core.enums import LetterType
    from core.services.letters import mark_sent

    letter_for = {Stage.INFORMAL: LetterType.INFORMAL_SUMMARY, Stage.WARNING: LetterType.WARNING,
                  Stage.FORMAL: LetterType.FORMAL}
    with UnitOfWork(url) as uow:
        recent = uow.session.execute(
            select(StageEvent.id, StageEvent.case_id, StageEvent.to_stage, StageEvent.decided_on, User)
            .join(User, User.id == StageEvent.decided_by_id)
            .where(StageEvent.to_stage.in_(list(letter_for)),
                   StageEvent.decided_on >= today - dt.timedelta(days=days))
            .order_by(StageEvent.decided_on.desc()).limit(limit)).all()
        decisions = [(e_id, case_id, stage, day, actor_from_user(user)) for e_id, case_id, stage, day, user in recent]
    for event_id, case_id, stage, day, actor in decisions:
        mark_sent(actor, case_id, letter_for[stage].value, event_id, None, UnitOfWork(url), today=day)
    return len(decisions)


def _maybe_appeal(rng, ids, today, case_id, subject_type, decision, ad_id, appeals) -> None:
    recent = decision["decided_on"] > today - dt.timedelta(days=60)
    if rng.random() > (0.5 if recent else 0.25):
        return
    received = decision["decided_on"] + dt.timedelta(days=rng.randint(3, 10 if recent else 30))
    if received > today:
        return
    due = appeal_decision_due(received)
    roll = rng.random()
    if recent:      # still waiting for the Assistant Director: some within 5 working days, some overdue
        decided = None
    elif roll < 0.3:
        decided = due + dt.timedelta(days=rng.randint(1, 5))
    else:
        decided = due - dt.timedelta(days=rng.randint(0, 3))
    appeals.append({
        "id": ids("appeal"), "case_id": case_id, "subject_type": subject_type, "subject_id": decision["id"],
        "received_on": received, "late": received > decision["decided_on"] + dt.timedelta(days=28),
        "late_accepted_reason": "", "grounds": "The customer says the incident has been misdescribed.",
        "decision_maker_id": ad_id, "due_on": due, "decided_on": decided,
        "outcome": rng.choice([AppealOutcome.UPHELD, AppealOutcome.UPHELD, AppealOutcome.VARIED]).value if decided else None,
        "decision_notes": "Decision reviewed against the incident records." if decided else "",
        "recorded_by_id": decision["decided_by_id"],
        "recorded_at": dt.datetime.combine(received, dt.time(10))})


def _spoc(rng, ids, today, case_id, customer_id, formal, leader, dmo, counting, spoc_requests, spoc_entries) -> None:
    request_id = ids("spoc_request")
    meeting = formal["decided_on"] + dt.timedelta(days=7)
    if meeting > today:
        return
    approved = rng.random() < 0.8
    spoc_requests.append({
        "id": request_id, "case_id": case_id, "customer_id": customer_id, "requested_by_id": leader,
        "requested_at": dt.datetime.combine(formal["decided_on"], dt.time(12)),
        "reason": "Contact with several teams continues despite the warning; one named contact is needed.",
        "status": (RegisterStatus.ACTIVE if approved else RegisterStatus.REJECTED).value,
        "meeting_on": meeting, "attendees": "DMO, team leader, housing officer",
        "discussion": "Reviewed the incident log and the warning letter.",
        "decision_reason": "Evidence of repeated contact across teams." if approved else "Other formal actions suffice.",
        "decided_by_id": dmo, "decided_at": dt.datetime.combine(meeting, dt.time(15))})
    if approved:
        spoc_entries.append({
            "id": ids("spoc_entry"), "request_id": request_id, "customer_id": customer_id, "case_id": case_id,
            "spoc_user_id": leader, "channels": ["email"], "contact_times": "Monday to Friday, 10:00-12:00",
            "contact_limit": "Two contacts a week", "terms": "All contact through the named officer by email.",
            "starts_on": meeting, "review_due": add_months(meeting, rng.choice([3, 6, 12])),
            "status": RegisterStatus.ACTIVE.value, "ended_on": None, "ended_reason": ""})
