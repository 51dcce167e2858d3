"""The stage decisions (clause 4.1): informal stage, warning, formal actions and closure."""

from __future__ import annotations

import datetime as dt

from core.db import UnitOfWork, snapshot
from core.enums import (
    ActionStatus,
    Channel,
    FormalActionType,
    Stage,
)
from core.errors import PolicyError
from core.models import (
    Case,
    FormalAction,
    ServiceArea,
    ServiceReferral,
    StageEvent,
    utcnow,
)
from core.permissions import Actor, Permission, require
from core.policy import history
from core.policy import stages as rules
from core.policy.deadlines import (
    add_working_days,
)
from core.services.cases._common import (
    OUTCOME_LETTER_WORKING_DAYS,
    _audit_case,
    _decision_date,
    _event_audit,
    _evidence,
    _facts,
    _last_live,
    _load,
    _new_event,
    _refuse,
    _today,
    _underlying,
    _vulnerabilities,
)
from core.services.cases.closure import history_words, with_history
from core.services.cases.inputs import (
    FormalDecision,
    InformalDetails,
    NewFormalAction,
    SpocRequestPlan,
    WarningDecision,
)
from core.services.registers.spoc import add_spoc_request
from core.validation import clean_line, clean_text, parse_enum


def _refer(uow: UnitOfWork, actor: Actor, case: Case, details: InformalDetails) -> None:
    """A root cause in an NPH service: refer it to the service area to put right."""
    if uow.session.get(ServiceArea, details.referral_service_area_id) is None:
        raise PolicyError("The service area for the referral does not exist.")
    referral = ServiceReferral(
        customer_id=case.customer_id,
        case_id=case.id,
        service_area_id=details.referral_service_area_id,
        raised_by_id=actor.user_id,
        description=clean_text(details.referral_description, "Referral", required=True),
    )
    uow.session.add(referral)
    uow.audit(actor, "raise_service_referral", referral, after=snapshot(referral))


def _add_actions(
    uow: UnitOfWork,
    actor: Actor,
    case: Case,
    event: StageEvent,
    plans: list[rules.ActionPlan],
    starts_on: dt.date,
) -> None:
    for plan in plans:
        details = {}
        if plan.channel:
            details["channel"] = plan.channel.value
        if plan.adjustment:
            details["adjustment"] = plan.adjustment
        action = FormalAction(
            case_id=case.id,
            stage_event=event,
            kind=plan.kind,
            terms=plan.terms,
            details=details,
            starts_on=starts_on,
            review_due=plan.review_due,
            status=ActionStatus.ACTIVE,
            court_reference=plan.court_reference,
            proceedings_issued_on=plan.proceedings_issued_on,
            hearing_on=plan.hearing_on,
            order_on=plan.order_on,
        )
        uow.session.add(action)
        case.formal_actions.append(action)
        uow.flush()
        uow.audit(actor, "take_formal_action", action, customer_id=case.customer_id, after=snapshot(action))


def record_informal_stage(
    actor: Actor,
    case_id: int,
    details: InformalDetails,
    expected_version: int,
    uow: UnitOfWork,
    today: dt.date | None = None,
) -> int:
    """The informal stage (clause 4.1): contact made, behaviour and expectations set out, root
    cause looked for, third party or mediation offered; the outcome letter is due. Returns the
    stage event id."""
    require(actor, Permission.RUN_CASES)
    today = _today(today)
    decided_on = _decision_date(details.decided_on, today)
    summary = clean_text(details.summary, "Summary of the conversation", required=True)
    steps = {k: bool(getattr(details, k)) for k in rules.INFORMAL_STEPS}
    if details.mediation_offered:
        steps["third_party_offered"] = True
    channel = parse_enum(Channel, details.contact_channel, "How contact was made")
    letter_due = details.outcome_letter_due or add_working_days(decided_on, OUTCOME_LETTER_WORKING_DAYS)
    if letter_due < decided_on:
        raise PolicyError("The outcome letter cannot be due before the conversation.")
    with uow:
        case = _load(uow, case_id, expected_version)
        facts = _facts(case, up_to=decided_on)
        problems = list(rules.informal_step_problems(steps))
        problems += rules.check_informal(facts, details.incident_ids).problems
        if details.root_cause_found and not (
            details.referral_service_area_id and details.referral_description.strip()
        ):
            problems.append(
                "A root cause in an NPH service was found: name the service area and describe "
                "the problem so it is referred and dealt with as a matter of urgency."
            )
        _refuse(problems)
        evidence = _evidence(case, details.incident_ids, facts, None, decided_on)
        before = snapshot(case)
        event = _new_event(
            uow,
            actor,
            case,
            Stage.INFORMAL,
            decided_on,
            reason=summary,
            details={
                **steps,
                "mediation_offered": bool(details.mediation_offered),
                "contact_channel": channel.value,
                "root_cause_found": bool(details.root_cause_found),
                "outcome_letter_due": letter_due.isoformat(),
            },
        )
        event.evidence = evidence
        case.stage = Stage.INFORMAL
        if details.root_cause_found:
            _refer(uow, actor, case, details)
        _event_audit(uow, actor, "record_informal_stage", event)
        _audit_case(uow, actor, "case_stage_changed", case, before, reason="Informal stage recorded")
        uow.commit()
        return event.id


