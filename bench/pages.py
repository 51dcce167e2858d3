"""Browser benchmark (issue 18, item 6): every page as a user waits for it.

Starts the real server (`streamlit run app.py` on a free loopback port) on a generated demo
database (or the DATABASE_URL given), signs in through the form with Playwright and Chromium,
and times each page per role from the click in the sidebar until the last element is drawn:
Streamlit's script finished (`data-test-script-state`), no status widget, skeleton or spinner,
every Vega chart drawn (a canvas or svg inside `.vega-embed`) and every dataframe drawn. Each
page is opened twice per role: `first` (for the first role to open it, the first visit after the
server started: `cold`) and `again` (warm). Beside each figure: the server's CPU seconds spent
on it and its resident memory, and the load average of the machine. A page that fails or times
out is recorded with its error; the run goes on.

    nice -n 10 .venv/bin/python -m bench.pages --size 1                 # 5,000 incidents, SQLite
    nice -n 10 .venv/bin/python -m bench.pages --size 1 --backend postgresql
    nice -n 10 .venv/bin/python -m bench.pages --database-url sqlite:////tmp/big.db

Writes bench/results/pages-<backend>-<incidents>-<time>.json and .md (git-ignored), prints the table.
PostgreSQL databases are created as ft_bench_<size> through --postgres-admin (a superuser URL).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "fairtreatment-demo"
PG_ADMIN = "postgresql+psycopg://ft_test:ft_test@127.0.0.1:5432/postgres"
# The pages the issue lists, by sidebar title; each role gets those its sidebar offers.
PAGES = [
    "Compliance",
    "SPOC register",
    "PVP register",
    "Monitoring",
    "Customers",
    "Case timeline",
    "Case actions",
    "Letters",
    "Appeals",
    "Data requests",
    "Audit log",
]
ROLES = ["teamleader", "dmo", "hsw", "ad.housing", "admin"]
HOME = "home"  # the page a role lands on after signing in

# Finished: connected, no script running, nothing waiting, charts and tables drawn. Held for
# a few animation frames in a row, so a rerun requested by the click is not missed.
DONE_JS = """(frames) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const shown = el => el.getClientRects().length > 0;   // not inside a closed expander
    const charts = [...document.querySelectorAll('.vega-embed')].filter(shown);
    // a dataframe draws its grid only once scrolled into view: check the ones in the window (a grid
    // whose top edge only just shows, within 100 px of the bottom, is not drawn until scrolled to)
    const tables = [...document.querySelectorAll('[data-testid="stDataFrame"]')]
        .filter(t => shown(t) && t.getBoundingClientRect().top < window.innerHeight - 100);
    const done = !!app
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && ['notRunning', 'initial', 'compilationError'].includes(app.getAttribute('data-test-script-state'))
        && !document.querySelector(
            '[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-testid="stSpinner"]')
        && charts.every(c => c.querySelector('canvas, svg'))
        && tables.every(t => t.querySelector('canvas, table'));
    window.__benchFrames = done && window.__benchRan ? (window.__benchFrames || 0) + 1 : 0;
    return window.__benchFrames >= frames;
}"""


# ---------------------------------------------------------------- database and server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _time_v(stderr: str) -> dict:
    """Elapsed seconds and max RSS (MB) from /usr/bin/time -v."""
    out = {}
    if m := re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", stderr):
        out["elapsed_s"] = round(int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3)), 1)
    if m := re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr):
        out["max_rss_mb"] = round(int(m.group(1)) / 1024)
    return out


def prepare_database(args) -> tuple[str, dict]:
    """The URL to benchmark, and how long generating it took (if it was generated here)."""
    if args.database_url:
        return args.database_url, {}
    label = f"{args.size:g}".replace(".", "_")
    if args.backend == "sqlite":
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"bench-{label}.db"
        url = f"sqlite:///{path}"
        if path.exists() and args.reuse:
            return url, {}
        for leftover in RESULTS.glob(f"bench-{label}.db*"):
            leftover.unlink()
    else:
        from sqlalchemy import create_engine, text

        name = f"ft_bench_{label}"
        url = args.postgres_admin.rsplit("/", 1)[0] + "/" + name
        admin = create_engine(args.postgres_admin, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if exists and args.reuse:
                admin.dispose()
                return url, {}
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    print(f"Generating the demo database (--size {args.size:g}) ...", flush=True)
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-m", "db.setup", "--demo", "--size", str(args.size)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"db.setup failed:\n{done.stderr[-3000:]}")
    return url, {"generate": _time_v(done.stderr) | {"load_average": os.getloadavg()[0]}}


def start_server(url: str, folder: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, FT_DATA_DIR=str(folder / "data"), PYTHONUNBUFFERED="1")
    log = open(folder / "streamlit.log", "w")  # noqa: SIM115 (the server writes to it until it stops)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return proc, base
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"The server did not start: {(folder / 'streamlit.log').read_text()[-3000:]}")


class Server:
    """CPU seconds and memory of the server process, from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime

    def memory_mb(self) -> tuple[int, int]:
        """(current RSS, peak RSS) in MB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        kb = {k: int(v.split()[0]) for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(.*)$", status, re.MULTILINE)}
        return round(kb.get("VmRSS", 0) / 1024), round(kb.get("VmHWM", 0) / 1024)


# ---------------------------------------------------------------- browser

# Before an action: note when the script starts running (a MutationObserver on the root's run
# state sees every change, however short the run), so the wait cannot end before the rerun the
# action asked for has even started.
MARK_JS = """() => {
    window.__benchFrames = 0;
    window.__benchRan = false;
    if (window.__benchObserver) window.__benchObserver.disconnect();
    // the whole document, not the root element: the root can be replaced (first page after sign-in)
    // (and new elements too: a root mounted already running changes no attribute)
    window.__benchObserver = new MutationObserver(() => {
        const app = document.querySelector('[data-testid="stApp"]');
        if (app && ['running', 'rerunRequested'].includes(app.getAttribute('data-test-script-state')))
            window.__benchRan = true;
    });
    window.__benchObserver.observe(document.body, {attributes: true, childList: true, subtree: true});
}"""


# Why a page is not counted as drawn (recorded with a timeout, to tell a slow page from a wait
# that cannot end).
WHY_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const shown = el => el.getClientRects().length > 0;
    const charts = [...document.querySelectorAll('.vega-embed')].filter(shown);
    const tables = [...document.querySelectorAll('[data-testid="stDataFrame"]')]
        .filter(t => shown(t) && t.getBoundingClientRect().top < window.innerHeight - 100);
    return {connection: app && app.getAttribute('data-test-connection-state'),
            script: app && app.getAttribute('data-test-script-state'), ran: !!window.__benchRan,
            busy: [...document.querySelectorAll(
                '[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-testid="stSpinner"]')]
                .map(e => e.getAttribute('data-testid')),
            charts_undrawn: charts.filter(c => !c.querySelector('canvas, svg')).length,
            tables_undrawn: tables.filter(t => !t.querySelector('canvas, table')).length};
}"""


