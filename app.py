"""Fair Treatment: sign-in and navigation. Each role sees only the pages its permissions allow."""
from __future__ import annotations

import datetime as dt
import time

import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy.exc import SQLAlchemyError

from core import auth, config
from core.db import UnitOfWork
from core.errors import ConfigError
from ui.navigation import pages_for

st.set_page_config(page_title="Fair Treatment", page_icon=":material/balance:", layout="wide")
# The sign-in cookie is written (and deleted) by a browser component; rerunning at once would
# remove the component before the browser runs it, so a page refresh would sign the user out
# (or, after signing out, back in). A short pause lets it run.
COOKIE_WRITE_SECONDS = 0.6



def make_authenticator(credentials: dict) -> stauth.Authenticate:
    return stauth.Authenticate(
        credentials, auth.COOKIE_NAME, auth.cookie_key(UnitOfWork()),
        cookie_expiry_days=config.session_idle_minutes() / (24 * 60), login_sleep_time=0)


def sign_in() -> None:
    """Show the login form; record every attempt; refuse locked-out usernames.

    Lock-out is read from the database on each run (not from this browser session), so a
    locked account cannot sign in from another browser either, even with the right password:
    its credentials entry carries a hash no password matches, and the attempt is audited."""
    locked = auth.locked_usernames(UnitOfWork())
    credentials = auth.authenticator_credentials(UnitOfWork(), locked=locked)
    authenticator = make_authenticator(credentials)
    st.title("Fair Treatment")
    st.caption("Northampton Partnership Homes: Unacceptable Behaviour Policy case management")
    token = authenticator.cookie_controller.get_cookie()
    if token and auth.cookie_revoked(token["username"], token["exp_date"],
                                     dt.timedelta(minutes=config.session_idle_minutes()), UnitOfWork()):
        st.session_state["logout"] = True   # signed out since this cookie was issued: ignore it
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
        sections.setdefault(page.section, []).append(st.Page(page.path, title=page.title, icon=page.icon))
    sections.setdefault("Account", []).append(
        st.Page(logout_page, title="Sign out", icon=":material/logout:", url_path="logout"))
    return sections


def signed_out_page() -> None:
    if message := st.session_state.pop("sign_out_message", None):
        st.info(message)
    sign_in()
    if st.session_state.get("authentication_status"):
        time.sleep(COOKIE_WRITE_SECONDS)  # let the browser store the sign-in cookie first
        st.rerun()


def main() -> None:
    try:
        actor = signed_in_actor()
        if actor is None:
            # Signed out: the router offers the sign-in page only, so no earlier user's pages
            # stay in the sidebar and no page address leads anywhere else.
            st.navigation([st.Page(signed_out_page, title="Sign in", url_path="sign-in")],
                          position="hidden").run()
            return
    except ConfigError as problem:
        st.error(f"Fair Treatment cannot start: {problem}")
        return
    except SQLAlchemyError as problem:
        st.error(f"Fair Treatment cannot reach its database ({problem.__class__.__name__}). "
                 "Check DATABASE_URL and run `make run` to create or migrate it.")
        return
    st.sidebar.markdown(f"**{actor.name}**  \n{actor.role.label}")
    st.navigation(navigation(actor)).run()


main()
