"""Running a case through the policy's stages (clause 4): informal stage, warning, formal
actions, reviews, appeals and closure, with the clause 2.3 checklist and the compliance view.

Every case-changing service takes `expected_version` (the Case.version the user saw) and
refuses with StaleRecord if someone else changed the case since; the case row is always
updated so its version moves on, and a concurrent save fails at commit.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Union

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified

from core.db import UnitOfWork, snapshot
from core.enums import (
    ActionStatus, AppealOutcome, Channel, FormalActionType, LetterType, RegisterStatus, ReviewOutcome, Role,
    Stage,
)
from core.errors import NotFound, PermissionDenied, PolicyError, StaleRecord
from core.models import (
    Appeal, Case, Customer, FormalAction, Incident, Letter, Review, ServiceArea, ServiceReferral,
    SpocEntry, SpocRequest, StageEvent, User, utcnow,
)
from core.permissions import Actor, Permission, require
from core.policy import appeals as appeal_rules
from core.policy import checklist as checklist_rules
from core.policy import stages as rules
from core.policy.deadlines import (
    add_working_days, appeal_deadline, appeal_decision_due, appeal_window_start, check_review_date,
    is_appeal_late,
)
from core.validation import clean_line, clean_text, parse_enum

DECISION_LETTERS = (LetterType.INFORMAL_SUMMARY, LetterType.WARNING, LetterType.FORMAL)
OUTCOME_LETTER_WORKING_DAYS = 5
SPOC_OVERTURNED = "Overturned on appeal."


# ---------------------------------------------------------------- inputs

@dataclass
class InformalDetails:
    summary: str                                  # what was discussed and agreed
    contact_made: bool = False
    behaviour_set_out: bool = False
    expectations_stated: bool = False
    consequences_stated: bool = False
    root_cause_looked_for: bool = False
    third_party_offered: bool = False
    mediation_offered: bool = False
    contact_channel: str = Channel.PHONE.value
    root_cause_found: bool = False
    referral_service_area_id: Optional[int] = None
    referral_description: str = ""
    outcome_letter_due: Optional[dt.date] = None
    incident_ids: Optional[list[int]] = None
    decided_on: Optional[dt.date] = None


@dataclass(kw_only=True)
class EscalationRecord:
    """What every warning or formal decision records besides its own terms: the Equality Act
    considerations, any reason for skipping a stage, the evidence and the decision date."""
    underlying_issues_considered: bool = False
    underlying_issues_notes: str = ""
    adjustments: str = ""
    skip_reason: str = ""
    incident_ids: Optional[list[int]] = None
    decided_on: Optional[dt.date] = None


@dataclass
class WarningDecision(EscalationRecord):
    reason: str
    review_due: Optional[dt.date]


@dataclass
class NewFormalAction:
    kind: str
    terms: str
    review_due: Optional[dt.date]
    channel: Optional[str] = None
    adjustment: str = ""


@dataclass
class FormalDecision(EscalationRecord):
    reason: str
    actions: list[Union[NewFormalAction, dict]] = field(default_factory=list)


# ---------------------------------------------------------------- loading and facts

def _today(today: Optional[dt.date]) -> dt.date:
    return today or dt.date.today()


def _case_query():
    return select(Case).options(
        selectinload(Case.incidents).selectinload(Incident.behaviours),
        selectinload(Case.stage_events).selectinload(StageEvent.evidence),
        selectinload(Case.formal_actions),
        selectinload(Case.customer).selectinload(Customer.vulnerabilities),
        selectinload(Case.service_area),
    )


def _load(uow: UnitOfWork, case_id: int, expected_version: Optional[int] = None) -> Case:
    query = _case_query().where(Case.id == case_id)
    if expected_version is not None:
        # A change: lock the case row first (PostgreSQL), so a save made at the same moment by
        # someone else is seen as a newer version (StaleRecord) rather than as half-changed facts.
        query = query.with_for_update(of=Case)
    case = uow.session.scalar(query)
    if case is None:
        raise NotFound("No such case.")
    if expected_version is not None and case.version != expected_version:
        raise StaleRecord()
    if expected_version is not None and uow.session.scalar(
            select(Case.version).where(Case.id == case_id)) != expected_version:
        # Saved by someone else while its history loaded (SQLite reads are not one snapshot):
        # the facts may mix old and new, so refuse as a changed case.
        raise StaleRecord()
    return case


def _touch(case: Case) -> None:
    """Make the case row part of this change, so its version moves on (optimistic locking)."""
    flag_modified(case, "stage")


def _overturned(event: StageEvent) -> bool:
    return bool((event.details or {}).get("overturned"))


def _incident_fact(i: Incident) -> rules.IncidentFact:
    return rules.IncidentFact(i.id, i.occurred_at.date(), i.counts_as_evidence,
                              rules.is_serious(i.violence_or_threat, [b.behaviour for b in i.behaviours]))


def _facts(case: Case, undecided_appeals: int = 0, up_to: Optional[dt.date] = None) -> rules.CaseFacts:
    incidents = [_incident_fact(i) for i in case.incidents]
    if up_to is not None:
        incidents = [i for i in incidents if i.occurred_on <= up_to]
    events = tuple(rules.EventFact(e.id, e.to_stage, e.decided_on, frozenset(i.id for i in e.evidence),
                                   _overturned(e), e.review_due) for e in case.stage_events)
    actions = tuple(rules.ActionFact(a.id, a.kind, a.starts_on, a.review_due, a.status == ActionStatus.ACTIVE)
                    for a in case.formal_actions)
    return rules.CaseFacts(case.stage, tuple(incidents), events, actions, case.warning_review_due,
                           undecided_appeals)


def _undecided_appeals(uow: UnitOfWork, case_id: int) -> list[Appeal]:
    return list(uow.session.scalars(select(Appeal).where(Appeal.case_id == case_id,
                                                         Appeal.decided_on.is_(None))))


def _vulnerabilities(case: Case):
    return [v.kind for v in case.customer.vulnerabilities]


def _refuse(problems: Iterable[str]) -> None:
    problems = list(problems)
    if problems:
        raise PolicyError(" ".join(problems))


def _decision_date(value: Optional[dt.date], today: dt.date, what: str = "The decision date") -> dt.date:
    day = value or today
    if day > today:
        raise PolicyError(f"{what} cannot be in the future.")
    return day


def _evidence(case: Case, incident_ids: Optional[list[int]], facts: rules.CaseFacts,
              since: Optional[dt.date], decided_on: dt.date) -> list[Incident]:
    """The incidents a decision rests on: those chosen, or by default every counting incident
    since the previous decision that no earlier decision used. Hearsay is refused."""
    by_id = {i.id: i for i in case.incidents}
    if incident_ids is None:
        ids = [f.id for f in rules.counting_incidents_since(facts, since)]
    else:
        ids = list(dict.fromkeys(incident_ids))
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise PolicyError(f"Incident(s) {', '.join(map(str, unknown))} are not on this case.")
        hearsay = [i for i in ids if not by_id[i].counts_as_evidence]
        if hearsay:
            raise PolicyError(f"Incident(s) {', '.join(map(str, hearsay))} are hearsay or opinion and "
                              "cannot be grounds for a decision (clauses 4.2 and 6).")
        late = [i for i in ids if by_id[i].occurred_at.date() > decided_on]
        if late:
            raise PolicyError(f"Incident(s) {', '.join(map(str, late))} happened after the decision date.")
    return [by_id[i] for i in ids]


def _last_live(case: Case, stage: Stage) -> Optional[StageEvent]:
    events = [e for e in case.stage_events if e.to_stage == stage and not _overturned(e)]
    return max(events, key=lambda e: (e.decided_on, e.id)) if events else None


def _new_event(uow: UnitOfWork, actor: Actor, case: Case, to_stage: Stage, decided_on: dt.date,
               **values: Any) -> StageEvent:
    event = StageEvent(case_id=case.id, from_stage=case.stage, to_stage=to_stage, decided_on=decided_on,
                       decided_by_id=actor.user_id, **values)
    uow.session.add(event)
    case.stage_events.append(event)
    return event


def _close(uow: UnitOfWork, actor: Actor, case: Case, decided_on: dt.date, reason: str) -> StageEvent:
    event = _new_event(uow, actor, case, Stage.CLOSED, decided_on, reason=reason)
    case.stage = Stage.CLOSED
    case.closed_at = utcnow()
    case.closure_reason = reason
    case.warning_review_due = None
    return event


def _audit_case(uow: UnitOfWork, actor: Actor, action: str, case: Case, before: dict, reason: str = "") -> None:
    _touch(case)
    uow.flush()
    b, a = _changed(before, snapshot(case))
    uow.audit(actor, action, case, before=b, after=a, reason=reason)


def _changed(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _event_audit(uow: UnitOfWork, actor: Actor, action: str, event: StageEvent, reason: str = "") -> None:
    uow.flush()
    uow.audit(actor, action, event, customer_id=event.case.customer_id,
              after=snapshot(event) | {"evidence": [i.id for i in event.evidence]}, reason=reason)


def _underlying(decision, case: Case, problems: list[str]) -> dict:
    """The Equality Act considerations recorded with a warning or formal action; anything
    missing is added to `problems`, so the user sees it with the other refusals."""
    try:
        values = {
            "underlying_issues_considered": bool(decision.underlying_issues_considered),
            "underlying_issues_notes": clean_text(decision.underlying_issues_notes, "Underlying issues"),
            "adjustments": clean_text(decision.adjustments, "Reasonable adjustments"),
        }
    except PolicyError as e:
        problems.append(str(e))
        return {}
    problems += rules.underlying_issue_problems(values["underlying_issues_considered"],
                                                values["underlying_issues_notes"], values["adjustments"],
                                                _vulnerabilities(case))
    return values


# ---------------------------------------------------------------- stage decisions

def record_informal_stage(actor: Actor, case_id: int, details: InformalDetails, expected_version: int,
                          uow: UnitOfWork, today: Optional[dt.date] = None) -> int:
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
        if details.root_cause_found and not (details.referral_service_area_id and details.referral_description.strip()):
            problems.append("A root cause in an NPH service was found: name the service area and describe "
                            "the problem so it is referred and dealt with as a matter of urgency.")
        _refuse(problems)
        evidence = _evidence(case, details.incident_ids, facts, None, decided_on)
        before = snapshot(case)
        event = _new_event(uow, actor, case, Stage.INFORMAL, decided_on, reason=summary, details={
            **steps, "mediation_offered": bool(details.mediation_offered), "contact_channel": channel.value,
            "root_cause_found": bool(details.root_cause_found), "outcome_letter_due": letter_due.isoformat()})
        event.evidence = evidence
        case.stage = Stage.INFORMAL
        if details.root_cause_found:
            if uow.session.get(ServiceArea, details.referral_service_area_id) is None:
                raise PolicyError("The service area for the referral does not exist.")
            referral = ServiceReferral(customer_id=case.customer_id, case_id=case.id,
                                       service_area_id=details.referral_service_area_id,
                                       raised_by_id=actor.user_id,
                                       description=clean_text(details.referral_description, "Referral", required=True))
            uow.session.add(referral)
            uow.audit(actor, "raise_service_referral", referral, after=snapshot(referral))
        _event_audit(uow, actor, "record_informal_stage", event)
        _audit_case(uow, actor, "case_stage_changed", case, before, reason="Informal stage recorded")
        uow.commit()
        return event.id


def issue_warning(actor: Actor, case_id: int, decision: WarningDecision, expected_version: int,
                  uow: UnitOfWork, today: Optional[dt.date] = None) -> int:
    """The warning stage: a Fair Treatment Letter with a review date. Returns the stage event id."""
    require(actor, Permission.RUN_CASES)
    today = _today(today)
    decided_on = _decision_date(decision.decided_on, today)
    reason = clean_text(decision.reason, "Reason for the warning", required=True)
    skip_reason = clean_text(decision.skip_reason, "Reason for skipping the informal stage")
    if decision.review_due is None:
        raise PolicyError("Set the warning's review date (it goes in the Fair Treatment Letter).")
    if decision.review_due <= decided_on:
        raise PolicyError("The warning's review date must be after the warning is issued.")
    with uow:
        case = _load(uow, case_id, expected_version)
        facts = _facts(case, up_to=decided_on)
        verdict = rules.check_warning(facts, skip_reason, decision.incident_ids)
        problems = list(verdict.problems)
        underlying = _underlying(decision, case, problems)
        _refuse(problems)
        informal = _last_live(case, Stage.INFORMAL)
        evidence = _evidence(case, decision.incident_ids, facts,
                             informal.decided_on if informal else None, decided_on)
        before = snapshot(case)
        event = _new_event(uow, actor, case, Stage.WARNING, decided_on, reason=reason,
                           skip_reason=skip_reason if verdict.needs_skip_reason else "",
                           review_due=decision.review_due, **underlying)
        event.evidence = evidence
        case.stage = Stage.WARNING
        case.warning_review_due = decision.review_due
        _event_audit(uow, actor, "issue_warning", event, reason=skip_reason)
        _audit_case(uow, actor, "case_stage_changed", case, before, reason="Warning issued")
        uow.commit()
        return event.id


def _plan(raw: Union[NewFormalAction, dict]) -> rules.ActionPlan:
    if isinstance(raw, dict):
        raw = NewFormalAction(**raw)
    kind = parse_enum(FormalActionType, raw.kind, "Formal action")
    channel = parse_enum(Channel, raw.channel, "Channel") if raw.channel else None
    return rules.ActionPlan(kind=kind, terms=clean_text(raw.terms, f"{kind.label}: terms"),
                            review_due=raw.review_due, channel=channel,
                            adjustment=clean_text(raw.adjustment, f"{kind.label}: adjustment"))


def take_formal_actions(actor: Actor, case_id: int, decision: FormalDecision, expected_version: int,
                        uow: UnitOfWork, today: Optional[dt.date] = None) -> int:
    """The formal stage: any combination of the clause 4.1 actions, each with terms and a review
    date 3-12 months ahead. Returns the stage event id."""
    require(actor, Permission.RUN_CASES)
    today = _today(today)
    decided_on = _decision_date(decision.decided_on, today)
    reason = clean_text(decision.reason, "Reason for the formal action", required=True)
    skip_reason = clean_text(decision.skip_reason, "Reason for skipping a stage")
    plans = [_plan(a) for a in decision.actions]
    with uow:
        case = _load(uow, case_id, expected_version)
        facts = _facts(case, up_to=decided_on)
        verdict = rules.check_formal(facts, skip_reason, decision.incident_ids)
        problems = list(verdict.problems)
        underlying = _underlying(decision, case, problems)
        serious = any(i.serious and i.counts for i in facts.incidents)
        problems += rules.formal_action_problems(plans, decided_on, _vulnerabilities(case), serious)
        _refuse(problems)
        previous = _last_live(case, Stage.FORMAL) if case.stage == Stage.FORMAL else _last_live(case, Stage.WARNING)
        evidence = _evidence(case, decision.incident_ids, facts,
                             previous.decided_on if previous else None, decided_on)
        before = snapshot(case)
        event = _new_event(uow, actor, case, Stage.FORMAL, decided_on, reason=reason,
                           skip_reason=skip_reason if verdict.needs_skip_reason else "",
                           review_due=min(p.review_due for p in plans), **underlying)
        event.evidence = evidence
        for plan in plans:
            details = {}
            if plan.channel:
                details["channel"] = plan.channel.value
            if plan.adjustment:
                details["adjustment"] = plan.adjustment
            action = FormalAction(case_id=case.id, stage_event=event, kind=plan.kind, terms=plan.terms,
                                  details=details, starts_on=decided_on, review_due=plan.review_due,
                                  status=ActionStatus.ACTIVE)
            uow.session.add(action)
            case.formal_actions.append(action)
            uow.flush()
            uow.audit(actor, "take_formal_action", action, customer_id=case.customer_id,
                      after=snapshot(action))
        case.stage = Stage.FORMAL
        case.warning_review_due = None
        _event_audit(uow, actor, "take_formal_actions", event, reason=skip_reason)
        _audit_case(uow, actor, "case_stage_changed", case, before, reason="Formal action taken")
        uow.commit()
        return event.id


# ---------------------------------------------------------------- reviews

def record_review(actor: Actor, case_id: int, subject_type: str, subject_id: int, outcome: str,
                  evidence_considered: str, expected_version: int, uow: UnitOfWork,
                  today: Optional[dt.date] = None, held_on: Optional[dt.date] = None,
                  next_review_due: Optional[dt.date] = None, new_terms: str = "", notes: str = "") -> int:
    """Review a warning ('warning', its stage event id) or a restriction ('formal_action').
    Warning: no further action (closes the case) or continue. Restriction: lift (normal working
    restored), vary or continue, with a new date 3-12 months ahead. Returns the review id."""
    require(actor, Permission.RUN_CASES)
    today = _today(today)
    held_on = _decision_date(held_on, today, "The review date")
    result = parse_enum(ReviewOutcome, outcome, "Review outcome")
    evidence_considered = clean_text(evidence_considered, "Evidence considered")
    new_terms = clean_text(new_terms, "Varied terms")
    notes = clean_text(notes, "Notes")
    if subject_type not in ("warning", "formal_action"):
        raise PolicyError("Choose the warning or the restriction being reviewed.")
    with uow:
        case = _load(uow, case_id, expected_version)
        facts = _facts(case)
        _refuse(rules.check_review(facts).problems)
        before = snapshot(case)
        if subject_type == "warning":
            event = next((e for e in case.stage_events if e.id == subject_id and e.to_stage == Stage.WARNING
                          and not _overturned(e)), None)
            if event is None or case.stage != Stage.WARNING:
                raise PolicyError("That warning is not the one in force on this case.")
            since = len(rules.counting_incidents_since(facts, event.decided_on))
            _refuse(rules.review_outcome_problems("warning", result, held_on, next_review_due, since,
                                                  evidence_considered))
            review = Review(case_id=case.id, subject_type="stage_event", subject_id=event.id, held_on=held_on,
                            reviewed_by_id=actor.user_id, evidence_considered=evidence_considered,
                            outcome=result, next_review_due=next_review_due if result == ReviewOutcome.CONTINUE else None,
                            notes=notes)
            uow.session.add(review)
            if result == ReviewOutcome.NO_FURTHER_ACTION:
                _close(uow, actor, case, held_on, "Warning reviewed: no further incidents, no further action.")
            else:
                event.review_due = next_review_due
                case.warning_review_due = next_review_due
        else:
            action = next((a for a in case.formal_actions if a.id == subject_id), None)
            if action is None or action.status != ActionStatus.ACTIVE:
                raise PolicyError("That restriction is not active on this case.")
            since = len([i for i in facts.incidents if i.counts and i.occurred_on >= action.starts_on])
            _refuse(rules.review_outcome_problems("formal_action", result, held_on, next_review_due, since,
                                                  evidence_considered, new_terms))
            action_before = snapshot(action)
            review = Review(case_id=case.id, subject_type="formal_action", subject_id=action.id, held_on=held_on,
                            reviewed_by_id=actor.user_id, evidence_considered=evidence_considered,
                            outcome=result, next_review_due=None if result == ReviewOutcome.LIFT else next_review_due,
                            notes=notes)
            uow.session.add(review)
            if result == ReviewOutcome.LIFT:
                action.status, action.ended_on = ActionStatus.LIFTED, held_on
                action.ended_reason = "Lifted at review: normal working restored."
            else:
                action.review_due = next_review_due
                if result == ReviewOutcome.VARY:
                    action.terms = new_terms
            uow.flush()
            b, a = _changed(action_before, snapshot(action))
            uow.audit(actor, "review_formal_action", action, customer_id=case.customer_id, before=b, after=a,
                      reason=result.label)
            left = [x for x in case.formal_actions if x.status == ActionStatus.ACTIVE]
            if result == ReviewOutcome.LIFT and not left:
                _close(uow, actor, case, held_on, "All restrictions lifted at review: normal relations restored.")
        uow.flush()
        uow.audit(actor, "record_review", review, customer_id=case.customer_id, after=snapshot(review))
        _audit_case(uow, actor, "case_reviewed", case, before, reason=result.label)
        uow.commit()
        return review.id


# ---------------------------------------------------------------- appeals

def _appeal_subject(case: Case, subject_type: str, subject_id: int) -> tuple[StageEvent, Optional[FormalAction]]:
    if subject_type == "stage_event":
        event = next((e for e in case.stage_events if e.id == subject_id), None)
        if event is None or event.to_stage not in rules.DECISION_STAGES:
            raise PolicyError("Choose a decision on this case (informal, warning or formal stage) to appeal against.")
        if _overturned(event):
            raise PolicyError("That decision was already overturned.")
        return event, None
    if subject_type == "formal_action":
        action = next((a for a in case.formal_actions if a.id == subject_id), None)
        if action is None:
            raise PolicyError("Choose a formal action on this case to appeal against.")
        if action.status == ActionStatus.OVERTURNED:
            raise PolicyError("That action was already overturned.")
        return action.stage_event, action
    raise PolicyError("Choose the decision or formal action appealed against.")


def _areas(uow: UnitOfWork) -> list[appeal_rules.AreaFact]:
    return [appeal_rules.AreaFact(a.id, a.name, a.is_corporate_ict, a.assistant_director_id)
            for a in uow.session.scalars(select(ServiceArea))]


def _assistant_directors(uow: UnitOfWork) -> list[appeal_rules.PersonFact]:
    return [appeal_rules.PersonFact(u.id, u.name) for u in uow.session.scalars(
        select(User).where(User.role == Role.ASSISTANT_DIRECTOR, User.active.is_(True)).order_by(User.name))]


@dataclass
class _Subject:
    """What an appeal is against, whichever kind: when and by whom it was decided, and the record."""
    decided_on: dt.date
    window_start: dt.date
    decided_by_id: Optional[int]
    event: Optional[StageEvent] = None
    action: Optional[FormalAction] = None
    spoc: Optional[SpocEntry] = None


def _spoc_decision(uow: UnitOfWork, entry: SpocEntry) -> tuple[dt.date, Optional[int]]:
    """The DMO's decision behind a SPOC register entry: its date (the review meeting) and who took it."""
    request = uow.session.get(SpocRequest, entry.request_id)
    decided_on = (request.meeting_on or (request.decided_at.date() if request.decided_at else entry.starts_on)) \
        if request else entry.starts_on
    return decided_on, request.decided_by_id if request else None