def mark(page) -> None:
    page.evaluate(MARK_JS)


def wait_done(page, timeout_ms: int, after_action: bool = True) -> None:
    """Wait until the page is drawn; with `after_action`, only after the rerun started since mark()."""
    if not after_action:
        page.evaluate("() => { window.__benchFrames = 0; window.__benchRan = true; }")
    page.wait_for_function(DONE_JS, arg=3, polling="raf", timeout=timeout_ms)


def measure(page, server: Server, action, timeout_ms: int) -> dict:
    """Run `action` (a click) and time it until the page is drawn."""
    cpu = server.cpu()
    started = time.perf_counter()
    try:
        mark(page)
        action()
        wait_done(page, timeout_ms)
        error = (
            page.locator('[data-testid="stException"]').first.inner_text(timeout=1000)
            if page.locator('[data-testid="stException"]').count()
            else None
        )
    except Exception as exc:
        error = f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:300]}"
        with contextlib.suppress(Exception):  # the page may be gone
            error += f" state: {json.dumps(page.evaluate(WHY_JS))}"
    seconds = time.perf_counter() - started
    rss, peak = server.memory_mb()
    return {
        "seconds": round(seconds, 2),
        "server_cpu_s": round(server.cpu() - cpu, 2),
        "rss_mb": rss,
        "peak_rss_mb": peak,
        "load_average": round(os.getloadavg()[0], 2),
        **({"error": error[:400]} if error else {}),
    }


