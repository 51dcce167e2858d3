"""Log an incident (clauses 3, 4.1, 4.2, 6), or correct one already recorded (with a reason).

The category and the evidence source are chosen above the form, so the behaviour choices follow
the category; everything else is read inside `st.form` and checked by `core.services.incidents`
(nothing is saved if any check fails). Hearsay is not recorded as an incident: the third tab keeps
a note that something needs checking, and whom to ask (clauses 4.2 and 6)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from zoneinfo import ZoneInfo

import streamlit as st

from core.enums import BEHAVIOURS_BY_CATEGORY, Behaviour, Category, Channel, EvidenceSource
from core.policy.incidents import INTERIM_ARRANGEMENTS, OTHER_INTERIM_ARRANGEMENT, RECORDABLE_EVIDENCE_SOURCES
from core.services.check_notes import record_check_note
from core.services.incidents import (
    IncidentRecord,
    NewIncident,
    amend_incident,
    get_incident,
    language_flags,
    list_incidents,
    log_incident,
    saved_incident,
)
from core.services.users import list_service_areas
from ui.alerts import show_flag_alert
from ui.customer_picker import md, pick_customer
from ui.session import actor, attempt, try_read, uow

LONDON = ZoneInfo("Europe/London")
SOURCE_HELP = (
    "Record first-hand accounts, or name the trusted third party who saw it. Hearsay or "
    "opinion is not recorded as an incident (clauses 4.2 and 6): use 'Something to check'."
)
ARRANGEMENT_CHOICES = [*INTERIM_ARRANGEMENTS, OTHER_INTERIM_ARRANGEMENT]


def _label(enum_cls):
    return lambda code: enum_cls(code).label


def _default(defaults: IncidentRecord | None, field: str, fallback=""):
    """The value the form starts from: the incident being corrected, or the fallback."""
    return getattr(defaults, field) if defaults is not None else fallback


def _category_and_source(prefix: str, defaults: IncidentRecord | None) -> tuple[str | None, str]:
    categories = [c.value for c in Category]
    category = st.selectbox(
        "Behaviour category",
        categories,
        format_func=_label(Category),
        key=f"{prefix}_category",
        index=categories.index(defaults.category) if defaults is not None else None,
        placeholder="Choose one of the four categories",
        help="The behaviours you can pick below follow this category (clause 3).",
    )
    sources = [s.value for s in RECORDABLE_EVIDENCE_SOURCES]
    current = _default(defaults, "evidence_source", EvidenceSource.FIRST_HAND.value)
    source = st.selectbox(
        "Evidence source",
        sources,
        format_func=_label(EvidenceSource),
        key=f"{prefix}_source",
        index=sources.index(current) if current in sources else 0,
        help=SOURCE_HELP,
    )
    return category, source


def _arrangement_fields(prefix: str, defaults: IncidentRecord | None) -> dict:
    """The interim in-person arrangement a violent incident puts in force at once (clause 4.1)."""
    wording = _default(defaults, "in_person_arrangement", "")
    chosen = wording if wording in INTERIM_ARRANGEMENTS else (OTHER_INTERIM_ARRANGEMENT if wording else None)
    col1, col2 = st.columns(2)
    arrangement = col1.selectbox(
        "Interim in-person arrangement (if violence or a threat)",
        ARRANGEMENT_CHOICES,
        key=f"{prefix}_arrangement",
        index=ARRANGEMENT_CHOICES.index(chosen) if chosen else 0,
        format_func=lambda c: "Other (write it)" if c == OTHER_INTERIM_ARRANGEMENT else c,
        help="Shown at once to everyone who contacts or visits the customer, without reasons, until the "
        "H&S Well-being Officer decides the PVP consideration.",
    )
    other = col2.text_input(
        "Other arrangement",
        key=f"{prefix}_arrangement_other",
        value=wording if chosen == OTHER_INTERIM_ARRANGEMENT else "",
    )
    return {"in_person_arrangement": arrangement or "", "in_person_arrangement_other": other}


def _incident_fields(prefix: str, category: str | None, source: str, defaults: IncidentRecord | None) -> dict:
    """The widgets inside the form; returns the values read."""
    now = dt.datetime.now(LONDON)
    when = _default(defaults, "occurred_at", None)
    local = when.astimezone(LONDON) if when else now
    col1, col2, col3 = st.columns(3)
    # A new incident starts with no date: a date the calendar refuses (out of range) then leaves
    # it empty and the save is refused, rather than silently saving today's date.
    day = col1.date_input(
        "Date of the incident",
        value=local.date() if when else None,
        key=f"{prefix}_date",
        format="DD/MM/YYYY",
    )
    time = col2.time_input("Time", value=local.time().replace(second=0, microsecond=0), key=f"{prefix}_time")
    channels = [c.value for c in Channel]
    channel = col3.selectbox(
        "Channel",
        channels,
        format_func=_label(Channel),
        key=f"{prefix}_channel",
        index=channels.index(_default(defaults, "channel", Channel.PHONE.value)),
    )
    options = [b.value for b in BEHAVIOURS_BY_CATEGORY[Category(category)]] if category else []
    behaviours = st.multiselect(
        "Behaviours",
        options,
        format_func=_label(Behaviour),
        key=f"{prefix}_behaviours",
        default=[b for b in _default(defaults, "behaviours", []) if b in options],
        placeholder="Choose one or more" if category else "Choose the category above first",
    )
    description = st.text_area(
        "What happened (factual description)",
        value=_default(defaults, "description", ""),
        key=f"{prefix}_description",
        help="Describe what was said and done. Put the customer's own words in quotation marks. "
        "No opinion, hearsay, personal comments or diagnoses (clause 6).",
    )
    col1, col2 = st.columns(2)
    third_party = col1.text_input(
        "Trusted third party's name (if that is the source)",
        value=_default(defaults, "third_party_name", ""),
        key=f"{prefix}_third_party",
    )
    witnesses = col2.text_input(
        "Witnesses", value=_default(defaults, "witnesses", ""), key=f"{prefix}_witnesses"
    )
    staff = st.text_input(
        "Staff member or contractor affected",
        value=_default(defaults, "staff_affected", ""),
        key=f"{prefix}_staff",
    )
    st.markdown("**Violence or threats of violence**")
    violence = st.checkbox(
        "Actual violence or a threat of violence was involved",
        value=_default(defaults, "violence_or_threat", False),
        key=f"{prefix}_violence",
        help="Then a police referral decision is required; in-person contact is "
        "adjusted at once and the H&S Well-being Officer is asked to consider "
        "the PVP register.",
    )
    col1, col2 = st.columns(2)
    police_ref = col1.text_input(
        "Police reference number",
        value=_default(defaults, "police_reference", ""),
        key=f"{prefix}_police_ref",
    )
    police_reason = col2.text_area(
        "Or: why it was not referred to the police",
        value=_default(defaults, "police_not_referred_reason", ""),
        key=f"{prefix}_police_reason",
        height=68,
    )
    arrangement = _arrangement_fields(prefix, defaults)
    st.markdown("**Service failure**")
    failure = st.checkbox(
        "An NPH service failure lies behind this (something not done, or done badly)",
        value=_default(defaults, "service_failure", False),
        key=f"{prefix}_service_failure",
    )
    areas = {a["id"]: a["name"] for a in list_service_areas(uow())}
    own = _default(defaults, "service_area_id", actor().service_area_id)
    area = st.selectbox(
        "Service area it happened in (its case is that area's)",
        list(areas),
        format_func=areas.__getitem__,
        index=list(areas).index(own) if own in areas else None,
        key=f"{prefix}_area",
        placeholder="Choose the service area",
    )
    col1, col2 = st.columns(2)
    referral_area = col1.selectbox(
        "Refer to service area",
        list(areas),
        format_func=areas.__getitem__,
        index=None,
        key=f"{prefix}_referral_area",
        placeholder="Choose the service area",
    )
    referral_description = col2.text_area(
        "What needs putting right", key=f"{prefix}_referral_desc", height=68
    )
    wording_ok = st.checkbox(
        "I have checked the wording of the description",
        key=f"{prefix}_wording_ok",
        help="Tick to save wording that the language check flagged, once you are sure "
        "it is factual (e.g. a quotation).",
    )
    return {
        "occurred_at": dt.datetime.combine(day, time, tzinfo=LONDON) if day and time else None,
        "channel": channel,
        "category": category or "",
        "behaviours": behaviours,
        "description": description,
        "evidence_source": source,
        "third_party_name": third_party,
        "witnesses": witnesses,
        "staff_affected": staff,
        "violence_or_threat": violence,
        "police_reference": police_ref,
        "police_not_referred_reason": police_reason,
        "service_failure": failure,
        "referral_service_area_id": referral_area,
        "referral_description": referral_description,
        "wording_checked": wording_ok,
        "service_area_id": area,
        **arrangement,
    }


def _submission_token(customer_id: int, values: dict) -> str:
    """The same form submitted twice (a double click, a resend) carries the same token, so it is
    saved once; any change to what was entered makes a new submission."""
    nonce = st.session_state.setdefault("inc_form_nonce", uuid.uuid4().hex)
    return hashlib.sha256(f"{nonce}|{customer_id}|{sorted(values.items(), key=str)!r}".encode()).hexdigest()


def _show_wording_advice(values: dict) -> None:
    flags = language_flags(values["description"] or "")
    if flags and not values["wording_checked"]:
        lines = "  \n".join(f"'{md(f['phrase'])}' ({f['kind']}): {f['advice']}" for f in flags)
        st.warning("Words to rephrase before saving:  \n" + lines, icon=":material/spellcheck:")


def _timeline_link(customer_id: int) -> None:
    st.session_state["customer_id"] = customer_id
    st.page_link("pages/timeline.py", label="Open the case timeline", icon=":material/timeline:")


me = actor()
st.header("Log an incident")
customer_id = pick_customer("inc")
if customer_id is not None:
    show_flag_alert(customer_id)

log_tab, correct_tab, check_tab = st.tabs(["New incident", "Correct an incident", "Something to check"])

with log_tab:
    category, source = _category_and_source("inc", None)
    with st.form("incident_form"):
        values = _incident_fields("inc", category, source, None)
        submitted = st.form_submit_button("Save incident", type="primary", key="inc_submit")
    if submitted:
        if customer_id is None:
            st.error("Find and choose the customer first.")
        else:
            token = _submission_token(customer_id, values)
            ok, incident_id = attempt(
                log_incident,
                me,
                NewIncident(customer_id=customer_id, submission_token=token, **values),
                uow(),
            )
            if ok:
                saved = try_read(saved_incident, me, incident_id, uow())
                st.success(saved.message if saved is not None else f"Incident #{incident_id} saved.")
                _timeline_link(customer_id)
            else:
                _show_wording_advice(values)

with correct_tab:
    if customer_id is None:
        st.info("Find and choose the customer whose incident you want to correct.")
    else:
        ok, incidents = attempt(list_incidents, me, customer_id, uow())
        rows = {
            i.id: f"#{i.id} {i.occurred_at.astimezone(LONDON):%d/%m/%Y %H:%M} {i.category_label}"
            for i in incidents or []
        }
        if not rows:
            st.info("This customer has no incidents recorded.")
        else:
            chosen = st.selectbox(
                "Incident to correct", list(rows), format_func=rows.__getitem__, key="fix_pick"
            )
            current = try_read(get_incident, me, chosen, uow())
            if current is not None:
                prefix = f"fix{chosen}"
                category, source = _category_and_source(prefix, current)
                with st.form(f"correct_form_{chosen}"):
                    values = _incident_fields(prefix, category, source, current)
                    reason = st.text_area(
                        "Reason for the correction (required; kept in the audit log)", key=f"{prefix}_reason"
                    )
                    fixed = st.form_submit_button("Save correction", key=f"{prefix}_submit")
                # the version seen when the form was first drawn (optimistic locking)
                seen = st.session_state.setdefault(f"{prefix}_version", current.version)
                if fixed:
                    ok, _ = attempt(
                        amend_incident,
                        me,
                        chosen,
                        NewIncident(customer_id=customer_id, **values),
                        reason,
                        uow(),
                        expected_version=seen,
                    )
                    if ok or seen != current.version:
                        st.session_state.pop(f"{prefix}_version", None)
                    if ok:
                        st.success(
                            f"Incident #{chosen} corrected; the earlier version is kept in the audit log."
                        )
                        _timeline_link(customer_id)
                    else:
                        _show_wording_advice(values)

with check_tab:
    st.caption(
        "Heard something second-hand? It is not recorded as an incident (clauses 4.2 and 6). Get a "
        "first-hand account, or name the trusted third party who saw it. Until then you can keep a "
        "note that something needs checking and whom to ask: not what was said."
    )
    with st.form("check_note_form"):
        who = st.text_input("Who to ask (the person who could give a first-hand account)", key="note_who")
        noted = st.form_submit_button("Keep the note", key="note_submit")
    if noted:
        if customer_id is None:
            st.error("Find and choose the customer first.")
        else:
            ok, note_id = attempt(record_check_note, me, customer_id, who, uow())
            if ok:
                st.success(f"Note #{note_id} kept: something needs checking (ask {md(who)}).")
