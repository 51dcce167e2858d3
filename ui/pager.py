"""Paging through a list that core returns as a `Page` (rows, total, next_after): the keyset
cursor kept in session state per list, "First page" / "Next page" buttons, and a table of chosen
columns under readable headings (no pandas Styler: a status is a column of words)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st


def _state(key: str, filters: tuple) -> dict:
    """The list's paging state; changing a filter goes back to the first page."""
    state = st.session_state.get(f"_pager_{key}")
    if state is None or state["filters"] != filters:
        state = {"filters": filters, "stack": [(None, 0)]}
        st.session_state[f"_pager_{key}"] = state
    return state


def cursor(key: str, filters: tuple = ()) -> tuple | None:
    """The `after` cursor of the page of list `key` to show now (None: the first page)."""
    return _state(key, filters)["stack"][-1][0]


def _next(key: str, after: tuple, start: int) -> None:
    st.session_state[f"_pager_{key}"]["stack"].append((after, start))


def _first(key: str) -> None:
    del st.session_state[f"_pager_{key}"]["stack"][1:]


def pager(key: str, page: Any, noun: str = "rows") -> None:
    """'Showing 51-100 of 2,345 rows' with First page / Next page buttons under a list."""
    state = st.session_state.get(f"_pager_{key}") or {"stack": [(None, 0)]}
    start = state["stack"][-1][1]
    if page.next_after is None and len(state["stack"]) == 1:
        if page.rows:
            st.caption(f"{page.total:,} {noun}")
        return
    left, middle, right = st.columns([3, 1, 1])
    if page.rows:
        left.caption(f"Showing {start + 1:,}–{start + len(page.rows):,} of {page.total:,} {noun}")
    else:
        left.caption(f"Nothing more to show ({page.total:,} {noun} in all).")
    middle.button(
        "First page", key=f"{key}_first", disabled=len(state["stack"]) == 1, on_click=_first, args=(key,)
    )
    right.button(
        "Next page",
        key=f"{key}_next",
        disabled=page.next_after is None,
        on_click=_next,
        args=(key, page.next_after, start + len(page.rows)),
    )


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return getattr(value, "label", value.value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (list, tuple)):
        return "; ".join(str(_cell(v)) for v in value)
    return value


def table(rows: Sequence[Any], columns: dict[str, str]) -> None:
    """The rows' chosen attributes under readable headings (attribute -> heading)."""
    frame = pd.DataFrame(
        [{heading: _cell(getattr(row, attr)) for attr, heading in columns.items()} for row in rows],
        columns=list(columns.values()),
    )
    st.dataframe(frame, hide_index=True, width="stretch")
