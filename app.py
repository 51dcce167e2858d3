"""Fair Treatment: sign-in and navigation. Each role sees only the pages its permissions allow."""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Optional

import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy.exc import SQLAlchemyError

from core import auth, config
from core.db import UnitOfWork
from core.errors import ConfigError
from core.logging_config import configure_logging
from ui.errors import run_page_safely
from ui.navigation import PAGES, pages_for
from ui.work_badge import nav_title

configure_logging()
st.set_page_config(page_title="Fair Treatment", page_icon=":material/balance:", layout="wide")
# The sign-in cookie is written (and deleted) by a browser component; rerunning at once would
# remove the component before the browser runs it, so a page refresh would sign the user out
# (or, after signing out, back in). A short pause lets it run.
COOKIE_WRITE_SECONDS = 0.6



def make_authenticator(credentials: dict) -> stauth.Authenticate:
    return stauth.Authenticate(
        credentials, auth.COOKIE_NAME, auth.cookie_key(UnitOfWork()),
        cookie_expiry_days=config.session_idle_minutes() / (24 * 60), login_sleep_time=0)


class SignIn:
    """The sign-in machinery for one signed-out run: credentials from the database, with
    locked-out users' entries carrying a hash no password matches (lock-out is read from the
    database, so it holds in every browser; each refused attempt is audited)."""

    def __init__(self) -> None:
        self.locked = auth.locked_usernames(UnitOfWork())
        self.credentials = auth.authenticator_credentials(UnitOfWork(), locked=self.locked)
        self.authenticator = make_authenticator(self.credentials)

    def from_cookie(self) -> None:
        """A refresh or a new tab signs in silently from a valid sign-in cookie, unless the
        user has signed out since it was issued."""
        token = self.authenticator.cookie_controller.get_cookie()
        if not token:
            return
        if auth.cookie_revoked(token["username"], token["exp_date"],
                               dt.timedelta(minutes=config.session_idle_minutes()), UnitOfWork()):
            st.session_state["logout"] = True   # signed out since this cookie was issued: ignore it
            return
        self.authenticator.login(location="unrendered")


def sign_in(machinery: SignIn) -> None:
    """Show the login form; record every attempt; refuse locked-out usernames."""
    locked, credentials, authenticator = machinery.locked, machinery.credentials, machinery.authenticator
    st.title("Fair Treatment")
    st.caption("Northampton Partnership Homes: Unacceptable Behaviour Policy case management")
    try:
        authenticator.login(location="main", key="login")
    except Exception as problem:  # the widget raises LoginError for its own refusals
        st.error(str(problem))
    failed = [u for u, v in credentials["usernames"].items() if v.get("failed_login_attempts")]
    for username in failed:
        if username in locked:
            auth.record_refused_login(username, UnitOfWork())
        else:
            auth.record_login_attempt(username, False, UnitOfWork())
    if st.session_state.get("authentication_status") is False:
        st.error("Username or password is incorrect, or the account is locked. "
                 "After 5 failed attempts an account is locked for 15 minutes.")


def signed_in_actor():
    """The Actor for this session, or None. Disabled, locked or idle sessions are signed out."""
    username = st.session_state.get("username")
    if not st.session_state.get("authentication_status") or not username:
        return None
    idle = time.time() - st.session_state.get("last_seen", time.time())
    if idle > config.session_idle_minutes() * 60:
        sign_out("Your session expired after a period of inactivity. Please sign in again.")
        return None
    if "actor" not in st.session_state or st.session_state["actor"].username != username:
        if auth.is_locked_out(username, UnitOfWork()):
            sign_out("This account is locked after repeated failed sign-ins. Try again in 15 minutes.")
            return None
        actor = auth.load_actor(username, UnitOfWork())
        if actor is None:
            sign_out("This account is disabled. Ask an administrator.")
            return None
        auth.record_login_attempt(username, True, UnitOfWork())
        st.session_state["actor"] = actor
    st.session_state["last_seen"] = time.time()
    return st.session_state["actor"]


def sign_out(message: str = "") -> None:
    for key in ("actor", "authentication_status", "username", "name", "roles", "last_seen"):
        st.session_state.pop(key, None)
    st.session_state["logout"] = True
    if message:
        st.session_state["sign_out_message"] = message


def logout_page() -> None:
    if st.session_state.get("actor") is not None:
        auth.record_logout(st.session_state["actor"], UnitOfWork())
    make_authenticator(auth.authenticator_credentials(UnitOfWork())).logout(location="unrendered")
    sign_out("You have signed out.")
    time.sleep(COOKIE_WRITE_SECONDS)  # let the browser delete the sign-in cookie first
    st.rerun()


def navigation(actor) -> dict[str, list]:
    sections: dict[str, list] = {}
    for page in pages_for(actor):
        sections.setdefault(page.section, []).append(st.Page(page.path, title=nav_title(page, actor), icon=page.icon))
    sections.setdefault("Account", []).append(
        st.Page(logout_page, title="Sign out", icon=":material/logout:", url_path="logout"))
    return sections


def signed_out_router(machinery: SignIn) -> list:
    """While signed out every page address shows the sign-in form, so a link opened before
    signing in (or in a new tab) leads to its page once the user has signed in."""
    def page_for(title: str, url_path: Optional[str] = None):
        def signed_out_page() -> None:
            if message := st.session_state.pop("sign_out_message", None):
                st.info(message)
            sign_in(machinery)
            if st.session_state.get("authentication_status"):
                time.sleep(COOKIE_WRITE_SECONDS)  # let the browser store the sign-in cookie first
                st.rerun()
        return st.Page(signed_out_page, title=title, url_path=url_path, default=url_path is None)
    return [page_for("Sign in")] + [page_for(p.title, Path(p.path).stem) for p in PAGES]


def main() -> None:
    try:
        actor = signed_in_actor()
        if actor is None:
            machinery = SignIn()
            machinery.from_cookie()
            actor = signed_in_actor()
        if actor is None:
            st.navigation(signed_out_router(machinery), position="hidden").run()
            return
    except ConfigError as problem:
        st.error(f"Fair Treatment cannot start: {problem}")
        return
    except SQLAlchemyError as problem:
        st.error(f"Fair Treatment cannot reach its database ({problem.__class__.__name__}). "
                 "Check DATABASE_URL and run `make run` to create or migrate it.")
        return
    st.sidebar.markdown(f"**{actor.name}**  \n{actor.role.label}")
    router = st.navigation(navigation(actor))
    wanted = st.session_state.pop("wanted_page", None)   # a page asked for before signing in
    if wanted and wanted[0] in {page.path for page in pages_for(actor)}:
        st.switch_page(wanted[0], query_params=wanted[1])
    router.run()


run_page_safely(main)  # an unexpected error: logged with a reference, shown calmly
