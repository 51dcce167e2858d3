"""Administrator: add users, reset passwords, disable or enable accounts (all audited)."""

import pandas as pd
import streamlit as st

from core.enums import Role
from core.services import users
from ui.session import actor, attempt, uow

me = actor()
st.header("Users")
st.dataframe(pd.DataFrame(users.list_users(me, uow())), hide_index=True, width="stretch")
areas = {a["name"]: a["id"] for a in users.list_service_areas(uow())}

with st.form("add_user", clear_on_submit=True):
    st.subheader("Add a user")
    username = st.text_input("Username")
    name = st.text_input("Full name")
    roles: list[Role] = list(Role)
    role = st.selectbox("Role", roles, format_func=lambda r: r.label)
    area = st.selectbox("Service area", ["(none)"] + list(areas))
    password = st.text_input("Initial password (12+ characters, not a common password)", type="password")
    if st.form_submit_button("Add user"):
        ok, _ = attempt(
            users.add_user, me, username, name, role.value, password, uow(), service_area_id=areas.get(area)
        )
        if ok:
            st.success(f"Added {username}.")

all_users = {f"{u['username']} ({u['name']})": u for u in users.list_users(me, uow())}
with st.form("reset_password", clear_on_submit=True):
    st.subheader("Reset a password")
    st.caption("Resetting a password signs the user out of every open tab.")
    who = st.selectbox("User", list(all_users), key="reset_who")
    new_password = st.text_input("New password", type="password")
    if st.form_submit_button("Reset password"):
        ok, _ = attempt(users.reset_password, me, all_users[who]["id"], new_password, uow())
        if ok:
            st.success("Password reset.")

with st.form("set_active"):
    st.subheader("Disable or enable an account")
    st.caption("Disabling an account signs the user out of every open tab on their next action.")
    who = st.selectbox("User", list(all_users), key="active_who")
    enable = st.radio("Account", ["Disable", "Enable"], horizontal=True) == "Enable"
    reason = st.text_input("Reason")
    if st.form_submit_button("Save"):
        ok, _ = attempt(users.set_user_active, me, all_users[who]["id"], enable, reason, uow())
        if ok:
            st.success("Saved.")
