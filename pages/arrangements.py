"""Contact arrangements (clause 4.2): front-line staff and contractors look up a customer and see
only the arrangements in force and whom to contact, never the reasons. Each look-up by a viewer
is recorded; the Data Management Officer reads that disclosure log here."""

import pandas as pd
import streamlit as st

from core.permissions import Permission as P
from core.policy.disclosure import VIEWER_SEARCH_HELP
from core.services import arrangements
from ui.alerts import contact_lines, md_escape, visit_lines
from ui.session import actor, attempt, uow

me = actor()
st.header("Contact arrangements")
st.caption(
    "What applies when you contact or visit a customer. The reasons are not shown: "
    "you need to know the arrangement, not why it is in place."
)

with st.form("arrangements_search"):
    query = st.text_input(
        "Name, housing reference or address", key="arrangements_query", help=VIEWER_SEARCH_HELP
    )
    if st.form_submit_button("Search"):
        ok, found = attempt(arrangements.find_customers, me, query, uow())
        st.session_state["arrangements_results"] = found if ok else []
        st.session_state.pop("arrangements_view", None)

results = st.session_state.get("arrangements_results")
if results is not None and not results:
    st.info("No customer matches that search.")
elif results:
    by_id = {r.customer_id: r for r in results}
    picked = st.selectbox(
        "Customer",
        list(by_id),
        key="arrangements_pick",
        format_func=lambda i: f"{by_id[i].name} ({by_id[i].housing_ref}) {by_id[i].address}",
    )
    if st.button("Show arrangements", key="arrangements_show", type="primary"):
        ok, view = attempt(arrangements.arrangements_for, me, picked, uow())
        st.session_state["arrangements_view"] = view if ok else None

view = st.session_state.get("arrangements_view")
if view:
    st.subheader(f"{md_escape(view.name)} ({md_escape(view.housing_ref)})")
    st.text(view.address)
    if not view.in_force:
        st.success("No special arrangements are in force: contact this customer in the usual way.")
    else:
        if visit_lines(view):
            st.error("  \n".join(visit_lines(view)), icon=":material/flag:")
        if contact_lines(view):
            st.warning("  \n".join(contact_lines(view)), icon=":material/contact_phone:")
        if view.whom_to_contact:
            st.markdown("**Whom to contact**")
            st.dataframe(
                pd.DataFrame(
                    [{"Name": c.name, "Email": c.email, "About": c.about} for c in view.whom_to_contact]
                ),
                hide_index=True,
                width="stretch",
            )
        if view.third_party_contact:
            st.markdown("**Third-party contact**")
            st.dataframe(
                pd.DataFrame(
                    [
                        {"Name": t.name, "Relationship": t.relationship, "Phone": t.phone, "Email": t.email}
                        for t in view.third_party_contact
                    ]
                ),
                hide_index=True,
                width="stretch",
            )

if me.can(P.VIEW_DISCLOSURES):
    st.divider()
    st.subheader("Disclosure log")
    st.caption(
        "Who looked up which customer's arrangements, and when: the record that they were "
        "shared on a need-to-know basis only."
    )
    ok, log = attempt(arrangements.disclosure_log, me, uow())
    if ok and log:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "at": r.at,
                        "viewer": r.viewer,
                        "viewer_name": r.viewer_name,
                        "customer": r.customer,
                        "housing_ref": r.housing_ref,
                    }
                    for r in log
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    elif ok:
        st.info("No look-ups by front-line staff or contractors yet.")
