"""SPOC officer (DMO): hand a SPOC over to another officer, or name a deputy for absences (issue 15)."""

from __future__ import annotations

import streamlit as st

from core.services import ownership
from ui.session import actor, attempt, uow

me = actor()
st.header("SPOC officer and deputy")
st.caption("At a SPOC review, or whenever the named officer changes, hand the SPOC over here.")
entry_id = st.number_input("SPOC register entry", min_value=1, step=1, value=None)
ok, people = attempt(ownership.spoc_officer_choices, me, uow())
if not entry_id or not ok or not people:
    st.stop()
names: dict[int, str] = {p.user_id: p.name for p in people}
officers: list[int] = list(names)
with st.form("handover"):
    officer = st.selectbox("New SPOC officer", officers, format_func=lambda i: names.get(i, ""))
    reason = st.text_area("Reason for the handover")
    if st.form_submit_button("Hand over"):
        done, _ = attempt(ownership.hand_over_spoc, me, int(entry_id), officer, reason, uow())
        if done:
            st.success("The SPOC was handed over.")
with st.form("deputy"):
    deputy = st.selectbox("Deputy for absences", [0, *names], format_func=lambda i: names.get(i, "No deputy"))
    why = st.text_input("Reason")
    if st.form_submit_button("Name the deputy"):
        done, _ = attempt(ownership.name_spoc_deputy, me, int(entry_id), deputy or None, why, uow())
        if done:
            st.success("The deputy was recorded.")
