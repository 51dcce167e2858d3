"""SPOC register (clause 5): team leaders request a SPOC; the Data Management Officer records the
review meeting and decision, keeps the central register and reviews it."""

import datetime as dt
import functools

import streamlit as st

from core.enums import Channel
from core.permissions import Actor
from core.permissions import Permission as P
from core.policy import registers as rules
from core.services import registers
from core.services.users import list_service_areas
from ui.pager import cursor, pager, table
from ui.session import actor, attempt, rerun_with_message, show_message, try_read, uow

me = actor()
today = dt.date.today()
REGISTER_COLUMNS = {
    "customer": "Customer",
    "housing_ref": "Housing ref",
    "service_area": "Service area",
    "spoc_officer": "SPOC officer",
    "channels": "Channels",
    "contact_times": "Contact times",
    "contact_limit": "Contact limit",
    "terms": "Terms",
    "starts_on": "Starts",
    "review_due": "Review due",
    "review_state": "Review",
    "status": "Status",
    "ended_on": "Ended",
    "ended_reason": "Why it ended",
}
DECISIONS = {"Approve": True, "Reject": False}


def _export_file(who: Actor, fmt: str, status: str, service_area_id: int | None) -> bytes:
    """The download's bytes, made only when the user clicks it."""
    return registers.export_register(
        who, "spoc_register", fmt, uow, status=status, service_area_id=service_area_id
    )[1]


st.header("SPOC register")
show_message()
st.caption(
    "Single points of contact approved by the Data Management Officer (clause 5). "
    "Reviews fall 3 to 12 months after the start."
)

due = try_read(registers.reviews_due, me, uow())
if due is not None:
    if due.spoc.overdue:
        st.error(f'**Review overdue ({due.spoc.overdue:,})**: choose "Review overdue" below to list them.')
    if due.spoc.due_soon:
        st.warning(
            f"**Review due in the next 30 days ({due.spoc.due_soon:,})**: choose "
            '"Due for review" below to list them.'
        )
    if not due.spoc.overdue and not due.spoc.due_soon:
        st.success("No SPOC reviews are overdue or due in the next 30 days.")

# --- the register, filtered, paged and exportable ----------------------------------------------
st.subheader("Register")
areas = {a["id"]: a["name"] for a in list_service_areas(uow())}
left, middle, right = st.columns(3)
status = left.selectbox(
    "Show",
    registers.SPOC_STATUS_FILTERS,
    format_func=registers.STATUS_FILTER_LABELS.__getitem__,
    key="spoc_status",
)
area_id = middle.selectbox(
    "Service area", [None, *areas], format_func=lambda a: areas.get(a, "All service areas"), key="spoc_area"
)
search = right.text_input("Customer (name or housing reference)", key="spoc_search")
page = try_read(
    registers.spoc_register,
    me,
    uow(),
    status,
    area_id,
    search=search,
    after=cursor("spoc_register", (status, area_id, search)),
)
if page is not None:
    if page.rows:
        table(page.rows, REGISTER_COLUMNS)
    else:
        st.info("No SPOC entries match.")
    pager("spoc_register", page, "SPOC entries")
    export_actor, export_status, export_area = me, status, area_id
    c1, c2 = st.columns([1, 1, 3])[:2]
    for column, fmt, label in ((c1, "csv", "Download CSV"), (c2, "xlsx", "Download Excel")):
        column.download_button(
            label,
            key=f"spoc_export_{fmt}",
            file_name=f"spoc_register_{today:%Y-%m-%d}.{fmt}",
            data=functools.partial(_export_file, export_actor, fmt, export_status, export_area),
            on_click="ignore",
        )

