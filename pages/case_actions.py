"""Case actions: the stage a case is at, what the policy allows next (and why not the rest),
and the forms to record each stage, review, appeal and closure."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core.enums import Channel, FormalActionType, ReviewOutcome, SubjectType
from core.policy.remedies import FORMAL_ACTION_CHOICES, LEGAL_REMEDIES
from core.policy.stages import INFORMAL_STEPS, REVIEW_OUTCOMES
from core.services import cases, contacts
from core.services.customers import search_customers
from ui.appeals import appeal_form
from ui.customer_picker import md
from ui.session import actor, attempt, read, rerun_with_message, show_message, uow

st.header("Case actions")
me = actor()
today = dt.date.today()


def choose_customer() -> int | None:
    raw = st.query_params.get("customer_id") or st.session_state.get("customer_id")
    if raw:
        try:
            return int(raw)
        except (TypeError, ValueError):
            pass
    query = st.text_input("Find a customer (name, housing reference or address)")
    if not query:
        st.info("Search for a customer to see their case.")
        return None
    ok, found = attempt(search_customers, me, query, uow())
    if not ok or not found:
        st.info("No customer matches that search.")
        return None
    pick = st.selectbox(
        "Customer", found, format_func=lambda c: f"{c['name']} ({c['housing_ref']}) {c['address']}"
    )
    return pick["id"] if pick else None


customer_id = choose_customer()
if customer_id is None:
    st.stop()
st.session_state["customer_id"] = customer_id
case_id = read(cases.find_case, me, customer_id, uow())
if case_id is None:
    st.info("This customer has no case. Logging an incident opens one.")
    st.stop()
case = read(cases.case_overview, me, case_id, uow(), today)

# The version the user saw when they opened the case: sent with every change (optimistic locking).
seen_key = f"case_version_{case_id}"
if seen_key not in st.session_state:
    st.session_state[seen_key] = case.version
seen = st.session_state[seen_key]

show_message()
if case.version != seen:
    st.warning("This case has changed since you opened it. Reload it before making a change.")
    if st.button("Reload the case"):
        st.session_state[seen_key] = case.version
        st.rerun()

st.subheader(f"{md(case.customer)} ({md(case.housing_ref)})")
c1, c2, c3 = st.columns(3)
c1.metric("Stage", case.stage.label)
c2.metric("Service area", case.service_area)
c3.metric("Warning review due", f"{case.warning_review_due:%d %b %Y}" if case.warning_review_due else "-")
if case.vulnerabilities:
    st.caption("Recorded underlying issues: " + ", ".join(case.vulnerabilities))
if case.closure_reason:
    st.caption("Closed:")
    st.text(case.closure_reason)
if case.earlier_cases:
    with st.expander(f"Earlier cases ({len(case.earlier_cases)}): the customer's history", expanded=True):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Case": e.case_id,
                        "Opened": e.opened_on,
                        "Closed": e.closed_on,
                        "Reached": e.stage.label,
                        "Stages": "; ".join(e.stages),
                        "Closure": e.closure_reason,
                    }
                    for e in case.earlier_cases
                ]
            ),
            hide_index=True,
        )

st.markdown("#### What the policy allows next")
for item in case.next.allowed:
    st.success(f"Allowed: {item.label}" + (f". {item.note}" if item.note else ""))
for refused in case.next.refused:
    st.warning(f"Not allowed: {refused.label}. " + " ".join(refused.reasons))

st.markdown("#### Clause 2.3 checklist")
st.dataframe(
    pd.DataFrame(
        [
            {"Principle": i.label, "Status": i.status, "What is missing": " ".join(i.missing) or i.detail}
            for i in case.checklist
        ]
    ),
    hide_index=True,
)

with st.expander("Incidents, decisions, restrictions and appeals", expanded=False):
    if case.incidents:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Incident": i.id,
                        "Date": i.occurred_on,
                        "Category": i.category,
                        "Evidence": i.evidence,
                        "Counts as evidence": i.counts,
                        "Violence or threat": i.violence_or_threat,
                    }
                    for i in case.incidents
                ]
            ),
            hide_index=True,
        )
    if case.decisions:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Decision": d.id,
                        "Stage": d.to_stage.label,
                        "Decided": d.decided_on,
                        "By": d.decided_by,
                        "Reason": d.reason,
                        "Skip reason": d.skip_reason,
                        "Review due": d.review_due,
                        "Letter sent": d.letter_sent,
                        "Overturned": d.overturned,
                        "Evidence": ", ".join(map(str, d.evidence)),
                        "Appeal by": d.appeal_by,
                    }
                    for d in case.decisions
                ]
            ),
            hide_index=True,
        )
    if case.actions:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Action": a.id,
                        "Kind": a.kind.label,
                        "Terms": a.terms,
                        "Starts": a.starts_on,
                        "Review due": a.review_due,
                        "Status": a.status.label,
                        "Review overdue": a.review_overdue,
                        "Incidents during": ", ".join(map(str, a.incidents_during)),
                    }
                    for a in case.actions
                ]
            ),
            hide_index=True,
        )
    if case.appeals:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Appeal": ap.id,
                        "Against": f"{ap.subject_type.replace('_', ' ')} #{ap.subject_id}",
                        "Received": ap.received_on,
                        "Late": ap.late,
                        "Due": ap.due_on,
                        "Decision maker": ap.decision_maker,
                        "Decided": ap.decided_on,
                        "Outcome": ap.outcome.label if ap.outcome else "",
                    }
                    for ap in case.appeals
                ]
            ),
            hide_index=True,
        )


def review_label(s: cases.Subject) -> str:
    if s.subject_type == SubjectType.WARNING:
        return f"Warning of {s.on:%d %b %Y}"
    return f"{s.what} (review due {s.review_due:%d %b %Y})"


def done(message: str) -> None:
    """After this user's own change, the next run shows (and remembers) the new version."""
    st.session_state.pop(seen_key, None)
    rerun_with_message(message)


