"""PVP register (clauses 4.1, 5): considerations from violent incidents wait in a queue; a team
leader proposes an entry; the H&S Well-being Officer approves it (two steps), decides on the
customer notice, reviews and removes entries, and exports the red-flag list."""

import datetime as dt
import functools

import streamlit as st

from core.permissions import Actor
from core.permissions import Permission as P
from core.policy import registers as rules
from core.services import registers
from ui.pager import cursor, pager, table
from ui.session import actor, attempt, rerun_with_message, show_message, try_read, uow

me = actor()
today = dt.date.today()
QUEUE_COLUMNS = {
    "customer": "Customer",
    "housing_ref": "Housing ref",
    "incident_on": "Incident",
    "physical_violence": "Physical violence",
    "police_reference": "Police ref",
    "summary": "What happened",
    "hearsay": "Hearsay",
    "raised_on": "Raised",
}
REGISTER_COLUMNS = {
    "customer": "Customer",
    "housing_ref": "Housing ref",
    "flag_type": "Flag",
    "status": "Status",
    "review_due": "Review due",
    "review_state": "Review",
    "customer_notice": "Customer told",
    "arrangements": "Arrangements",
    "two_officers_on_visits": "Two officers",
    "starts_on": "Starts",
    "proposed_by": "Proposed by",
    "proposed_on": "Proposed",
    "approved_by": "Approved by",
    "reasons": "Reasons",
    "ended_on": "Ended",
    "ended_reason": "Why it ended",
}
NOTICE = {
    "Tell the customer in writing (PVP notice letter)": True,
    "Do not tell the customer yet: telling them would create a risk": False,
}
NOTICE_LATER = {"Customer told in writing today": True, "Still not told": False}


def _export_file(who: Actor, register: str, fmt: str, status: str = "all") -> bytes:
    """The download's bytes, made only when the user clicks it."""
    return registers.export_register(who, register, fmt, uow, status=status)[1]


st.header("PVP register")
show_message()
st.caption(
    "Potentially Violent Person register, kept by the H&S Well-being Officer. An entry goes live "
    "only when the officer approves it, and is reviewed at most 12 months later."
)

due = try_read(registers.reviews_due, me, uow())
if due is not None:
    if due.pvp.overdue:
        st.error(f'**Review overdue ({due.pvp.overdue:,})**: choose "Review overdue" below to list them.')
    if due.pvp.due_soon:
        st.warning(
            f"**Review due in the next 30 days ({due.pvp.due_soon:,})**: choose "
            '"Due for review" below to list them.'
        )
    if not due.pvp.overdue and not due.pvp.due_soon:
        st.success("No PVP reviews are overdue or due in the next 30 days.")

# --- the queue of considerations: physical violence first, then the newest ---------------------
queue: list[registers.PvpQueueRow] = []
if registers.sees_pvp_queue(me):
    st.subheader("Considerations waiting (violence or threats)")
    waiting = try_read(registers.pvp_queue, me, uow(), after=cursor("pvp_queue"))
    if waiting is not None and waiting.rows:
        queue = waiting.rows
        st.caption("Physical violence first, then the newest incident.")
        table(queue, QUEUE_COLUMNS)
        pager("pvp_queue", waiting, "considerations waiting")
    elif waiting is not None:
        st.info("No PVP considerations are waiting.")
        pager("pvp_queue", waiting, "considerations waiting")
queue_labels = {
    q.consideration_id: f"#{q.consideration_id} {q.customer} ({q.housing_ref}), incident "
    f"{q.incident_on:%d %b %Y}"
    for q in queue
}
by_id = {q.consideration_id: q for q in queue}

if me.can(P.PROPOSE_PVP) and queue:
    with st.form("pvp_propose", clear_on_submit=True):
        st.markdown("**Propose a PVP entry** (it goes live only when the H&S Well-being Officer approves it)")
        picked = st.selectbox(
            "Consideration (from the page shown above)",
            list(queue_labels),
            format_func=queue_labels.__getitem__,
            key="pvp_propose_consideration",
        )
        reasons = st.text_area("Reasons", key="pvp_propose_reasons")
        arrangements = st.text_area(
            "Arrangements for staff and contractors (no reasons)", key="pvp_propose_arrangements"
        )
        two_officers = st.checkbox("Two officers on visits", value=True, key="pvp_propose_two_officers")
        if st.form_submit_button("Propose the entry"):
            ok, entry_id = attempt(
                registers.propose_pvp,
                me,
                by_id[picked].customer_id,
                picked,
                reasons,
                arrangements,
                two_officers,
                uow(),
            )
            if ok:
                rerun_with_message(f"PVP entry {entry_id} proposed to the H&S Well-being Officer.")