def sign_in(page, base: str, username: str, server: Server, timeout_ms: int) -> dict:
    page.goto(base)
    page.get_by_label("Username", exact=True).wait_for(timeout=timeout_ms)
    wait_done(page, timeout_ms, after_action=False)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)

    def click_and_wait() -> None:
        page.get_by_role("button", name="Login").click()
        page.get_by_role("link", name="Sign out").wait_for(timeout=timeout_ms)

    return measure(page, server, click_and_wait, timeout_ms)


def open_page(page, title: str, timeout_ms: int, timeline_ref: str | None):
    """The click that opens `title` from the sidebar (and, for the timeline, the search that
    opens the busiest customer's timeline)."""

    def action() -> None:
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
        page.get_by_role("heading", name=title).first.wait_for(timeout=timeout_ms)
        # the new page's heading is drawn by a run of its script: that run has started
        page.evaluate("() => { window.__benchRan = true; }")
        if title == "Case timeline" and timeline_ref:
            wait_done(page, timeout_ms)
            mark(page)
            box = page.get_by_label(
                "Find a customer: name, housing reference or part of the address", exact=True
            )
            box.fill(timeline_ref)
            box.press("Enter")

    return action


def busiest_customer(url: str) -> tuple[str | None, int]:
    from sqlalchemy import func, select

    from core.db import UnitOfWork
    from core.models import Customer, Incident

    with UnitOfWork(url) as uow:
        row = uow.session.execute(
            select(Customer.housing_ref, func.count(Incident.id))
            .join(Incident, Incident.customer_id == Customer.id)
            .group_by(Customer.id, Customer.housing_ref)
            .order_by(func.count(Incident.id).desc())
            .limit(1)
        ).first()
        counts = uow.session.execute(select(func.count(Incident.id))).scalar()
    return (row[0] if row else None), counts or 0


def run_browser(base: str, server: Server, args, timeline_ref: str | None) -> list[dict]:
    from playwright.sync_api import sync_playwright

    rows: list[dict] = []
    seen: set[str] = set()
    timeout_ms = int(args.page_timeout * 1000)
    with sync_playwright() as p:
        print("Chromium starting ...", flush=True)
        browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
        for role in args.roles:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(timeout_ms)
            page = context.new_page()
            try:
                result = sign_in(page, base, role, server, timeout_ms)
            except Exception as exc:
                result = {
                    "seconds": None,
                    "server_cpu_s": 0.0,
                    "rss_mb": 0,
                    "peak_rss_mb": 0,
                    "load_average": round(os.getloadavg()[0], 2),
                    "error": f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:300]}",
                }
            print(f"  {role:12} sign-in {result['seconds']} s {result.get('error', '')[:80]}", flush=True)
            rows.append(
                {"role": role, "page": "sign-in (to home page)", "visit": "first", "cold": not seen} | result
            )
            seen.add(HOME)
            if "error" in result:
                context.close()
                continue
            offered = [
                t
                for t in args.pages
                if page.get_by_test_id("stSidebarNav").get_by_role("link", name=t, exact=True).count()
            ]
            for visit in ("first", "again"):
                for title in offered:
                    result = measure(
                        page, server, open_page(page, title, timeout_ms, timeline_ref), timeout_ms
                    )
                    rows.append(
                        {
                            "role": role,
                            "page": title,
                            "visit": visit,
                            "cold": visit == "first" and title not in seen,
                        }
                        | result
                    )
                    seen.add(title)
                    print(
                        f"  {role:12} {title:16} {visit:6} {result['seconds']:7.2f} s "
                        f"cpu {result['server_cpu_s']:6.2f} s rss {result['rss_mb']:5d} MB "
                        f"load {result['load_average']:.2f} {result.get('error', '')[:80]}",
                        flush=True,
                    )
            context.close()
        browser.close()
    return rows


# ---------------------------------------------------------------- report


