"""Appeals assigned to me (Assistant Directors): due dates, and the decision form."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core.enums import AppealOutcome, Channel, SubjectType
from core.services import cases
from ui.session import actor, attempt, uow

st.header("Appeals")
st.caption("Appeals are decided within 5 working days of receipt (clause 4.2).")
me = actor()
today = dt.date.today()

if message := st.session_state.pop("appeal_done", None):
    st.success(message)
show_decided = st.checkbox("Show decided appeals too")
ok, rows = attempt(cases.appeals_for_decision_maker, me, uow(), today, show_decided)
if not ok:
    st.stop()
if not rows:
    st.info("No appeals are waiting for your decision.")
    st.stop()

st.dataframe(pd.DataFrame([{
    "Appeal": r.appeal_id, "Customer": r.customer, "Housing ref": r.housing_ref, "Against": r.subject,
    "Received": r.received_on, "Decision due": r.due_on, "Overdue": r.overdue,
    "Late appeal": r.late, "Decided": r.decided_on, "Outcome": r.outcome.label if r.outcome else "",
} for r in rows]), hide_index=True)

waiting = {r.appeal_id: r for r in rows if r.decided_on is None}
if not waiting:
    st.stop()
appeal_id = st.selectbox("Decide appeal", list(waiting),
                         format_func=lambda a: f"#{a} {waiting[a].customer}: {waiting[a].subject}")
row = waiting[appeal_id]
# The case version seen when this appeal was opened (optimistic locking).
seen_key = f"appeal_case_version_{appeal_id}"
st.session_state.setdefault(seen_key, row.case_version)
if row.overdue:
    st.warning(f"The decision was due on {row.due_on:%d %B %Y}.")
st.markdown("**Grounds of appeal**")
st.text(row.grounds)
if row.late:
    st.markdown("**Late appeal accepted because**")
    st.text(row.late_accepted_reason)

with st.form("decide_appeal"):
    outcome = st.selectbox("Outcome", [o.value for o in AppealOutcome], format_func=lambda o: AppealOutcome(o).label)
    notes = st.text_area("Reasons for the decision")
    varied = st.text_area("How the decision is varied (varied only)")
    new_review = st.date_input("New review date (varied only)", value=None, format="DD/MM/YYYY")
    spoc = {}
    if row.subject_type == SubjectType.SPOC_ENTRY:
        st.caption("Varying a SPOC: leave a field blank to keep it as it is.")
        spoc["channels"] = st.multiselect("New contact channels", [c.value for c in Channel],
                                          format_func=lambda c: Channel(c).label) or None
        spoc["contact_times"] = st.text_input("New contact times") or None
        spoc["contact_limit"] = st.text_input("New contact limit") or None
    if st.form_submit_button("Record the decision"):
        decision = cases.AppealDecision(outcome, notes, varied_terms=varied, new_review_due=new_review, **spoc)
        ok, result = attempt(cases.decide_appeal, me, appeal_id, decision, st.session_state[seen_key], uow(), today)
        if ok:
            st.session_state.pop(seen_key, None)
            st.session_state["appeal_done"] = (f"Appeal decided: {result.outcome.label}. "
                                               "Send the appeal outcome letter.")
            st.rerun()
