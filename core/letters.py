"""Letters from the Word templates in templates/ (policy Appendices A and B, clauses 4.1, 4.2).

This module builds a letter's facts (the docxtpl context) from the case's records and renders
a template with docxtpl. Rendering is safe by construction:

- autoescaping is on, so `&`, `<`, `>`, quotes and apostrophes in names and free text come out
  in Word exactly as typed;
- the user's free-text paragraphs are passed as plain values, never as template source, so
  `{{ ... }}` or `{% ... %}` typed by a user is printed, not run;
- undefined fields raise (jinja2 StrictUndefined), so a template asking for a fact the
  context lacks fails in the tests (tests/unit/test_letter_templates.py), not in front of a user.

Services (core/services/letters.py) add permissions, the database and the audit trail.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional
from zoneinfo import ZoneInfo

from docx import Document
from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import (
    ActionStatus, AppealOutcome, FormalActionType, LetterType, RegisterStatus, ReviewOutcome, Stage,
)
from core.errors import NotFound, PolicyError
from core.models import (
    Appeal, Case, Customer, FormalAction, Incident, Letter, PvpEntry, Review, ServiceArea,
    ServiceReferral, SpocEntry, StageEvent, ThirdPartyContact, User,
)
from core.policy.deadlines import APPEAL_WINDOW_DAYS, appeal_deadline

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
UK = ZoneInfo("Europe/London")
ORGANISATION = "Northampton Partnership Homes"
ICT_AD = "the Assistant Director for Corporate Service and ICT"

# --- which facts each letter gets ---------------------------------------------------------
_COMMON = {"letter_date", "reference", "officer", "customer", "paragraphs"}
_TO_CUSTOMER = _COMMON | {"appeal_route"}
CONTEXT_KEYS: dict[LetterType, frozenset[str]] = {
    LetterType.INFORMAL_SUMMARY: frozenset(_TO_CUSTOMER | {"conversation_date", "incidents"}),
    LetterType.WARNING: frozenset(_TO_CUSTOMER | {"incidents", "previous_incidents",
                                                  "previous_incident_dates", "review_date",
                                                  "decision_date"}),
    LetterType.FORMAL: frozenset(_TO_CUSTOMER | {"incidents", "restrictions", "decision_date",
                                                 "warning_date"}),
    LetterType.APPEAL_ACK: frozenset(_TO_CUSTOMER | {"appeal"}),
    LetterType.APPEAL_OUTCOME: frozenset(_TO_CUSTOMER | {"appeal"}),
    LetterType.REVIEW_OUTCOME: frozenset(_TO_CUSTOMER | {"review"}),
    LetterType.THIRD_PARTY: frozenset(_TO_CUSTOMER | {"contact"}),
    LetterType.PVP_NOTICE: frozenset(_TO_CUSTOMER | {"pvp"}),
    # Clause 4.2: staff need the arrangements, never the reasons: no incidents in this context.
    LetterType.STAFF_NOTICE: frozenset(_COMMON | {"arrangements"}),
}

# The record each letter is about (Letter.subject_type).
SUBJECT_TYPE: dict[LetterType, str] = {
    LetterType.INFORMAL_SUMMARY: "stage_event", LetterType.WARNING: "stage_event",
    LetterType.FORMAL: "stage_event", LetterType.APPEAL_ACK: "appeal",
    LetterType.APPEAL_OUTCOME: "appeal", LetterType.REVIEW_OUTCOME: "review",
    LetterType.THIRD_PARTY: "third_party_contact", LetterType.PVP_NOTICE: "pvp_entry",
    LetterType.STAFF_NOTICE: "customer",
}
STAGE_OF_LETTER = {LetterType.INFORMAL_SUMMARY: Stage.INFORMAL, LetterType.WARNING: Stage.WARNING,
                   LetterType.FORMAL: Stage.FORMAL}
# Sending these is what tells the customer of the decision and starts the 28-day appeal window.
STARTS_APPEAL_WINDOW = frozenset({LetterType.WARNING, LetterType.FORMAL})
CUSTOMER_LETTERS = frozenset(t for t in LetterType if t != LetterType.STAFF_NOTICE)


# --- pure helpers -------------------------------------------------------------------------
def british_date(day: Optional[dt.date]) -> str:
    """27 March 2026 (no leading zero); '' for no date."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = (day if day.tzinfo else day.replace(tzinfo=dt.timezone.utc)).astimezone(UK).date()
    return f"{day.day} {day:%B %Y}"