# --- team leader: request a SPOC -------------------------------------------------------------
if me.can(P.REQUEST_SPOC):
    st.subheader("Request a SPOC")
    case_search = st.text_input(
        "Find the case: customer name or housing reference", key="spoc_request_search"
    )
    cases = try_read(registers.spoc_request_cases, me, uow(), search=case_search)
    if cases is not None and not cases.rows:
        st.info(
            "No open case is at the formal stage"
            + (" for that customer" if case_search.strip() else "")
            + ": a SPOC is considered at the formal stage."
        )
    elif cases is not None:
        if cases.total > len(cases.rows):
            st.caption(
                f"The first {len(cases.rows)} of {cases.total:,} cases at the formal stage: "
                "search to find another."
            )
        labels = {c.case_id: f"{c.customer} ({c.housing_ref}), case {c.case_id}" for c in cases.rows}
        case_id = st.selectbox("Case", list(labels), format_func=labels.__getitem__, key="spoc_request_case")
        evidence = try_read(registers.spoc_evidence_choices, me, case_id, uow())
        choices = {
            e.id: f"#{e.id} {e.occurred_on:%d %b %Y} {e.category}: {e.summary}" for e in (evidence or [])
        }
        with st.form("spoc_request", clear_on_submit=True):
            picked = st.multiselect(
                "Evidence: incidents (hearsay is not listed; the most recent 100)",
                list(choices),
                format_func=choices.__getitem__,
                key="spoc_request_evidence",
            )
            reason = st.text_area("Reason for the SPOC", key="spoc_request_reason")
            if st.form_submit_button("Send the request to the Data Management Officer"):
                ok, request_id = attempt(registers.request_spoc, me, case_id, reason, picked, uow())
                if ok:
                    rerun_with_message(f"SPOC request {request_id} sent to the Data Management Officer.")