def _subject(uow: UnitOfWork, case: Case, subject_type: str, subject_id: int) -> _Subject:
    if subject_type == "spoc_entry":
        entry = uow.session.get(SpocEntry, subject_id)
        if entry is None or entry.case_id != case.id:
            raise PolicyError("Choose a SPOC on this case's register entries to appeal against.")
        if entry.status != RegisterStatus.ACTIVE and entry.ended_reason.startswith(SPOC_OVERTURNED):
            raise PolicyError("That SPOC was already overturned.")
        decided_on, decided_by = _spoc_decision(uow, entry)
        return _Subject(decided_on, appeal_rules.spoc_appeal_window_start(decided_on, entry.starts_on),
                        decided_by, spoc=entry)
    event, action = _appeal_subject(case, subject_type, subject_id)
    return _Subject(event.decided_on, appeal_window_start(event.notified_on, event.decided_on),
                    event.decided_by_id, event=event, action=action)


def _route(uow: UnitOfWork, case: Case, subject_type: str, subject: _Subject) -> appeal_rules.Route:
    area = appeal_rules.AreaFact(case.service_area.id, case.service_area.name,
                                 case.service_area.is_corporate_ict, case.service_area.assistant_director_id)
    return appeal_rules.route_subject(subject_type, subject.event.to_stage if subject.event else None,
                                      subject.action.kind if subject.action else None, area, _areas(uow))


