"""Shared by the case actions and appeals pages: how an appealable decision is named in a list,
and the form that logs an appeal received (clause 4.2)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core.enums import SubjectType
from core.services import cases
from ui.session import actor, attempt, uow


def appeal_label(s: cases.Subject) -> str:
    """One appealable decision with the appeal-by date the customer was given."""
    by = f" (appeal by {s.appeal_by:%d %b %Y})" if s.appeal_by else ""
    if s.subject_type == SubjectType.SPOC_ENTRY:
        return f"Single point of contact (SPOC register) from {s.on:%d %b %Y}{by}"
    if s.subject_type in (SubjectType.FORMAL_ACTION, SubjectType.PVP_ENTRY):
        return f"{s.what} from {s.on:%d %b %Y}{by}"
    if s.subject_type == SubjectType.REVIEW:
        return f"{s.what}, held {s.on:%d %b %Y}{by}"
    return f"{s.what} decision of {s.on:%d %b %Y}{by}"


def appeal_form(case: cases.CaseOverview, seen_version: int, today: dt.date, key: str = "appeal") -> bool:
    """Choose what is appealed, see who decides under the rule, and log the appeal. True if logged."""
    subjects = {f"{s.subject_type}:{s.subject_id}": s for s in case.appeal_subjects}
    if not subjects:
        st.info("This case has no decision the customer can appeal against.")
        return False
    me = actor()
    chosen = st.selectbox(
        "Appeal against",
        list(subjects),
        format_func=lambda k: appeal_label(subjects[k]),
        key=f"{key}_subject",
    )
    subject = (subjects[chosen].subject_type, subjects[chosen].subject_id)
    ok, route = attempt(cases.route_for, me, case.case_id, subject[0], subject[1], uow())
    if not ok or route is None:
        return False
    st.info(route.rule)
    names = {a.id: a.name for a in route.alternatives}
    if route.conflict:
        st.warning(
            "The usual decision maker took part in this decision, so cannot decide the appeal. "
            "Choose another Assistant Director below; the conflict is recorded."
        )
    with st.form(key):
        received = st.date_input(
            "Date the appeal was received", value=today, max_value=today, format="DD/MM/YYYY"
        )
        grounds = st.text_area("Grounds of appeal")
        late_reason = st.text_area("Reason for accepting a late appeal (only if after the appeal-by date)")
        maker = (
            st.selectbox(
                "Decision maker",
                [None, *names],
                format_func=lambda p: "As the policy routes it" if p is None else names[p],
            )
            if route.conflict
            else None
        )
        if st.form_submit_button("Record the appeal"):
            ok, _ = attempt(
                cases.record_appeal,
                me,
                case.case_id,
                subject[0],
                subject[1],
                received,
                grounds,
                seen_version,
                uow(),
                today,
                late_accepted_reason=late_reason,
                decision_maker_id=maker,
            )
            return ok
    return False