def join_words(items: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def appeal_window_start(letter_type: LetterType, first_sent_on: Optional[dt.date],
                        today: dt.date) -> dt.date:
    """The day the 28-day appeal window runs from, as the letter should state it.

    A warning or formal decision is notified by its letter: the first letter sent starts the
    window, and a later copy repeats the same deadline. Every other letter tells the customer
    of its decision on the day it is sent."""
    if letter_type in STARTS_APPEAL_WINDOW and first_sent_on is not None:
        return first_sent_on
    return today


def split_paragraphs(text: str) -> list[str]:
    """Free text from one box: paragraphs separated by a blank line; single newlines kept."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def safe_filename_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-") or "x"


# --- templates and rendering ---------------------------------------------------------------
class _CachingEnvironment(Environment):
    """Compiles each template's XML once per process (the source is the template, never user
    text: user values only ever arrive in the render context)."""

    _cache_limit = 64

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._compiled: dict[str, Any] = {}
        self._lock = threading.Lock()

    def from_string(self, source, globals=None, template_class=None):  # noqa: A002
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        compiled = self._compiled.get(source)
        if compiled is None:
            compiled = super().from_string(source)
            with self._lock:
                if len(self._compiled) >= self._cache_limit:
                    self._compiled.clear()
                self._compiled[source] = compiled
        return compiled


def _finalize(value: Any) -> Any:
    return "" if value is None else value


def jinja_env() -> Environment:
    return _CachingEnvironment(autoescape=True, undefined=StrictUndefined, finalize=_finalize)


_ENV = jinja_env()
_template_cache: dict[Path, tuple[tuple[int, int], bytes, str]] = {}


def template_path(letter_type: LetterType | str) -> Path:
    return TEMPLATE_DIR / f"{LetterType(letter_type).value}.docx"


def _template(letter_type: LetterType | str) -> tuple[bytes, str]:
    """The template's bytes and version, re-read when a manager saves a new version."""
    path = template_path(letter_type)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise PolicyError(f"The letter template {path.name} is missing from {TEMPLATE_DIR}.") from None
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _template_cache.get(path)
    if cached is None or cached[0] != key:
        data = path.read_bytes()
        version = f"{path.name}@{hashlib.sha256(data).hexdigest()[:12]}"
        cached = (key, data, version)
        _template_cache[path] = cached
    return cached[1], cached[2]


def template_version(letter_type: LetterType | str) -> str:
    """File name plus the first 12 hex digits of the template's sha256."""
    return _template(letter_type)[1]


def missing_fields(letter_type: LetterType | str, context: Optional[dict] = None,
                   source: Optional[bytes] = None) -> set[str]:
    """Top-level fields the template uses that the context (default: CONTEXT_KEYS) lacks."""
    letter_type = LetterType(letter_type)
    data = source if source is not None else _template(letter_type)[0]
    keys = set(context) if context is not None else set(CONTEXT_KEYS[letter_type])
    used = DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables(jinja_env())
    return used - keys


