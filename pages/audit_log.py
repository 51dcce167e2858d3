"""DMO and administrator: the audit trail (who changed what, before and after, and why) and the
access log (who viewed which customer's records). Read and export only: entries cannot be edited.
Times are stored in UTC and shown in UK local time. The administrator sees who did what and when,
not the case content (core.services.audit withholds it)."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from core.services import audit
from ui.customer_picker import pick_customer
from ui.session import actor, attempt, try_read, uow

UK = ZoneInfo("Europe/London")
ANY = "(any)"
PAGE_KEY = "audit_cursors"  # the cursors of the pages before this one (keyset paging)

me = actor()
st.header("Audit log")
st.caption(
    "Append-only: nobody can change or delete an entry. Exports are themselves recorded. "
    "Times are UK local time."
)
trail_tab, access_tab = st.tabs(["Audit trail", "Access log"])


def local(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return f"{moment.astimezone(UK):%d %b %Y %H:%M:%S}"


def as_text(value) -> str:
    return (
        ""
        if value in (None, {})
        else value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False)
    )


def customer_filter(key: str):
    """The customer picker, only when the user asks to narrow by customer (None: any customer)."""
    if st.checkbox("Only one customer", key=f"{key}_only"):
        return pick_customer(key)
    return None


with trail_tab:
    ok, options = attempt(audit.audit_filter_options, me, uow())
    options = options or audit.AuditFilterOptions([], [], [])
    customer = customer_filter("audit_customer")
    with st.form("audit_filters"):
        c1, c2, c3 = st.columns(3)
        user = c1.selectbox("User", [ANY] + options.usernames)
        record_type = c2.selectbox("Record type", [ANY] + options.entity_types)
        action = c3.selectbox("Action", [ANY] + options.actions)
        c5, c6, c7 = st.columns(3)
        date_from = c5.date_input("From", value=None, format="DD/MM/YYYY")
        date_to = c6.date_input("To", value=None, format="DD/MM/YYYY")
        size = c7.number_input(
            "Entries per page", min_value=10, max_value=1000, value=audit.PAGE_SIZE, step=50
        )
        st.form_submit_button("Show")
    filters = {
        "username": None if user == ANY else user,
        "entity_type": None if record_type == ANY else record_type,
        "action": None if action == ANY else action,
        "customer_id": customer,
        "date_from": date_from,
        "date_to": date_to,
    }
    if st.session_state.get("audit_filters_shown") != (filters, int(size)):  # new filters: first page
        st.session_state["audit_filters_shown"] = (filters, int(size))
        st.session_state[PAGE_KEY] = []
    cursors = st.session_state[PAGE_KEY]
    page = try_read(
        audit.audit_page, me, uow(), after=cursors[-1] if cursors else None, limit=int(size), **filters
    )
    if page is not None:
        entries = page.rows
        first = len(cursors) * int(size) + 1
        st.write(f"Entries {first:,} to {first + len(entries) - 1:,}" if entries else "No entries match.")
        if entries:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "When (UK)": local(e.at),
                            "User": e.username,
                            "Action": e.action,
                            "Record": e.entity_type,
                            "Record id": "" if e.entity_id is None else str(e.entity_id),
                            "Customer": e.customer or ("" if e.customer_id is None else str(e.customer_id)),
                            "Reason": e.reason or "",
                            "Before": as_text(e.before),
                            "After": as_text(e.after),
                        }
                        for e in entries
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
            newer, older = st.columns(2)
            if cursors and newer.button("Newer entries"):
                cursors.pop()
                st.rerun()
            if page.next_after is not None and older.button("Older entries"):
                cursors.append(page.next_after)
                st.rerun()
            chosen = st.selectbox(
                "Show one entry's before and after",
                entries,
                format_func=lambda e: f"#{e.id} {local(e.at)} {e.username} {e.action}",
            )
            left, right = st.columns(2)
            left.caption("Before")
            left.code(json.dumps(chosen.before, indent=1, ensure_ascii=False), language="json")
            right.caption("After")
            right.code(json.dumps(chosen.after, indent=1, ensure_ascii=False), language="json")
        if st.button("Prepare CSV export of these entries"):
            ok, exported = attempt(audit.export_audit, me, uow, limit=audit.MAX_LIMIT, **filters)
            if ok:
                st.session_state["audit_export"] = exported
        if "audit_export" in st.session_state:
            name, data, mime = st.session_state["audit_export"]
            st.download_button("Download audit export", data, file_name=name, mime=mime)

with access_tab:
    access_customer = customer_filter("access_customer")
    with st.form("access_filters"):
        c1, c3, c4 = st.columns(3)
        access_user = c1.text_input("Username")
        access_from = c3.date_input("From", value=None, format="DD/MM/YYYY", key="access_from")
        access_to = c4.date_input("To", value=None, format="DD/MM/YYYY", key="access_to")
        disclosures = st.checkbox("Include arrangement look-ups by front-line staff", value=True)
        st.form_submit_button("Show access")
    access_filters = {
        "username": access_user.strip() or None,
        "customer_id": access_customer,
        "date_from": access_from,
        "date_to": access_to,
        "include_disclosures": disclosures,
    }
    ok, rows = attempt(audit.access_log, me, uow(), **access_filters)
    if ok:
        if rows:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "When (UK)": local(r.at),
                            "Who": f"{r.user} ({r.username})",
                            "Customer": r.customer,
                            "Customer id": str(r.customer_id),
                            "Viewed": r.what,
                            "Kind": r.kind,
                        }
                        for r in rows
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        else:
            st.info("No access recorded for these filters.")
        if st.button("Prepare CSV export of the access log"):
            ok, exported = attempt(audit.export_access_log, me, uow, **access_filters)
            if ok:
                st.session_state["access_export"] = exported
        if "access_export" in st.session_state:
            name, data, mime = st.session_state["access_export"]
            st.download_button("Download access-log export", data, file_name=name, mime=mime)
