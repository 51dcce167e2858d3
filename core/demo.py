"""Deterministic demo data: realistic customers, incidents in all four categories, and cases in
every stage with reviews and appeals both on time and overdue.

`size` scales the volume: 1.0 is about one landlord's ten years (5,000 incidents, 500
customers with cases); 100 and 200 are the benchmark volumes (500,000 and 1,000,000).
Rows are inserted in bulk, not through the services, so large volumes load in minutes.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import random
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.auth import hash_password
from core.db import UnitOfWork
from core.enums import (
    BEHAVIOURS_BY_CATEGORY,
    ActionStatus,
    AppealOutcome,
    Category,
    Channel,
    EvidenceSource,
    FormalActionType,
    RegisterStatus,
    ReviewOutcome,
    Role,
    Stage,
    Vulnerability,
)
from core.models import (
    Appeal,
    Case,
    CheckNote,
    Customer,
    CustomerVulnerability,
    FormalAction,
    Incident,
    IncidentBehaviour,
    PvpConsideration,
    PvpEntry,
    Review,
    ServiceArea,
    ServiceReferral,
    SpocEntry,
    SpocRequest,
    StageEvent,
    User,
    stage_event_incident,
)
from core.policy.deadlines import add_months, appeal_decision_due
from core.policy.incidents import DEFAULT_INTERIM_ARRANGEMENT

DEMO_PASSWORD = "fairtreatment-demo"
SERVICE_AREAS = [
    "Housing Management",
    "Repairs and Maintenance",
    "Income and Tenancy",
    "Customer Services",
    "Corporate Service and ICT",
]
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
FIRST = [
    "Siân",
    "Łukasz",
    "Zoë",
    "James",
    "Olivia",
    "Mohammed",
    "Amelia",
    "Kwame",
    "Grace",
    "Connor",
    "Fatima",
    "Daniel",
    "Chloe",
    "Tariq",
    "Megan",
    "Oluwaseun",
    "Ewa",
    "Ryan",
    "Hannah",
    "Dmitri",
    "Bethany",
    "Aaliyah",
    "Callum",
    "Precious",
    "Liam",
    "Niamh",
]
LAST = [
    "O'Brien-Nkemelu",
    "Kowalski",
    "Jones",
    "Smith",
    "Patel",
    "Williams",
    "Brown",
    "Taylor",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Roberts",
    "Khan",
    "Lewis",
    "Walker",
    "Hughes",
    "Green",
    "Mensah",
    "Ahmed",
    "Clarke",
    "Wright",
    "Novak",
    "Murphy",
    "Okoro",
    "Hall",
]
STREETS = [
    "Abington Street",
    "Wellingborough Road",
    "Kettering Road",
    "St James Road",
    "Harlestone Road",
    "Kingsthorpe Grove",
    "Semilong Road",
    "Lumbertubs Way",
    "Blackthorn Bridge Court",
    "Eastfield Road",
    "Spencer Bridge Road",
    "Billing Road",
]
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
REFERRALS = [
    "Outstanding repair to the back fence reported 18 months ago.",
    "Rent account query unanswered after three chasers.",
    "Damp and mould in the bedroom not yet inspected.",
    "Complaint response sent after the 10-day target.",
]
CHANNELS, CATEGORIES, SOURCES, VULNERABILITIES = (
    list(Channel),
    list(Category),
    list(EvidenceSource),
    list(Vulnerability),
)
CUSTOMERS_PER_BATCH = 2_000
# Column order of the rows each table gets: rows are built as dicts and written as plain tuples.
TABLES = [
    ServiceArea,
    User,
    Customer,
    CustomerVulnerability,
    Case,
    Incident,
    IncidentBehaviour,
    ServiceReferral,
    StageEvent,
    stage_event_incident,
    FormalAction,
    Review,
    Appeal,
    SpocRequest,
    SpocEntry,
    PvpConsideration,
    PvpEntry,
    CheckNote,
]


def _table(model):
    return getattr(model, "__table__", model)


class _Writer:
    """Buffers rows per table and writes them in foreign-key order as plain tuples: COPY on
    PostgreSQL (psycopg), executemany on SQLite, both on the unit of work's own connection."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.connection = uow.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        self.rows: dict[str, list[dict]] = {_table(m).name: [] for m in TABLES}
        self.counts: dict[str, int] = dict.fromkeys(self.rows, 0)

    def __getitem__(self, name: str) -> list[dict]:
        return self.rows[name]

    def flush(self) -> None:
        for model in TABLES:
            table = _table(model)
            rows = self.rows[table.name]
            if rows:
                self._write(table, rows)
                self.counts[table.name] += len(rows)
                rows.clear()

    def _write(self, table, rows: list[dict]) -> None:
        columns = [c.name for c in table.columns if c.name in rows[0]]
        # Python-side column defaults (created_at and the like), worked out once per batch.
        defaults = {
            c.name: (c.default.arg if c.default.is_scalar else c.default.arg(None))
            for c in table.columns
            if c.name not in rows[0]
            and c.default is not None
            and (c.default.is_scalar or c.default.is_callable)
        }
        names = ", ".join(columns + list(defaults))
        if self.postgres:
            extra = tuple(_pg_value(v) for v in defaults.values())
            driver = self.connection.connection.driver_connection
            assert driver is not None  # a live psycopg connection
            cursor = driver.cursor()
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(tuple(_pg_value(row[c]) for c in columns) + extra)
            return
        extra = tuple(_sqlite_value(v) for v in defaults.values())
        marks = ", ".join("?" * (len(columns) + len(extra)))
        self.connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({names}) VALUES ({marks})",
            [tuple(_sqlite_value(row[c]) for c in columns) + extra for row in rows],
        )


