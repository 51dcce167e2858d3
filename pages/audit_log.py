"""DMO and administrator: the audit trail (who changed what, before and after, and why) and the
access log (who viewed which customer's records). Read and export only: entries cannot be edited."""
import json

import pandas as pd
import streamlit as st

from core.services import audit
from ui.session import actor, attempt, uow

me = actor()
st.header("Audit log")
st.caption("Append-only: nobody can change or delete an entry. Exports are themselves recorded.")

ANY = "(any)"
trail_tab, access_tab = st.tabs(["Audit trail", "Access log"])


def as_text(value) -> str:
    return "" if value in (None, {}) else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


with trail_tab:
    ok, options = attempt(audit.audit_filter_options, me, uow())
    options = options or {"usernames": [], "entity_types": [], "actions": []}
    with st.form("audit_filters"):
        c1, c2, c3 = st.columns(3)
        user = c1.selectbox("User", [ANY] + options["usernames"])
        record_type = c2.selectbox("Record type", [ANY] + options["entity_types"])
        action = c3.selectbox("Action", [ANY] + options["actions"])
        c4, c5, c6, c7 = st.columns(4)
        customer = c4.number_input("Customer id (0 = any)", min_value=0, step=1, value=0)
        date_from = c5.date_input("From", value=None, format="DD/MM/YYYY")
        date_to = c6.date_input("To", value=None, format="DD/MM/YYYY")
        limit = c7.number_input("Show at most", min_value=1, max_value=audit.MAX_LIMIT,
                                value=audit.DEFAULT_LIMIT, step=100)
        st.form_submit_button("Show")
    filters = {"username": None if user == ANY else user,
               "entity_type": None if record_type == ANY else record_type,
               "action": None if action == ANY else action,
               "customer_id": int(customer) or None, "date_from": date_from, "date_to": date_to,
               "limit": int(limit)}
    ok, entries = attempt(audit.audit_entries, me, uow(), **filters)
    if ok:
        st.write(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
        if entries:
            st.dataframe(pd.DataFrame([{
                "When": e["at"], "User": e["username"], "Action": e["action"], "Record": e["entity_type"],
                "Record id": e["entity_id"], "Customer": e["customer"] or e["customer_id"],
                "Reason": e["reason"], "Before": as_text(e["before"]), "After": as_text(e["after"]),
            } for e in entries]), hide_index=True, width="stretch")
            chosen = st.selectbox("Show one entry's before and after", entries,
                                  format_func=lambda e: f"#{e['id']} {e['at']:%d %b %Y %H:%M} "
                                                        f"{e['username']} {e['action']}")
            left, right = st.columns(2)
            left.caption("Before")
            left.code(json.dumps(chosen["before"], indent=1, ensure_ascii=False), language="json")
            right.caption("After")
            right.code(json.dumps(chosen["after"], indent=1, ensure_ascii=False), language="json")
        if st.button("Prepare CSV export of these entries"):
            ok, exported = attempt(audit.export_audit, me, uow, **filters)
            if ok:
                st.session_state["audit_export"] = exported
        if "audit_export" in st.session_state:
            name, data, mime = st.session_state["audit_export"]
            st.download_button("Download audit export", data, file_name=name, mime=mime)

with access_tab:
    with st.form("access_filters"):
        c1, c2, c3, c4 = st.columns(4)
        access_user = c1.text_input("Username")
        access_customer = c2.number_input("Customer id (0 = any)", min_value=0, step=1, value=0,
                                          key="access_customer")
        access_from = c3.date_input("From", value=None, format="DD/MM/YYYY", key="access_from")
        access_to = c4.date_input("To", value=None, format="DD/MM/YYYY", key="access_to")
        disclosures = st.checkbox("Include arrangement look-ups by front-line staff", value=True)
        st.form_submit_button("Show access")
    access_filters = {"username": access_user.strip() or None, "customer_id": int(access_customer) or None,
                      "date_from": access_from, "date_to": access_to, "include_disclosures": disclosures}
    ok, rows = attempt(audit.access_log, me, uow(), **access_filters)
    if ok:
        if rows:
            st.dataframe(pd.DataFrame([{
                "When": r["at"], "Who": f"{r['user']} ({r['username']})", "Customer": r["customer"],
                "Customer id": r["customer_id"], "Viewed": r["what"], "Kind": r["kind"],
            } for r in rows]), hide_index=True, width="stretch")
        else:
            st.info("No access recorded for these filters.")
        if st.button("Prepare CSV export of the access log"):
            ok, exported = attempt(audit.export_access_log, me, uow, **access_filters)
            if ok:
                st.session_state["access_export"] = exported
        if "access_export" in st.session_state:
            name, data, mime = st.session_state["access_export"]
            st.download_button("Download access-log export", data, file_name=name, mime=mime)
