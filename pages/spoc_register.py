"""SPOC register (clause 5): team leaders request a SPOC; the Data Management Officer records the
review meeting and decision, keeps the central register and reviews it."""
import datetime as dt

import pandas as pd
import streamlit as st

from core.enums import Channel, ReviewOutcome
from core.permissions import Permission as P
from core.policy.deadlines import add_months
from core.services import registers
from core.services.users import list_service_areas
from ui.session import actor, attempt, rerun_with_message, show_message, uow

me = actor()
today = dt.date.today()


st.header("SPOC register")
show_message()
st.caption("Single points of contact approved by the Data Management Officer (clause 5). "
           "Reviews fall 3 to 12 months after the start.")


def due_lists(overdue: list[dict], due: list[dict]) -> None:
    """Overdue reviews in red, those due in the next 30 days separately."""
    if overdue:
        st.error(f"**Review overdue ({len(overdue)})**")
        st.dataframe(pd.DataFrame(overdue)[["customer", "housing_ref", "spoc_officer", "review_due"]],
                     hide_index=True, width="stretch")
    if due:
        st.warning(f"**Review due in the next 30 days ({len(due)})**")
        st.dataframe(pd.DataFrame(due)[["customer", "housing_ref", "spoc_officer", "review_due"]],
                     hide_index=True, width="stretch")
    if not overdue and not due:
        st.success("No SPOC reviews are overdue or due in the next 30 days.")


def highlight(row: pd.Series) -> list[str]:
    colour = {"Review overdue": "background-color: #f8d7da",
              "Review due in the next 30 days": "background-color: #fff3cd"}.get(row.get("review_state"), "")
    return [colour] * len(row)


ok, overdue = attempt(registers.spoc_register, me, uow(), "overdue")
ok2, due = attempt(registers.spoc_register, me, uow(), "due")
if ok and ok2:
    due_lists(overdue, due)

# --- the register, filtered and exportable ---------------------------------------------------
st.subheader("Register")
areas = {a["name"]: a["id"] for a in list_service_areas(uow())}
STATUSES = {"Active": "active", "Due for review (next 30 days)": "due", "Review overdue": "overdue",
            "Ended": "ended", "All": "all"}
left, right = st.columns(2)
status = STATUSES[left.selectbox("Show", list(STATUSES), key="spoc_status")]
area_name = right.selectbox("Service area", ["All service areas"] + list(areas), key="spoc_area")
area_id = areas.get(area_name)
ok, rows = attempt(registers.spoc_register, me, uow(), status, area_id)
if ok:
    if rows:
        table = pd.DataFrame(rows).drop(columns=["customer_id"])
        st.dataframe(table.style.apply(highlight, axis=1), hide_index=True, width="stretch")
    else:
        st.info("No SPOC entries match.")
    export_actor, export_status, export_area = me, status, area_id
    c1, c2, _ = st.columns([1, 1, 3])
    for column, fmt, label in ((c1, "csv", "Download CSV"), (c2, "xlsx", "Download Excel")):
        column.download_button(
            label, key=f"spoc_export_{fmt}", file_name=f"spoc_register_{today:%Y-%m-%d}.{fmt}",
            data=lambda fmt=fmt: registers.export_register(export_actor, "spoc_register", fmt, uow,
                                                           status=export_status, service_area_id=export_area)[1],
            on_click="ignore")

# --- team leader: request a SPOC -------------------------------------------------------------
if me.can(P.REQUEST_SPOC):
    st.subheader("Request a SPOC")
    ok, cases = attempt(registers.spoc_request_cases, me, uow())
    if ok and not cases:
        st.info("No open case is at the formal stage: a SPOC is considered at the formal stage.")
    elif ok:
        labels = {f"{c['customer']} ({c['housing_ref']}), case {c['case_id']}": c["case_id"] for c in cases}
        case_id = labels[st.selectbox("Case", list(labels), key="spoc_request_case")]
        ok, evidence = attempt(registers.spoc_evidence_choices, me, case_id, uow())
        choices = {f"#{e['id']} {e['occurred_on']:%d %b %Y} {e['category']}: {e['summary']}": e["id"]
                   for e in (evidence or [])}
        with st.form("spoc_request", clear_on_submit=True):
            picked = st.multiselect("Evidence: incidents (hearsay is not listed)", list(choices),
                                    key="spoc_request_evidence")
            reason = st.text_area("Reason for the SPOC", key="spoc_request_reason")
            if st.form_submit_button("Send the request to the Data Management Officer"):
                ok, request_id = attempt(registers.request_spoc, me, case_id, reason,
                                         [choices[p] for p in picked], uow())
                if ok:
                    rerun_with_message(f"SPOC request {request_id} sent to the Data Management Officer.")

