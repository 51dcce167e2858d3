"""The signed-in actor, a fresh unit of work per action, and showing a refusal as a message."""
from __future__ import annotations

from typing import Any, Callable, Optional, TypeVar

import streamlit as st

from core.db import UnitOfWork
from core.errors import PolicyError
from core.permissions import Actor

T = TypeVar("T")


def actor() -> Actor:
    """The Actor app.py put in session state; pages only run once someone is signed in."""
    current: Optional[Actor] = st.session_state.get("actor")
    if current is None:
        st.error("Please sign in.")
        st.stop()
    return current


def uow() -> UnitOfWork:
    """A new unit of work for one action; nothing is held across reruns."""
    return UnitOfWork()


def attempt(service: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[bool, Optional[T]]:
    """Call a service: (True, result), or show the PolicyError as a clear message and
    return (False, None). A successful write clears cached figures."""
    try:
        result = service(*args, **kwargs)
    except PolicyError as refusal:
        st.error(str(refusal))
        return False, None
    data_changed()
    return True, result


def data_changed() -> None:
    """Clear cached figures after a write so the next view shows it."""
    st.cache_data.clear()