def route_for(actor: Actor, case_id: int, subject_type: str, subject_id: int, uow: UnitOfWork) -> dict:
    """Who would decide an appeal against this decision, and the alternatives if that is the
    officer who took it."""
    require(actor, Permission.RECORD_APPEALS)
    with uow:
        case = _load(uow, case_id)
        subject = _subject(uow, case, subject_type, subject_id)
        route = _route(uow, case, subject_type, subject)
        ads = _assistant_directors(uow)
        return {"decision_maker_id": route.decision_maker_id, "rule": route.rule,
                "conflict": route.decision_maker_id == subject.decided_by_id,
                "alternatives": [{"id": p.id, "name": p.name}
                                 for p in appeal_rules.alternatives(subject.decided_by_id, ads)]}


def record_appeal(actor: Actor, case_id: int, subject_type: str, subject_id: int, received_on: dt.date,
                  grounds: str, expected_version: int, uow: UnitOfWork, today: Optional[dt.date] = None,
                  late_accepted_reason: str = "", decision_maker_id: Optional[int] = None) -> int:
    """Log an appeal received against a stage decision ('stage_event'), a formal action
    ('formal_action') or a SPOC on the register ('spoc_entry'). A late appeal (after 28 days)
    needs a reason to accept it; it is routed to the right Assistant Director and is due 5
    working days after receipt."""
    require(actor, Permission.RECORD_APPEALS)
    today = _today(today)
    received_on = _decision_date(received_on, today, "The date the appeal was received")
    grounds = clean_text(grounds, "Grounds of appeal", required=True)
    late_reason = clean_text(late_accepted_reason, "Reason for accepting a late appeal")
    with uow:
        case = _load(uow, case_id, expected_version)
        subject = _subject(uow, case, subject_type, subject_id)
        if subject.spoc is not None and subject.spoc.status != RegisterStatus.ACTIVE:
            raise PolicyError("That SPOC has ended, so there is nothing in force to appeal against.")
        if received_on < subject.decided_on:
            raise PolicyError("The appeal cannot be received before the decision was made.")
        pending = uow.session.scalar(select(Appeal.id).where(
            Appeal.case_id == case.id, Appeal.subject_type == subject_type, Appeal.subject_id == subject_id,
            Appeal.decided_on.is_(None)))
        if pending:
            raise PolicyError("An appeal against this decision is already waiting for a decision.")
        start = subject.window_start
        late = is_appeal_late(start, received_on)
        if late and not late_reason:
            days = (received_on - appeal_deadline(start)).days
            what = "the SPOC's start" if subject.spoc is not None else "the decision letter"
            raise PolicyError(
                f"This appeal is late: the 28-day window from {what} of {start:%d %B %Y} closed on "
                f"{appeal_deadline(start):%d %B %Y}, and it was received {days} day(s) after that. Record the "
                "reason for accepting it late to log it.")
        route = _route(uow, case, subject_type, subject)
        ads = _assistant_directors(uow)
        chosen = decision_maker_id or route.decision_maker_id
        if chosen not in {p.id for p in ads}:
            raise PolicyError("The decision maker must be an active Assistant Director.")
        conflict = appeal_rules.conflict_problem(chosen, subject.decided_by_id, ads)
        if conflict:
            raise PolicyError(conflict)
        appeal = Appeal(case_id=case.id, subject_type=subject_type, subject_id=subject_id, received_on=received_on,
                        late=late, late_accepted_reason=late_reason if late else "", grounds=grounds,
                        decision_maker_id=chosen, due_on=appeal_decision_due(received_on),
                        recorded_by_id=actor.user_id)
        uow.session.add(appeal)
        before = snapshot(case)
        uow.flush()
        why = route.rule if chosen == route.decision_maker_id else \
            f"Routed away from the usual decision maker (who took the decision). {route.rule}"
        uow.audit(actor, "record_appeal", appeal, customer_id=case.customer_id, after=snapshot(appeal),
                  reason=why + (f" Late appeal accepted: {late_reason}" if late else ""))
        _audit_case(uow, actor, "appeal_received", case, before)
        uow.commit()
        return appeal.id