def issue_warning(
    actor: Actor,
    case_id: int,
    decision: WarningDecision,
    expected_version: int,
    uow: UnitOfWork,
    today: dt.date | None = None,
) -> int:
    """The warning stage: a Fair Treatment Letter with a review date. Returns the stage event id."""
    require(actor, Permission.RUN_CASES)
    today = _today(today)
    decided_on = _decision_date(decision.decided_on, today)
    reason = clean_text(decision.reason, "Reason for the warning", required=True)
    skip_reason = clean_text(decision.skip_reason, "Reason for skipping the informal stage")
    history_reason = clean_text(decision.history_reason, "Why the earlier cases justify this stage")
    if decision.review_due is None:
        raise PolicyError("Set the warning's review date (it goes in the Fair Treatment Letter).")
    if decision.review_due <= decided_on:
        raise PolicyError("The warning's review date must be after the warning is issued.")
    with uow:
        case = _load(uow, case_id, expected_version)
        facts = with_history(uow, case, _facts(case, up_to=decided_on))
        verdict = history.check_on_history(
            facts, Stage.WARNING, history_reason, decision.incident_ids
        ) or rules.check_warning(facts, skip_reason, decision.incident_ids)
        skip_reason = history_words(history_reason) if history_reason else skip_reason
        problems = list(verdict.problems)
        underlying = _underlying(decision, case, problems)
        _refuse(problems)
        informal = _last_live(case, Stage.INFORMAL)
        evidence = _evidence(
            case,
            decision.incident_ids,
            facts,
            informal.decided_on if informal else None,
            decided_on,
        )
        before = snapshot(case)
        event = _new_event(
            uow,
            actor,
            case,
            Stage.WARNING,
            decided_on,
            reason=reason,
            skip_reason=skip_reason if verdict.needs_skip_reason else "",
            review_due=decision.review_due,
            **underlying,
        )
        event.evidence = evidence
        case.stage = Stage.WARNING
        case.warning_review_due = decision.review_due
        _event_audit(uow, actor, "issue_warning", event, reason=skip_reason)
        _audit_case(uow, actor, "case_stage_changed", case, before, reason="Warning issued")
        uow.commit()
        return event.id


def _requested_at(decided_on: dt.date) -> dt.datetime:
    """A SPOC request made with a formal decision is made on the decision's date."""
    now = utcnow()
    return now if decided_on >= now.date() else dt.datetime.combine(decided_on, dt.time(12), tzinfo=dt.UTC)


def _request_spoc(
    uow: UnitOfWork, actor: Actor, case: Case, event: StageEvent, spoc: SpocRequestPlan
) -> None:
    """The SPOC asked of the DMO as (part of) this formal decision; its evidence defaults to the decision's."""
    request = add_spoc_request(
        uow,
        actor,
        case,
        clean_text(spoc.reason, "Reason for the SPOC request"),
        spoc.incident_ids or [i.id for i in event.evidence],
        _requested_at(event.decided_on),
        formal_decision=True,
    )
    event.details = {**(event.details or {}), "spoc_request_id": request.id}


