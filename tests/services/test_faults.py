"""Faults (issue 9): a process killed with SIGKILL in the middle of writing leaves the SQLite
database consistent: integrity check passes, no incident or stage event without its case, no
case without the incident that opened it, and every saved row has its audit entry.

The writer is this module run as a script: it creates customers, logs incidents and records
informal stages in a loop through the real services, printing "begin" before each write and
one line naming it after its commit, so the test knows whether a kill landed inside a write.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 5  # processes killed
MAX_SECONDS_PER_ROUND = 60


def writer(url: str, prefix: str) -> None:
    from core.db import UnitOfWork
    from core.services import cases
    from tests.scenarios import a_customer, an_incident, demo_actors
    from tests.services.case_scenarios import TODAY, case_of, informal_details, version

    leader = demo_actors(url)["teamleader"]
    for i in range(100_000):
        print("begin", flush=True)
        customer_id = a_customer(url, leader, ref=f"NPH{prefix}{i:05d}")
        print("customer", flush=True)
        print("begin", flush=True)
        incident_id = an_incident(url, leader, customer_id)
        print("incident", flush=True)
        case_id = case_of(url, incident_id)
        print("begin", flush=True)
        cases.record_informal_stage(
            leader,
            case_id,
            informal_details(decided_on=TODAY),
            version(url, case_id),
            UnitOfWork(url),
            today=TODAY,
        )
        print("informal", flush=True)


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:

        def one(sql: str):
            return conn.execute(sql).fetchone()[0]

        def audit(action: str) -> int:
            return one(f"SELECT count(*) FROM audit_entry WHERE action = '{action}'")

        return {
            "integrity": one("PRAGMA integrity_check"),
            "foreign_key_problems": len(conn.execute("PRAGMA foreign_key_check").fetchall()),
            "customer": one("SELECT count(*) FROM customer"),
            "incident": one("SELECT count(*) FROM incident"),
            "case": one("SELECT count(*) FROM case_file"),
            "stage_event": one("SELECT count(*) FROM stage_event"),
            "informal_cases": one("SELECT count(*) FROM case_file WHERE stage = 'informal'"),
            "audit_create_customer": audit("create_customer"),
            "audit_log_incident": audit("log_incident"),
            "audit_open_case": audit("open_case"),
            "audit_informal": audit("record_informal_stage"),
            "incident_without_case": one(
                "SELECT count(*) FROM incident i LEFT JOIN case_file c ON c.id = i.case_id WHERE c.id IS NULL"
            ),
            "event_without_case": one(
                "SELECT count(*) FROM stage_event e LEFT JOIN case_file c ON c.id = e.case_id WHERE c.id IS NULL"
            ),
            "summary_incidents": one(
                "SELECT COALESCE(SUM(incidents), 0) FROM incident_daily WHERE behaviour = ''"
            ),
            "case_without_incident": one(
                "SELECT count(*) FROM case_file c WHERE NOT EXISTS "
                "(SELECT 1 FROM incident i WHERE i.case_id = c.id)"
            ),
        }


def kill_mid_write(url: str, prefix: str, after_lines: int) -> dict[str, int]:
    """Start a writer, let it commit `after_lines` writes, then SIGKILL it a moment later
    (usually inside the next transaction). Returns the writes it reported as saved, and under
    "begin" how many it had begun (one more than saved when the kill landed inside a write)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.services.test_faults", url, prefix],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, FT_BCRYPT_ROUNDS="4"),
    )
    assert proc.stdout is not None and proc.stderr is not None
    saved = {"customer": 0, "incident": 0, "informal": 0, "begin": 0}
    deadline = time.monotonic() + MAX_SECONDS_PER_ROUND
    try:
        while sum(saved.values()) - saved["begin"] < after_lines and time.monotonic() < deadline:
            line = proc.stdout.readline().strip()
            if not line:
                pytest.fail(f"The writer stopped early: {proc.stderr.read()[-2000:]}")
            saved[line] += 1
        time.sleep(random.uniform(0, 0.015))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    # Lines written just before the kill were committed too.
    for line in proc.stdout.read().split():
        saved[line] += 1
    assert proc.returncode == -signal.SIGKILL
    return saved


def test_killing_a_writer_mid_write_leaves_the_database_consistent(sqlite_url):
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    rng = random.Random(9)
    reported = {"customer": 0, "incident": 0, "informal": 0}
    killed_inside_a_write = 0
    for round_no in range(ROUNDS):
        saved = kill_mid_write(sqlite_url, f"8{round_no}", rng.randint(4, 40))
        reported = {k: reported[k] + saved[k] for k in reported}
        killed_inside_a_write += saved["begin"] - (saved["customer"] + saved["incident"] + saved["informal"])
        c = counts(path)
        assert c["integrity"] == "ok"
        assert c["foreign_key_problems"] == 0
        assert c["incident_without_case"] == 0 and c["event_without_case"] == 0
        assert c["case_without_incident"] == 0
        # Every row has its audit entry, written in the same transaction.
        assert c["customer"] == c["audit_create_customer"]
        assert c["incident"] == c["audit_log_incident"]
        assert c["case"] == c["audit_open_case"]
        assert c["stage_event"] == c["audit_informal"] == c["informal_cases"]
        # The monitoring summary kept by triggers is still exact.
        assert c["summary_incidents"] == c["incident"]
        # Everything reported saved is there; at most the one write in flight per round is
        # extra (committed, but killed before it could print).
        for kind, table in (("customer", "customer"), ("incident", "incident"), ("informal", "stage_event")):
            assert reported[kind] <= c[table] <= reported[kind] + round_no + 1
    # The faults were injected mid-write: at least one kill landed inside a write it had begun
    # (otherwise this test only shows that stopping between writes is safe).
    assert killed_inside_a_write >= 1
    # The database still works after the faults: a normal write succeeds.
    from tests.scenarios import a_customer, demo_actors

    a_customer(sqlite_url, demo_actors(sqlite_url)["teamleader"], ref="NPH700001")
    print(
        f"\nfaults injected: {ROUNDS} SIGKILLs, {killed_inside_a_write} inside a write; "
        f"writes reported saved: {reported}; "
        f"final counts: {counts(path)}"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    writer(sys.argv[1], sys.argv[2])