def _restore_stage(case: Case) -> None:
    """After a decision is overturned, the case returns to its latest standing decision."""
    live = [e for e in case.stage_events if e.to_stage in rules.DECISION_STAGES and not _overturned(e)]
    latest = max(live, key=lambda e: (e.decided_on, e.id)) if live else None
    case.stage = latest.to_stage if latest else Stage.NONE
    case.warning_review_due = latest.review_due if latest and latest.to_stage == Stage.WARNING else None


def _spoc_channels(values: list) -> list[str]:
    return [parse_enum(Channel, v.value if isinstance(v, Channel) else v, "Channel").value
            for v in dict.fromkeys(values or [])]


def _decide_spoc(uow: UnitOfWork, actor: Actor, case: Case, entry: SpocEntry, result: AppealOutcome,
                 today: dt.date, varied_terms: str, new_review_due: Optional[dt.date],
                 channels: Optional[list], contact_times: Optional[str], contact_limit: Optional[str]) -> list[str]:
    """The effect of an appeal decision on a SPOC register entry; returns what was varied, in words."""
    varied: list[str] = []
    if result == AppealOutcome.UPHELD:
        return varied
    if entry.status != RegisterStatus.ACTIVE:
        raise PolicyError(f"That SPOC has already ended ({entry.ended_reason or entry.status.label}): "
                          "the appeal can only be upheld.")
    before = snapshot(entry)
    if result == AppealOutcome.VARIED:
        if varied_terms:
            entry.terms = varied_terms
            varied.append(f"terms: {varied_terms}")
        if channels is not None:
            codes = _spoc_channels(channels)
            entry.channels = codes
            varied.append("channels: " + ", ".join(Channel(c).label for c in codes))
        if contact_times is not None:
            entry.contact_times = contact_times
            varied.append(f"contact times: {contact_times}")
        if contact_limit is not None:
            entry.contact_limit = contact_limit
            varied.append(f"contact limit: {contact_limit}")
        if new_review_due:
            entry.review_due = check_review_date(entry.starts_on, new_review_due)
            varied.append(f"review due {new_review_due:%d %B %Y}")
    else:
        entry.status, entry.ended_on, entry.ended_reason = RegisterStatus.ENDED, today, SPOC_OVERTURNED
    uow.flush()
    b, a = _changed(before, snapshot(entry))
    uow.audit(actor, "end_spoc" if result == AppealOutcome.OVERTURNED else "update_spoc_entry", entry,
              customer_id=case.customer_id, before=b, after=a, reason=f"Appeal decided: {result.label}")
    return varied