def _plan(raw: NewFormalAction | dict) -> rules.ActionPlan:
    if isinstance(raw, dict):
        raw = NewFormalAction(**raw)
    kind = parse_enum(FormalActionType, raw.kind, "Formal action")
    channel = parse_enum(Channel, raw.channel, "Channel") if raw.channel else None
    return rules.ActionPlan(
        kind=kind,
        terms=clean_text(raw.terms, f"{kind.label}: terms"),
        review_due=raw.review_due,
        channel=channel,
        adjustment=clean_text(raw.adjustment, f"{kind.label}: adjustment"),
        court_reference=clean_line(raw.court_reference, f"{kind.label}: court reference", max_len=60),
        proceedings_issued_on=raw.proceedings_issued_on,
        hearing_on=raw.hearing_on,
        order_on=raw.order_on,
    )


def _check_formal(
    uow: UnitOfWork,
    case: Case,
    facts: rules.CaseFacts,
    decision: FormalDecision,
    plans: list,
    decided_on: dt.date,
    history_reason: str,
    skip_reason: str,
) -> tuple[rules.Verdict, str, dict]:
    """Every check on a formal decision at once (refused with all problems): the stage guard
    (on the customer's history when it is relied on), underlying issues and the actions' terms.
    Returns the verdict, the skip reason to record and the underlying-issue fields."""
    verdict = history.check_on_history(
        facts, Stage.FORMAL, history_reason, decision.incident_ids
    ) or rules.check_formal(facts, skip_reason, decision.incident_ids)
    skip_reason = history_words(history_reason) if history_reason else skip_reason
    problems = list(verdict.problems)
    underlying = _underlying(decision, case, problems)
    from core.services.communication import writing_needs_in  # issue 16: needs affecting writing

    problems += rules.formal_action_problems(
        plans,
        decided_on,
        _vulnerabilities(case),
        rules.serious_on_record(facts),
        writing_needs_in(uow.session, case.customer_id),
        spoc_requested=decision.spoc_request is not None,
    )
    _refuse(problems)
    return verdict, skip_reason, underlying


def take_formal_actions(
    actor: Actor,
    case_id: int,
    decision: FormalDecision,
    expected_version: int,
    uow: UnitOfWork,
    today: dt.date | None = None,
) -> int:
    """The formal stage: any combination of the clause 4.1 actions, each with terms and a review
    date 3-12 months ahead, and/or a request to the DMO for a single point of contact (which is
    not in force until approved: clause 5). Returns the stage event id."""
    require(actor, Permission.RUN_CASES)
    today = _today(today)
    decided_on = _decision_date(decision.decided_on, today)
    reason = clean_text(decision.reason, "Reason for the formal action", required=True)
    skip_reason = clean_text(decision.skip_reason, "Reason for skipping a stage")
    history_reason = clean_text(decision.history_reason, "Why the earlier cases justify this stage")
    plans = [_plan(a) for a in decision.actions]
    spoc = decision.spoc_request
    if spoc is not None:
        require(actor, Permission.REQUEST_SPOC)  # clause 5: a manager or team leader raises it
    with uow:
        case = _load(uow, case_id, expected_version)
        facts = with_history(uow, case, _facts(case, up_to=decided_on))
        verdict, skip_reason, underlying = _check_formal(
            uow, case, facts, decision, plans, decided_on, history_reason, skip_reason
        )
        previous = (
            _last_live(case, Stage.FORMAL) if case.stage == Stage.FORMAL else _last_live(case, Stage.WARNING)
        )
        evidence = _evidence(
            case, decision.incident_ids, facts, previous.decided_on if previous else None, decided_on
        )
        before = snapshot(case)
        event = _new_event(
            uow,
            actor,
            case,
            Stage.FORMAL,
            decided_on,
            reason=reason,
            skip_reason=skip_reason if verdict.needs_skip_reason else "",
            review_due=min((p.review_due for p in plans if p.review_due), default=None),
            **underlying,
        )
        event.evidence = evidence
        _add_actions(uow, actor, case, event, plans, decided_on)
        if spoc is not None:
            _request_spoc(uow, actor, case, event, spoc)
        case.stage = Stage.FORMAL
        case.warning_review_due = None
        _event_audit(uow, actor, "take_formal_actions", event, reason=skip_reason)
        _audit_case(uow, actor, "case_stage_changed", case, before, reason="Formal action taken")
        uow.commit()
        return event.id