def render_docx(source: bytes, context: dict) -> bytes:
    """Render template bytes with the context (autoescaped, strict) and return the .docx bytes."""
    template = DocxTemplate(io.BytesIO(source))
    template.render(context, jinja_env=_ENV, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def render(letter_type: LetterType | str, context: dict) -> bytes:
    return render_docx(_template(letter_type)[0], context)


def docx_text(content: bytes) -> str:
    """The letter's text as python-docx reads it: header, body (with tables) and footer."""
    doc = Document(io.BytesIO(content))
    lines: list[str] = []
    for section in doc.sections:
        lines += [p.text for p in section.header.paragraphs]
    lines += [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    for section in doc.sections:
        lines += [p.text for p in section.footer.paragraphs]
    return "\n".join(lines)


def preview_text(content: bytes) -> str:
    """Body paragraphs only (line breaks as typed), blank runs collapsed: the page's preview."""
    doc = Document(io.BytesIO(content))
    text = "\n".join(p.text for p in doc.paragraphs)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def checksum(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- PDF (optional) --------------------------------------------------------------------------
def libreoffice_binary() -> Optional[str]:
    return shutil.which("libreoffice") or shutil.which("soffice")


def pdf_available() -> bool:
    return libreoffice_binary() is not None


def to_pdf(content: bytes, timeout: int = 120) -> bytes:
    """Convert a .docx to PDF with `libreoffice --headless --convert-to pdf`."""
    binary = libreoffice_binary()
    if binary is None:
        raise PolicyError("PDF conversion needs LibreOffice, which is not installed on this server.")
    with tempfile.TemporaryDirectory(prefix="ft-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / "letter.docx"
        source.write_bytes(content)
        command = [binary, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                   "--norestore", "--convert-to", "pdf", "--outdir", str(folder), str(source)]
        try:
            subprocess.run(command, check=True, timeout=timeout, capture_output=True)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
            raise PolicyError("LibreOffice could not convert this letter to PDF; download the "
                              ".docx instead.") from None
        result = folder / "letter.pdf"
        if not result.exists():
            raise PolicyError("LibreOffice did not produce a PDF; download the .docx instead.")
        return result.read_bytes()


# --- facts from the records --------------------------------------------------------------------
@dataclass
class LetterFacts:
    letter_type: LetterType
    case_id: Optional[int]
    customer_id: int
    subject_type: str
    subject_id: int
    context: dict
    facts: list[tuple[str, str]]
    default_paragraphs: list[str] = field(default_factory=list)
    appeal_by: Optional[dt.date] = None

    @property
    def filename(self) -> str:
        return (f"{self.letter_type.value}_{safe_filename_part(self.context['customer']['housing_ref'])}"
                f"_{self.subject_type}-{self.subject_id}_{self.context['letter_iso']}.docx")


def _officer(user: User) -> dict:
    area = user.service_area.name if user.service_area else ORGANISATION
    return {"name": user.name, "job_title": user.role.label, "service_area": area,
            "email": user.email or "",
            "contact": f"email {user.email}" if user.email else f"via {ORGANISATION} customer services"}


def _customer(customer: Customer) -> dict:
    lines = [p for p in (customer.address_line1, customer.address_line2, customer.town,
                         customer.postcode) if p]
    salutation = (f"{customer.title} {customer.last_name}" if customer.title
                  else f"{customer.first_name} {customer.last_name}")
    return {"name": customer.full_name, "first_name": customer.first_name,
            "last_name": customer.last_name, "salutation": salutation,
            "address_lines": lines, "address": ", ".join(lines),
            "housing_ref": customer.housing_ref}


def _incident(incident: Incident) -> dict:
    behaviours = [b.behaviour.label for b in incident.behaviours] or [incident.category.label]
    return {"date": british_date(incident.occurred_at), "channel": incident.channel.label,
            "behaviours": "; ".join(behaviours), "description": incident.description,
            "category": incident.category.label}


def _counting(incidents: Iterable[Incident]) -> list[Incident]:
    """Hearsay or opinion is never relied on (clauses 4.2 and 6)."""
    return sorted((i for i in incidents if i.counts_as_evidence), key=lambda i: i.occurred_at)


def _event_incidents(session: Session, case: Case, event: StageEvent) -> list[Incident]:
    """The evidence linked to the decision; failing that, the case's counting incidents since
    the previous stage decision up to this one."""
    linked = _counting(event.evidence)
    if linked:
        return linked
    earlier = [e.decided_on for e in case.stage_events if e.id < event.id]
    start = max(earlier) if earlier else None
    out = []
    for incident in _counting(case.incidents):
        day = incident.occurred_at.astimezone(UK).date()
        if day <= event.decided_on and (start is None or day > start):
            out.append(incident)
    return out


def _assistant_director(session: Session, case: Case, about_spoc: bool) -> str:
    if about_spoc:
        return ICT_AD
    return f"the Assistant Director for {case.service_area.name}"


def _first_sent(session: Session, letter_type: LetterType, subject_type: str,
                subject_id: int) -> Optional[dt.date]:
    return session.scalar(select(Letter.sent_on).where(
        Letter.letter_type == letter_type, Letter.subject_type == subject_type,
        Letter.subject_id == subject_id, Letter.status == "sent").order_by(Letter.sent_on).limit(1))


def _appeal_route(session: Session, case: Case, officer: User, letter_type: LetterType,
                  subject_type: str, subject_id: int, today: dt.date, about_spoc: bool) -> tuple[dict, dt.date]:
    start = appeal_window_start(letter_type, _first_sent(session, letter_type, subject_type, subject_id),
                                today)
    by = appeal_deadline(start)
    return {"by": british_date(by), "officer_name": officer.name,
            "officer_contact": _officer(officer)["contact"],
            "decided_by": _assistant_director(session, case, about_spoc),
            "window_days": APPEAL_WINDOW_DAYS}, by


def _chosen_or_latest(session: Session, model, subject_id: Optional[int], missing: str, *conditions):
    """The record the user chose (or, if none, the latest) among those matching `conditions`."""
    query = select(model).where(*conditions)
    if subject_id is not None:
        query = query.where(model.id == subject_id)
    found = session.scalar(query.order_by(model.id.desc()).limit(1))
    if found is None:
        raise PolicyError(missing)
    return found


def _stage_event(session: Session, case: Case, stage: Stage, subject_id: Optional[int]) -> StageEvent:
    events = [e for e in case.stage_events if e.to_stage == stage]
    if subject_id is not None:
        events = [e for e in events if e.id == subject_id]
    if not events:
        raise PolicyError(f"This case has no {stage.label.lower()} decision on record to write about.")
    return events[-1]


def _decision_description(session: Session, subject_type: str, subject_id: int) -> tuple[str, Optional[dt.date], bool]:
    """(what was decided, in plain words; the date; whether it is about a SPOC)."""
    if subject_type == "stage_event":
        event = session.get(StageEvent, subject_id)
        if event is not None:
            words = {Stage.INFORMAL: "our informal-stage decision",
                     Stage.WARNING: "our Fair Treatment Letter (warning stage)",
                     Stage.FORMAL: "our formal-stage decision",
                     Stage.CLOSED: "our decision to close your case"}.get(event.to_stage, "our decision")
            spoc = any(a.kind == FormalActionType.SPOC for a in session.scalars(
                select(FormalAction).where(FormalAction.stage_event_id == event.id)))
            return words, event.notified_on or event.decided_on, spoc
    if subject_type == "formal_action":
        action = session.get(FormalAction, subject_id)
        if action is not None:
            return (f"our decision to apply “{action.kind.label}”", action.starts_on,
                    action.kind == FormalActionType.SPOC)
    if subject_type in ("spoc", "spoc_entry"):
        entry = session.get(SpocEntry, subject_id)
        return ("our decision to provide a single point of contact",
                entry.starts_on if entry else None, True)
    if subject_type in ("pvp", "pvp_entry"):
        entry = session.get(PvpEntry, subject_id)
        return ("our decision to place a Potentially Violent Person marker",
                entry.starts_on if entry else None, False)
    return "our decision", None, False


def _review_subject(session: Session, review: Review) -> tuple[str, bool]:
    kind = review.subject_type
    if kind == "formal_action":
        action = session.get(FormalAction, review.subject_id)
        if action is not None:
            return (f"the arrangement “{action.kind.label}” that started on "
                    f"{british_date(action.starts_on)}", action.kind == FormalActionType.SPOC)
    if kind in ("stage_event", "warning"):
        event = session.get(StageEvent, review.subject_id)
        if event is not None:
            return f"the warning in our Fair Treatment Letter of {british_date(event.decided_on)}", False
    if kind in ("spoc", "spoc_entry"):
        entry = session.get(SpocEntry, review.subject_id)
        start = f" that started on {british_date(entry.starts_on)}" if entry else ""
        return f"the single point of contact arrangement{start}", True
    if kind in ("pvp", "pvp_entry"):
        entry = session.get(PvpEntry, review.subject_id)
        start = f" placed on {british_date(entry.starts_on)}" if entry and entry.starts_on else ""
        return f"the Potentially Violent Person marker{start}", False
    return "the arrangement we agreed with you", False


APPEAL_OUTCOME_WORDS = {
    AppealOutcome.UPHELD: "the original decision stands",
    AppealOutcome.VARIED: "the original decision has been varied, as set out below",
    AppealOutcome.OVERTURNED: "the original decision has been overturned and no longer applies",
}


def staff_arrangements(session: Session, customer_id: int) -> list[str]:
    """What staff and contractors must do, in plain words: no reasons, no incidents."""
    out: list[str] = []
    actions = session.scalars(select(FormalAction).join(Case).where(
        Case.customer_id == customer_id, FormalAction.status == ActionStatus.ACTIVE)
        .order_by(FormalAction.id)).all()
    for action in actions:
        if action.kind in (FormalActionType.POLICE_REFERRAL, FormalActionType.LEGAL_ACTION):
            continue
        terms = f": {action.terms}" if action.terms else ""
        out.append(f"{action.kind.label}{terms} (until reviewed by {british_date(action.review_due)}).")
    spocs = session.execute(select(SpocEntry, User).join(User, User.id == SpocEntry.spoc_user_id).where(
        SpocEntry.customer_id == customer_id, SpocEntry.status == RegisterStatus.ACTIVE)).all()
    for entry, user in spocs:
        parts = [f"Single point of contact: {user.name}" + (f" ({user.email})" if user.email else "")
                 + ". Pass any contact from the customer to them."]
        if entry.channels:
            parts.append("Channels: " + ", ".join(str(c).replace("_", " ") for c in entry.channels) + ".")
        if entry.contact_times:
            parts.append(f"Times: {entry.contact_times}.")
        if entry.contact_limit:
            parts.append(f"Limit: {entry.contact_limit}.")
        if entry.terms:
            parts.append(entry.terms)
        out.append(" ".join(parts))
    pvps = session.scalars(select(PvpEntry).where(PvpEntry.customer_id == customer_id,
                                                  PvpEntry.status == RegisterStatus.ACTIVE)).all()
    if any(p.two_officers_on_visits for p in pvps):
        out.append("Two officers on every visit; no lone working.")
    out += [p.arrangements for p in pvps if p.arrangements]
    contacts = session.scalars(select(ThirdPartyContact).where(
        ThirdPartyContact.customer_id == customer_id, ThirdPartyContact.active.is_(True))).all()
    for contact in contacts:
        rel = f" ({contact.relationship_to_customer})" if contact.relationship_to_customer else ""
        out.append(f"Contact the customer through {contact.name}{rel}.")
    return out


def _referral_paragraphs(session: Session, case: Case) -> list[str]:
    rows = session.execute(select(ServiceReferral, ServiceArea.name)
                           .join(ServiceArea, ServiceArea.id == ServiceReferral.service_area_id)
                           .where(ServiceReferral.case_id == case.id)).all()
    return [f"We also talked about the service issue behind this: {r.description} This has been "
            f"referred to {area} to deal with as a matter of urgency. The expectation that the "
            "unacceptable behaviour must stop does not change." for r, area in rows]


def subjects_for(session: Session, case: Case, letter_type: LetterType) -> list[tuple[int, str]]:
    """(subject id, label) for each record of this case a letter of this type can be about."""
    if letter_type in STAGE_OF_LETTER:
        stage = STAGE_OF_LETTER[letter_type]
        return [(e.id, f"{stage.label} decided {british_date(e.decided_on)}")
                for e in case.stage_events if e.to_stage == stage]
    if letter_type in (LetterType.APPEAL_ACK, LetterType.APPEAL_OUTCOME):
        appeals = session.scalars(select(Appeal).where(Appeal.case_id == case.id).order_by(Appeal.id)).all()
        if letter_type == LetterType.APPEAL_OUTCOME:
            appeals = [a for a in appeals if a.outcome is not None]
        return [(a.id, f"Appeal received {british_date(a.received_on)}"
                 + (f", decided {british_date(a.decided_on)}" if a.decided_on else "")) for a in appeals]
    if letter_type == LetterType.REVIEW_OUTCOME:
        reviews = session.scalars(select(Review).where(Review.case_id == case.id).order_by(Review.id)).all()
        return [(r.id, f"Review held {british_date(r.held_on)}: {r.outcome.label}") for r in reviews]
    if letter_type == LetterType.THIRD_PARTY:
        contacts = session.scalars(select(ThirdPartyContact).where(
            ThirdPartyContact.customer_id == case.customer_id, ThirdPartyContact.active.is_(True))).all()
        return [(c.id, f"{c.name} from {british_date(c.started_on)}") for c in contacts]
    if letter_type == LetterType.PVP_NOTICE:
        entries = session.scalars(select(PvpEntry).where(
            PvpEntry.customer_id == case.customer_id, PvpEntry.status == RegisterStatus.ACTIVE)).all()
        return [(p.id, f"PVP marker from {british_date(p.starts_on)}") for p in entries]
    if letter_type == LetterType.STAFF_NOTICE:
        return ([(case.customer_id, "Arrangements in force now")]
                if staff_arrangements(session, case.customer_id) else [])
    return []


def letter_facts(session: Session, case: Case, letter_type: LetterType | str, subject_id: Optional[int],
                 author: User, today: dt.date) -> LetterFacts:
    """Everything the letter says that comes from the records, plus suggested free text."""
    letter_type = LetterType(letter_type)
    customer = case.customer
    if customer.anonymised_at is not None:
        raise NotFound("This customer's record has been anonymised; no letters can be drafted.")
    subject_type = SUBJECT_TYPE[letter_type]
    officer = _officer(author)
    ctx: dict[str, Any] = {
        "letter_date": british_date(today), "letter_iso": today.isoformat(),
        "reference": f"{customer.housing_ref}/C{case.id}",
        "officer": officer, "customer": _customer(customer), "paragraphs": [],
    }
    facts: list[tuple[str, str]] = [("Customer", customer.full_name),
                                    ("Address", ctx["customer"]["address"]),
                                    ("Housing reference", customer.housing_ref),
                                    ("Letter date", ctx["letter_date"])]
    defaults: list[str] = []
    about_spoc = False
    responsible = author

    if letter_type in STAGE_OF_LETTER:
        event = _stage_event(session, case, STAGE_OF_LETTER[letter_type], subject_id)
        subject_id = event.id
        incidents = [_incident(i) for i in _event_incidents(session, case, event)]
        if not incidents:
            raise PolicyError("This decision has no first-hand or trusted third-party incident on "
                              "record to describe; hearsay cannot be used in a letter.")
        ctx["incidents"] = incidents
        ctx["decision_date"] = british_date(event.decided_on)
        facts.append(("Decision", f"{event.to_stage.label}, {british_date(event.decided_on)}"))
        facts += [("Incident", f"{i['date']} ({i['channel']}): {i['behaviours']}") for i in incidents]
        if letter_type == LetterType.INFORMAL_SUMMARY:
            ctx["conversation_date"] = british_date(event.decided_on)
            defaults = ["We talked about what happened, why this behaviour is unacceptable, how we "
                        "expect you to behave towards our staff in future, and what we will do if "
                        "it happens again."] + _referral_paragraphs(session, case)
        elif letter_type == LetterType.WARNING:
            earlier = [e for e in case.stage_events if e.id < event.id and e.to_stage == Stage.INFORMAL]
            previous = [_incident(i) for e in earlier for i in _event_incidents(session, case, e)]
            review = event.review_due or case.warning_review_due
            if review is None:
                raise PolicyError("Set the warning's review date before drafting the Fair Treatment "
                                  "Letter: the letter must state the review timescale.")
            ctx["previous_incidents"] = previous
            ctx["previous_incident_dates"] = join_words(dict.fromkeys(i["date"] for i in previous))
            ctx["review_date"] = british_date(review)
            facts.append(("Review date", ctx["review_date"]))
            if previous:
                facts.append(("Previous incidents", ctx["previous_incident_dates"]))
            defaults = ["While we understand that you may be frustrated, the manner in which you "
                        "dealt with our staff is unacceptable and our staff should not have to put "
                        "up with it."]
        else:
            actions = session.scalars(select(FormalAction).where(
                FormalAction.stage_event_id == event.id,
                FormalAction.status != ActionStatus.OVERTURNED).order_by(FormalAction.id)).all()
            if not actions:
                raise PolicyError("This formal-stage decision has no restrictions on record; add "
                                  "the actions (with terms and review dates) before drafting.")
            about_spoc = any(a.kind == FormalActionType.SPOC for a in actions)
            ctx["restrictions"] = [{"kind": a.kind.label, "terms": a.terms or a.kind.label,
                                    "starts_on": british_date(a.starts_on),
                                    "review_due": british_date(a.review_due)} for a in actions]
            warnings = [e for e in case.stage_events if e.id < event.id and e.to_stage == Stage.WARNING]
            ctx["warning_date"] = british_date(warnings[-1].decided_on) if warnings else ""
            facts += [("Restriction", f"{r['kind']}: {r['terms']} (review {r['review_due']})")
                      for r in ctx["restrictions"]]
            defaults = ["Despite our earlier contact with you about your behaviour, it has continued."]
            if event.skip_reason:
                defaults = []
        if event.decided_by is not None:
            responsible = event.decided_by

    elif letter_type in (LetterType.APPEAL_ACK, LetterType.APPEAL_OUTCOME):
        decided = letter_type == LetterType.APPEAL_OUTCOME
        appeal = _chosen_or_latest(
            session, Appeal, subject_id,
            "This case has no " + ("decided " if decided else "") + "appeal on record to write about.",
            Appeal.case_id == case.id, *([Appeal.outcome.is_not(None)] if decided else []))
        subject_id = appeal.id
        decision, decision_date, about_spoc = _decision_description(session, appeal.subject_type,
                                                                    appeal.subject_id)
        maker = appeal.decision_maker
        maker_title = (ICT_AD if about_spoc else _assistant_director(session, case, False))[4:]
        window_ended = appeal_deadline(decision_date) if decision_date else None
        late_note = (f"We have accepted it: {appeal.late_accepted_reason}" if appeal.late_accepted_reason
                     else "We have recorded it as a late appeal.")
        ctx["appeal"] = {
            "received_on": british_date(appeal.received_on), "decision": decision,
            "decision_date": british_date(decision_date),
            "window_ended": british_date(window_ended), "late": bool(appeal.late),
            "late_note": late_note, "decision_maker": f"{maker.name}, {maker_title}",
            "decision_due": british_date(appeal.due_on),
            "decided_on": british_date(appeal.decided_on),
            "outcome": APPEAL_OUTCOME_WORDS.get(appeal.outcome, ""),
            "grounds": appeal.grounds,
        }
        facts += [("Appeal received", ctx["appeal"]["received_on"]),
                  ("Against", f"{decision} of {ctx['appeal']['decision_date']}"),
                  ("Decision maker", ctx["appeal"]["decision_maker"])]
        if letter_type == LetterType.APPEAL_ACK:
            facts.append(("Decision due by", ctx["appeal"]["decision_due"]))
        else:
            facts += [("Decided on", ctx["appeal"]["decided_on"]),
                      ("Outcome", appeal.outcome.label)]
            defaults = [appeal.decision_notes] if appeal.decision_notes else []

    elif letter_type == LetterType.REVIEW_OUTCOME:
        review = _chosen_or_latest(session, Review, subject_id,
                                   "This case has no review on record to write about.",
                                   Review.case_id == case.id)
        subject_id = review.id
        subject, about_spoc = _review_subject(session, review)
        if review.outcome in (ReviewOutcome.VARY, ReviewOutcome.CONTINUE) and review.next_review_due is None:
            raise PolicyError("A varied or continued arrangement needs its next review date before "
                              "the letter can be drafted.")
        ctx["review"] = {"subject": subject, "held_on": british_date(review.held_on),
                         "outcome": review.outcome.label, "outcome_code": review.outcome.value,
                         "next_review_due": british_date(review.next_review_due)}
        facts += [("Review of", subject), ("Held on", ctx["review"]["held_on"]),
                  ("Outcome", review.outcome.label)]
        if review.next_review_due:
            facts.append(("Next review", ctx["review"]["next_review_due"]))
        defaults = [review.notes] if review.notes else []

    elif letter_type == LetterType.THIRD_PARTY:
        contact = _chosen_or_latest(session, ThirdPartyContact, subject_id,
                                    "This customer has no third-party contact on record.",
                                    ThirdPartyContact.customer_id == customer.id)
        subject_id = contact.id
        ctx["contact"] = {"name": contact.name,
                          "relationship": contact.relationship_to_customer or "your chosen contact",
                          "started_on": british_date(contact.started_on)}
        facts += [("Third party", f"{contact.name} ({ctx['contact']['relationship']})"),
                  ("From", ctx["contact"]["started_on"])]

    elif letter_type == LetterType.PVP_NOTICE:
        entry = _chosen_or_latest(session, PvpEntry, subject_id,
                                  "This customer has no approved PVP register entry to write about.",
                                  PvpEntry.customer_id == customer.id, PvpEntry.status == RegisterStatus.ACTIVE)
        if entry.review_due is None or entry.starts_on is None:
            raise PolicyError("The PVP entry needs its start and review dates before the notice is drafted.")
        subject_id = entry.id
        arrangements = entry.arrangements or (
            "Two officers will attend any visit to you." if entry.two_officers_on_visits else "")
        ctx["pvp"] = {"starts_on": british_date(entry.starts_on), "review_due": british_date(entry.review_due),
                      "reasons": entry.reasons, "arrangements": arrangements or "Our staff will take "
                      "extra care when they visit or meet you."}
        facts += [("PVP marker from", ctx["pvp"]["starts_on"]), ("Review date", ctx["pvp"]["review_due"]),
                  ("Arrangements", ctx["pvp"]["arrangements"])]

    else:  # staff notice: arrangements only
        subject_id = customer.id
        arrangements = staff_arrangements(session, customer.id)
        if not arrangements:
            raise PolicyError("No arrangements are in force for this customer, so there is nothing "
                              "to tell staff and contractors.")
        ctx["arrangements"] = arrangements
        facts = [f for f in facts if f[0] != "Letter date"] + [("Arrangement", a) for a in arrangements]

    appeal_by = None
    if letter_type in CUSTOMER_LETTERS:
        ctx["appeal_route"], appeal_by = _appeal_route(session, case, responsible, letter_type,
                                                       subject_type, subject_id, today, about_spoc)
        facts += [("Responsible officer", responsible.name), ("Appeal by", ctx["appeal_route"]["by"]),
                  ("Appeals decided by", ctx["appeal_route"]["decided_by"])]
    return LetterFacts(letter_type, case.id, customer.id, subject_type, subject_id, ctx, facts,
                       [d for d in defaults if d], appeal_by)


def load_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("No such case.")
    return case


def context_with_paragraphs(facts: LetterFacts, paragraphs: Optional[list[str]]) -> dict:
    ctx = dict(facts.context)
    ctx["paragraphs"] = list(facts.default_paragraphs if paragraphs is None else paragraphs)
    return ctx


__all__ = [
    "CONTEXT_KEYS", "SUBJECT_TYPE", "STARTS_APPEAL_WINDOW", "CUSTOMER_LETTERS", "LetterFacts",
    "british_date", "join_words", "appeal_window_start", "split_paragraphs", "template_path",
    "template_version", "missing_fields", "render", "render_docx", "docx_text", "preview_text",
    "checksum", "pdf_available", "to_pdf", "letter_facts", "subjects_for", "staff_arrangements",
    "load_case", "context_with_paragraphs", "jinja_env",
]


def sample_context(letter_type: LetterType | str) -> dict:
    """A complete set of example facts for a letter type: used to check a template a manager
    has edited (every field it uses must be here) and by the tests and benchmark."""
    letter_type = LetterType(letter_type)
    incident = {"date": "27 March 2026", "channel": "Telephone",
                "behaviours": "Threatening, intimidating or abusive language or behaviour",
                "description": "The customer shouted and swore at the call handler.",
                "category": "Aggressive or abusive behaviour or harassment"}
    ctx: dict[str, Any] = {
        "letter_date": "2 April 2026", "letter_iso": "2026-04-02", "reference": "NPH900001/C1",
        "officer": {"name": "Alex Team-Leader", "job_title": "Team leader / manager",
                    "service_area": "Housing Management", "email": "teamleader@nph.example",
                    "contact": "email teamleader@nph.example"},
        "customer": {"name": "Ms Siân O'Brien-Nkemelu", "first_name": "Siân",
                     "last_name": "O'Brien-Nkemelu", "salutation": "Ms O'Brien-Nkemelu",
                     "address_lines": ["12 Abington Street", "Northampton", "NN1 2AA"],
                     "address": "12 Abington Street, Northampton, NN1 2AA",
                     "housing_ref": "NPH900001"},
        "paragraphs": ["We talked about what happened."],
        "appeal_route": {"by": "30 April 2026", "officer_name": "Alex Team-Leader",
                         "officer_contact": "email teamleader@nph.example",
                         "decided_by": "the Assistant Director for Housing Management",
                         "window_days": APPEAL_WINDOW_DAYS},
        "conversation_date": "1 April 2026", "incidents": [incident],
        "previous_incidents": [dict(incident, date="14 January 2026")],
        "previous_incident_dates": "14 January 2026", "review_date": "2 October 2026",
        "decision_date": "1 April 2026", "warning_date": "3 February 2026",
        "restrictions": [{"kind": "Contact limited to one channel", "terms": "Email only",
                          "starts_on": "1 April 2026", "review_due": "1 October 2026"}],
        "appeal": {"received_on": "10 April 2026", "decision": "our formal-stage decision",
                   "decision_date": "1 April 2026", "window_ended": "29 April 2026", "late": False,
                   "late_note": "", "decision_maker": "Sam Director, Assistant Director for Housing Management",
                   "decision_due": "17 April 2026", "decided_on": "16 April 2026",
                   "outcome": "the original decision stands", "grounds": "Misdescribed."},
        "review": {"subject": "the arrangement “Contact limited to one channel”",
                   "held_on": "1 October 2026", "outcome": "Continued", "outcome_code": "continue",
                   "next_review_due": "1 April 2027"},
        "contact": {"name": "Łukasz Nowak", "relationship": "brother", "started_on": "1 April 2026"},
        "pvp": {"starts_on": "1 April 2026", "review_due": "1 April 2027",
                "reasons": "Threat of violence to a repairs operative.",
                "arrangements": "Two officers on all visits."},
        "arrangements": ["Contact limited to one channel: Email only (until reviewed by 1 October 2026)."],
    }
    keep = CONTEXT_KEYS[letter_type] | {"letter_iso"}
    return {k: v for k, v in ctx.items() if k in keep}
