"""Monitoring benchmark (issue 7). A script, not a test:

    .venv/bin/python -m bench.monitoring            # all sizes, writes docs/performance.md
    .venv/bin/python -m bench.monitoring --sizes 1  # just the small one

For each volume (demo size 1 = 5,000 incidents, 100 = 500,000, 200 = 1,000,000 incidents with
100,000 customers) it generates a SQLite database once (cached under bench/results/, git-ignored)
and measures, each in its own fresh process so peak memory is per measurement:

  page   the monitoring page's full script run (app.py + pages/monitoring.py) via AppTest,
         signed in as 'teamleader': cold (st.cache_data cleared first) and warm (cached);
  sql    the bare SQL aggregates the page needs (core.services.monitoring.dashboard);
  pandas a naive version: every table the figures need read whole into pandas, then the same
         figures computed in pandas (checked against the SQL figures).

Times are the median of 3 runs after one untimed warm-up run (imports, connection, OS cache).
Peak memory is the process's ru_maxrss.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REPORT = ROOT / "docs" / "performance.md"
SIZES = (1, 100, 200)
REPEATS = 3
PAGE = "pages/monitoring.py"


def db_path(size: float) -> Path:
    return RESULTS / f"monitoring_size{size:g}.db"


def ensure_db(size: float) -> Path:
    """Generate the data set once; migrate it to the current schema (a cached data set made
    before migration 0003 gets the incident_daily summary backfilled and its triggers); bring its
    indexes up to the current models; ANALYZE when anything changed."""
    from sqlalchemy import text

    from core.db import dispose_engines, get_engine
    from core.demo import load_demo_data
    from core.models import Base
    from db.setup import migrate

    path = db_path(size)
    if not path.exists():
        RESULTS.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.stem + ".partial.db")
        for leftover in RESULTS.glob(tmp.name + "*"):
            leftover.unlink()
        url = f"sqlite:///{tmp}"
        started = time.perf_counter()
        migrate(url)
        counts = load_demo_data(url, size=size)
        dispose_engines()
        tmp.rename(path)
        print(f"generated size {size:g}: {counts} in {time.perf_counter() - started:.0f} s", flush=True)
    url = f"sqlite:///{path}"
    engine = get_engine(url)
    with engine.connect() as c:
        before = c.execute(text("SELECT version_num FROM alembic_version")).scalar()
    started = time.perf_counter()
    migrate(url)
    with engine.connect() as c:
        after = c.execute(text("SELECT version_num FROM alembic_version")).scalar()
    created = before != after
    if created:
        print(
            f"migrated size {size:g} from {before} to {after} in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    for table in Base.metadata.sorted_tables:
        for index in table.indexes:
            with engine.begin() as c:
                exists = c.execute(
                    text("SELECT 1 FROM sqlite_master WHERE type='index' AND name=:n"), {"n": index.name}
                ).first()
            if not exists:
                index.create(engine)
                created = True
    with engine.begin() as c:
        if created or not c.execute(text("SELECT 1 FROM sqlite_master WHERE name='sqlite_stat1'")).first():
            c.execute(text("ANALYZE"))
    dispose_engines()
    return path


# ---------------------------------------------------------------- one measurement (child process)


def _teamleader(url: str):
    from core.auth import load_actor
    from core.db import UnitOfWork

    actor = load_actor("teamleader", UnitOfWork(url))
    if actor is None:
        raise RuntimeError("the demo team leader is missing")
    return actor


CPU: dict[str, list[float]] = {}


def _time(fn, name: str = "main") -> tuple[list[float], Any]:
    """Wall-clock times of REPEATS runs after a warm-up; process CPU time (all threads, so it
    includes AppTest's script thread) is kept in CPU[name]: it is less disturbed by other
    processes competing for the shared cores than the wall-clock time."""
    result = fn()  # warm-up
    times, cpu = [], []
    for _ in range(REPEATS):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    CPU[name] = cpu
    return times, result


def measure_sql(url: str) -> dict:
    from core.db import UnitOfWork
    from core.services import monitoring

    actor, today = _teamleader(url), dt.date.today()
    times, data = _time(
        lambda: monitoring.dashboard(actor, monitoring.default_filters(today), UnitOfWork(url), today)
    )
    return {"times": times, "kpis": data["kpis"]}


def measure_page(url: str) -> dict:
    os.environ["DATABASE_URL"] = url
    os.chdir(ROOT)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    # Signed in as the page tests do it (tests/pages/conftest.py app_as): the session state
    # streamlit-authenticator sets after a login, then app.py's own navigation to the page.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = at.session_state["name"] = "teamleader"
    at.run()
    at.switch_page(PAGE)
    at.run()  # signs in; imports and first run (untimed)
    if at.exception:
        raise RuntimeError(f"page failed: {at.exception}")

    def cold():
        st.cache_data.clear()
        at.switch_page(PAGE).run()
        assert not at.exception, at.exception
        return {m.label: m.value for m in at.metric}

    def warm():
        at.switch_page(PAGE).run()
        assert not at.exception, at.exception
        return {m.label: m.value for m in at.metric}

    cold_times, tiles = _time(cold)
    warm_times, _ = _time(warm, "warm")
    return {"times": cold_times, "warm_times": warm_times, "tiles": tiles, "warm_cpu": CPU["warm"]}


def measure_pandas(url: str) -> dict:
    times, kpis = _time(lambda: naive_figures(url, dt.date.today()))
    return {"times": times, "kpis": kpis}


def naive_figures(url: str, today: dt.date) -> dict:
    """The same figures the naive way: read whole tables into pandas, then filter and count."""
    import pandas as pd

    from core.db import get_engine
    from core.policy.deadlines import add_months

    start_day = add_months(today, -12) + dt.timedelta(days=1)
    prev_start = pd.Timestamp(start_day - (today - start_day + dt.timedelta(days=1)))
    start, soon, today = (
        pd.Timestamp(start_day),
        pd.Timestamp(today + dt.timedelta(days=30)),
        pd.Timestamp(today),
    )
    engine = get_engine(url)
    with engine.connect() as c:
        read = lambda table: pd.read_sql_table(table, c)  # noqa: E731
        incidents, behaviours, cases = read("incident"), read("incident_behaviour"), read("case_file")
        events, actions, spoc, pvp = (
            read("stage_event"),
            read("formal_action"),
            read("spoc_entry"),
            read("pvp_entry"),
        )
        appeals, users, customers = read("appeal"), read("app_user"), read("customer")
        referrals, areas = read("service_referral"), read("service_area")
    day = incidents["occurred_at"].dt.normalize()
    current = incidents[(day >= start) & (day <= today)]
    previous = incidents[(day >= prev_start) & (day < start)]
    by_month = current.groupby(
        [current["occurred_at"].dt.strftime("%Y-%m"), "category", "service_area_id"]
    ).size()
    by_behaviour = (
        behaviours.merge(current[["id", "service_area_id"]], left_on="incident_id", right_on="id")
        .groupby(["behaviour", "service_area_id"])
        .size()
    )
    open_cases = cases[cases["stage"] != "closed"]
    by_stage = open_cases.groupby(["stage", "service_area_id"]).size()
    moves = (
        events[(events["decided_on"] >= start) & (events["decided_on"] <= today)]
        .merge(cases[["id", "service_area_id"]], left_on="case_id", right_on="id")
        .groupby(["from_stage", "to_stage", "service_area_id"])
        .size()
    )
    overdue = {
        "Warning": int(((cases["stage"] == "warning") & (cases["warning_review_due"] < today)).sum()),
        "Formal action": int(((actions["status"] == "active") & (actions["review_due"] < today)).sum()),
        "SPOC": int(((spoc["status"] == "active") & (spoc["review_due"] < today)).sum()),
        "PVP": int(((pvp["status"] == "active") & (pvp["review_due"] < today)).sum()),
    }
    received = appeals[(appeals["received_on"] >= start) & (appeals["received_on"] <= today)].merge(
        users[["id", "name"]], left_on="decision_maker_id", right_on="id"
    )
    late = received["decided_on"].notna() & (received["decided_on"] > received["due_on"])
    appeals_by_maker = (
        received.assign(late=late).groupby("name").agg(received=("late", "size"), late=("late", "sum"))
    )
    del by_month, by_behaviour, by_stage, moves, appeals_by_maker, customers, areas
    return {
        "incidents": len(current),
        "incidents_previous": len(previous),
        "open_cases": len(open_cases),
        "reviews_overdue": sum(overdue.values()),
        "appeals_overdue": int((appeals["decided_on"].isna() & (appeals["due_on"] < today)).sum()),
        "spoc_due_for_review": int(((spoc["status"] == "active") & (spoc["review_due"] <= soon)).sum()),
        "referrals_open": int(referrals["resolved_at"].isna().sum()),
    }


def child(size: float, method: str) -> None:
    url = f"sqlite:///{db_path(size)}"
    result = {"page": measure_page, "sql": measure_sql, "pandas": measure_pandas}[method](url)
    result["cpu"] = CPU["main"]
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result, default=str))


# ---------------------------------------------------------------- orchestration


def run(size: float, method: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.monitoring", "--child", f"{size:g}", method],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONWARNINGS": "ignore"},
    )
    line = next((text for text in out.stdout.splitlines() if text.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"{method} at size {size:g} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    return json.loads(line[len("RESULT ") :])


def counts(size: float) -> dict:
    import sqlite3

    with sqlite3.connect(db_path(size)) as c:
        return {
            t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in (
                "incident",
                "incident_behaviour",
                "customer",
                "case_file",
                "stage_event",
                "formal_action",
                "appeal",
                "spoc_entry",
                "pvp_entry",
                "incident_daily",
            )
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=float, nargs="*", default=list(SIZES))
    parser.add_argument("--child", nargs=2, metavar=("SIZE", "METHOD"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-report", action="store_true", help="print results, do not write docs/performance.md"
    )
    args = parser.parse_args(argv)
    if args.child:
        child(float(args.child[0]), args.child[1])
        return 0
    rows = []
    for size in args.sizes:
        ensure_db(size)
        n = counts(size)
        results = {m: run(size, m) for m in ("sql", "page", "pandas")}
        sql_k, pandas_k = results["sql"]["kpis"], results["pandas"]["kpis"]
        mismatches = {k: (sql_k[k], v) for k, v in pandas_k.items() if sql_k.get(k) != v}
        row = {
            "size": size,
            "counts": n,
            "db_mb": db_path(size).stat().st_size / 2**20,
            "sql": statistics.median(results["sql"]["times"]),
            "page": statistics.median(results["page"]["times"]),
            "page_warm": statistics.median(results["page"]["warm_times"]),
            "pandas": statistics.median(results["pandas"]["times"]),
            "cpu": {m: statistics.median(results[m]["cpu"]) for m in results},
            "load": os.getloadavg()[0],
            "mem": {m: results[m]["peak_rss_mb"] for m in results},
            "incidents_in_period": sql_k["incidents"],
            "mismatches": mismatches,
            "tile_incidents": results["page"]["tiles"].get("Incidents in the period"),
        }
        rows.append(row)
        print(json.dumps(row, default=str), flush=True)
    (RESULTS / "monitoring.json").write_text(json.dumps(rows, indent=1, default=str))
    if not args.no_report:
        write_report(rows)
    return 0


def write_report(rows: list[dict]) -> None:
    lines = [
        "# Performance: the monitoring page",
        "",
        f"Measured by `bench/monitoring.py` on {dt.date.today():%d %B %Y} "
        f"({platform.machine()}, {os.cpu_count()} CPU cores shared with other work, Python "
        f"{platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}). "
        "Re-run: `.venv/bin/python -m bench.monitoring` (the generated databases are cached in "
        "`bench/results/`, git-ignored; the 1,000,000-incident one takes several minutes to generate).",
        "",
        "Each measurement runs in its own process; times are the median of 3 runs after one warm-up run.",
        "",
        "- **page (cold)**: AppTest full script run of `app.py` + `pages/monitoring.py` signed in as "
        "`teamleader`, with `st.cache_data` cleared first: every SQL aggregate runs and all 10 Altair "
        "charts and 10 tiles are built. **page (warm)**: the same run with the figures cached.",
        "- **bare SQL**: `core.services.monitoring.dashboard()`: the aggregate queries the page needs "
        "(period figures summed from the `incident_daily` summary table, which database triggers keep exact; "
        "as-of-today figures by GROUP BY / COUNT over composite indexes; migration 0003).",
        "- **naive pandas**: the tables the figures need read whole with `pandas.read_sql_table`, then the "
        "same figures computed in pandas (its headline figures are checked against the SQL ones).",
        "- **peak memory**: `ru_maxrss` of the measuring process (includes the interpreter and imports: "
        "Streamlit, Altair and pandas for the page).",
        "",
        "- **CPU**: process CPU time of the same runs (all threads), shown because the machine's 2 cores "
        "were shared with other engineers' tests and benchmarks while this ran (1-minute load average "
        "in the last column), which inflates wall-clock times.",
        "",
        "| incidents | customers | DB size | incidents in last 12 months | page cold | page warm | bare SQL "
        "| naive pandas | page / SQL | pandas / SQL | CPU page / SQL / pandas "
        "| peak memory page / SQL / pandas | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    for r in rows:
        m = r["mem"]
        lines.append(
            f"| {r['counts']['incident']:,} | {r['counts']['customer']:,} | {r['db_mb']:,.0f} MB | "
            f"{r['incidents_in_period']:,} | {r['page']:.3f} s | {r['page_warm']:.3f} s | {r['sql']:.3f} s | "
            f"{r['pandas']:.2f} s | {r['page'] / r['sql']:.1f}x | {r['pandas'] / r['sql']:.0f}x | "
            f"{r['cpu']['page']:.2f} / {r['cpu']['sql']:.2f} / {r['cpu']['pandas']:.1f} s | "
            f"{m['page']:,.0f} / {m['sql']:,.0f} / {m['pandas']:,.0f} MB | {r['load']:.1f} |"
        )
    lines += [
        "",
        "Rows in the `incident_daily` summary: "
        + ", ".join(
            f"{r['counts'].get('incident_daily', 0):,} for {r['counts']['incident']:,} incidents"
            for r in rows
        )
        + ".",
    ]
    lines += [
        "",
        "Figures checked: naive pandas and SQL headline figures "
        + (
            "agree at every size."
            if not any(r["mismatches"] for r in rows)
            else "DIFFER: "
            + "; ".join(f"size {r['size']:g}: {r['mismatches']}" for r in rows if r["mismatches"])
        ),
    ]
    REPORT.parent.mkdir(exist_ok=True)
    analysis = ""
    if REPORT.exists() and ANALYSIS_MARKER.strip() in REPORT.read_text():
        analysis = REPORT.read_text().split(ANALYSIS_MARKER.strip(), 1)[1]
    REPORT.write_text("\n".join(lines) + "\n" + ANALYSIS_MARKER + (analysis or "\n"))
    print(f"wrote {REPORT}")


ANALYSIS_MARKER = "\n<!-- analysis below is written by hand after looking at the numbers -->"


if __name__ == "__main__":
    sys.exit(main())