def decide_appeal(actor: Actor, appeal_id: int, outcome: str, notes: str, expected_version: int,
                  uow: UnitOfWork, today: Optional[dt.date] = None, varied_terms: str = "",
                  new_review_due: Optional[dt.date] = None, channels: Optional[list] = None,
                  contact_times: Optional[str] = None, contact_limit: Optional[str] = None) -> dict:
    """The assigned Assistant Director decides: upheld (stands), varied (terms or review date
    change; for a SPOC also its channels, contact times or limit) or overturned (the decision,
    action or SPOC ends)."""
    require(actor, Permission.DECIDE_APPEALS)
    today = _today(today)
    result = parse_enum(AppealOutcome, outcome, "Appeal outcome")
    notes = clean_text(notes, "Reasons for the appeal decision", required=True)
    varied_terms = clean_text(varied_terms, "How the decision is varied")
    # For a SPOC: None (or blank) leaves the channels, contact times or limit as they are.
    contact_times = (clean_line(contact_times, "Contact times") or None) if contact_times is not None else None
    contact_limit = (clean_line(contact_limit, "Contact limit") or None) if contact_limit is not None else None
    channels = channels or None
    with uow:
        appeal = uow.session.get(Appeal, appeal_id)
        if appeal is None:
            raise NotFound("No such appeal.")
        if appeal.decision_maker_id != actor.user_id:
            raise PermissionDenied("This appeal is assigned to another Assistant Director.")
        if appeal.decided_on is not None:
            raise PolicyError("This appeal has already been decided.")
        case = _load(uow, appeal.case_id, expected_version)
        subject = _subject(uow, case, appeal.subject_type, appeal.subject_id)
        event, action = subject.event, subject.action
        conflict = appeal_rules.conflict_problem(actor.user_id, subject.decided_by_id, _assistant_directors(uow))
        if conflict:
            raise PolicyError(conflict)
        spoc_changes = channels is not None or contact_times is not None or contact_limit is not None
        if subject.spoc is None and spoc_changes:
            raise PolicyError("Only a SPOC on the register has channels, contact times or a contact limit to vary.")
        if result == AppealOutcome.VARIED and not (varied_terms or new_review_due or spoc_changes):
            raise PolicyError("Say how the decision is varied (new terms or a new review date).")
        before = snapshot(case)
        appeal_before = snapshot(appeal)
        varied = [f"{varied_terms}"] if varied_terms else []
        if subject.spoc is not None:
            varied = _decide_spoc(uow, actor, case, subject.spoc, result, today, varied_terms, new_review_due,
                                  channels, contact_times, contact_limit)
        elif result == AppealOutcome.VARIED:
            if action is not None:
                if varied_terms:
                    action.terms = varied_terms
                if new_review_due:
                    action.review_due = check_review_date(action.starts_on, new_review_due)
            elif event.to_stage == Stage.WARNING and new_review_due:
                if new_review_due <= event.decided_on:
                    raise PolicyError("The warning's review date must be after the warning was issued.")
                event.review_due = new_review_due
                if case.stage == Stage.WARNING:
                    case.warning_review_due = new_review_due
            elif new_review_due:
                raise PolicyError("Only a warning or a restriction has a review date to vary.")
        elif result == AppealOutcome.OVERTURNED:
            ended = [action] if action is not None else \
                [a for a in case.formal_actions if a.stage_event_id == event.id]
            for a in ended:
                if a.status == ActionStatus.ACTIVE:
                    a.status, a.ended_on, a.ended_reason = ActionStatus.OVERTURNED, today, "Overturned on appeal."
            siblings = [a for a in case.formal_actions if a.stage_event_id == event.id]
            if action is None or all(a.status == ActionStatus.OVERTURNED for a in siblings):
                event.details = {**(event.details or {}), "overturned": True, "overturned_on": today.isoformat()}
            if case.stage != Stage.CLOSED:
                _restore_stage(case)
        appeal.decided_on, appeal.outcome = today, result
        appeal.decision_notes = notes + (f"\nVaried: {'; '.join(varied)}" if varied else "")
        uow.flush()
        b, a = _changed(appeal_before, snapshot(appeal))
        uow.audit(actor, "decide_appeal", appeal, customer_id=case.customer_id, before=b, after=a,
                  reason=result.label)
        _audit_case(uow, actor, "appeal_decided", case, before, reason=result.label)
        uow.commit()
        return {"appeal_id": appeal.id, "outcome": result.value, "case_stage": case.stage.value,
                "late_decision": today > appeal.due_on}


