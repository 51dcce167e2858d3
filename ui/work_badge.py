"""The navigation badge: "My work (7)", from the same counts as the home page (issue 15)."""

from __future__ import annotations

import time

import streamlit as st

from core.permissions import Actor
from core.services import work
from ui.navigation import HOME_PAGE, PageSpec
from ui.session import uow

BADGE_SECONDS = 60  # the badge is recounted at most once a minute (the home page refreshes it)
KEY = "work_badge"


def remember(count: int) -> None:
    st.session_state[KEY] = (time.time(), count)


def nav_title(page: PageSpec, actor: Actor) -> str:
    """The page's title; the home page's carries the number of things to do."""
    if page.path != HOME_PAGE:
        return page.title
    at, count = st.session_state.get(KEY, (0.0, None))
    if count is None or time.time() - at > BADGE_SECONDS:
        try:
            count = work.work_count(actor, uow())
        except Exception:  # the badge must never stop the app from starting
            return page.title
        remember(count)
    return f"{page.title} ({count})" if count else page.title
