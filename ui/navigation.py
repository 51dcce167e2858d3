"""Which pages each role is offered: one table, filtered by the permissions in core."""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path
from typing import NamedTuple

from core.permissions import Actor
from core.permissions import Permission as P

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)

# Warm-up (issue 18): pandas and Altair take about 1.2 s of CPU to import, which the first
# Monitoring or list page after a server start used to wait for (Monitoring's first visit: 4-6 s
# at 1,000,000 incidents). This module is imported once per server process, by the first script
# run (the sign-in form), so the import starts then, in the background, while the user signs in.
# Nothing else: no data is read here.
WARM_UP_MODULES = ("pandas", "altair", "core.charts")


def _warm_up() -> None:
    for name in WARM_UP_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # a page importing it later reports the real error
            log.debug("warm-up import of %s failed", name, exc_info=True)


threading.Thread(target=_warm_up, name="warm-up-imports", daemon=True).start()


class PageSpec(NamedTuple):
    section: str
    path: str
    title: str
    icon: str
    permission: P


HOME_PAGE = "pages/home.py"  # issue 15: every role's first screen (first in the list: the default page)
PAGES = [
    PageSpec(*row)
    for row in [
        ("My work", HOME_PAGE, "My work", ":material/home:", P.VIEW_MY_WORK),
        ("Cases", "pages/customers.py", "Customers", ":material/person_search:", P.VIEW_CASES),
        ("Cases", "pages/incident.py", "Log an incident", ":material/edit_note:", P.RECORD_INCIDENTS),
        ("Cases", "pages/timeline.py", "Case timeline", ":material/timeline:", P.VIEW_CASES),
        ("Cases", "pages/contacts.py", "Contacts and notes", ":material/call_log:", P.RECORD_INCIDENTS),
        ("Cases", "pages/case_actions.py", "Case actions", ":material/rule:", P.RUN_CASES),
        ("Cases", "pages/compliance.py", "Compliance", ":material/fact_check:", P.RUN_CASES),
        ("Cases", "pages/appeals.py", "Appeals", ":material/gavel:", P.RECORD_APPEALS),
        ("Cases", "pages/letters.py", "Letters", ":material/mail:", P.DRAFT_LETTERS),
        ("Cases", "pages/case_owner.py", "Case owner", ":material/supervisor_account:", P.CHANGE_CASE_OWNER),
        (
            "Registers",
            "pages/spoc_register.py",
            "SPOC register",
            ":material/contact_phone:",
            P.VIEW_REGISTERS,
        ),
        ("Registers", "pages/pvp_register.py", "PVP register", ":material/flag:", P.VIEW_REGISTERS),
        (
            "Registers",
            "pages/spoc_officer.py",
            "SPOC officer",
            ":material/swap_horiz:",
            P.MANAGE_SPOC_REGISTER,
        ),
        (
            "Registers",
            "pages/arrangements.py",
            "Contact arrangements",
            ":material/badge:",
            P.VIEW_ARRANGEMENTS,
        ),
        (
            "Registers",
            "pages/visit_planning.py",
            "Visit planning",
            ":material/home_pin:",
            P.VIEW_ARRANGEMENTS,
        ),
        ("Monitoring", "pages/monitoring.py", "Monitoring", ":material/monitoring:", P.VIEW_MONITORING),
        (
            "Data protection",
            "pages/data_requests.py",
            "Data requests",
            ":material/folder_shared:",
            P.HANDLE_DATA_REQUESTS,
        ),
        ("Data protection", "pages/audit_log.py", "Audit log", ":material/history:", P.VIEW_AUDIT),
        ("Administration", "pages/users.py", "Users", ":material/manage_accounts:", P.MANAGE_USERS),
        ("Administration", "pages/outbox.py", "Outbox", ":material/outbox:", P.READ_OUTBOX),
    ]
]


def page_for_file(filename: str) -> PageSpec | None:
    """The page whose script is `filename`, or None (e.g. a helper module)."""
    path = Path(filename).resolve()
    return next((p for p in PAGES if (ROOT / p.path).resolve() == path), None)


def pages_for(actor: Actor) -> list[PageSpec]:
    return [page for page in PAGES if actor.can(page.permission)]
