"""Issue 16 panels for the customer page: the household at the address and the customer's
communication needs, each with a small form for staff who record them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.enums_evidence import HouseholdRole, PreferredFormat
from core.permissions import Permission
from core.policy.communication import needs_line
from core.services import communication, households
from ui.customer_picker import md
from ui.session import actor, attempt, rerun_with_message, uow


def household_panel(customer_id: int) -> None:
    me = actor()
    st.markdown("**Household**")
    ok, view = attempt(households.household_of, me, customer_id, uow())
    if ok and view:
        st.caption(f"{md(view.address)} (property {md(view.property_ref)})")
        st.dataframe(
            pd.DataFrame(
                [{"Name": m.name, "Housing ref": m.housing_ref, "Role": m.role} for m in view.members]
            ),
            hide_index=True,
            key="cust_household",
        )
    elif ok:
        st.caption("No household recorded.")
    if me.can(Permission.RECORD_INCIDENTS):
        with st.expander("Record the household"), st.form("household_form"):
            ref = st.text_input("Property reference (housing system)", key="household_ref")
            role = st.selectbox(
                "Role",
                [r.value for r in HouseholdRole],
                key="household_role",
                format_func=lambda r: HouseholdRole(r).label,
            )
            if (
                st.form_submit_button("Save household")
                and attempt(households.add_to_household, me, customer_id, ref, uow(), role=role)[0]
            ):
                rerun_with_message("Household saved.")


def needs_panel(customer_id: int) -> None:
    me = actor()
    st.markdown("**Communication needs** (said at the top of every letter)")
    ok, needs = attempt(communication.get_needs, me, customer_id, uow())
    if ok and needs is not None:
        st.caption(md(needs_line(needs)) or "None recorded.")
    if me.can(Permission.RECORD_INCIDENTS):
        with st.expander("Record communication needs"), st.form("needs_form"):
            form = communication.NeedsForm(
                preferred_format=st.selectbox(
                    "Preferred format",
                    [f.value for f in PreferredFormat],
                    key="needs_format",
                    format_func=lambda f: PreferredFormat(f).label,
                ),
                large_print=st.checkbox("Large print", key="needs_large"),
                easy_read=st.checkbox("Easy read", key="needs_easy"),
                interpreter_language=st.text_input("Interpreter: language", key="needs_language"),
                bsl=st.checkbox("British Sign Language", key="needs_bsl"),
                advocate_name=st.text_input("Advocate's name", key="needs_advocate"),
            )
            if (
                st.form_submit_button("Save needs")
                and attempt(communication.record_needs, me, customer_id, form, uow())[0]
            ):
                rerun_with_message("Communication needs saved.")
