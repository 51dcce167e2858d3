"""Data Management Officer (clause 6): subject access, rectification and erasure requests,
legal holds and the retention review. Every action is a core.services.dataprotection call.
After each saved action the page reruns, so every list shows it; the confirmation is kept for that
run. Text a user typed is escaped (ui.alerts.md_escape) wherever it is shown as Markdown."""

import datetime as dt

import pandas as pd
import streamlit as st

from core.enums import DataRequestKind
from core.errors import PolicyError
from core.policy.dataprotection import retention_years
from core.services import customers
from core.services import dataprotection as dp
from ui.alerts import md_escape
from ui.session import actor, attempt, rerun_with_message, show_message, try_read, uow

NOTE_KEY = "data_requests_note"  # a warning kept for the run after a save


def escaped(service):
    """The service, with its refusal made safe to show as Markdown (an erasure refusal quotes
    the legal-hold reason someone typed)."""

    def call(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except PolicyError as refusal:
            raise PolicyError(md_escape(str(refusal))) from None

    return call


me = actor()
st.header("Data requests")
st.caption(
    "Clause 6: every customer may have a copy of their data and have inaccurate or "
    "irrelevant data corrected or removed. Requests are answered within one calendar month."
)
show_message()
if note := st.session_state.pop(NOTE_KEY, None):
    st.warning(note)


def pick_customer(key: str):
    """Search by name or housing reference; returns the chosen customer id or None."""
    query = st.text_input("Find a customer (name or housing reference)", key=f"{key}_q")
    if not query.strip():
        return None
    ok, found = attempt(customers.search_customers, me, query, uow())
    if not ok or not found:
        st.info("No customer matches.")
        return None
    choice = st.selectbox(
        "Customer",
        found,
        key=f"{key}_c",
        format_func=lambda c: f"{c['name']} ({c['housing_ref']}), {c['address']}",
    )
    return choice["id"] if choice else None


def request_label(r: dp.DataRequestRow) -> str:
    return f"#{r.id} {r.kind_label}: {r.customer} (due {r.due_on:%d %b %Y})"


ok, open_requests = attempt(dp.list_requests, me, uow())
open_requests = open_requests or []
requests_tab, sar_tab, rect_tab, erase_tab, hold_tab, retention_tab = st.tabs(
    ["Requests", "Subject access", "Rectification", "Erasure", "Legal hold", "Retention"]
)

with requests_tab:
    st.subheader("Open requests")
    overdue = [r for r in open_requests if r.overdue]
    if overdue:
        st.error(
            f"{len(overdue)} request(s) are past their one-month due date: "
            + ", ".join(f"#{r.id}" for r in overdue)
        )
    if open_requests:
        table = pd.DataFrame(
            [
                {
                    "Request": r.id,
                    "Kind": r.kind_label,
                    "Customer": r.customer,
                    "Received": r.received_on,
                    "Due": r.due_on,
                    "Days left": r.days_left,
                    "Overdue": r.overdue,
                    "Identity checked": r.identity_checked,
                    "Details": r.details,
                }
                for r in open_requests
            ]
        )
        styled = table.style.apply(
            lambda row: ["color: #b00020; font-weight: bold" if row["Overdue"] else ""] * len(row), axis=1
        )
        st.dataframe(styled, hide_index=True, width="stretch")
    else:
        st.info("No open requests.")

    st.subheader("Log a request")
    customer_id = pick_customer("log")
    with st.form("log_request", clear_on_submit=True):
        kinds: list[DataRequestKind] = list(DataRequestKind)
        kind = st.selectbox("Kind of request", kinds, format_func=lambda k: k.label)
        received = st.date_input("Date received", value=dt.date.today(), format="DD/MM/YYYY")
        identity = st.checkbox("Requester's identity checked")
        details = st.text_area("What is asked for or disputed")
        if st.form_submit_button("Log request"):
            if customer_id is None:
                st.error("Find and choose the customer first.")
            else:
                ok, new_id = attempt(
                    dp.log_request, me, customer_id, kind.value, received, identity, details, uow()
                )
                if ok:
                    similar = try_read(dp.open_requests_like, me, new_id, uow())
                    if similar:
                        st.session_state[NOTE_KEY] = (
                            f"This customer already has an open {kind.label.lower()}: "
                            + ", ".join(f"#{r.id} (received {r.received_on:%d %b %Y})" for r in similar)
                            + ". Check the new request is not the same one; if it is, close it as refused."
                        )
                    rerun_with_message(f"Request #{new_id} logged.")

    unchecked = [r for r in open_requests if not r.identity_checked]
    if unchecked:
        with st.form("confirm_identity"):
            st.subheader("Confirm the requester's identity")
            chosen = st.selectbox("Request", unchecked, format_func=request_label)
            how = st.text_input("How the identity was checked")
            if st.form_submit_button("Confirm identity"):
                ok, _ = attempt(dp.confirm_identity, me, chosen.id, how, uow())
                if ok:
                    rerun_with_message(f"Identity confirmed on request #{chosen.id}.")

with sar_tab:
    sars = [r for r in open_requests if r.kind == DataRequestKind.SAR]
    if not sars:
        st.info("No open subject access requests.")
    else:
        chosen = st.selectbox("Subject access request", sars, format_func=request_label, key="sar_pick")
        if st.button("Build the subject access pack", type="primary"):
            bar = st.progress(0.0, text="Starting")
            ok, pack = attempt(
                dp.build_sar_pack,
                me,
                uow(),
                request_id=chosen.id,
                progress=lambda fraction, message: bar.progress(fraction, text=message),
            )
            if ok:
                st.session_state["sar_pack"] = (chosen.id, pack)
        built = st.session_state.get("sar_pack")
        if built and built[0] == chosen.id:
            st.success(
                "Pack ready. Before release, action every item in "
                "FOR_DMO_REVIEW_remove_before_release/redactions.csv, then delete that folder."
            )
            st.download_button(
                "Download the pack (.zip)", built[1], file_name=f"sar-{built[0]}.zip", mime="application/zip"
            )
        with st.form("sar_released"):
            note = st.text_input("How and when the pack was sent")
            if st.form_submit_button("Mark as released"):
                ok, _ = attempt(dp.complete_request, me, chosen.id, "released", note, uow())
                if ok:
                    st.session_state.pop("sar_pack", None)
                    rerun_with_message(f"Request #{chosen.id} closed as released.")

with rect_tab:
    rects = [r for r in open_requests if r.kind == DataRequestKind.RECTIFICATION]
    if not rects:
        st.info("No open rectification requests.")
    else:
        chosen = st.selectbox("Rectification request", rects, format_func=request_label, key="rect_pick")
        st.text(f"Disputed: {chosen.details}")
        ok, records = attempt(dp.rectifiable_records, me, chosen.id, uow())
        records = records or []
        record = st.selectbox("Record", records, format_func=lambda r: r.label, key="rect_record")
        field = None
        if record:
            field = st.selectbox(
                "Field (leave as '(whole record)' to remove the record)",
                ["(whole record)"] + list(record.fields),
                key="rect_field",
            )
            if field != "(whole record)":
                st.text(f"Current value: {record.fields[field]}")
        with st.form("rectify"):
            decision = st.radio("Decision", ["amend", "annotate", "remove", "refuse"], horizontal=True)
            value = st.text_area("New value (amend) or annotation text (annotate)")
            reason = st.text_area("Reason for the decision")
            if st.form_submit_button("Record decision"):
                change = {}
                if record and decision != "refuse":
                    change = {"entity_type": record.entity_type, "entity_id": record.entity_id}
                    if field and field != "(whole record)":
                        change["field"] = field
                    change["value" if decision == "amend" else "text"] = value
                ok, result = attempt(
                    dp.decide_rectification,
                    me,
                    chosen.id,
                    decision,
                    reason,
                    [change] if change else [],
                    uow(),
                )
                if ok and result is not None:
                    rerun_with_message(
                        f"Decision on request #{chosen.id} recorded ({result['decision']}); "
                        "the change is in the audit log."
                    )

with erase_tab:
    erasures = [r for r in open_requests if r.kind == DataRequestKind.ERASURE]
    if not erasures:
        st.info("No open erasure requests.")
    else:
        chosen = st.selectbox("Erasure request", erasures, format_func=request_label, key="erase_pick")
        ok, blockers = attempt(dp.erasure_check, me, chosen.customer_id, uow())
        for blocker in blockers or []:  # may quote a legal-hold reason someone typed
            st.warning(f"Cannot be erased now: {md_escape(blocker)}")
        with st.form("erase"):
            st.write(
                "Erasure removes names, contact details and free text, and keeps the anonymised "
                "facts (dates, categories, behaviours, stages, service areas) for statistics. "
                "Audit entries are kept (who did what, and when); their before and after "
                "values are replaced by a redaction marker."
            )
            reason = st.text_input("Reason")
            sure = st.checkbox("I have checked this request and want to erase this customer's personal data")
            if st.form_submit_button("Erase personal data", type="primary"):
                if not sure:
                    st.error("Tick the confirmation box first.")
                else:
                    ok, result = attempt(escaped(dp.erase_customer), me, chosen.id, uow(), reason=reason)
                    if ok:
                        rerun_with_message(
                            f"Request #{chosen.id}: personal data erased; anonymised "
                            "facts kept for statistics."
                        )
        with st.form("refuse_erasure"):
            why = st.text_area("Reason for refusing")
            if st.form_submit_button("Refuse the request"):
                ok, _ = attempt(dp.complete_request, me, chosen.id, "refused", why, uow())
                if ok:
                    rerun_with_message(f"Request #{chosen.id} closed as refused.")

with hold_tab:
    st.write(
        "A legal hold stops erasure and retention deletion while a claim or proceedings need the records."
    )
    hold_customer = pick_customer("hold")
    with st.form("legal_hold"):
        on = st.radio("Legal hold", ["Place a hold", "Release the hold"], horizontal=True) == "Place a hold"
        reason = st.text_input("Reason")
        if st.form_submit_button("Save legal hold"):
            if hold_customer is None:
                st.error("Find and choose the customer first.")
            else:
                ok, _ = attempt(dp.set_legal_hold, me, hold_customer, on, reason, uow())
                if ok:
                    rerun_with_message("Legal hold " + ("placed." if on else "released."))

with retention_tab:
    years = st.number_input(
        "Retention period (years without activity after closure)",
        min_value=1,
        max_value=100,
        value=retention_years(),
        step=1,
    )
    found = try_read(dp.retention_candidates, me, uow(), years=int(years))
    if found is not None:
        st.caption(f"Closed cases with no activity since {found.cutoff:%d %B %Y}.")
        if not found.cases:
            st.info("No cases are due for deletion.")
        else:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Case": c.case_id,
                            "Customer": c.customer,
                            "Closed": c.closed_at or "",
                            "Last activity": c.last_activity,
                            "Cannot delete because": c.blocked_reason,
                        }
                        for c in found.cases
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
            deletable = [c.case_id for c in found.cases if not c.blocked]
            with st.form("retention"):
                chosen_cases = st.multiselect("Cases to delete", deletable, default=deletable)
                sure = st.checkbox("I have reviewed these cases: delete them completely, with their letters")
                if st.form_submit_button("Delete the chosen cases", type="primary"):
                    if not sure:
                        st.error("Tick the confirmation box first.")
                    else:
                        ok, result = attempt(
                            dp.confirm_retention_deletion, me, chosen_cases, uow(), years=int(years)
                        )
                        if ok and result is not None:
                            rerun_with_message(
                                f"Deleted {len(result['cases_deleted'])} case(s) and "
                                f"{len(result['customers_deleted'])} customer record(s)."
                            )