def _sqlite_value(value):
    """What SQLAlchemy's SQLite types store: datetimes with microseconds, ISO dates, JSON text."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def _pg_value(value):
    return json.dumps(value) if isinstance(value, (dict, list)) else value


@contextmanager
def _summary_triggers_off(uow: UnitOfWork):
    """The incident_daily triggers (migration 0003) would update the summary per row; turn them
    off for the bulk load and rebuild the summary exactly from the rows with one INSERT...SELECT."""
    connection = uow.session.connection()
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        for table in ("incident", "incident_behaviour"):
            connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        saved: list[Any] = []
    else:
        saved = list(
            connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name IN ('incident', 'incident_behaviour')"
            ).all()
        )
        for name, _sql in saved:
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
    yield
    connection.exec_driver_sql("DELETE FROM incident_daily")
    connection.exec_driver_sql(_summary_migration().backfill_sql(connection.dialect.name))
    if postgres:
        for table in ("incident", "incident_behaviour"):
            connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    for _name, sql in saved:
        connection.exec_driver_sql(sql)


def _summary_migration():
    """Migration 0003 defines the one backfill query; its file name is not importable as a module."""
    path = (
        Path(__file__).resolve().parent.parent
        / "db"
        / "migrations"
        / "versions"
        / "0003_incident_daily_summary.py"
    )
    spec = importlib.util.spec_from_file_location("ft_migration_0003", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Ids:
    """Hands out primary keys so related rows can be bulk-inserted in one pass."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def __call__(self, name: str) -> int:
        self.next[name] = self.next.get(name, 0) + 1
        return self.next[name]


def _incident_counts(rng: random.Random, n_customers: int, n_incidents: int) -> list[int]:
    """Incidents per customer: a long tail (Pareto, most customers a few, a few customers
    hundreds), capped so no customer holds more than a few hundred, summing exactly to n."""
    if n_customers == 0:
        return []
    alpha, mean = 1.6, n_incidents / n_customers
    cap = max(20, min(800, int(0.6 * n_incidents**0.5)))
    scale = mean * (alpha - 1) / alpha
    counts = [min(cap, max(1, round(scale * rng.paretovariate(alpha)))) for _ in range(n_customers)]
    diff = n_incidents - sum(counts)
    while diff:
        i = rng.randrange(n_customers)
        if diff > 0 and counts[i] < cap:
            counts[i] += 1
            diff -= 1
        elif diff < 0 and counts[i] > 1:
            counts[i] -= 1
            diff += 1
    return counts