if me.can(P.MANAGE_PVP_REGISTER) and queue:
    with st.form("pvp_close", clear_on_submit=True):
        st.markdown("**No entry needed**")
        picked = st.selectbox(
            "Consideration (from the page shown above)",
            list(queue_labels),
            format_func=queue_labels.__getitem__,
            key="pvp_close_consideration",
        )
        reason = st.text_area("Why no PVP entry is needed", key="pvp_close_reason")
        if st.form_submit_button("Close the consideration"):
            ok, _ = attempt(registers.close_pvp_consideration, me, picked, reason, uow())
            if ok:
                rerun_with_message("Consideration closed; the reason is kept.")

# --- H&S officer: approve or reject proposals ------------------------------------------------
if me.can(P.MANAGE_PVP_REGISTER):
    st.subheader("Proposed entries waiting for approval")
    pending = try_read(registers.pvp_register, me, uow(), "pending", after=cursor("pvp_pending"))
    if pending is not None and not pending.rows:
        st.info("No proposed entries are waiting.")
        pager("pvp_pending", pending, "proposals waiting")
    elif pending is not None:
        labels = {
            p.entry_id: f"Entry {p.entry_id}: {p.customer} ({p.housing_ref}), proposed by "
            f"{p.proposed_by} on {p.proposed_on:%d %b %Y}"
            for p in pending.rows
        }
        chosen = st.selectbox(
            "Proposed entry", list(labels), format_func=labels.__getitem__, key="pvp_approve_entry"
        )
        pager("pvp_pending", pending, "proposals waiting")
        proposal = next(p for p in pending.rows if p.entry_id == chosen)
        st.markdown("**Reasons**")
        st.text(proposal.reasons)
        st.markdown("**Arrangements**")
        st.text(proposal.arrangements or "(none given)")
        st.text(f"Two officers on visits: {'yes' if proposal.two_officers_on_visits else 'no'}")
        with st.form("pvp_approve"):
            review_due = st.date_input(
                "Review date (at most 12 months away)",
                value=rules.default_pvp_review_due(today),
                key="pvp_review_due",
            )
            notice = st.radio("Tell the customer", list(NOTICE), key="pvp_notice")
            not_notified_reason = st.text_area(
                "Why telling the customer would itself create a risk", key="pvp_not_notified_reason"
            )
            reconsider_on = st.date_input(
                "Date to reconsider telling the customer", value=None, key="pvp_reconsider_on"
            )
            reject_reason = st.text_area(
                "Reason for rejecting (only when rejecting)", key="pvp_reject_reason"
            )
            approve_clicked = st.form_submit_button("Approve: the entry goes live")
            reject_clicked = st.form_submit_button("Reject the proposal")
            if approve_clicked:
                ok, _ = attempt(
                    registers.approve_pvp,
                    me,
                    proposal.entry_id,
                    review_due,
                    NOTICE[notice],
                    uow(),
                    not_notified_reason=not_notified_reason,
                    reconsider_notice_on=reconsider_on,
                )
                if ok:
                    rerun_with_message("PVP entry approved: it is live and on the red-flag list.")
            elif reject_clicked:
                ok, _ = attempt(registers.reject_pvp, me, proposal.entry_id, reject_reason, uow())
                if ok:
                    rerun_with_message("Proposal rejected; the reasons are kept.")

    st.subheader("Live entries: notice, review and removal")
    find = st.text_input(
        "Find a live entry: customer name or housing reference (most urgent review first)",
        key="pvp_live_search",
    )
    live = try_read(registers.pvp_register, me, uow(), "active", search=find, limit=25)
    if live is not None and not live.rows:
        st.info("No live entry matches." if find.strip() else "No PVP entry is live.")
    elif live is not None:
        entries = {
            e.entry_id: f"Entry {e.entry_id}: {e.customer} ({e.housing_ref}), review {e.review_due:%d %b %Y}"
            for e in live.rows
        }
        with st.form("pvp_notice_decision", clear_on_submit=True):
            st.markdown("**Telling the customer**")
            entry = st.selectbox(
                "Entry", list(entries), format_func=entries.__getitem__, key="pvp_notice_entry"
            )
            tell = st.radio("Decision", list(NOTICE_LATER), key="pvp_notice_choice")
            reason = st.text_area("Why not yet", key="pvp_notice_reason")
            reconsider = st.date_input("Reconsider by", value=None, key="pvp_notice_reconsider")
            if st.form_submit_button("Record the notice decision"):
                ok, _ = attempt(
                    registers.record_pvp_notice_decision,
                    me,
                    entry,
                    NOTICE_LATER[tell],
                    uow(),
                    not_notified_reason=reason,
                    reconsider_notice_on=reconsider,
                )
                if ok:
                    rerun_with_message("Notice decision recorded.")
        with st.form("pvp_review", clear_on_submit=True):
            st.markdown("**Review**")
            entry = st.selectbox(
                "Entry", list(entries), format_func=entries.__getitem__, key="pvp_review_entry"
            )
            held_on = st.date_input("Review held on", value=today, max_value=today, key="pvp_review_held")
            outcome = st.selectbox(
                "Outcome", rules.PVP_REVIEW_OUTCOMES, format_func=lambda o: o.label, key="pvp_review_outcome"
            )
            evidence = st.text_area("Evidence considered", key="pvp_review_evidence")
            notes = st.text_area(
                "Notes (why it is no longer justified, when lifting)", key="pvp_review_notes"
            )
            next_due = st.date_input(
                "Next review date (at most 12 months away)",
                value=rules.default_pvp_review_due(today),
                key="pvp_review_next",
            )
            if st.form_submit_button("Record the review"):
                ok, _ = attempt(
                    registers.review_pvp,
                    me,
                    entry,
                    held_on,
                    outcome.value,
                    evidence,
                    uow(),
                    notes=notes,
                    next_review_due=next_due,
                )
                if ok:
                    rerun_with_message("Review recorded.")
        with st.form("pvp_remove", clear_on_submit=True):
            st.markdown("**Remove from the register**")
            entry = st.selectbox(
                "Entry", list(entries), format_func=entries.__getitem__, key="pvp_remove_entry"
            )
            ended_on = st.date_input("Removed on", value=today, max_value=today, key="pvp_remove_on")
            reason = st.text_area("Why the entry is no longer justified", key="pvp_remove_reason")
            if st.form_submit_button("Remove the entry"):
                ok, _ = attempt(registers.remove_pvp, me, entry, ended_on, reason, uow())
                if ok:
                    rerun_with_message("Entry removed; the red flag comes off the next export.")

    st.subheader("Red-flag list for the housing management system")
    st.caption(
        "One row per flagged tenant: housing reference, flag type, start and review dates. "
        "No incident details. The download has every row."
    )
    flags = try_read(registers.red_flags, me, uow(), after=cursor("red_flags"))
    if flags is not None:
        table(flags.rows, {c: c for c in registers.RED_FLAG_COLUMNS})
        pager("red_flags", flags, "flagged tenants")
        export_actor = me
        c1, c2, _spacer = st.columns([1, 1, 3])
        for column, fmt, label in (
            (c1, "csv", "Download red flags (CSV)"),
            (c2, "xlsx", "Download red flags (Excel)"),
        ):
            column.download_button(
                label,
                key=f"red_flags_{fmt}",
                file_name=f"red_flags_{today:%Y-%m-%d}.{fmt}",
                data=functools.partial(_export_file, export_actor, "red_flags", fmt),
                on_click="ignore",
            )

# --- the register ------------------------------------------------------------------------------
st.subheader("Register")
left, right = st.columns(2)
status = left.selectbox(
    "Show",
    registers.PVP_STATUS_FILTERS,
    format_func=registers.STATUS_FILTER_LABELS.__getitem__,
    key="pvp_status",
)
search = right.text_input("Customer (name or housing reference)", key="pvp_search")
page = try_read(
    registers.pvp_register, me, uow(), status, search=search, after=cursor("pvp_register", (status, search))
)
if page is not None:
    if page.rows:
        table(page.rows, REGISTER_COLUMNS)
    else:
        st.info("No PVP entries match.")
    pager("pvp_register", page, "PVP entries")
    export_actor, export_status = me, status
    c1, c2, _spacer = st.columns([1, 1, 3])
    for column, fmt, label in ((c1, "csv", "Download CSV"), (c2, "xlsx", "Download Excel")):
        column.download_button(
            label,
            key=f"pvp_export_{fmt}",
            file_name=f"pvp_register_{today:%Y-%m-%d}.{fmt}",
            data=functools.partial(_export_file, export_actor, "pvp_register", fmt, status=export_status),
            on_click="ignore",
        )
