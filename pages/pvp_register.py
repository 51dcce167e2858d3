"""PVP register (clauses 4.1, 5): considerations from violent incidents wait in a queue; a team
leader proposes an entry; the H&S Well-being Officer approves it (two steps), decides on the
customer notice, reviews and removes entries, and exports the red-flag list."""
import datetime as dt

import pandas as pd
import streamlit as st

from core.enums import ReviewOutcome
from core.permissions import Permission as P
from core.policy.deadlines import add_months
from core.services import registers
from ui.session import actor, attempt, rerun_with_message, show_message, uow

me = actor()
today = dt.date.today()


st.header("PVP register")
show_message()
st.caption("Potentially Violent Person register, kept by the H&S Well-being Officer. An entry goes live "
           "only when the officer approves it, and is reviewed at most 12 months later.")

SHORT = ["customer", "housing_ref", "flag_type", "review_due", "customer_notice"]
ok, overdue = attempt(registers.pvp_register, me, uow(), "overdue")
ok2, due = attempt(registers.pvp_register, me, uow(), "due")
if ok and ok2:
    if overdue:
        st.error(f"**Review overdue ({len(overdue)})**")
        st.dataframe(pd.DataFrame(overdue)[SHORT], hide_index=True, width="stretch")
    if due:
        st.warning(f"**Review due in the next 30 days ({len(due)})**")
        st.dataframe(pd.DataFrame(due)[SHORT], hide_index=True, width="stretch")
    if not overdue and not due:
        st.success("No PVP reviews are overdue or due in the next 30 days.")

# --- the queue of considerations ---------------------------------------------------------------
queue = []
if me.can(P.PROPOSE_PVP) or me.can(P.MANAGE_PVP_REGISTER):
    st.subheader("Considerations waiting (violence or threats)")
    ok, queue = attempt(registers.pvp_queue, me, uow())
    queue = queue or []
    if queue:
        st.dataframe(pd.DataFrame(queue).drop(columns=["customer_id"]), hide_index=True, width="stretch")
    elif ok:
        st.info("No PVP considerations are waiting.")
queue_labels = {f"#{q['consideration_id']} {q['customer']} ({q['housing_ref']}), incident "
                f"{q['incident_on']:%d %b %Y}": q for q in queue}

if me.can(P.PROPOSE_PVP) and queue:
    with st.form("pvp_propose", clear_on_submit=True):
        st.markdown("**Propose a PVP entry** (it goes live only when the H&S Well-being Officer approves it)")
        picked = st.selectbox("Consideration", list(queue_labels), key="pvp_propose_consideration")
        reasons = st.text_area("Reasons", key="pvp_propose_reasons")
        arrangements = st.text_area("Arrangements for staff and contractors (no reasons)",
                                    key="pvp_propose_arrangements")
        two_officers = st.checkbox("Two officers on visits", value=True, key="pvp_propose_two_officers")
        if st.form_submit_button("Propose the entry"):
            item = queue_labels[picked]
            ok, entry_id = attempt(registers.propose_pvp, me, item["customer_id"], item["consideration_id"],
                                   reasons, arrangements, two_officers, uow())
            if ok:
                rerun_with_message(f"PVP entry {entry_id} proposed to the H&S Well-being Officer.")

if me.can(P.MANAGE_PVP_REGISTER) and queue:
    with st.form("pvp_close", clear_on_submit=True):
        st.markdown("**No entry needed**")
        picked = st.selectbox("Consideration", list(queue_labels), key="pvp_close_consideration")
        reason = st.text_area("Why no PVP entry is needed", key="pvp_close_reason")
        if st.form_submit_button("Close the consideration"):
            ok, _ = attempt(registers.close_pvp_consideration, me, queue_labels[picked]["consideration_id"],
                            reason, uow())
            if ok:
                rerun_with_message("Consideration closed; the reason is kept.")

