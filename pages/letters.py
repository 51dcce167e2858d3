"""Letters: draft a letter from its Word template with the case's facts, edit the free-text
paragraphs, preview, download (.docx, or PDF where LibreOffice is installed) and record it as
sent; or draft every due letter of one type into one zip."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core.letters import british_date
from core.services import letters as svc
from ui.alerts import md_escape
from ui.session import actor, attempt, uow

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
me = actor()
st.header("Letters")
draft_tab, batch_tab = st.tabs(["Draft a letter", "Batch: all letters due"])
state = st.session_state.setdefault("lt_paragraphs", {})


def _pick_case():
    query = st.text_input("Find a case: customer name or housing reference", key="lt_query")
    ok, cases = attempt(svc.letter_cases, me, uow(), query)
    if not ok:
        return None
    if not cases:
        st.info("No cases match. Try part of the customer's name or their housing reference.")
        return None
    wanted = st.query_params.get("case")
    ids = [c.case_id for c in cases]
    start = ids.index(int(wanted)) if wanted and wanted.isdigit() and int(wanted) in ids else 0
    by_id = {c.case_id: c for c in cases}
    return by_id[st.selectbox("Case", ids, index=start, format_func=lambda i: by_id[i].label, key="lt_case")]


def _pick_subject(case):
    """(letter option, subject) chosen for the case, or None when there is nothing to write about."""
    ok, types = attempt(svc.letter_types_for_case, me, case.case_id, uow())
    if not ok:
        return None
    available = [t for t in types if t.available]
    if not available:
        st.info("Nothing on this case to write about yet: record a stage decision, review or appeal first.")
        return None
    col1, col2 = st.columns(2)
    by_type = {t.letter_type.value: t for t in available}
    letter = by_type[
        col1.selectbox("Letter", list(by_type), format_func=lambda v: by_type[v].label, key="lt_type")
    ]
    subjects = {x.subject_id: x for x in letter.subjects}
    subject = subjects[
        col2.selectbox(
            "About",
            list(subjects),
            format_func=lambda i: subjects[i].label,
            key=f"lt_subject_{letter.letter_type.value}",
        )
    ]
    return letter, subject


def _facts_and_paragraphs(draft, draft_key: str) -> None:
    st.subheader("Facts used")
    st.dataframe(
        pd.DataFrame(list(draft.facts), columns=["Fact", "From the records"]), hide_index=True, key="lt_facts"
    )
    with st.form(f"lt_form_{draft_key}"):
        text = st.text_area(
            "Your paragraphs (leave a blank line between paragraphs). Everything "
            "else comes from the template and the records.",
            value="\n\n".join(draft.paragraphs),
            height=180,
            key=f"lt_text_{draft_key}",
        )
        if st.form_submit_button("Update preview"):
            state[draft_key] = text
            st.rerun()
    st.subheader("Preview")
    st.caption(
        f"Template {md_escape(draft.template_version)}. Dated today; the appeal date is "
        "computed from the policy's 28-day window."
    )
    with st.container(border=True, height=420):
        st.text(draft.preview)


def _pdf(draft, column) -> None:
    if column.button("Make a PDF", key="lt_pdf"):
        ok, pdf = attempt(svc.draft_pdf, me, draft.content)
        if ok:
            st.session_state["lt_pdf_file"] = (draft.checksum, pdf)
    made = st.session_state.get("lt_pdf_file")
    if made and made[0] == draft.checksum:
        column.download_button(
            "Download PDF",
            data=made[1],
            mime="application/pdf",
            file_name=draft.filename.replace(".docx", ".pdf"),
            on_click="ignore",
            key="lt_pdf_download",
        )


def _download_and_send(draft, draft_key: str, args: tuple) -> None:
    col1, col2, col3 = st.columns(3)
    col1.download_button(
        "Download .docx",
        data=draft.content,
        file_name=draft.filename,
        mime=DOCX,
        on_click="ignore",
        key="lt_download",
    )
    if svc.pdf_available():
        _pdf(draft, col2)
    if col3.button("Mark as sent", type="primary", key="lt_sent"):
        ok, sent = attempt(svc.mark_sent, *args, state.get(draft_key), uow())
        if ok:
            st.session_state["lt_last_sent"] = (draft_key, sent)
    last = st.session_state.get("lt_last_sent")
    if last and last[0] == draft_key:
        sent = last[1]
        appeal = f" The customer may appeal until {british_date(sent.appeal_by)}." if sent.appeal_by else ""
        st.success(
            f"Recorded as sent on {british_date(sent.sent_on)} (checksum {sent.checksum[:12]}).{appeal}"
        )


def _history(case) -> None:
    ok, history = attempt(svc.letters_for_case, me, case.case_id, uow())
    if ok and history:
        st.subheader("Letters sent on this case")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Sent": h.sent_on,
                        "Letter": h.label,
                        "By": h.author,
                        "Template": h.template_version,
                        "Checksum": h.checksum[:12],
                    }
                    for h in history
                ]
            ),
            hide_index=True,
            key="lt_history",
        )


def _draft_section() -> None:
    case = _pick_case()
    chosen = _pick_subject(case) if case is not None else None
    if chosen is None:
        return
    letter, subject = chosen
    draft_key = f"{case.case_id}:{letter.letter_type.value}:{subject.subject_id}"
    args = (me, case.case_id, letter.letter_type.value, subject.subject_id)
    ok, draft = attempt(svc.draft_letter, *args, state.get(draft_key), uow())
    if not ok:
        return
    _facts_and_paragraphs(draft, draft_key)
    _download_and_send(draft, draft_key, args)
    _history(case)


def _batch_section() -> None:
    monday, sunday = svc.week_of(dt.date.today())
    types = svc.LETTER_TYPE_CHOICES
    with st.form("lt_batch_form"):
        col1, col2, col3 = st.columns([3, 2, 2])
        letter_type = col1.selectbox(
            "Letter", list(types), format_func=types.__getitem__, key="lt_batch_type"
        )
        since = col2.date_input("From", value=monday, key="lt_batch_from", format="DD/MM/YYYY")
        until = col3.date_input("To", value=sunday, key="lt_batch_to", format="DD/MM/YYYY")
        if st.form_submit_button("Find letters due"):
            st.session_state["lt_batch"] = (letter_type, since, until)
            st.session_state.pop("lt_batch_zip", None)
    chosen = st.session_state.get("lt_batch")
    if not chosen:
        st.caption("Choose a letter and a period, e.g. review outcomes for reviews held this week.")
        return
    ok, due = attempt(svc.letters_due, me, chosen[0], uow(), chosen[1], chosen[2])
    if not ok:
        return
    if not due:
        st.info(
            "No letters of this type are due for that period (letters already recorded as sent are left out)."
        )
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Date": d.date,
                    "Customer": d.customer,
                    "Reference": d.housing_ref,
                    "Case": d.case_id,
                    "What": d.what,
                }
                for d in due
            ]
        ),
        hide_index=True,
        key="lt_due",
    )
    if st.button(f"Draft all {len(due)} as one zip", key="lt_batch_go"):
        bar = st.progress(0.0, text="Drafting letters")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total, text=f"Drafted {done} of {total}")

        ok, batch = attempt(svc.batch_zip, me, chosen[0], uow(), chosen[1], chosen[2], progress=progress)
        if ok:
            st.session_state["lt_batch_zip"] = batch
    batch = st.session_state.get("lt_batch_zip")
    if batch:
        st.success(
            f"{batch.count} letter{'' if batch.count == 1 else 's'} drafted. Check each one, then record it as sent "
            "from the 'Draft a letter' tab."
        )
        for problem in batch.problems:  # names and references are user text: escaped (issue 14)
            st.warning(
                f"{md_escape(problem.customer)} ({md_escape(problem.housing_ref)}): "
                f"{md_escape(problem.problem)}"
            )
        st.download_button(
            "Download zip",
            data=batch.content,
            file_name=batch.filename,
            mime="application/zip",
            on_click="ignore",
            key="lt_zip",
        )


with draft_tab:
    _draft_section()
with batch_tab:
    _batch_section()