allowed = {item.action.value: item.label for item in case.next.allowed}
if not allowed:
    st.stop()
st.markdown("#### Record")
choice = st.selectbox("Action", list(allowed), format_func=lambda a: allowed[a], key="case_action_choice")
incident_labels = {
    i.id: f"#{i.id} {i.occurred_on:%d %b %Y} {i.category} ({i.evidence})" for i in case.incidents
}

if choice == "informal":
    areas = cases.service_areas(me, uow())
    with st.form("informal"):
        decided_on = st.date_input(
            "Date of the conversation", value=today, max_value=today, format="DD/MM/YYYY"
        )
        channel = st.selectbox(
            "How contact was made", [c.value for c in Channel], format_func=lambda c: Channel(c).label
        )
        steps = {key: st.checkbox(text[0].upper() + text[1:]) for key, text in INFORMAL_STEPS.items()}
        mediation = st.checkbox("Offered formal mediation (no third party available)")
        summary = st.text_area("Summary of the conversation and what was agreed")
        root = st.checkbox("The root cause is an NPH service failure")
        area_names = {a.id: a.name for a in areas}
        area = st.selectbox(
            "Refer to service area",
            [None, *area_names],
            format_func=lambda a: "-" if a is None else area_names[a],
        )
        referral = st.text_area("The service problem to put right")
        letter_due = st.date_input(
            "Outcome letter due (blank: 5 working days)", value=None, format="DD/MM/YYYY"
        )
        if st.form_submit_button("Record the informal stage"):
            details = cases.InformalDetails(
                summary=summary,
                contact_made=steps["contact_made"],
                behaviour_set_out=steps["behaviour_set_out"],
                expectations_stated=steps["expectations_stated"],
                consequences_stated=steps["consequences_stated"],
                root_cause_looked_for=steps["root_cause_looked_for"],
                third_party_offered=steps["third_party_offered"],
                mediation_offered=mediation,
                contact_channel=channel,
                root_cause_found=root,
                referral_service_area_id=area,
                referral_description=referral,
                outcome_letter_due=letter_due,
                decided_on=decided_on,
            )
            ok, _ = attempt(cases.record_informal_stage, me, case_id, details, seen, uow(), today)
            if ok:
                done("Informal stage recorded. Send the outcome letter (Appendix A) with the appeal route.")

