"""Appeals (clause 4.2): log an appeal received directly (Assistant Directors, the Data
Management Officer, team leaders), and, for Assistant Directors, the appeals assigned to me:
due dates and the decision form."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from core.enums import AppealOutcome, Channel, SubjectType
from core.permissions import Permission
from core.services import cases
from ui.appeals import appeal_form
from ui.customer_picker import pick_customer
from ui.session import actor, attempt, uow

st.header("Appeals")
st.caption("Appeals are decided within 5 working days of receipt (clause 4.2).")
me = actor()
today = dt.date.today()

if message := st.session_state.pop("appeal_done", None):
    st.success(message)


def log_an_appeal() -> None:
    """An appeal received directly: choose the customer, their case and the decision appealed against."""
    customer_id = pick_customer("appeal_log")
    if customer_id is None:
        return
    ok, case_id = attempt(cases.find_case, me, customer_id, uow())
    if not ok or case_id is None:
        st.info("This customer has no case, so there is no decision to appeal against.")
        return
    ok, case = attempt(cases.case_overview, me, case_id, uow(), today)
    if not ok or case is None:
        return
    seen_key = f"appeal_log_version_{case_id}"
    st.session_state.setdefault(seen_key, case.version)
    if appeal_form(case, st.session_state[seen_key], today, key="log_appeal"):
        st.session_state.pop(seen_key, None)
        st.session_state["appeal_done"] = "Appeal logged and sent to the Assistant Director the policy names."
        st.rerun()


with st.expander("Log an appeal received", expanded=not me.can(Permission.DECIDE_APPEALS)):
    log_an_appeal()

if not me.can(Permission.DECIDE_APPEALS):
    st.stop()
show_decided = st.checkbox("Show decided appeals too")
ok, rows = attempt(cases.appeals_for_decision_maker, me, uow(), today, show_decided)
if not ok:
    st.stop()
if not rows:
    st.info("No appeals are waiting for your decision.")
    st.stop()

st.dataframe(
    pd.DataFrame(
        [
            {
                "Appeal": r.appeal_id,
                "Customer": r.customer,
                "Housing ref": r.housing_ref,
                "Against": r.subject,
                "Received": r.received_on,
                "Decision due": r.due_on,
                "Overdue": r.overdue,
                "Late appeal": r.late,
                "Decided": r.decided_on,
                "Outcome": r.outcome.label if r.outcome else "",
            }
            for r in rows
        ]
    ),
    hide_index=True,
)

waiting = {r.appeal_id: r for r in rows if r.decided_on is None}
if not waiting:
    st.stop()
appeal_id = st.selectbox(
    "Decide appeal", list(waiting), format_func=lambda a: f"#{a} {waiting[a].customer}: {waiting[a].subject}"
)
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
    outcome = st.selectbox(
        "Outcome", [o.value for o in AppealOutcome], format_func=lambda o: AppealOutcome(o).label
    )
    notes = st.text_area("Reasons for the decision")
    varied = st.text_area("How the decision is varied (varied only)")
    new_review = st.date_input("New review date (varied only)", value=None, format="DD/MM/YYYY")
    spoc: dict[str, Any] = {}
    if row.subject_type == SubjectType.SPOC_ENTRY:
        st.caption("Varying a SPOC: leave a field blank to keep it as it is.")
        spoc["channels"] = (
            st.multiselect(
                "New contact channels", [c.value for c in Channel], format_func=lambda c: Channel(c).label
            )
            or None
        )
        spoc["contact_times"] = st.text_input("New contact times") or None
        spoc["contact_limit"] = st.text_input("New contact limit") or None
    if st.form_submit_button("Record the decision"):
        decision = cases.AppealDecision(
            outcome, notes, varied_terms=varied, new_review_due=new_review, **spoc
        )
        ok, result = attempt(
            cases.decide_appeal, me, appeal_id, decision, st.session_state[seen_key], uow(), today
        )
        if ok and result is not None:
            st.session_state.pop(seen_key, None)
            st.session_state["appeal_done"] = (
                f"Appeal decided: {result.outcome.label}. Send the appeal outcome letter."
            )
            st.rerun()
