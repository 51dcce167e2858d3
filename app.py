"""Fair Treatment: sign-in and navigation. Each role sees only the pages its permissions allow."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from core import auth, config
from core.db import UnitOfWork, hold_app_lock
from core.errors import ConfigError, PolicyError
from core.logging_config import configure_logging
from ui.alerts import md_escape
from ui.errors import run_page_safely
from ui.navigation import PAGES, pages_for
from ui.session import CHECKED, end_session
from ui.work_badge import nav_title

configure_logging()
st.set_page_config(page_title="Fair Treatment", page_icon=":material/balance:", layout="wide")
log = logging.getLogger("fair_treatment.app")
# The sign-in cookie is renewed at most this often while the user is active; it lasts the
# idle limit from the last renewal.
COOKIE_RENEW_SECONDS = 60
DEMO_NOTICE = "Demo data: do not enter real information."


def _lifetime() -> dt.timedelta:
    return dt.timedelta(minutes=config.session_idle_minutes())


def write_cookie(token: str | None) -> None:
    """Set (or, with None, delete) the sign-in cookie in the browser. The token is a JWT
    (base64url and dots only), so it is safe inside the script."""
    if token is None:
        value, age = "", 0
    else:
        value, age = token, int(_lifetime().total_seconds())
    st.html(
        f"""<script>document.cookie = "{auth.COOKIE_NAME}={value}; path=/; max-age={age}; SameSite=Strict"
                + (location.protocol === "https:" ? "; Secure" : "");</script>""",
        unsafe_allow_javascript=True,
        width="content",
    )


def start_session(actor) -> None:
    st.session_state.update(
        actor=actor,
        authentication_status=True,
        username=actor.username,
        name=actor.name,
        last_seen=time.time(),
        cookie_checked=True,
    )
    st.session_state.pop("cookie_written_at", None)  # write a cookie on the next run


def sign_out(message: str = "") -> None:
    end_session(message)


def _first_actor(username: str):
    """The session was marked signed in without an Actor yet (the page tests' helper does
    this): load the user, refusing a locked or disabled account."""
    if auth.is_locked_out(username, UnitOfWork()):
        sign_out(auth.LOCKED)
        return None
    actor = auth.load_actor(username, UnitOfWork())
    if actor is None:
        sign_out(auth.DISABLED)
        return None
    auth.record_login_attempt(username, True, UnitOfWork())
    st.session_state["actor"] = actor
    return actor


def signed_in_actor():
    """The Actor for this session, or None. Every run re-checks the user in the database: a
    disabled account, a password reset or a sign-out elsewhere (a new session generation)
    ends the session here; so does the idle limit."""
    actor = st.session_state.get("actor")
    username = st.session_state.get("username")
    if actor is None or actor.username != username:
        if not st.session_state.get("authentication_status") or not username:
            return None
        actor = _first_actor(username)
        if actor is None:
            return None
    idle = time.time() - st.session_state.get("last_seen", time.time())
    if idle > config.session_idle_minutes() * 60:
        sign_out("Your session expired after a period of inactivity. Please sign in again.")
        return None
    problem = auth.session_problem(actor, UnitOfWork())
    if problem:
        sign_out(problem)
        return None
    st.session_state["last_seen"] = time.time()
    st.session_state[CHECKED] = True  # the page's ui.session.actor() need not re-check
    return actor


def sign_in_from_cookie() -> None:
    """A refresh or a new tab signs in from a valid sign-in cookie (checked once per browser
    session: its user active and not locked, its session generation current). A tampered,
    unsigned or expired cookie is ignored; a revoked one says why."""
    if st.session_state.get("cookie_checked"):
        return
    st.session_state["cookie_checked"] = True
    try:
        token = st.context.cookies.get(auth.COOKIE_NAME)
    except Exception:  # no browser request (e.g. a test harness)
        token = None
    if not token or not isinstance(token, str):
        return
    actor, message = auth.actor_from_cookie(token, auth.cookie_key(UnitOfWork()), UnitOfWork)
    if actor is not None:
        start_session(actor)
        return
    st.session_state["delete_cookie"] = True
    if message:
        st.session_state["sign_out_message"] = message


def keep_cookie_fresh(actor) -> None:
    """Renew the sign-in cookie while the user is active, so it lasts the idle limit from the
    latest action (not from signing in)."""
    if time.time() - st.session_state.get("cookie_written_at", 0) > COOKIE_RENEW_SECONDS:
        st.session_state["cookie_token"] = auth.issue_cookie(
            actor, auth.cookie_key(UnitOfWork()), _lifetime()
        )
        st.session_state["cookie_written_at"] = time.time()
    with st.sidebar:
        write_cookie(st.session_state["cookie_token"])


def sign_in_form() -> None:
    """The sign-in form: one attempt per submit, counted in the database before the password
    is checked (see core.auth.attempt_sign_in)."""
    st.title("Fair Treatment")
    st.caption("Northampton Partnership Homes: Unacceptable Behaviour Policy case management")
    if st.session_state.get("demo_accounts"):
        st.warning(DEMO_NOTICE, icon=":material/science:")
    with st.form("login"):
        username = st.text_input("Username")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Login")
    if not submitted:
        return
    result = auth.attempt_sign_in(username, password, UnitOfWork)
    if result.actor is None:
        st.session_state["authentication_status"] = False
        st.error(result.message)
        return
    start_session(result.actor)
    st.rerun()


def change_password_page() -> None:
    """After signing in with a one-time password: choose a new one before anything else."""
    actor = st.session_state["actor"]
    from core.services.users import change_own_password

    st.title("Choose a new password")
    st.info(
        "You signed in with a one-time password. Choose your own password (12 or more "
        "characters; a few unrelated words work well) to continue."
    )
    with st.form("change_password"):
        current = st.text_input("One-time password", type="password")
        new = st.text_input("New password", type="password")
        if st.form_submit_button("Change password"):
            try:
                change_own_password(actor, current, new, UnitOfWork())
            except PolicyError as refusal:
                st.error(str(refusal))
                return
            start_session(auth.load_actor(actor.username, UnitOfWork()))
            st.rerun()


def logout_page() -> None:
    if st.session_state.get("actor") is not None:
        auth.record_logout(st.session_state["actor"], UnitOfWork())  # ends every tab and cookie
    sign_out("You have signed out.")
    st.rerun()


def navigation(actor) -> dict[str, list]:
    """The role's pages, each at its own address (/customers, /users ...), and a hidden home
    page at the root that opens the role's first page."""
    allowed = pages_for(actor)

    def home() -> None:
        if allowed:
            st.switch_page(allowed[0].path)
        st.info("Your role has no pages yet: ask an administrator.")

    sections: dict[str, list] = {
        "": [st.Page(home, title="Home", url_path="start", default=True, visibility="hidden")]
    }
    for page in allowed:
        sections.setdefault(page.section, []).append(
            st.Page(page.path, title=nav_title(page, actor), icon=page.icon)
        )
    sections.setdefault("Account", []).append(
        st.Page(logout_page, title="Sign out", icon=":material/logout:", url_path="logout")
    )
    return sections