def markdown(meta: dict, rows: list[dict]) -> str:
    lines = [
        f"## {meta['backend']}, {meta['incidents']:,} incidents ({meta['started']} UTC)",
        "",
        (
            f"Server peak RSS {meta['server_peak_rss_mb']} MB; server CPU {meta['server_cpu_s']} s in all. "
            f"Load average (1 min) at start {meta['load_average_start']}, at end {meta['load_average_end']}."
        ),
        "",
    ]
    if gen := meta.get("generate"):
        lines += [
            (
                f"Generating the database: {gen.get('elapsed_s')} s, max RSS {gen.get('max_rss_mb')} MB "
                f"(load {gen.get('load_average', 0):.2f})."
            ),
            "",
        ]
    lines += [
        "| role | page | visit | seconds | server CPU s | server RSS MB | load | error |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        visit = r["visit"] + (" (cold)" if r.get("cold") else "")
        seconds = "-" if r["seconds"] is None else f"{r['seconds']:.2f}"
        lines.append(
            f"| {r['role']} | {r['page']} | {visit} | {seconds} | {r['server_cpu_s']:.2f} | "
            f"{r['rss_mb']} | {r['load_average']:.2f} | {r.get('error', '').replace('|', '/')[:120]} |"
        )
    return "\n".join(lines) + "\n"


def summary(paths: list[str]) -> str:
    """One line per page across result files: the cold visit, the slowest warm visit of any role,
    the server CPU beside each, and the load average (1 min) when it was taken."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    head = (
        "| page | "
        + " | ".join(f"{r['meta']['backend']} {r['meta']['incidents']:,}: cold / warm (max)" for r in runs)
        + " |"
    )
    lines = [head, "|---|" + "---|" * len(runs)]
    pages = dict.fromkeys(r["page"] for run in runs for r in run["rows"])
    for page in pages:
        cells = []
        for run in runs:
            rows = [r for r in run["rows"] if r["page"] == page]
            cold = next((r for r in rows if r.get("cold")), None)
            warm = max(
                (r for r in rows if r["visit"] == "again" and r["seconds"] is not None),
                key=lambda r: r["seconds"],
                default=None,
            )
            errors = sum(1 for r in rows if r.get("error"))

            def cell(r):
                if r is None:
                    return "-"
                if r["seconds"] is None:
                    return "failed"
                return f"{r['seconds']:.2f} s (CPU {r['server_cpu_s']:.2f} s, load {r['load_average']:.1f})"

            cells.append(f"{cell(cold)} / {cell(warm)}" + (f", {errors} error(s)" if errors else ""))
        lines.append(f"| {page} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--size", type=float, default=1.0, help="demo size (1 = 5,000 incidents, 200 = 1,000,000)"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", help="benchmark this database instead of generating one")
    parser.add_argument("--postgres-admin", default=PG_ADMIN)
    parser.add_argument("--reuse", action="store_true", help="reuse a database generated by an earlier run")
    parser.add_argument("--roles", nargs="+", default=ROLES)
    parser.add_argument("--pages", nargs="+", default=PAGES, help="sidebar titles to time (default: all)")
    parser.add_argument(
        "--page-timeout", type=float, default=90, help="seconds before a page counts as failed"
    )
    parser.add_argument("--chromium", default=os.environ.get("FT_CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument(
        "--summarise", nargs="+", metavar="JSON", help="print one table from result files and stop"
    )
    args = parser.parse_args(argv)
    if args.summarise:
        print(summary(args.summarise))
        return 0
    sys.path.insert(0, str(ROOT))

    url, generated = prepare_database(args)
    timeline_ref, incidents = busiest_customer(url)
    from core.db import dispose_engines

    dispose_engines()
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    meta = {
        "backend": backend,
        "incidents": incidents,
        "timeline_customer": timeline_ref,
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "load_average_start": round(os.getloadavg()[0], 2),
        **generated,
    }
    with tempfile.TemporaryDirectory(prefix="ft-bench-") as folder:
        proc, base = start_server(url, Path(folder))
        print(f"Server at {base} (pid {proc.pid}) on {backend}, {incidents:,} incidents", flush=True)
        server = Server(proc.pid)
        try:
            rows = run_browser(base, server, args, timeline_ref)
            meta["server_cpu_s"] = round(server.cpu(), 1)
            meta["server_peak_rss_mb"] = server.memory_mb()[1]
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    meta["load_average_end"] = round(os.getloadavg()[0], 2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"pages-{backend}-{incidents}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    stem.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1, default=str))
    report = markdown(meta, rows)
    stem.with_suffix(".md").write_text(report)
    print(report)
    print(f"Written: {stem}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
