"""The signed-in actor, a fresh unit of work per action, and showing a refusal as a message."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from streamlit.errors import StreamlitAPIException

from core import auth
from core.db import UnitOfWork
from core.errors import PolicyError
from core.permissions import Actor
from ui.navigation import ROOT, page_for_file

T = TypeVar("T")
SESSION_KEYS = (
    "actor",
    "authentication_status",
    "username",
    "name",
    "roles",
    "last_seen",
    "cookie_token",
    "cookie_written_at",
)
CHECKED = "_session_checked_this_run"


def end_session(message: str = "") -> None:
    """Sign this browser session out (the sign-in form shows `message`); the cookie is deleted
    on the next signed-out run."""
    for key in SESSION_KEYS:
        st.session_state.pop(key, None)
    st.session_state["delete_cookie"] = True
    if message:
        st.session_state["sign_out_message"] = message


def _to_sign_in() -> None:
    with contextlib.suppress(StreamlitAPIException):
        st.switch_page(str(ROOT / "app.py"))


def _still_valid(current: Actor) -> bool:
    """app.py checks the user on every run; a page reached without it (Streamlit's pages/
    folder routing) checks here: disabled, password reset or signed out elsewhere ends it."""
    if st.session_state.pop(CHECKED, False):
        return True
    problem = auth.session_problem(current, UnitOfWork())
    if problem is None:
        return True
    end_session(problem)
    return False


def actor() -> Actor:
    """The Actor app.py put in session state. Called at the top of a page, it also refuses a
    role the page is not for, however the page was reached (the services check again)."""
    current: Actor | None = st.session_state.get("actor")
    if current is None:
        # Only reachable outside app.py's router: Streamlit routes a fresh server process's
        # first request by the pages/ folder. Hand over to app.py, which signs in and then
        # returns to this page.
        wanted = page_for_file(sys._getframe(1).f_code.co_filename)
        if wanted is not None:
            st.session_state["wanted_page"] = (wanted.path, dict(st.query_params))
        _to_sign_in()
        st.error("Please sign in.")
        st.stop()
    if not _still_valid(current):
        _to_sign_in()
        st.error("You have been signed out.")
        st.stop()
    page = page_for_file(sys._getframe(1).f_code.co_filename)
    if page is not None and not current.can(page.permission):
        st.error(f"The {page.title} page is not available to your role ({current.role.label}).")
        st.stop()
    return current


def uow() -> UnitOfWork:
    """A new unit of work for one action; nothing is held across reruns."""
    return UnitOfWork()


def attempt(service: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[bool, T | None]:
    """Call a service: (True, result), or show the PolicyError as a clear message and
    return (False, None). Clears no cache: reads must not, and cached figures are keyed on
    the database's data version (core.services.monitoring.data_version), which every
    audited write moves on, in every server process."""
    try:
        result = service(*args, **kwargs)
    except PolicyError as refusal:
        st.error(str(refusal))
        return False, None
    return True, result


def read(service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a service that reads for the page: its result, or, when the service refuses, the
    PolicyError shown as a message and the page stopped there (nothing below it can be shown
    without the data). Use attempt() for writes, where the page carries on after a refusal."""
    try:
        return service(*args, **kwargs)
    except PolicyError as refusal:
        st.error(str(refusal))
        st.stop()


def try_read(service: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Call a service that reads for one section of a page: its result, or None after showing
    the PolicyError as a message (the rest of the page still shows)."""
    try:
        return service(*args, **kwargs)
    except PolicyError as refusal:
        st.error(str(refusal))
        return None


def data_changed() -> None:
    """Kept for callers after a write: nothing to clear. Cached figures follow the database's
    data version, so the write shows on the next view here and in every other server process;
    clearing st.cache_data would also throw away every other user's figures."""


_MESSAGE_KEY = "_message_after_rerun"


def rerun_with_message(message: str) -> None:
    """After a write: rerun so every list on the page shows it, with the message kept for
    the next run (show it there with show_message)."""
    st.session_state[_MESSAGE_KEY] = message
    st.rerun()


def show_message() -> None:
    if message := st.session_state.pop(_MESSAGE_KEY, None):
        st.success(message)
