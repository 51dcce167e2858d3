"""Concurrency (issue 9): no lost updates. Two users changing the same case at once: the second
save is refused with "This case changed since you opened it"; a bounded stress test with
several threads logging incidents and changing stages at once (SQLite and PostgreSQL) ends with
every write saved or refused with a clear message, and the database counts equal the saves.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from core.db import UnitOfWork
from core.enums import Stage
from core.errors import PolicyError, StaleRecord
from core.models import AuditEntry, Case, Incident, StageEvent
from core.services import cases
from tests.scenarios import a_customer, an_incident
from tests.services.case_scenarios import TODAY, informal_details

THREADS, WRITES_PER_THREAD, CUSTOMERS = 4, 25, 4
PAIRS = 8  # simultaneous two-user saves
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts"


def count(url, model, *where) -> int:
    with UnitOfWork(url) as uow:
        return uow.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def audits(url, action) -> int:
    return count(url, AuditEntry, AuditEntry.action == action)


def open_case(url, customer_id):
    """(case id, version, stage) of the customer's open case, as a user's screen would show it."""
    with UnitOfWork(url) as uow:
        case = uow.session.scalar(
            select(Case)
            .where(Case.customer_id == customer_id, Case.stage != Stage.CLOSED)
            .order_by(Case.id.desc())
            .limit(1)
        )
        return (case.id, case.version, case.stage) if case else None


def test_second_of_two_simultaneous_saves_is_refused_not_lost(db_url, actors):
    leader = actors["teamleader"]
    outcomes = Counter()
    for n in range(PAIRS):
        customer_id = a_customer(db_url, leader, ref=f"NPH5000{n:02d}")
        an_incident(db_url, leader, customer_id)
        case_id, seen_version, _ = open_case(db_url, customer_id)
        barrier = threading.Barrier(2)
        results = []

        # The loop's values are bound as defaults: each thread sees this pair's case, not a later one's.
        def save(who, barrier=barrier, case_id=case_id, seen_version=seen_version, results=results):
            barrier.wait()  # both users press "Save" together
            try:
                cases.record_informal_stage(
                    leader,
                    case_id,
                    informal_details(summary=f"Conversation recorded by user {who}", decided_on=TODAY),
                    seen_version,
                    UnitOfWork(db_url),
                    today=TODAY,
                )
                results.append("saved")
            except StaleRecord as stale:
                results.append(str(stale))

        threads = [threading.Thread(target=save, args=(who,)) for who in "AB"]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(results)[-1] == "saved" and results.count("saved") == 1
        refusal = next(r for r in results if r != "saved")
        assert refusal.startswith("This case changed since you opened it.")
        outcomes.update(results)
        with UnitOfWork(db_url) as uow:
            case = uow.session.get(Case, case_id)
            assert case.stage == Stage.INFORMAL and case.version > seen_version
        assert count(db_url, StageEvent, StageEvent.case_id == case_id) == 1
    assert outcomes["saved"] == PAIRS


def test_stress_concurrent_incidents_and_stage_changes(db_url, actors):
    leader = actors["teamleader"]
    customers = [a_customer(db_url, leader, ref=f"NPH60000{n}") for n in range(CUSTOMERS)]
    for customer_id in customers:
        an_incident(db_url, leader, customer_id)
    base_incidents, base_events = count(db_url, Incident), count(db_url, StageEvent)

    tally, lock = Counter(), threading.Lock()
    unexpected: list[str] = []
    barrier = threading.Barrier(THREADS)

    def record(key):
        with lock:
            tally[key] += 1

    def worker(seed):
        rng = random.Random(seed)
        barrier.wait()
        for i in range(WRITES_PER_THREAD):
            customer_id = rng.choice(customers)
            seen = open_case(db_url, customer_id) if i % 2 else None
            if seen is None or seen[2] not in (Stage.NONE, Stage.INFORMAL):
                kind = "incident"

                def write(customer_id=customer_id, i=i, seen=seen):
                    return an_incident(
                        db_url, leader, customer_id, description=f"Thread {seed} write {i}: shouted at staff."
                    )
            elif seen[2] == Stage.NONE:
                kind = "informal"

                def write(customer_id=customer_id, i=i, seen=seen):
                    return cases.record_informal_stage(
                        leader,
                        seen[0],
                        informal_details(decided_on=TODAY),
                        seen[1],
                        UnitOfWork(db_url),
                        today=TODAY,
                    )
            else:
                kind = "close"

                def write(customer_id=customer_id, i=i, seen=seen):
                    return cases.close_case(
                        leader,
                        seen[0],
                        "Normal relations restored.",
                        seen[1],
                        UnitOfWork(db_url),
                        today=TODAY,
                    )

            time.sleep(rng.uniform(0, 0.004))  # the user reads the screen, then saves
            record("attempted")
            try:
                write()
                record(f"saved_{kind}")
            except StaleRecord as refusal:
                assert "changed since you opened it" in str(refusal)
                record("conflicts")
            except PolicyError as refusal:
                record(f"refused: {refusal}")
            except Exception as problem:  # anything else is a failure
                with lock:
                    unexpected.append(f"{kind}: {problem!r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert unexpected == []

    saved = {k.removeprefix("saved_"): v for k, v in tally.items() if k.startswith("saved_")}
    refused = sum(v for k, v in tally.items() if k.startswith("refused"))
    assert tally["attempted"] == THREADS * WRITES_PER_THREAD
    assert sum(saved.values()) + tally["conflicts"] + refused == tally["attempted"]
    # The database holds exactly the writes reported saved, each with its audit entry.
    assert (
        count(db_url, Incident) == base_incidents + saved.get("incident", 0) == audits(db_url, "log_incident")
    )
    assert (
        count(db_url, StageEvent, StageEvent.to_stage == Stage.INFORMAL)
        == saved.get("informal", 0)
        == audits(db_url, "record_informal_stage")
    )
    assert (
        count(db_url, StageEvent, StageEvent.to_stage == Stage.CLOSED)
        == saved.get("close", 0)
        == audits(db_url, "close_case")
    )
    assert count(db_url, StageEvent) == base_events + saved.get("informal", 0) + saved.get("close", 0)
    # No lost update: each case's stage history is one unbroken chain (every change started
    # from the stage the previous change left), ending at the case's current stage.
    with UnitOfWork(db_url) as uow:
        for case in uow.session.scalars(select(Case)):
            chain = [
                (e.from_stage, e.to_stage)
                for e in uow.session.scalars(
                    select(StageEvent).where(StageEvent.case_id == case.id).order_by(StageEvent.id)
                )
            ]
            stage = Stage.NONE
            for from_stage, to_stage in chain:
                assert from_stage == stage, f"case {case.id}: history {chain}"
                stage = to_stage
            assert case.stage == stage, f"case {case.id} is {case.stage} but its history says {stage}"
        # A customer never has two open cases.
        open_per_customer = uow.session.execute(
            select(Case.customer_id, func.count())
            .where(Case.stage != Stage.CLOSED)
            .group_by(Case.customer_id)
        ).all()
    assert all(n == 1 for _, n in open_per_customer), open_per_customer

    backend = db_url.split(":", 1)[0].split("+")[0]
    figures = {
        "backend": backend,
        "threads": THREADS,
        "attempted": tally["attempted"],
        "saved": saved,
        "conflicts": tally["conflicts"],
        "refused": refused,
        "refusals": {k: v for k, v in tally.items() if k.startswith("refused")},
    }
    ARTEFACTS.mkdir(exist_ok=True)
    (ARTEFACTS / f"stress-{backend}.json").write_text(json.dumps(figures, indent=2))
    print(f"\nstress {figures}")