def close_case(actor: Actor, case_id: int, reason: str, expected_version: int, uow: UnitOfWork,
               today: Optional[dt.date] = None) -> int:
    """Close a case with normal relations restored. Returns the closing stage event id."""
    require(actor, Permission.RUN_CASES)
    today = _today(today)
    reason = clean_text(reason, "Reason for closing the case", required=True)
    with uow:
        case = _load(uow, case_id, expected_version)
        _refuse(rules.check_close(_facts(case, len(_undecided_appeals(uow, case.id)))).problems)
        before = snapshot(case)
        event = _close(uow, actor, case, today, reason)
        _event_audit(uow, actor, "close_case", event, reason=reason)
        _audit_case(uow, actor, "case_closed", case, before, reason=reason)
        uow.commit()
        return event.id


# ---------------------------------------------------------------- reading

def allowed_actions(actor: Actor, case_id: int, uow: UnitOfWork, today: Optional[dt.date] = None) -> dict:
    """What the policy allows next on this case, and why each other action is not allowed."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        case = _load(uow, case_id)
        return _allowed(uow, case)


def _active_spoc_entries(uow: UnitOfWork, case_id: int) -> list[SpocEntry]:
    return list(uow.session.scalars(select(SpocEntry).where(
        SpocEntry.case_id == case_id, SpocEntry.status == RegisterStatus.ACTIVE).order_by(SpocEntry.id)))


def _allowed(uow: UnitOfWork, case: Case) -> dict:
    verdicts = rules.next_actions(_facts(case, len(_undecided_appeals(uow, case.id))))
    verdicts = appeal_rules.with_spoc_appeals(verdicts, len(_active_spoc_entries(uow, case.id)))
    return {
        "case_id": case.id, "stage": case.stage.value, "stage_label": case.stage.label, "version": case.version,
        "allowed": [{"action": v.action.value, "label": v.action.label, "note": v.note.strip()}
                    for v in verdicts if v.allowed],
        "refused": [{"action": v.action.value, "label": v.action.label, "reasons": list(v.problems)}
                    for v in verdicts if not v.allowed],
    }


def _letters_sent(uow: UnitOfWork, event_ids: list[int]) -> set[int]:
    if not event_ids:
        return set()
    rows = uow.session.scalars(select(Letter.subject_id).where(
        Letter.subject_type == "stage_event", Letter.subject_id.in_(event_ids),
        Letter.letter_type.in_(DECISION_LETTERS),
        or_(Letter.status == "sent", Letter.sent_on.is_not(None))))
    return set(rows)


def _referrals(uow: UnitOfWork, case_ids: list[int]) -> dict[int, list[ServiceReferral]]:
    out: dict[int, list[ServiceReferral]] = {}
    if case_ids:
        for r in uow.session.scalars(select(ServiceReferral).options(selectinload(ServiceReferral.service_area))
                                     .where(ServiceReferral.case_id.in_(case_ids))):
            out.setdefault(r.case_id, []).append(r)
    return out


def _checklist(case: Case, sent: set[int], referrals: list[ServiceReferral], today: dt.date,
               reviewed_warnings: set[int] = frozenset()) -> list[checklist_rules.ChecklistItem]:
    decisions = [checklist_rules.DecisionFact(
        e.id, e.from_stage, e.to_stage, e.decided_on, e.reason, e.skip_reason,
        sum(1 for i in e.evidence if i.counts_as_evidence), e.underlying_issues_considered, e.id in sent,
        e.review_due, _overturned(e)) for e in case.stage_events if e.to_stage in rules.DECISION_STAGES]
    restrictions = [checklist_rules.RestrictionFact(a.id, a.kind, a.terms, a.review_due,
                                                    a.status == ActionStatus.ACTIVE) for a in case.formal_actions]
    refs = [checklist_rules.ReferralFact(r.id, r.description, r.service_area.name, r.resolved_at is not None)
            for r in referrals]
    return checklist_rules.case_checklist(decisions, restrictions, refs, today, case.warning_review_due, case.stage)


def _item_dict(item: checklist_rules.ChecklistItem) -> dict:
    return {"key": item.key, "label": item.label, "status": item.status, "missing": list(item.missing),
            "detail": item.detail}


def case_checklist(actor: Actor, case_id: int, uow: UnitOfWork, today: Optional[dt.date] = None) -> list[dict]:
    """The clause 2.3 checklist: each principle pass or missing, with what is missing."""
    require(actor, Permission.VIEW_CASES)
    today = _today(today)
    with uow:
        case = _load(uow, case_id)
        sent = _letters_sent(uow, [e.id for e in case.stage_events])
        return [_item_dict(i) for i in _checklist(case, sent, _referrals(uow, [case.id]).get(case.id, []), today)]


def _overdue(case: Case, appeals: list[Appeal], sent: set[int], today: dt.date) -> list[dict]:
    items = []
    if case.stage == Stage.WARNING and case.warning_review_due and case.warning_review_due < today:
        items.append({"what": "Warning review", "due": case.warning_review_due})
    for a in case.formal_actions:
        if a.status == ActionStatus.ACTIVE and a.review_due < today:
            items.append({"what": f"Review: {a.kind.label}", "due": a.review_due})
    for ap in appeals:
        if ap.decided_on is None and ap.due_on < today:
            items.append({"what": "Appeal decision", "due": ap.due_on})
    for e in case.stage_events:
        due = (e.details or {}).get("outcome_letter_due")
        if e.to_stage == Stage.INFORMAL and due and not _overturned(e) and e.id not in sent:
            due_date = dt.date.fromisoformat(due)
            if due_date < today:
                items.append({"what": "Informal stage outcome letter", "due": due_date})
    for item in items:
        item["days_overdue"] = (today - item["due"]).days
    return sorted(items, key=lambda i: i["due"])


def compliance_overview(actor: Actor, uow: UnitOfWork, today: Optional[dt.date] = None,
                        service_area_id: Optional[int] = None) -> list[dict]:
    """Every open case with its failing clause 2.3 items and overdue deadlines (only cases with
    at least one of either), most overdue first."""
    require(actor, Permission.VIEW_CASES)
    today = _today(today)
    with uow:
        stmt = _case_query().where(Case.stage != Stage.CLOSED)
        if service_area_id:
            stmt = stmt.where(Case.service_area_id == service_area_id)
        cases = list(uow.session.scalars(stmt.order_by(Case.id)))
        ids = [c.id for c in cases]
        sent = _letters_sent(uow, [e.id for c in cases for e in c.stage_events])
        referrals = _referrals(uow, ids)
        appeals: dict[int, list[Appeal]] = {}
        if ids:
            for ap in uow.session.scalars(select(Appeal).where(Appeal.case_id.in_(ids), Appeal.decided_on.is_(None))):
                appeals.setdefault(ap.case_id, []).append(ap)
        rows = []
        for case in cases:
            failing = checklist_rules.failing(_checklist(case, sent, referrals.get(case.id, []), today))
            overdue = _overdue(case, appeals.get(case.id, []), sent, today)
            if not failing and not overdue:
                continue
            rows.append({
                "case_id": case.id, "customer_id": case.customer_id, "customer": case.customer.full_name,
                "housing_ref": case.customer.housing_ref, "service_area_id": case.service_area_id,
                "service_area": case.service_area.name, "stage": case.stage.label,
                "failing": [i.label for i in failing],
                "missing": [m for i in failing for m in i.missing],
                "overdue": [{"what": o["what"], "due": o["due"], "days_overdue": o["days_overdue"]} for o in overdue],
                "most_days_overdue": max((o["days_overdue"] for o in overdue), default=0),
            })
        return sorted(rows, key=lambda r: (-r["most_days_overdue"], -len(r["failing"]), r["case_id"]))


def service_areas(actor: Actor, uow: UnitOfWork) -> list[dict]:
    require(actor, Permission.VIEW_CASES)
    with uow:
        return [{"id": a.id, "name": a.name} for a in uow.session.scalars(select(ServiceArea).order_by(ServiceArea.name))]


def find_case(actor: Actor, customer_id: int, uow: UnitOfWork) -> Optional[int]:
    """The customer's open case, or their latest case; None if they have none."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        rows = list(uow.session.execute(select(Case.id, Case.stage).where(Case.customer_id == customer_id)
                                        .order_by(Case.id.desc())))
        open_ = [r.id for r in rows if r.stage != Stage.CLOSED]
        return open_[0] if open_ else (rows[0].id if rows else None)