# --- H&S officer: approve or reject proposals ------------------------------------------------
if me.can(P.MANAGE_PVP_REGISTER):
    st.subheader("Proposed entries waiting for approval")
    ok, pending = attempt(registers.pvp_register, me, uow(), "pending")
    if ok and not pending:
        st.info("No proposed entries are waiting.")
    elif ok:
        labels = {f"Entry {p['entry_id']}: {p['customer']} ({p['housing_ref']}), proposed by "
                  f"{p['proposed_by']} on {p['proposed_on']:%d %b %Y}": p for p in pending}
        proposal = labels[st.selectbox("Proposed entry", list(labels), key="pvp_approve_entry")]
        st.markdown("**Reasons**")
        st.text(proposal["reasons"])
        st.markdown("**Arrangements**")
        st.text(proposal["arrangements"] or "(none given)")
        st.text(f"Two officers on visits: {'yes' if proposal['two_officers_on_visits'] else 'no'}")
        with st.form("pvp_approve"):
            review_due = st.date_input("Review date (at most 12 months away)", value=add_months(today, 12),
                                       key="pvp_review_due")
            notice = st.radio("Tell the customer", ["Tell the customer in writing (PVP notice letter)",
                                                    "Do not tell the customer yet: telling them would create a risk"],
                              key="pvp_notice")
            not_notified_reason = st.text_area("Why telling the customer would itself create a risk",
                                               key="pvp_not_notified_reason")
            reconsider_on = st.date_input("Date to reconsider telling the customer", value=None,
                                          key="pvp_reconsider_on")
            reject_reason = st.text_area("Reason for rejecting (only when rejecting)", key="pvp_reject_reason")
            approve_clicked = st.form_submit_button("Approve: the entry goes live")
            reject_clicked = st.form_submit_button("Reject the proposal")
            if approve_clicked:
                ok, _ = attempt(registers.approve_pvp, me, proposal["entry_id"], review_due,
                                notice.startswith("Tell"), uow(), not_notified_reason=not_notified_reason,
                                reconsider_notice_on=reconsider_on)
                if ok:
                    rerun_with_message("PVP entry approved: it is live and on the red-flag list.")
            elif reject_clicked:
                ok, _ = attempt(registers.reject_pvp, me, proposal["entry_id"], reject_reason, uow())
                if ok:
                    rerun_with_message("Proposal rejected; the reasons are kept.")

    ok, live = attempt(registers.pvp_register, me, uow(), "active")
    if ok and live:
        st.subheader("Live entries: notice, review and removal")
        entries = {f"Entry {e['entry_id']}: {e['customer']} ({e['housing_ref']}), review "
                   f"{e['review_due']:%d %b %Y}": e["entry_id"] for e in live}
        with st.form("pvp_notice_decision", clear_on_submit=True):
            st.markdown("**Telling the customer**")
            entry = st.selectbox("Entry", list(entries), key="pvp_notice_entry")
            tell = st.radio("Decision", ["Customer told in writing today", "Still not told"],
                            key="pvp_notice_choice")
            reason = st.text_area("Why not yet", key="pvp_notice_reason")
            reconsider = st.date_input("Reconsider by", value=None, key="pvp_notice_reconsider")
            if st.form_submit_button("Record the notice decision"):
                ok, _ = attempt(registers.record_pvp_notice_decision, me, entries[entry], tell.startswith("Customer"),
                                uow(), not_notified_reason=reason, reconsider_notice_on=reconsider)
                if ok:
                    rerun_with_message("Notice decision recorded.")
        with st.form("pvp_review", clear_on_submit=True):
            st.markdown("**Review**")
            entry = st.selectbox("Entry", list(entries), key="pvp_review_entry")
            held_on = st.date_input("Review held on", value=today, max_value=today, key="pvp_review_held")
            outcome = st.selectbox("Outcome", [ReviewOutcome.CONTINUE, ReviewOutcome.VARY, ReviewOutcome.LIFT],
                                   format_func=lambda o: o.label, key="pvp_review_outcome")
            evidence = st.text_area("Evidence considered", key="pvp_review_evidence")
            notes = st.text_area("Notes (why it is no longer justified, when lifting)", key="pvp_review_notes")
            next_due = st.date_input("Next review date (at most 12 months away)", value=add_months(today, 12),
                                     key="pvp_review_next")
            if st.form_submit_button("Record the review"):
                ok, _ = attempt(registers.review_pvp, me, entries[entry], held_on, outcome.value, evidence, uow(),
                                notes=notes, next_review_due=next_due)
                if ok:
                    rerun_with_message("Review recorded.")
        with st.form("pvp_remove", clear_on_submit=True):
            st.markdown("**Remove from the register**")
            entry = st.selectbox("Entry", list(entries), key="pvp_remove_entry")
            ended_on = st.date_input("Removed on", value=today, max_value=today, key="pvp_remove_on")
            reason = st.text_area("Why the entry is no longer justified", key="pvp_remove_reason")
            if st.form_submit_button("Remove the entry"):
                ok, _ = attempt(registers.remove_pvp, me, entries[entry], ended_on, reason, uow())
                if ok:
                    rerun_with_message("Entry removed; the red flag comes off the next export.")

    st.subheader("Red-flag list for the housing management system")
    st.caption("One row per flagged tenant: housing reference, flag type, start and review dates. "
               "No incident details.")
    ok, flags = attempt(registers.red_flag_export, me, uow())
    if ok:
        st.dataframe(pd.DataFrame(flags, columns=list(registers.RED_FLAG_COLUMNS)), hide_index=True,
                     width="stretch")
        export_actor = me
        c1, c2, _ = st.columns([1, 1, 3])
        for column, fmt, label in ((c1, "csv", "Download red flags (CSV)"), (c2, "xlsx", "Download red flags (Excel)")):
            column.download_button(
                label, key=f"red_flags_{fmt}", file_name=f"red_flags_{today:%Y-%m-%d}.{fmt}",
                data=lambda fmt=fmt: registers.export_register(export_actor, "red_flags", fmt, uow)[1],
                on_click="ignore")

# --- the register ------------------------------------------------------------------------------
st.subheader("Register")
STATUSES = {"Active": "active", "Due for review (next 30 days)": "due", "Review overdue": "overdue",
            "Proposed": "pending", "Ended": "ended", "Rejected": "rejected", "All": "all"}
status = STATUSES[st.selectbox("Show", list(STATUSES), key="pvp_status")]
ok, rows = attempt(registers.pvp_register, me, uow(), status)
if ok:
    if rows:
        def highlight(row: pd.Series) -> list[str]:
            colour = {"Review overdue": "background-color: #f8d7da",
                      "Review due in the next 30 days": "background-color: #fff3cd"}.get(row.get("review_state"), "")
            return [colour] * len(row)
        st.dataframe(pd.DataFrame(rows).drop(columns=["customer_id"]).style.apply(highlight, axis=1),
                     hide_index=True, width="stretch")
    else:
        st.info("No PVP entries match.")
    export_actor, export_status = me, status
    c1, c2, _ = st.columns([1, 1, 3])
    for column, fmt, label in ((c1, "csv", "Download CSV"), (c2, "xlsx", "Download Excel")):
        column.download_button(
            label, key=f"pvp_export_{fmt}", file_name=f"pvp_register_{today:%Y-%m-%d}.{fmt}",
            data=lambda fmt=fmt: registers.export_register(export_actor, "pvp_register", fmt, uow,
                                                           status=export_status)[1],
            on_click="ignore")