def _staff(ids: _Ids, password_hash: str) -> tuple[list[dict], list[dict]]:
    areas = [
        {"id": ids("area"), "name": n, "is_corporate_ict": "ICT" in n, "assistant_director_id": None}
        for n in SERVICE_AREAS
    ]
    users = [
        {
            "id": ids("user"),
            "username": u,
            "name": n,
            "role": r.value,
            "email": f"{u}@nph.example",
            "password_hash": password_hash,
            "active": True,
            "service_area_id": areas[a]["id"] if a is not None else None,
        }
        for u, n, r, a in DEMO_USERS
    ]
    return areas, users


def load_demo_data(
    url: str | None = None,
    size: float = 1.0,
    seed: int = 20260327,
    today: dt.date | None = None,
    staff_only: bool = False,
) -> dict[str, int]:
    """Fill an empty database. Returns row counts by table. `staff_only` loads just the service
    areas and one account per role (the tests' starting point). Customers are generated and
    written in batches, so memory stays flat whatever the size."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    n_incidents = 0 if staff_only else max(60, int(5000 * size))
    n_customers = 0 if staff_only else max(30, int(500 * size))
    ids = _Ids()
    areas, users = _staff(ids, hash_password(DEMO_PASSWORD))
    ad_by_area = {u["service_area_id"]: u["id"] for u in users if u["role"] == Role.ASSISTANT_DIRECTOR.value}
    staff = {
        "leaders": [u["id"] for u in users if u["role"] == Role.TEAM_LEADER.value],
        "dmo": next(u["id"] for u in users if u["role"] == Role.DMO.value),
        "hsw": next(u["id"] for u in users if u["role"] == Role.HSW_OFFICER.value),
        "ad_by_area": ad_by_area,
        "operational": [a["id"] for a in areas if not a["is_corporate_ict"]],
    }
    counts = _incident_counts(rng, n_customers, n_incidents)

    with UnitOfWork(url) as uow:
        out = _Writer(uow)
        out["service_area"].extend(areas)
        out["app_user"].extend(users)
        out.flush()
        for area in areas:
            written = uow.session.get(ServiceArea, area["id"])
            assert written is not None  # flushed just above
            written.assistant_director_id = ad_by_area.get(area["id"])
        uow.session.flush()
        with _summary_triggers_off(uow):
            for i, count in enumerate(counts):
                _customer(rng, ids, today, i, count, staff, out)
                if (i + 1) % CUSTOMERS_PER_BATCH == 0:
                    out.flush()
            out.flush()
        uow.audit(
            None,
            "load_demo_data",
            entity_type="database",
            after={"incidents": out.counts["incident"], "customers": out.counts["customer"], "seed": seed},
        )
        _advance_sequences(uow)
        uow.commit()
    letters = 0 if staff_only else _send_recent_letters(url, today)
    c = out.counts
    return {
        "customers": c["customer"],
        "incidents": c["incident"],
        "cases": c["case_file"],
        "letters": letters,
        "stage_events": c["stage_event"],
        "formal_actions": c["formal_action"],
        "appeals": c["appeal"],
        "reviews": c["review"],
        "spoc_entries": c["spoc_entry"],
        "pvp_entries": c["pvp_entry"],
    }


def _customer(rng, ids, today, i, count, staff, out) -> None:
    """One customer, their incidents (spread over ten years, recent ones more likely) and case."""
    leaders, operational = staff["leaders"], staff["operational"]
    first, last = rng.choice(FIRST), rng.choice(LAST)
    ref = f"NPH{100000 + i}"
    line1 = f"{rng.randint(1, 240)} {rng.choice(STREETS)}"
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    postcode = f"NN{rng.randint(1, 7)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    cid = ids("customer")
    area_id = rng.choice(operational)
    out["customer"].append(
        {
            "id": cid,
            "housing_ref": ref,
            "title": "",
            "first_name": first,
            "last_name": last,
            "address_line1": line1,
            "address_line2": "",
            "town": "Northampton",
            "postcode": postcode,
            "phone": f"01604 {rng.randint(100000, 999999)}",
            "email": f"customer{i}@example.org",
            "preferred_contact": rng.choice(CHANNELS).value,
            "service_area_id": area_id,
            "legal_hold": False,
            "legal_hold_reason": "",
            "search_text": f"{first} {last} {ref} {line1} northampton {postcode}".lower(),
        }
    )
    if rng.random() < 0.25:
        kind = rng.choice(VULNERABILITIES)
        out["customer_vulnerability"].append(
            {
                "id": ids("vuln"),
                "customer_id": cid,
                "kind": kind.value,
                "details": f"Recorded {kind.label.lower()} need",
                "recorded_by_id": leaders[0],
            }
        )
    start = today - dt.timedelta(days=3650)
    moments = sorted(
        dt.datetime.combine(
            start + dt.timedelta(days=int(3650 * (rng.random() ** 0.6))),
            dt.time(rng.randint(8, 18), rng.choice([0, 15, 30, 45])),
        )
        for _ in range(count)
    )
    rows, failures = [], []
    for occurred in moments:
        category = rng.choices(CATEGORIES, weights=[35, 25, 20, 20])[0]
        violent = category == Category.AGGRESSIVE and rng.random() < 0.2
        source = rng.choices(SOURCES, weights=[80, 12, 8])[0]
        if (
            source == EvidenceSource.HEARSAY
        ):  # issue 13: not an incident, a note that something needs checking
            out["check_note"].append(
                {
                    "customer_id": cid,
                    "service_area_id": area_id,
                    "noted_on": occurred.date(),
                    "who_to_ask": "Kim Ward (neighbourhood warden)",
                    "recorded_by_id": rng.choice(leaders),
                    "recorded_at": occurred,
                }
            )
            source = EvidenceSource.FIRST_HAND  # ...and the incident itself was seen first-hand
        iid = ids("incident")
        row = {
            "id": iid,
            "customer_id": cid,
            "case_id": None,
            "service_area_id": area_id,
            "occurred_at": occurred,
            "channel": rng.choice(CHANNELS).value,
            "category": category.value,
            "description": DESCRIPTIONS[category],
            "evidence_source": source.value,
            "third_party_name": "Kim Ward (neighbourhood warden)"
            if source == EvidenceSource.TRUSTED_THIRD_PARTY
            else "",
            "witnesses": "",
            "staff_affected": rng.choice(["Call handler", "Repairs operative", "Housing officer"]),
            "violence_or_threat": violent,
            "police_reference": f"NP-{rng.randint(10000, 99999)}" if violent else "",
            "police_not_referred_reason": "",
            "in_person_adjustment": violent,
            "in_person_arrangement": DEFAULT_INTERIM_ARRANGEMENT if violent else "",
            "service_failure": rng.random() < 0.1,
            "recorded_by_id": rng.choice(leaders),
            "recorded_at": occurred + dt.timedelta(hours=2),
        }
        rows.append(row)
        if row["service_failure"]:
            failures.append(row)
        for b in rng.sample(BEHAVIOURS_BY_CATEGORY[category], k=rng.choice([1, 1, 2])):
            out["incident_behaviour"].append({"incident_id": iid, "behaviour": b.value})
    if not rows:
        return
    out["incident"].extend(rows)
    _build_case(rng, ids, today, cid, rows, staff, out)
    for row in failures:
        occurred = row["occurred_at"]
        resolved = occurred.date() < today - dt.timedelta(days=60) and rng.random() < 0.85
        out["service_referral"].append(
            {
                "id": ids("referral"),
                "incident_id": row["id"],
                "customer_id": cid,
                "case_id": row["case_id"],
                "service_area_id": rng.choice(operational),
                "raised_by_id": row["recorded_by_id"],
                "description": rng.choice(REFERRALS),
                "raised_at": row["recorded_at"],
                "resolved_at": occurred + dt.timedelta(days=rng.randint(5, 50)) if resolved else None,
                "resolved_by_id": row["recorded_by_id"] if resolved else None,
                "resolution": "Repair completed and confirmed with the customer." if resolved else "",
            }
        )


def _advance_sequences(uow: UnitOfWork) -> None:
    """PostgreSQL: rows inserted with explicit ids leave each id sequence at 1, so the next
    row a service adds would collide; move every sequence past the largest id."""
    if uow.session.get_bind().dialect.name != "postgresql":
        return
    from sqlalchemy import text

    from core.models import Base

    for table in Base.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
            uow.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                )
            )


def _build_case(rng, ids, today, customer_id, rows, staff, out) -> None:
    """One case per customer; the stage reached follows how many counting incidents there are."""
    leaders, ad_by_area, dmo, hsw = staff["leaders"], staff["ad_by_area"], staff["dmo"], staff["hsw"]
    cases, events, event_links, reviews, appeals = (
        out["case_file"],
        out["stage_event"],
        out["stage_event_incident"],
        out["review"],
        out["appeal"],
    )
    spoc_requests, spoc_entries = out["spoc_request"], out["spoc_entry"]
    considerations, pvp_entries = out["pvp_consideration"], out["pvp_entry"]
    actions = []  # this case's formal actions
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
    case = {
        "id": case_id,
        "customer_id": customer_id,
        "service_area_id": area_id,
        "stage": Stage.NONE.value,
        "opened_at": rows[0]["recorded_at"],
        "opened_by_id": leader,
        "owner_id": leader,
        "closed_at": None,
        "closure_reason": "",
        "warning_review_due": None,
        "version": 1,
    }
    cases.append(case)
    for r in rows:
        r["case_id"] = case_id
        if r["violence_or_threat"]:
            considerations.append(
                {
                    "id": ids("consideration"),
                    "incident_id": r["id"],
                    "customer_id": customer_id,
                    "raised_at": r["recorded_at"],
                    "status": "open",
                    "closed_reason": "",
                }
            )

    def event(frm: Stage, to: Stage, incident: dict, **extra) -> dict:
        decided = min(incident["occurred_at"].date() + dt.timedelta(days=rng.randint(1, 6)), today)
        row = {
            "id": ids("event"),
            "case_id": case_id,
            "from_stage": frm.value,
            "to_stage": to.value,
            "decided_on": decided,
            "decided_by_id": leader,
            "reason": "Behaviour set out in the incident record.",
            "skip_reason": "",
            "underlying_issues_considered": True,
            "underlying_issues_notes": "No recorded vulnerability affects this decision.",
            "adjustments": "",
            "review_due": None,
            "notified_on": decided,
            "details": {},
            "recorded_at": dt.datetime.combine(decided, dt.time(16)),
        } | extra
        events.append(row)
        event_links.append({"stage_event_id": row["id"], "incident_id": incident["id"]})
        return row

    stage = Stage.NONE
    if target in (Stage.INFORMAL, Stage.WARNING, Stage.FORMAL):
        event(
            Stage.NONE,
            Stage.INFORMAL,
            picks[0],
            details={
                "contact_made": True,
                "behaviour_set_out": True,
                "expectations_stated": True,
                "consequences_stated": True,
                "root_cause_looked_for": True,
                "third_party_offered": True,
            },
        )
        stage = Stage.INFORMAL
    if target in (Stage.WARNING, Stage.FORMAL):
        warn = event(Stage.INFORMAL, Stage.WARNING, picks[1])
        warn["review_due"] = add_months(warn["decided_on"], rng.choice([3, 6]))
        case["warning_review_due"] = warn["review_due"]
        stage = Stage.WARNING
        _maybe_appeal(rng, ids, today, case_id, "stage_event", warn, ad_by_area[area_id], appeals)
        if (
            target == Stage.WARNING
            and warn["review_due"] < today - dt.timedelta(days=14)
            and rng.random() < 0.75
        ):
            reviews.append(
                {
                    "id": ids("review"),
                    "case_id": case_id,
                    "subject_type": "warning",
                    "subject_id": warn["id"],
                    "held_on": warn["review_due"],
                    "reviewed_by_id": leader,
                    "evidence_considered": "No incidents that count as evidence since the warning.",
                    "outcome": ReviewOutcome.NO_FURTHER_ACTION.value,
                    "next_review_due": None,
                    "notes": "",
                }
            )
            closing, closure = True, "Warning review: no further incidents, no further action."
            closure_day = warn["review_due"]
    if target == Stage.FORMAL:
        formal = event(Stage.WARNING, Stage.FORMAL, picks[2])
        stage = Stage.FORMAL
        kinds = rng.sample(
            [
                FormalActionType.ONE_CHANNEL,
                FormalActionType.CONTACT_LIMITS,
                FormalActionType.ISSUE_LIMIT,
                FormalActionType.DECLINE_WITHOUT_EVIDENCE,
            ],
            k=rng.choice([1, 2]),
        )
        for kind in kinds:
            months = rng.choice([3, 6, 12])
            action = {
                "id": ids("action"),
                "case_id": case_id,
                "stage_event_id": formal["id"],
                "kind": kind.value,
                "terms": "Contact by email only, answered within 10 working days"
                if kind == FormalActionType.ONE_CHANNEL
                else "Up to two contacts a week, Monday to Friday 10:00-12:00",
                "details": {},
                "starts_on": formal["decided_on"],
                "review_due": add_months(formal["decided_on"], months),
                "status": ActionStatus.ACTIVE.value,
                "ended_on": None,
                "ended_reason": "",
            }
            actions.append(action)
            if action["review_due"] < today and rng.random() < 0.6:
                held = action["review_due"] - dt.timedelta(days=rng.randint(0, 10))
                outcome = rng.choice([ReviewOutcome.LIFT, ReviewOutcome.CONTINUE])
                next_due = add_months(held, 6) if outcome == ReviewOutcome.CONTINUE else None
                reviews.append(
                    {
                        "id": ids("review"),
                        "case_id": case_id,
                        "subject_type": "formal_action",
                        "subject_id": action["id"],
                        "held_on": held,
                        "reviewed_by_id": leader,
                        "evidence_considered": "No further counting incidents since the restriction began.",
                        "outcome": outcome.value,
                        "next_review_due": next_due,
                        "notes": "",
                    }
                )
                if outcome == ReviewOutcome.LIFT:
                    action.update(
                        status=ActionStatus.LIFTED.value, ended_on=held, ended_reason="Lifted at review"
                    )
                else:
                    action["review_due"] = next_due
        out["formal_action"].extend(actions)
        _maybe_appeal(rng, ids, today, case_id, "stage_event", formal, ad_by_area[area_id], appeals)
        if rng.random() < 0.3:
            _spoc(
                rng,
                ids,
                today,
                case_id,
                rows[0]["customer_id"],
                formal,
                leader,
                dmo,
                counting,
                spoc_requests,
                spoc_entries,
            )
    violent = [r for r in rows if r["violence_or_threat"]]
    if violent and rng.random() < 0.5:
        start = violent[-1]["occurred_at"].date() + dt.timedelta(days=7)
        if start <= today:
            pvp_entries.append(
                {
                    "id": ids("pvp"),
                    "customer_id": customer_id,
                    "consideration_id": None,
                    "proposed_by_id": leader,
                    "proposed_at": dt.datetime.combine(start, dt.time(9)),
                    "reasons": "Threat of violence to a repairs operative (police referred).",
                    "flag_type": "PVP",
                    "arrangements": "Two officers on all visits; no lone working.",
                    "two_officers_on_visits": True,
                    "status": RegisterStatus.ACTIVE.value,
                    "approved_by_id": hsw,
                    "approved_at": dt.datetime.combine(start, dt.time(15)),
                    "starts_on": start,
                    "review_due": add_months(start, 12),
                    "customer_notified_on": start,
                    "not_notified_reason": "",
                    "reconsider_notice_on": None,
                    "ended_on": None,
                    "ended_reason": "",
                }
            )
    if closing:
        close = event(
            stage,
            Stage.CLOSED,
            counting[-1],
            reason=closure,
            **({"decided_on": closure_day} if closure_day else {}),
        )
        case.update(closed_at=dt.datetime.combine(close["decided_on"], dt.time(17)), closure_reason=closure)
        for action in actions:
            if action["status"] == ActionStatus.ACTIVE.value:
                action.update(
                    status=ActionStatus.LIFTED.value, ended_on=close["decided_on"], ended_reason="Case closed"
                )
        stage = Stage.CLOSED
    case["stage"] = stage.value


def _send_recent_letters(url: str | None, today: dt.date, days: int = 365, limit: int = 80) -> int:
    """Decision letters for recent stage decisions, drafted from the real templates and sent
    through the letters service on the decision date (which starts each appeal window)."""
    from sqlalchemy import select

    from core.auth import actor_from_user
    from core.enums import LetterType
    from core.services.letters import mark_sent

    letter_for = {
        Stage.INFORMAL: LetterType.INFORMAL_SUMMARY,
        Stage.WARNING: LetterType.WARNING,
        Stage.FORMAL: LetterType.FORMAL,
    }
    with UnitOfWork(url) as uow:
        recent = uow.session.execute(
            select(StageEvent.id, StageEvent.case_id, StageEvent.to_stage, StageEvent.decided_on, User)
            .join(User, User.id == StageEvent.decided_by_id)
            .where(
                StageEvent.to_stage.in_(list(letter_for)),
                StageEvent.decided_on >= today - dt.timedelta(days=days),
            )
            .order_by(StageEvent.decided_on.desc())
            .limit(limit)
        ).all()
        decisions = [
            (e_id, case_id, stage, day, actor_from_user(user)) for e_id, case_id, stage, day, user in recent
        ]
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
    if recent:  # still waiting for the Assistant Director: some within 5 working days, some overdue
        decided = None
    elif roll < 0.3:
        decided = due + dt.timedelta(days=rng.randint(1, 5))
    else:
        decided = due - dt.timedelta(days=rng.randint(0, 3))
    appeals.append(
        {
            "id": ids("appeal"),
            "case_id": case_id,
            "subject_type": subject_type,
            "subject_id": decision["id"],
            "received_on": received,
            "late": received > decision["decided_on"] + dt.timedelta(days=28),
            "late_accepted_reason": "",
            "grounds": "The customer says the incident has been misdescribed.",
            "decision_maker_id": ad_id,
            "due_on": due,
            "decided_on": decided,
            "outcome": rng.choice([AppealOutcome.UPHELD, AppealOutcome.UPHELD, AppealOutcome.VARIED]).value
            if decided
            else None,
            "decision_notes": "Decision reviewed against the incident records." if decided else "",
            "recorded_by_id": decision["decided_by_id"],
            "recorded_at": dt.datetime.combine(received, dt.time(10)),
        }
    )


def _spoc(
    rng, ids, today, case_id, customer_id, formal, leader, dmo, counting, spoc_requests, spoc_entries
) -> None:
    request_id = ids("spoc_request")
    meeting = formal["decided_on"] + dt.timedelta(days=7)
    if meeting > today:
        return
    approved = rng.random() < 0.8
    spoc_requests.append(
        {
            "id": request_id,
            "case_id": case_id,
            "customer_id": customer_id,
            "requested_by_id": leader,
            "requested_at": dt.datetime.combine(formal["decided_on"], dt.time(12)),
            "reason": "Contact with several teams continues despite the warning; one named contact is needed.",
            "status": (RegisterStatus.ACTIVE if approved else RegisterStatus.REJECTED).value,
            "meeting_on": meeting,
            "attendees": "DMO, team leader, housing officer",
            "discussion": "Reviewed the incident log and the warning letter.",
            "decision_reason": "Evidence of repeated contact across teams."
            if approved
            else "Other formal actions suffice.",
            "decided_by_id": dmo,
            "decided_at": dt.datetime.combine(meeting, dt.time(15)),
        }
    )
    if approved:
        spoc_entries.append(
            {
                "id": ids("spoc_entry"),
                "request_id": request_id,
                "customer_id": customer_id,
                "case_id": case_id,
                "spoc_user_id": leader,
                "channels": ["email"],
                "contact_times": "Monday to Friday, 10:00-12:00",
                "contact_limit": "Two contacts a week",
                "terms": "All contact through the named officer by email.",
                "starts_on": meeting,
                "review_due": add_months(meeting, rng.choice([3, 6, 12])),
                "status": RegisterStatus.ACTIVE.value,
                "ended_on": None,
                "ended_reason": "",
            }
        )