# --- DMO: review meeting and decision ----------------------------------------------------------
if me.can(P.MANAGE_SPOC_REGISTER):
    st.subheader("SPOC requests waiting for a decision")
    pending = try_read(registers.spoc_requests, me, uow(), "pending", after=cursor("spoc_pending"))
    if pending is not None and not pending.rows:
        st.info("No SPOC requests are waiting.")
        pager("spoc_pending", pending, "requests waiting")
    elif pending is not None:
        labels = {
            r.request_id: f"Request {r.request_id}: {r.customer} ({r.housing_ref}), "
            f"from {r.requested_by} on {r.requested_on:%d %b %Y}"
            for r in pending.rows
        }
        chosen = st.selectbox(
            "Request", list(labels), format_func=labels.__getitem__, key="spoc_decide_request"
        )
        pager("spoc_pending", pending, "requests waiting")
        request = next(r for r in pending.rows if r.request_id == chosen)
        st.markdown("**Reason given**")
        st.text(request.reason)
        st.markdown("**Evidence**")
        table(
            request.evidence,
            {"id": "Incident", "occurred_on": "Date", "category": "Category", "summary": "Summary"},
        )
        officers = {
            o.id: f"{o.name} ({o.role}{', ' + o.service_area if o.service_area else ''})"
            for o in registers.spoc_officer_choices(me, uow())
        }
        with st.form("spoc_decision"):
            st.markdown("**SPOC review meeting**")
            meeting_on = st.date_input("Meeting date", value=today, max_value=today, key="spoc_meeting_on")
            attendees = st.text_area("Attendees (all relevant parties)", key="spoc_attendees")
            discussion = st.text_area("Discussion", key="spoc_discussion")
            decision = st.radio("Decision", list(DECISIONS), horizontal=True, key="spoc_decision_choice")
            decision_reason = st.text_area("Reason for the decision", key="spoc_decision_reason")
            st.markdown("**Terms (when approving)**")
            officer = st.selectbox(
                "Single point of contact",
                list(officers),
                format_func=officers.__getitem__,
                key="spoc_officer",
            )
            channels = st.multiselect(
                "Channels the customer may use",
                list(Channel),
                format_func=lambda c: c.label,
                key="spoc_channels",
            )
            contact_times = st.text_input("Contact times", key="spoc_contact_times")
            contact_limit = st.text_input(
                "Contact limit (e.g. two contacts a week)", key="spoc_contact_limit"
            )
            terms = st.text_area("Other terms", key="spoc_terms")
            starts_on = st.date_input("Starts on", value=today, key="spoc_starts_on")
            review_due = st.date_input(
                "Review date (3 to 12 months after the start)",
                value=rules.default_spoc_review_due(today),
                key="spoc_review_due",
            )
            if st.form_submit_button("Record the meeting and decision"):
                ok, result = attempt(
                    registers.record_spoc_meeting_and_decide,
                    me,
                    request.request_id,
                    registers.SpocMeeting(
                        meeting_on,
                        attendees,
                        discussion,
                        DECISIONS[decision],
                        decision_reason,
                        spoc_user_id=officer,
                        channels=[c.value for c in channels],
                        contact_times=contact_times,
                        contact_limit=contact_limit,
                        terms=terms,
                        starts_on=starts_on,
                        review_due=review_due,
                    ),
                    uow(),
                )
                if ok and result is not None:
                    rerun_with_message(
                        "SPOC approved and added to the register. It is now in force: send the "
                        "customer the SPOC letter (Letters: Single point of contact arrangement)."
                        if result.entry_id
                        else "SPOC request rejected; the reasons are kept. No SPOC is in force."
                    )

    st.subheader("Review or end a SPOC")
    find = st.text_input(
        "Find a live SPOC: customer name or housing reference (most urgent review first)",
        key="spoc_review_search",
    )
    active = try_read(registers.spoc_register, me, uow(), "active", search=find, limit=25)
    if active is not None and not active.rows:
        st.info("No live SPOC matches." if find.strip() else "No SPOC is live.")
    elif active is not None:
        entries = {
            e.entry_id: f"{e.customer} ({e.housing_ref}), SPOC {e.spoc_officer}, review "
            f"{e.review_due:%d %b %Y}"
            for e in active.rows
        }
        with st.form("spoc_review", clear_on_submit=True):
            entry = st.selectbox(
                "SPOC", list(entries), format_func=entries.__getitem__, key="spoc_review_entry"
            )
            held_on = st.date_input("Review held on", value=today, max_value=today, key="spoc_review_held")
            outcome = st.selectbox(
                "Outcome",
                rules.SPOC_REVIEW_OUTCOMES,
                format_func=lambda o: o.label,
                key="spoc_review_outcome",
            )
            considered = st.text_area("Evidence considered", key="spoc_review_evidence")
            notes = st.text_area("Notes", key="spoc_review_notes")
            next_due = st.date_input(
                "Next review date (continue or vary)",
                value=rules.default_spoc_review_due(today),
                key="spoc_review_next",
            )
            new_terms = st.text_area("New terms (vary only; leave blank to keep)", key="spoc_review_terms")
            if st.form_submit_button("Record the review"):
                ok, _ = attempt(
                    registers.review_spoc,
                    me,
                    entry,
                    registers.SpocReview(
                        held_on,
                        outcome.value,
                        considered,
                        notes=notes,
                        next_review_due=next_due,
                        terms=new_terms or None,
                    ),
                    uow(),
                )
                if ok:
                    rerun_with_message("Review recorded.")
        with st.form("spoc_end", clear_on_submit=True):
            entry = st.selectbox(
                "SPOC to end", list(entries), format_func=entries.__getitem__, key="spoc_end_entry"
            )
            ended_on = st.date_input("Ended on", value=today, max_value=today, key="spoc_end_on")
            reason = st.text_area("Reason (e.g. overturned on appeal)", key="spoc_end_reason")
            if st.form_submit_button("End the SPOC"):
                ok, _ = attempt(registers.end_spoc, me, entry, ended_on, reason, uow())
                if ok:
                    rerun_with_message("SPOC ended.")

# --- decided requests keep their reasons -------------------------------------------------------
with st.expander("Rejected requests and their reasons"):
    rejected = try_read(registers.spoc_requests, me, uow(), "rejected", after=cursor("spoc_rejected"))
    if rejected is not None and rejected.rows:
        table(
            rejected.rows,
            {
                "request_id": "Request",
                "customer": "Customer",
                "housing_ref": "Housing ref",
                "requested_on": "Requested",
                "reason": "Reason",
                "meeting_on": "Meeting",
                "attendees": "Attendees",
                "decision_reason": "Reason for the decision",
                "decided_by": "Decided by",
            },
        )
        pager("spoc_rejected", rejected, "rejected requests")
    elif rejected is not None:
        st.write("None.")
