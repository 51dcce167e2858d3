"""Visit planning (issue 16): before visiting an address, what the visiting officer or contractor
must do for anyone in the household. The arrangements only, never the reasons."""

import streamlit as st

from core.services import households
from ui.customer_picker import md
from ui.session import actor, attempt, uow

me = actor()
st.header("Visit planning")
st.caption(
    "Who do I need to know about before visiting this address? Arrangements only: you need to "
    "know what to do, not why."
)

with st.form("visit_search"):
    ref = st.text_input("Property reference", key="visit_ref", placeholder="e.g. PROP-000123")
    if st.form_submit_button("Show"):
        ok, plan = attempt(households.visit_plan, me, uow(), property_ref=ref)
        st.session_state["visit_plan"] = plan if ok else None

plan = st.session_state.get("visit_plan")
if plan:
    st.subheader(f"{md(plan.address)} ({md(plan.property_ref)})")
    if not plan.anything_to_know:
        st.success("Nothing is recorded for anyone at this address: visit in the usual way.")
    if plan.two_officers_on_visits:
        st.error("Two officers on every visit to this address.", icon=":material/flag:")
    for note in plan.notes:
        lines = [f"**{md(note.name)}**"]
        lines += [f"Visit arrangement: {md(a)}" for a in note.visit_arrangements]
        lines += [f"Restriction: {md(r)}" for r in note.restrictions]
        lines += [f"Single point of contact: {md(s)}" for s in note.single_point_of_contact]
        lines += [f"Contact: {md(c)}" for c in note.whom_to_contact]
        st.warning("  \n".join(lines), icon=":material/badge:")