elif choice == "warning":
    with st.form("warning"):
        decided_on = st.date_input("Date of the warning", value=today, max_value=today, format="DD/MM/YYYY")
        reason = st.text_area("Why a warning: the further behaviour")
        review_due = st.date_input(
            "Review date (set out in the Fair Treatment Letter)", value=None, format="DD/MM/YYYY"
        )
        considered = st.checkbox(
            "Underlying issues and reasonable adjustments (Equality Act 2010) were considered"
        )
        notes = st.text_area("Underlying issues considered")
        adjustments = st.text_area("Reasonable adjustments this warning keeps")
        skip = st.text_area(
            "Reason for skipping the informal stage (violence, threats, harassment or another "
            "serious behaviour)"
        )
        history = st.text_area(
            "Or: why the customer's earlier cases justify this stage", key="history_warning"
        )
        if st.form_submit_button("Issue the warning"):
            decision = cases.WarningDecision(
                reason=reason,
                review_due=review_due,
                underlying_issues_considered=considered,
                underlying_issues_notes=notes,
                adjustments=adjustments,
                skip_reason=skip,
                decided_on=decided_on,
                history_reason=history,
            )
            ok, _ = attempt(cases.issue_warning, me, case_id, decision, seen, uow(), today)
            if ok:
                done("Warning recorded. Send the Fair Treatment Letter (Appendix B) with the appeal route.")

elif choice == "formal":
    kinds = st.multiselect(
        "Formal actions (any combination)",
        [k.value for k in FORMAL_ACTION_CHOICES],
        format_func=lambda k: FormalActionType(k).label,
    )
    want_spoc = st.checkbox(
        "Request a single point of contact (SPOC) from the Data Management Officer: it starts "
        "only once approved at a SPOC review meeting and on the register"
    )
    with st.form("formal"):
        decided_on = st.date_input("Date of the decision", value=today, max_value=today, format="DD/MM/YYYY")
        reason = st.text_area("Why formal action is proportionate")
        plans: list[cases.NewFormalAction | dict] = []
        for kind in kinds:
            st.markdown(f"**{FormalActionType(kind).label}**")
            terms = st.text_area("Terms" if kind != "other" else "Describe the action", key=f"terms_{kind}")
            review = st.date_input(
                "Review date (3 to 12 months ahead)", value=None, key=f"review_{kind}", format="DD/MM/YYYY"
            )
            one_channel = None
            adjustment = ""
            if kind == FormalActionType.ONE_CHANNEL.value:
                one_channel = st.selectbox(
                    "The one channel",
                    [c.value for c in Channel],
                    format_func=lambda c: Channel(c).label,
                    key="channel_one",
                )
                adjustment = st.text_area("Reasonable adjustment this restriction keeps", key="adjust_one")
            court: dict = {}
            if FormalActionType(kind) in LEGAL_REMEDIES:
                court = {
                    "court_reference": st.text_input("Court claim number", key=f"court_{kind}"),
                    "proceedings_issued_on": st.date_input(
                        "Proceedings issued", value=None, key=f"issued_{kind}", format="DD/MM/YYYY"
                    ),
                    "hearing_on": st.date_input(
                        "Hearing date", value=None, key=f"hearing_{kind}", format="DD/MM/YYYY"
                    ),
                    "order_on": st.date_input(
                        "Order made", value=None, key=f"order_{kind}", format="DD/MM/YYYY"
                    ),
                }
            plans.append(
                cases.NewFormalAction(
                    kind=kind,
                    terms=terms,
                    review_due=review,
                    channel=one_channel,
                    adjustment=adjustment,
                    **court,
                )
            )
        spoc_reason = (
            st.text_area("SPOC request: the clear reason (evidence: the incidents below)")
            if want_spoc
            else ""
        )
        considered = st.checkbox(
            "Underlying issues and reasonable adjustments (Equality Act 2010) were considered"
        )
        notes = st.text_area("Underlying issues considered")
        adjustments = st.text_area("Reasonable adjustments the actions keep")
        skip = st.text_area(
            "Reason for skipping a stage, or for a further action on the evidence already on the case"
        )
        named = st.multiselect(
            "Incidents this decision rests on (leave empty for those since the last decision)",
            [i.id for i in case.incidents if i.counts],
            format_func=incident_labels.__getitem__,
        )
        history = st.text_area(
            "Or: why the customer's earlier cases justify this stage", key="history_formal"
        )
        if st.form_submit_button("Take the formal actions"):
            spoc = cases.SpocRequestPlan(spoc_reason) if want_spoc else None
            formal = cases.FormalDecision(
                reason=reason,
                actions=plans,
                underlying_issues_considered=considered,
                underlying_issues_notes=notes,
                adjustments=adjustments,
                skip_reason=skip,
                decided_on=decided_on,
                incident_ids=named or None,
                history_reason=history,
                spoc_request=spoc,
            )
            ok, _ = attempt(cases.take_formal_actions, me, case_id, formal, seen, uow(), today)
            if ok:
                done(
                    "Formal decision recorded. Send the formal-stage letter with each review date and the appeal "
                    "route"
                    + ("; the SPOC request is with the Data Management Officer." if want_spoc else ".")
                )