def case_overview(actor: Actor, case_id: int, uow: UnitOfWork, today: Optional[dt.date] = None) -> dict:
    """Everything the case actions page shows: stage, version, incidents, decisions, actions
    (with the counting incidents since each began), appeals, allowed actions and the checklist."""
    require(actor, Permission.VIEW_CASES)
    today = _today(today)
    with uow:
        case = _load(uow, case_id)
        sent = _letters_sent(uow, [e.id for e in case.stage_events])
        all_appeals = list(uow.session.scalars(select(Appeal).options(selectinload(Appeal.decision_maker))
                                               .where(Appeal.case_id == case.id).order_by(Appeal.id)))
        users = {u.id: u.name for u in uow.session.scalars(
            select(User).where(User.id.in_({e.decided_by_id for e in case.stage_events} or {0})))}
        incidents = sorted(case.incidents, key=lambda i: i.occurred_at)
        facts = _facts(case)
        spoc_entries = []
        for entry in _active_spoc_entries(uow, case.id):
            decided_on, _ = _spoc_decision(uow, entry)
            spoc_entries.append({
                "id": entry.id, "starts_on": entry.starts_on, "review_due": entry.review_due, "terms": entry.terms,
                "appeal_by": appeal_deadline(appeal_rules.spoc_appeal_window_start(decided_on, entry.starts_on))})
        warning = _last_live(case, Stage.WARNING) if case.stage == Stage.WARNING else None
        return {
            "case_id": case.id, "version": case.version, "customer_id": case.customer_id,
            "customer": case.customer.full_name, "housing_ref": case.customer.housing_ref,
            "service_area": case.service_area.name, "stage": case.stage.value, "stage_label": case.stage.label,
            "closure_reason": case.closure_reason, "warning_review_due": case.warning_review_due,
            "vulnerabilities": [v.kind.label for v in case.customer.vulnerabilities],
            "warning_in_force": ({"id": warning.id, "decided_on": warning.decided_on,
                                  "review_due": warning.review_due,
                                  "incidents_since": [f.id for f in rules.counting_incidents_since(facts, warning.decided_on)]}
                                 if warning else None),
            "incidents": [{"id": i.id, "occurred_on": i.occurred_at.date(), "category": i.category.label,
                           "evidence": i.evidence_source.label, "counts": i.counts_as_evidence,
                           "violence_or_threat": i.violence_or_threat} for i in incidents],
            "decisions": [{"id": e.id, "stage": e.to_stage.label, "to_stage": e.to_stage.value,
                           "decided_on": e.decided_on, "decided_by": users.get(e.decided_by_id, ""),
                           "reason": e.reason, "skip_reason": e.skip_reason, "review_due": e.review_due,
                           "letter_sent": e.id in sent, "overturned": _overturned(e),
                           "evidence": [i.id for i in e.evidence],
                           "appeal_by": appeal_deadline(appeal_window_start(e.notified_on, e.decided_on))
                           if e.to_stage in rules.DECISION_STAGES else None}
                          for e in case.stage_events],
            "actions": [{"id": a.id, "kind": a.kind.value, "label": a.kind.label, "terms": a.terms,
                         "starts_on": a.starts_on, "review_due": a.review_due, "status": a.status.label,
                         "active": a.status == ActionStatus.ACTIVE,
                         "review_overdue": a.status == ActionStatus.ACTIVE and a.review_due < today,
                         "incidents_during": [i.id for i in incidents if i.counts_as_evidence
                                              and a.starts_on <= i.occurred_at.date() <= (a.ended_on or today)]}
                        for a in sorted(case.formal_actions, key=lambda a: a.id)],
            "spoc_entries": spoc_entries,   # active SPOCs on the register: appealable to the ICT AD
            "appeals": [{"id": ap.id, "subject_type": ap.subject_type, "subject_id": ap.subject_id,
                         "received_on": ap.received_on, "late": ap.late, "due_on": ap.due_on,
                         "decision_maker": ap.decision_maker.name, "decided_on": ap.decided_on,
                         "outcome": ap.outcome.label if ap.outcome else ""} for ap in all_appeals],
            "next": _allowed(uow, case),
            "checklist": [_item_dict(i) for i in _checklist(case, sent, _referrals(uow, [case.id]).get(case.id, []), today)],
        }


