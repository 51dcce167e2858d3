"""Case owner: a manager of the case's service area gives it to another team leader / manager,
with a reason (issue 15). Cases whose owner was disabled are listed on the home page."""

from __future__ import annotations

import streamlit as st

from core.services import ownership
from ui.session import actor, attempt, uow

me = actor()
st.header("Case owner")
raw = st.query_params.get("case_id") or st.session_state.get("owner_case_id")
case_id = st.number_input(
    "Case number", min_value=1, step=1, value=int(raw) if raw and str(raw).isdigit() else None
)
if not case_id:
    st.info("Enter a case number, or open a case from My work.")
    st.stop()
st.session_state["owner_case_id"] = int(case_id)
ok, current = attempt(ownership.case_owner, me, int(case_id), uow())
if not ok or current is None:
    st.stop()
owner = current.owner_name or "nobody"
st.markdown(
    f"Case **{current.case_id}** · housing reference **{current.housing_ref}** is owned by **{owner}**"
    + ("" if current.owner_active or not current.owner_id else " (account disabled: needs a new owner)")
)
ok, people = attempt(ownership.owner_candidates, me, current.case_id, uow())
if not ok or not people:
    st.info("No active team leader or manager in the case's service area can take it.")
    st.stop()
names: dict[int, str] = {p.user_id: p.name for p in people}
with st.form("change_owner"):
    chosen = st.selectbox(
        "New owner",
        list(names),
        format_func=lambda i: names.get(i, ""),
    )
    reason = st.text_area("Reason for the change")
    if st.form_submit_button("Change the owner"):
        done, _version = attempt(
            ownership.change_owner, me, current.case_id, chosen, reason, current.version, uow()
        )
        if done:
            st.success("The owner was changed and the change recorded in the audit log.")