elif choice == "review":
    subject = st.selectbox("What is being reviewed", case.review_subjects, format_func=review_label)
    if subject and subject.incidents:
        st.warning(
            "Counting incidents since it began: " + ", ".join(incident_labels[i] for i in subject.incidents)
        )
    elif subject:
        st.info("No counting incidents since it began.")
    if subject and subject.subject_type == SubjectType.FORMAL_ACTION:  # issue 16: the contact log's evidence
        ok, outside = attempt(contacts.outside_for_restriction, me, subject.subject_id, uow())
        if ok and outside:
            st.warning(
                f"Contacts outside this restriction ({len(outside)}): "
                + "; ".join(f"{e.occurred_at:%d %b %Y %H:%M} {e.channel.label.lower()}" for e in outside)
            )
    outcomes = REVIEW_OUTCOMES[subject.subject_type] if subject else ()
    with st.form("review"):
        held_on = st.date_input("Review date", value=today, max_value=today, format="DD/MM/YYYY")
        outcome = st.selectbox(
            "Outcome", [o.value for o in outcomes], format_func=lambda o: ReviewOutcome(o).label
        )
        evidence = st.text_area("Evidence considered")
        next_due = st.date_input("Next review date (continue or vary)", value=None, format="DD/MM/YYYY")
        new_terms = st.text_area("Varied terms (vary only)")
        notes = st.text_area("Notes")
        if st.form_submit_button("Record the review") and subject:
            review_decision = cases.ReviewDecision(
                subject.subject_type,
                subject.subject_id,
                outcome,
                evidence,
                held_on=held_on,
                next_review_due=next_due,
                new_terms=new_terms,
                notes=notes,
            )
            ok, _ = attempt(cases.record_review, me, case_id, review_decision, seen, uow(), today)
            if ok:
                done("Review recorded. Send the review outcome letter.")

elif choice == "appeal":
    if appeal_form(case, seen, today):
        done("Appeal recorded and sent to the Assistant Director; it is due in 5 working days.")

elif choice == "close":
    with st.form("close"):
        reason = st.text_area("Why normal relations are restored")
        loose = st.text_area("If anything is still open (see above): why the case closes anyway")
        send = st.checkbox("Send the closure letter (normal arrangements restored)", value=True)
        no_letter = st.text_area("If no letter is sent: why not")
        if st.form_submit_button("Close the case"):
            closure = cases.Closure(
                reason, loose_end_reason=loose, send_letter=send, no_letter_reason=no_letter
            )
            ok, _ = attempt(cases.close_case, me, case_id, closure, seen, uow(), today)
            if ok:
                done(
                    "Case closed: normal relations restored."
                    + (" The closure letter is on the case." if send else "")
                )
