"""Case timeline: the customer's whole history, newest or oldest first, with the current stage,
active restrictions and next deadlines at the top. Opening it is recorded in the access log."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core.permissions import Permission
from core.services.timeline import EVENT_TYPES, get_timeline
from ui.alerts import show_flag_alert
from ui.customer_picker import md, pick_customer
from ui.session import actor, read, uow

me = actor()
st.header("Case timeline")
customer_id = pick_customer("tl")
if customer_id is None:
    st.info("Find a customer to see their timeline.")
    st.stop()

show_flag_alert(customer_id)

with st.container(border=True):
    col1, col2, col3, col4 = st.columns([3, 2, 2, 2])
    kinds = col1.multiselect(
        "Show only",
        list(EVENT_TYPES),
        format_func=EVENT_TYPES.__getitem__,
        key="tl_kinds",
        placeholder="All types",
    )
    date_from = col2.date_input("From", value=None, key="tl_from", format="DD/MM/YYYY")
    date_to = col3.date_input("To", value=None, key="tl_to", format="DD/MM/YYYY")
    order = col4.radio("Order", ["Newest first", "Oldest first"], key="tl_order", horizontal=True)

# Paging: the cursors of the pages shown so far ("Show older"), reset when the filters change.
filters = (customer_id, tuple(kinds), date_from, date_to, order)
if st.session_state.get("tl_filters") != filters:
    st.session_state["tl_filters"] = filters
    st.session_state["tl_cursors"] = [None]
cursors = st.session_state["tl_cursors"]

timeline = read(
    get_timeline,
    me,
    customer_id,
    uow(),
    newest_first=order == "Newest first",
    kinds=kinds or None,
    date_from=date_from,
    date_to=date_to,
    after=cursors[-1],
)

customer, header = timeline.customer, timeline.header
st.subheader(f"{md(customer.name)} ({md(customer.housing_ref)})")
st.text(customer.address)
if customer.amended_at:
    st.caption(
        f"Customer record amended on {customer.amended_at:%d %b %Y %H:%M} by {md(customer.amended_by)}"
    )

col1, col2, col3 = st.columns(3)
col1.metric("Current stage", header.stage_label)
col2.metric("Restrictions in force", len(header.active_restrictions))
col3.metric("Open service referrals", header.open_referrals)
if header.active_restrictions:
    st.markdown("**Restrictions and arrangements in force**")
    st.dataframe(
        pd.DataFrame(
            [
                {"Arrangement": r.what, "Terms": r.terms, "Review due": r.review_due}
                for r in header.active_restrictions
            ]
        ),
        hide_index=True,
        key="tl_restrictions",
    )
if header.next_deadlines:
    today = dt.date.today()
    st.markdown("**Next deadlines**")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Due": d.due,
                    "What": d.what,
                    "Status": "Overdue" if d.overdue else f"in {(d.due - today).days} days",
                }
                for d in header.next_deadlines
            ]
        ),
        hide_index=True,
        key="tl_deadlines",
    )
if me.can(Permission.RUN_CASES):
    st.page_link(
        "pages/case_actions.py",
        label="Case actions: move the stage, record decisions and reviews",
        icon=":material/rule:",
    )

events = timeline.events
per_type = ", ".join(f"{EVENT_TYPES[k]} {n}" for k, n in timeline.counts.items() if n)
st.markdown(
    f"**{len(events)} shown (page {len(cursors)}) of {timeline.matching} matching; "
    f"{timeline.total} entries in all**"
)
if per_type:
    st.caption(per_type)
if not events:
    st.info("Nothing recorded matches these filters.")
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "When": f"{e.at:%d %b %Y %H:%M}",
                    "Type": e.type,
                    "What": e.title,
                    "Details": e.details,
                    "Recorded by": e.recorded_by,
                    "Evidence": e.evidence,
                    "Amended": f"amended on {e.amended_at:%d %b %Y %H:%M} by {e.amended_by}"
                    if e.amended_at
                    else "",
                }
                for e in events
            ]
        ),
        hide_index=True,
        key="tl_events",
        column_config={"Details": st.column_config.TextColumn(width="large")},
    )
    st.caption(
        "Hearsay or opinion is shown for completeness only: it is not evidence and never counts "
        "towards a decision (clauses 4.2 and 6)."
    )
col1, col2 = st.columns(2)
if len(cursors) > 1 and col1.button("Back to the start", key="tl_first"):
    st.session_state["tl_cursors"] = [None]
    st.rerun()
if timeline.next_after is not None and col2.button(
    "Show older" if order == "Newest first" else "Show later", key="tl_next", type="primary"
):
    cursors.append(timeline.next_after)
    st.rerun()
