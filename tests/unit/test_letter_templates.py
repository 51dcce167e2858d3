"""The .docx templates themselves (issue 5): each renders with a full set of facts, a field the
facts lack fails here rather than in front of a user, and names and text come out exactly as
typed (autoescaping on, user text never run as template code)."""

from __future__ import annotations

import datetime as dt
import io
import shutil

import jinja2
import pytest
from docx import Document

from core import letters as L
from core.enums import LetterType
from core.letters import rendering
from core.policy.letters import letter_appeal_window_start

ALL = list(LetterType)
SPECIAL = {
    "customer": "Zoë O'Brien-Nkemelu",
    "officer": "Siân Evans-Łukasz",
    "contact": "Łukasz Nowak",
    "text": "Fish & chips <b>not bold</b> \"double\" 'single' 5 > 3 < 4 – £20 €5 ✓",
}
POLICY_STATEMENT = [  # Appendix B of the policy, word for word
    "Northampton Partnership Homes believes everyone should be treated fairly.",
    "We will not tolerate racist, sexist or other offensive comments, abuse or threatening behaviour.",
    "If you are the victim of such comments or behaviour while at work you have the right to challenge "
    "it and ask the person(s) to stop.",
    "If the behaviour persists you may withdraw the service you are providing.  If it takes place on "
    "council premises you have the right to ask the person(s) responsible to leave.",
]


def _text(content: bytes) -> str:
    Document(io.BytesIO(content))
    return L.docx_text(content)


def _docx_with(*paragraphs: str) -> bytes:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


@pytest.mark.parametrize("letter_type", ALL, ids=lambda t: t.value)
def test_every_template_exists_and_uses_only_fields_its_facts_provide(letter_type):
    assert L.template_path(letter_type).is_file()
    assert L.missing_fields(letter_type) == set()


@pytest.mark.parametrize("letter_type", ALL, ids=lambda t: t.value)
def test_every_template_renders_with_a_full_context_and_leaves_no_tags(letter_type):
    context = L.sample_context(letter_type)
    text = _text(L.render(letter_type, context))
    assert "Northampton Partnership Homes" in text  # letterhead
    assert context["customer"]["name"] in text
    for left_over in ("{{", "}}", "{%", "%}", "None"):
        assert left_over not in text
    if letter_type in L.CUSTOMER_LETTERS:
        assert "30 April 2026" in text and "Housing Ombudsman" in text


@pytest.mark.parametrize("letter_type", ALL, ids=lambda t: t.value)
def test_every_template_fails_when_a_fact_it_uses_is_missing(letter_type):
    context = L.sample_context(letter_type)
    del context["customer"]
    with pytest.raises(jinja2.UndefinedError):
        L.render(letter_type, context)


def test_a_template_with_a_field_the_context_lacks_fails_and_is_detected():
    source = _docx_with("Dear {{ customer.salutation }},", "Your tenancy number is {{ tenancy_number }}.")
    context = L.sample_context(LetterType.WARNING)
    assert L.missing_fields(LetterType.WARNING, context, source=source) == {"tenancy_number"}
    with pytest.raises(jinja2.UndefinedError):
        L.render_docx(source, context)
    misspelt = _docx_with("Dear {{ customer.salutaton }},")
    with pytest.raises(jinja2.UndefinedError):
        L.render_docx(misspelt, context)


