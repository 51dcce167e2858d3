"""A realistic audit trail for a benchmark database (issue 18: the audit log with 1.5 M entries).

The demo data writes only a few dozen audit entries, so the audit log page would be measured on
an almost empty trail. This appends N synthetic entries (default 1,500,000) and a proportionate
access log through raw INSERTs (the trail is append-only: inserts are allowed, nothing is updated
or deleted), spread over the years before the newest existing entry, in `at` order with the ids,
as a real trail grows. Usernames, actions and record types follow the app's own; customers are
drawn from the database's customers. FOR BENCHMARK DATABASES ONLY: the entries are fiction.

    .venv/bin/python -m bench.audit_trail --database-url sqlite:////tmp/perf_1m.db
    .venv/bin/python -m bench.audit_trail --database-url postgresql+psycopg://.../ft_perf_1m --entries 1500000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (action, entity_type, weight): the busy actions of a case-management trail
ACTIONS = [
    ("log_incident", "incident", 40),
    ("login", "login", 15),
    ("logout", "login", 8),
    ("send_letter", "letter", 8),
    ("open_case", "case", 5),
    ("record_review", "review", 4),
    ("notify_decision", "stage_event", 4),
    ("take_formal_action", "formal_action", 2),
    ("record_appeal", "appeal", 1),
    ("decide_appeal", "appeal", 1),
    ("request_spoc", "spoc_entry", 1),
    ("raise_pvp_consideration", "pvp_consideration", 1),
    ("export", "export", 2),
    ("build_sar_pack", "data_request", 1),
    ("create_customer", "customer", 3),
    ("annotate_record", "incident", 1),
    ("raise_service_referral", "service_referral", 1),
    ("record_vulnerability", "customer", 1),
    ("add_third_party_contact", "customer", 1),
]
BATCH = 20_000


def _rows(
    rng: random.Random,
    n: int,
    start: dt.datetime,
    end: dt.datetime,
    users: list[tuple[int, str]],
    max_customer: int,
    first_id: int,
):
    span = (end - start).total_seconds()
    weights = [w for _, _, w in ACTIONS]
    for i in range(n):
        at = start + dt.timedelta(seconds=span * i / n + rng.random())
        action, entity, _ = rng.choices(ACTIONS, weights)[0]
        uid, username = rng.choice(users)
        customer = rng.randint(1, max_customer) if entity not in ("login", "export") else None
        after = {"id": i, "customer_id": customer, "note": "synthetic benchmark entry"}
        yield (
            first_id + i,
            at,
            uid,
            username,
            action,
            entity,
            rng.randint(1, 1_000_000),
            customer,
            None,
            json.dumps(after),
            "",
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--entries", type=int, default=1_500_000)
    parser.add_argument("--access", type=int, default=None, help="access log rows (default: entries / 5)")
    parser.add_argument("--years", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import create_engine, text

    engine = create_engine(args.database_url)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    with engine.begin() as c:
        users = [(r[0], r[1]) for r in c.execute(text("SELECT id, username FROM app_user"))]
        max_customer = c.execute(text("SELECT MAX(id) FROM customer")).scalar() or 1
        first_id = (c.execute(text("SELECT MAX(id) FROM audit_entry")).scalar() or 0) + 1
        oldest = c.execute(text("SELECT MIN(at) FROM audit_entry")).scalar()
    oldest = oldest if isinstance(oldest, dt.datetime) else dt.datetime.fromisoformat(str(oldest))
    end = oldest.replace(tzinfo=None) - dt.timedelta(minutes=1)
    start = end - dt.timedelta(days=365 * args.years)
    # ids after the existing ones but times before them: keyset order is (at, id), so this is fine,
    # and the existing newest entries stay the newest.
    columns = "id, at, user_id, username, action, entity_type, entity_id, customer_id, before, after, reason"
    insert = text(
        f"INSERT INTO audit_entry ({columns}) VALUES (:id, :at, :uid, :un, :ac, :et, :ei, :ci, :b, :a, :r)"
    )
    keys = ["id", "at", "uid", "un", "ac", "et", "ei", "ci", "b", "a", "r"]
    rows = _rows(rng, args.entries, start, end, users, max_customer, first_id)
    done = 0
    while done < args.entries:
        batch = [dict(zip(keys, next(rows), strict=True)) for _ in range(min(BATCH, args.entries - done))]
        with engine.begin() as c:
            c.execute(insert, batch)
        done += len(batch)
        print(f"  audit entries {done:,}", end="\r", flush=True)
    access = args.entries // 5 if args.access is None else args.access
    ins_access = text("INSERT INTO access_log (user_id, customer_id, what, at) VALUES (:u, :c, :w, :at)")
    span = (end - start).total_seconds()
    done = 0
    while done < access:
        batch = [
            {
                "u": rng.choice(users)[0],
                "c": rng.randint(1, max_customer),
                "w": "case",
                "at": start + dt.timedelta(seconds=span * (done + k) / access),
            }
            for k in range(min(BATCH, access - done))
        ]
        with engine.begin() as c:
            c.execute(ins_access, batch)
        done += len(batch)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('audit_entry', 'id'), "
                    "(SELECT MAX(id) FROM audit_entry))"
                )
            )
            c.execute(text("ANALYZE audit_entry"))
            c.execute(text("ANALYZE access_log"))
    else:
        with engine.begin() as c:
            c.execute(text("ANALYZE"))
    print(
        f"\n{args.entries:,} audit entries and {access:,} access log rows in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