def signed_out_router() -> list:
    """While signed out every page address shows the sign-in form, so a link opened before
    signing in (or in a new tab) leads to its page once the user has signed in."""

    def page_for(title: str, url_path: str | None = None):
        def signed_out_page() -> None:
            if st.session_state.pop("delete_cookie", False):
                write_cookie(None)
            if message := st.session_state.pop("sign_out_message", None):
                st.info(message)
            sign_in_form()

        return st.Page(signed_out_page, title=title, url_path=url_path, default=url_path is None)

    return [page_for("Sign in")] + [page_for(p.title, Path(p.path).stem) for p in PAGES]


def refuse_demo_in_production() -> bool:
    demo = auth.demo_accounts_present(UnitOfWork())
    st.session_state["demo_accounts"] = demo
    if demo and config.production():
        st.error(
            "Fair Treatment will not start: FT_PRODUCTION=1 is set but demo accounts with the "
            "published password exist. Set up a production database with "
            "`python -m db.setup --no-demo --admin EMAIL`."
        )
        return True
    return False


def main() -> None:
    try:
        hold_app_lock()  # `make restore` refuses while this app runs
        actor = signed_in_actor()
        if actor is None:
            auth.cookie_key(UnitOfWork())  # an example or short FT_COOKIE_KEY stops here
            if refuse_demo_in_production():
                return
            sign_in_from_cookie()
            actor = signed_in_actor()
        elif config.production() and refuse_demo_in_production():
            return
        if actor is None:
            st.navigation(signed_out_router(), position="hidden").run()
            return
        keep_cookie_fresh(actor)
    except ConfigError as problem:
        st.error(f"Fair Treatment cannot start: {problem}")
        return
    except SQLAlchemyError as problem:
        log.error("database unreachable: %s", problem.__class__.__name__)
        st.error(
            f"Fair Treatment cannot reach its database ({problem.__class__.__name__}). "
            "Check DATABASE_URL and run `make run` to create or migrate it."
        )
        return
    if actor.must_change_password:
        st.navigation(
            [st.Page(change_password_page, title="Choose a new password", default=True)], position="hidden"
        ).run()
        return
    st.sidebar.markdown(f"**{md_escape(actor.name)}**  \n{actor.role.label}")
    router = st.navigation(navigation(actor), expanded=True)  # every page listed: no "View more"
    wanted = st.session_state.pop("wanted_page", None)  # a page asked for before signing in
    if wanted and wanted[0] in {page.path for page in pages_for(actor)}:
        st.switch_page(wanted[0], query_params=wanted[1])
    router.run()


run_page_safely(main)  # an unexpected error: logged with a reference, shown calmly
