"""Compliance: open cases where a clause 2.3 principle is missing or a deadline has passed,
a page at a time, filterable by service area."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core.services import cases
from ui.session import actor, read, uow

st.header("Compliance")
st.caption(
    "Open cases with a clause 2.3 principle missing or a deadline passed (reviews, appeal "
    "decisions, informal-stage outcome letters)."
)
me = actor()
today = dt.date.today()

areas = read(cases.service_areas, me, uow())
names = {a.id: a.name for a in areas}
c1, c2 = st.columns(2)
area = c1.selectbox(
    "Service area", [None] + list(names), format_func=lambda a: "All service areas" if a is None else names[a]
)
SORTS = {
    "Most days overdue": (["Most days overdue", "Failing items"], [False, False]),
    "Most failing items": (["Failing items", "Most days overdue"], [False, False]),
    "Customer": (["Customer"], [True]),
    "Service area": (["Service area", "Most days overdue"], [True, False]),
    "Case": (["Case"], [True]),
}
sort = c2.selectbox("Sort by (this page)", list(SORTS))

# Keyset paging: the cursors of the pages seen so far, per service area filter.
cursors_key = f"compliance_cursors_{area}"
cursors: list = st.session_state.setdefault(cursors_key, [None])
page = read(cases.compliance_overview, me, uow(), today, area, after=cursors[-1])
st.metric("Open cases", page.total)
rows = page.rows
if not rows and len(cursors) == 1 and page.next_after is None:
    st.success("Every open case meets the clause 2.3 principles and no deadline has passed.")
    st.stop()

if rows:
    table = pd.DataFrame(
        [
            {
                "Case": r.case_id,
                "Customer": r.customer,
                "Housing ref": r.housing_ref,
                "Service area": r.service_area,
                "Stage": r.stage.label,
                "Failing items": len(r.failing),
                "Principles missing": "; ".join(r.failing),
                "Overdue": "; ".join(
                    f"{o.what} (due {o.due:%d %b %Y}, {o.days_overdue} days)" for o in r.overdue
                ),
                "Most days overdue": r.most_days_overdue,
                "What is missing": " ".join(r.missing),
            }
            for r in rows
        ]
    )
    by, ascending = SORTS[sort]
    st.dataframe(table.sort_values(by, ascending=ascending), hide_index=True)
else:
    st.info("No case on this page needs attention.")

b1, b2 = st.columns(2)
if len(cursors) > 1 and b1.button("Previous page"):
    cursors.pop()
    st.rerun()
if page.next_after is not None and b2.button("Next page"):
    cursors.append(page.next_after)
    st.rerun()

by_case = {r.case_id: r for r in rows}
pick = st.selectbox(
    "Open a case",
    [None] + list(by_case),
    format_func=lambda c: "-" if c is None else f"Case {c}: {by_case[c].customer} ({by_case[c].housing_ref})",
)
if pick and st.button("Go to case actions"):
    st.session_state["customer_id"] = by_case[pick].customer_id
    st.switch_page("pages/case_actions.py")