# --- DMO: review meeting and decision ----------------------------------------------------------
if me.can(P.MANAGE_SPOC_REGISTER):
    st.subheader("SPOC requests waiting for a decision")
    ok, pending = attempt(registers.spoc_requests, me, uow(), "pending")
    if ok and not pending:
        st.info("No SPOC requests are waiting.")
    elif ok:
        labels = {f"Request {r['request_id']}: {r['customer']} ({r['housing_ref']}), "
                  f"from {r['requested_by']} on {r['requested_on']:%d %b %Y}": r for r in pending}
        request = labels[st.selectbox("Request", list(labels), key="spoc_decide_request")]
        st.markdown("**Reason given**")
        st.text(request["reason"])
        st.markdown("**Evidence**")
        st.dataframe(pd.DataFrame(request["evidence"]), hide_index=True, width="stretch")
        officers = {f"{o['name']} ({o['role']}{', ' + o['service_area'] if o['service_area'] else ''})": o["id"]
                    for o in registers.spoc_officer_choices(me, uow())}
        with st.form("spoc_decision"):
            st.markdown("**SPOC review meeting**")
            meeting_on = st.date_input("Meeting date", value=today, max_value=today, key="spoc_meeting_on")
            attendees = st.text_area("Attendees (all relevant parties)", key="spoc_attendees")
            discussion = st.text_area("Discussion", key="spoc_discussion")
            decision = st.radio("Decision", ["Approve", "Reject"], horizontal=True, key="spoc_decision_choice")
            decision_reason = st.text_area("Reason for the decision", key="spoc_decision_reason")
            st.markdown("**Terms (when approving)**")
            officer = st.selectbox("Single point of contact", list(officers), key="spoc_officer")
            channels = st.multiselect("Channels the customer may use", list(Channel),
                                      format_func=lambda c: c.label, key="spoc_channels")
            contact_times = st.text_input("Contact times", key="spoc_contact_times")
            contact_limit = st.text_input("Contact limit (e.g. two contacts a week)", key="spoc_contact_limit")
            terms = st.text_area("Other terms", key="spoc_terms")
            starts_on = st.date_input("Starts on", value=today, key="spoc_starts_on")
            review_due = st.date_input("Review date (3 to 12 months after the start)",
                                       value=add_months(today, 6), key="spoc_review_due")
            if st.form_submit_button("Record the meeting and decision"):
                ok, result = attempt(
                    registers.record_spoc_meeting_and_decide, me, request["request_id"], meeting_on, attendees,
                    discussion, decision == "Approve", decision_reason, uow(), spoc_user_id=officers.get(officer),
                    channels=[c.value for c in channels], contact_times=contact_times,
                    contact_limit=contact_limit, terms=terms, starts_on=starts_on, review_due=review_due)
                if ok:
                    rerun_with_message("SPOC approved and added to the register." if result["entry_id"]
                               else "SPOC request rejected; the reasons are kept.")

    ok, active = attempt(registers.spoc_register, me, uow(), "active")
    if ok and active:
        st.subheader("Review or end a SPOC")
        entries = {f"{e['customer']} ({e['housing_ref']}), SPOC {e['spoc_officer']}, review "
                   f"{e['review_due']:%d %b %Y}": e["entry_id"] for e in active}
        with st.form("spoc_review", clear_on_submit=True):
            entry = st.selectbox("SPOC", list(entries), key="spoc_review_entry")
            held_on = st.date_input("Review held on", value=today, max_value=today, key="spoc_review_held")
            outcome = st.selectbox("Outcome", [ReviewOutcome.CONTINUE, ReviewOutcome.VARY, ReviewOutcome.LIFT],
                                   format_func=lambda o: o.label, key="spoc_review_outcome")
            evidence = st.text_area("Evidence considered", key="spoc_review_evidence")
            notes = st.text_area("Notes", key="spoc_review_notes")
            next_due = st.date_input("Next review date (continue or vary)", value=add_months(today, 6),
                                     key="spoc_review_next")
            new_terms = st.text_area("New terms (vary only; leave blank to keep)", key="spoc_review_terms")
            if st.form_submit_button("Record the review"):
                ok, _ = attempt(registers.review_spoc, me, entries[entry], held_on, outcome.value, evidence, uow(),
                                notes=notes, next_review_due=next_due, terms=new_terms or None)
                if ok:
                    rerun_with_message("Review recorded.")
        with st.form("spoc_end", clear_on_submit=True):
            entry = st.selectbox("SPOC to end", list(entries), key="spoc_end_entry")
            ended_on = st.date_input("Ended on", value=today, max_value=today, key="spoc_end_on")
            reason = st.text_area("Reason (e.g. overturned on appeal)", key="spoc_end_reason")
            if st.form_submit_button("End the SPOC"):
                ok, _ = attempt(registers.end_spoc, me, entries[entry], ended_on, reason, uow())
                if ok:
                    rerun_with_message("SPOC ended.")

# --- decided requests keep their reasons -------------------------------------------------------
with st.expander("Rejected requests and their reasons"):
    ok, rejected = attempt(registers.spoc_requests, me, uow(), "rejected")
    if ok and rejected:
        st.dataframe(pd.DataFrame(rejected)[["request_id", "customer", "housing_ref", "requested_on", "reason",
                                             "meeting_on", "attendees", "decision_reason", "decided_by"]],
                     hide_index=True, width="stretch")
    elif ok:
        st.write("None.")
