"""Finding the customer a page is about: a search box, or the customer already chosen on another
page (session state `customer_id`) or in the address (`?customer_id=`)."""

from __future__ import annotations

import streamlit as st

from core.services.customers import get_customer, search_customers
from core.validation import record_id
from ui.session import actor, attempt, uow


def md(text: object) -> str:
    """User text made safe to show inside Markdown (no links, emphasis or HTML): ui.alerts.md_escape."""
    from ui.alerts import md_escape

    return md_escape(text)


def chosen_customer_id() -> int | None:
    """The customer chosen earlier in this session, or named in the address. An address naming
    no possible customer (text, zero, a number too big to be an id) says so and changes nothing
    kept for the session."""
    wanted = st.query_params.get("customer_id")
    if wanted and record_id(wanted) is None:
        st.error("No such customer.")
        return None
    if wanted and st.session_state.get("_customer_from_url") != wanted:
        st.session_state["_customer_from_url"] = wanted
        st.session_state["customer_id"] = record_id(wanted)
    current = st.session_state.get("customer_id")
    return current if record_id(current) else None


def pick_customer(key: str) -> int | None:
    """Search by name, reference or address fragment; returns the chosen customer's id and keeps
    it in session state so the other pages open on the same customer. Setting
    session_state[f"{key}_reset"] clears the search box on the next run."""
    current = chosen_customer_id()
    if st.session_state.pop(f"{key}_reset", False):
        st.session_state[f"{key}_search"] = ""
    query = st.text_input(
        "Find a customer: name, housing reference or part of the address",
        key=f"{key}_search",
        placeholder="e.g. Kowalski, NPH100123, Abington",
    )
    if query.strip():
        ok, results = attempt(search_customers, actor(), query, uow())
        if ok and not results:
            st.info(
                "No customer matches that search. Check the spelling, try part of the address, "
                "or create the customer on the Customers page."
            )
        if ok and results:
            labels = {r.id: f"{r.name} ({r.housing_ref}) {r.address}" for r in results}
            ids = list(labels)
            choice = st.selectbox(
                "Customer",
                ids,
                format_func=labels.__getitem__,
                key=f"{key}_choice",
                index=ids.index(current) if current in ids else 0,
            )
            if choice != current:
                st.session_state["customer_id"] = current = choice
            return current
    if current is not None:
        ok, record = attempt(get_customer, actor(), current, uow())
        if not ok or record is None:  # refused, or no longer on record
            st.session_state.pop("customer_id", None)
            return None
        st.caption(f"Customer: {md(record.name)} ({md(record.housing_ref)}). Search above to choose another.")
    return current