def _appeal_subject_words(uow: UnitOfWork, ap: Appeal) -> str:
    """What an appeal is against, in words, for each kind of subject."""
    if ap.subject_type == "formal_action":
        fa = uow.session.get(FormalAction, ap.subject_id)
        return f"Formal action: {fa.kind.label} ({fa.terms})" if fa else "Formal action"
    if ap.subject_type == "spoc_entry":
        entry = uow.session.get(SpocEntry, ap.subject_id)
        if entry is None:
            return "Single point of contact (SPOC)"
        words = f"Single point of contact (SPOC) from {entry.starts_on:%d %B %Y}"
        if entry.status != RegisterStatus.ACTIVE:
            words += f", ended {entry.ended_on:%d %B %Y}" if entry.ended_on else ", ended"
        return words + (f" ({entry.terms})" if entry.terms else "")
    if ap.subject_type == "stage_event":
        ev = uow.session.get(StageEvent, ap.subject_id)
        return f"{ev.to_stage.label} decision of {ev.decided_on:%d %B %Y}" if ev else "Decision"
    return "Decision"


def appeals_for_decision_maker(actor: Actor, uow: UnitOfWork, today: Optional[dt.date] = None,
                               include_decided: bool = False) -> list[dict]:
    """The appeals assigned to this Assistant Director, soonest due first."""
    require(actor, Permission.DECIDE_APPEALS)
    today = _today(today)
    with uow:
        stmt = (select(Appeal, Case, Customer).join(Case, Case.id == Appeal.case_id)
                .join(Customer, Customer.id == Case.customer_id)
                .where(Appeal.decision_maker_id == actor.user_id))
        if not include_decided:
            stmt = stmt.where(Appeal.decided_on.is_(None))
        rows = []
        for ap, case, customer in uow.session.execute(stmt.order_by(Appeal.due_on, Appeal.id)):
            subject = _appeal_subject_words(uow, ap)
            rows.append({"appeal_id": ap.id, "case_id": case.id, "case_version": case.version,
                         "customer": customer.full_name, "housing_ref": customer.housing_ref, "subject": subject,
                         "subject_type": ap.subject_type,
                         "received_on": ap.received_on, "due_on": ap.due_on, "late": ap.late,
                         "late_accepted_reason": ap.late_accepted_reason, "grounds": ap.grounds,
                         "overdue": ap.decided_on is None and ap.due_on < today,
                         "decided_on": ap.decided_on, "outcome": ap.outcome.label if ap.outcome else ""})
        return rows
