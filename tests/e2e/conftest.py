"""End-to-end fixtures: the real app on a free loopback port with a fresh SQLite database, driven
by Playwright through Debian's Chromium (Playwright's own browser download is not used).

Without Chromium these tests skip with a reason, except under CI=true where they fail.
Screenshots of the key screens go to test-artefacts/e2e/ (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts" / "e2e"
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "fairtreatment-demo"
STARTUP_SECONDS = 90
HOSTILE_FIRST = '<img src=x onerror="window.__pwned=1">'
HOSTILE_LAST = "[Smith](javascript:window.__pwned=2) <script>window.__pwned=3</script>"
HOSTILE_DESCRIPTION = (
    'She wrote <b onmouseover="window.__pwned=4">hi</b> and '
    "![x](javascript:window.__pwned=5) {{ 7*7 }} {% raw %}"
)


# Sized for a shared 2-core machine: every wait ends as soon as the app is ready, so a long
# timeout costs nothing when things are fast and saves a flaky failure when they are not.
WAIT_MS = 30_000
IDLE_FRAMES = 3
# Streamlit marks its root element with the script's run state and the connection state
# (`data-test-script-state`: running, rerunRequested, notRunning...). Idle means: connected, no
# script running or requested, no status widget, skeleton or spinner, for a few frames in a row
# (a click's rerun request reaches the frontend's state within a frame).
_IDLE_JS = """(frames) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const idle = !!app
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && ['notRunning', 'initial', 'compilationError'].includes(app.getAttribute('data-test-script-state'))
        && !document.querySelector(
            '[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-testid="stSpinner"]');
    window.__ftIdleFrames = idle ? (window.__ftIdleFrames || 0) + 1 : 0;
    return window.__ftIdleFrames >= frames;
}"""


def wait_until_idle(page, timeout_ms: int = WAIT_MS) -> None:
    """Wait until Streamlit has finished the current rerun and drawn its result."""
    page.evaluate("() => { window.__ftIdleFrames = 0; }")
    page.wait_for_function(_IDLE_JS, arg=IDLE_FRAMES, polling="raf", timeout=timeout_ms)


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("FT_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        "/usr/bin/chromium",
    ):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}: end-to-end tests cannot be skipped under CI=true")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(url: str) -> dict:
    """The records the scenarios start from, added through the services before the app starts:
    a customer with no case yet, and a formal-stage case with a SPOC request for the DMO."""
    from core.db import UnitOfWork, dispose_engines
    from core.services import registers
    from tests.scenarios import a_customer, demo_actors
    from tests.services.case_scenarios import a_case_at_formal_stage

    actors = demo_actors(url)
    fresh = a_customer(url, actors["teamleader"], ref="NPH777001", first="Eleanor", last="Testwood")
    spoc_case = a_case_at_formal_stage(
        url, actors, ref="NPH777002", customer={"first": "Marek", "last": "Seedwell"}
    )
    with UnitOfWork(url) as uow:
        from sqlalchemy import select

        from core.models import Incident

        evidence = uow.session.scalars(select(Incident.id).where(Incident.case_id == spoc_case)).all()
    hostile = a_customer(url, actors["teamleader"], ref="NPH777003", first=HOSTILE_FIRST, last=HOSTILE_LAST)
    from tests.scenarios import an_incident

    an_incident(url, actors["teamleader"], hostile, description=HOSTILE_DESCRIPTION)
    reason = "Calls to six teams a week continue after the formal stage: one named contact is needed."
    request_id = registers.request_spoc(
        actors["teamleader"], spoc_case, reason, list(evidence), UnitOfWork(url)
    )
    dispose_engines()
    return {
        "fresh_customer": fresh,
        "spoc_case": spoc_case,
        "spoc_request": request_id,
        "spoc_reason": reason,
    }


@pytest.fixture(scope="session")
def chromium():
    path = chromium_path()
    if not path:
        _unavailable("Chromium is not installed (apt-get install chromium; .ci/run does this)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def app(tmp_path_factory, chromium):
    """Start `streamlit run app.py` on a free port with a fresh demo database; stop it after."""
    folder = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{folder / 'e2e.db'}"
    env = dict(
        os.environ,
        DATABASE_URL=url,
        FT_BCRYPT_ROUNDS="4",
        FT_DATA_DIR=str(folder / "data"),
        FT_SESSION_IDLE_MINUTES="30",
        PYTHONUNBUFFERED="1",
    )
    env.pop("FT_COOKIE_KEY", None)
    setup = subprocess.run(
        [sys.executable, "-m", "db.setup", "--demo", "--size", "0.05"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert setup.returncode == 0, setup.stderr
    os.environ["FT_BCRYPT_ROUNDS"] = "4"
    seeded = _seed(url)
    port = _free_port()
    with open(folder / "streamlit.log", "w") as log:
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
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                    if answer.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"The app did not start: {(folder / 'streamlit.log').read_text()[-3000:]}")
            time.sleep(0.3)
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        yield {"base": base, "url": url, "folder": folder, **seeded}
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def browser_context(chromium, request):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(WAIT_MS)
    yield context
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:  # keep what the screen showed
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        for n, page in enumerate(context.pages):
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTEFACTS / f"FAILED-{request.node.name}-{n}.png"), full_page=True)
    context.close()