@pytest.mark.parametrize("letter_type", ALL, ids=lambda t: t.value)
def test_special_character_names_and_text_come_out_exactly_as_typed(letter_type):
    context = L.sample_context(letter_type)
    context["customer"] = dict(
        context["customer"],
        name=SPECIAL["customer"],
        salutation=SPECIAL["customer"],
        address="1 Ship & Anchor <Court>",
        address_lines=["1 Ship & Anchor <Court>", "Northampton"],
    )
    context["officer"] = dict(context["officer"], name=SPECIAL["officer"])
    context["paragraphs"] = [SPECIAL["text"], "{{ 7*7 }} {% if true %}yes{% endif %}"]
    if "contact" in context:
        context["contact"] = dict(context["contact"], name=SPECIAL["contact"])
    if "incidents" in context:
        context["incidents"] = [dict(context["incidents"][0], description=SPECIAL["text"])]
    text = _text(L.render(letter_type, context))
    assert SPECIAL["customer"] in text and SPECIAL["officer"] in text and SPECIAL["text"] in text
    assert "1 Ship & Anchor <Court>" in text
    assert "{{ 7*7 }} {% if true %}yes{% endif %}" in text  # printed, never run
    assert "&amp;" not in text and "&#39;" not in text and "&lt;" not in text
    if letter_type == LetterType.THIRD_PARTY:
        assert SPECIAL["contact"] in text


def test_the_warning_letter_quotes_the_fair_treatment_statement_verbatim():
    text = _text(L.render(LetterType.WARNING, L.sample_context(LetterType.WARNING)))
    for line in POLICY_STATEMENT:
        assert line in text


def test_dates_are_written_the_british_way():
    assert L.british_date(dt.date(2026, 3, 27)) == "27 March 2026"
    assert L.british_date(dt.date(2026, 4, 1)) == "1 April 2026"
    # an incident late on a summer evening UTC is the next day in the UK
    assert L.british_date(dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC)) == "1 July 2026"
    assert L.british_date(None) == ""
    assert L.join_words(["1 May 2026", "2 May 2026", "3 May 2026"]) == "1 May 2026, 2 May 2026 and 3 May 2026"


def test_a_warning_or_formal_letter_repeats_the_first_letters_appeal_start():
    first, today = dt.date(2026, 4, 1), dt.date(2026, 4, 9)
    assert letter_appeal_window_start(LetterType.WARNING, None, today) == today
    assert letter_appeal_window_start(LetterType.WARNING, first, today) == first
    assert letter_appeal_window_start(LetterType.FORMAL, first, today) == first
    # Issue 13 item 2: a review outcome (and the informal summary, the PVP notice) is a decision
    # notified by its first letter too; a later copy repeats the same appeal-by date.
    assert letter_appeal_window_start(LetterType.REVIEW_OUTCOME, first, today) == first
    assert letter_appeal_window_start(LetterType.INFORMAL_SUMMARY, first, today) == first
    assert letter_appeal_window_start(LetterType.APPEAL_ACK, first, today) == today


def test_free_text_box_splits_on_blank_lines_and_keeps_single_line_breaks():
    assert L.split_paragraphs("One\r\ntwo\n\n\n Three \n\n") == ["One\ntwo", "Three"]
    assert L.split_paragraphs("") == []


def test_template_version_is_file_name_and_hash_and_follows_a_managers_edit(tmp_path, monkeypatch):
    shutil.copy(L.template_path(LetterType.WARNING), tmp_path / "warning.docx")
    monkeypatch.setattr(rendering, "TEMPLATE_DIR", tmp_path)
    before = L.template_version(LetterType.WARNING)
    assert before.startswith("warning.docx@") and len(before.split("@")[1]) == 12
    doc = Document(str(tmp_path / "warning.docx"))
    doc.add_paragraph("Edited by a manager.")
    doc.save(str(tmp_path / "warning.docx"))
    after = L.template_version(LetterType.WARNING)
    assert after != before
    assert "Edited by a manager." in _text(L.render(LetterType.WARNING, L.sample_context("warning")))


@pytest.mark.skipif(not L.pdf_available(), reason="LibreOffice is not installed")
def test_a_letter_converts_to_pdf_where_libreoffice_is_installed():
    pdf = L.to_pdf(L.render(LetterType.STAFF_NOTICE, L.sample_context(LetterType.STAFF_NOTICE)))
    assert pdf.startswith(b"%PDF")
