"""The Letters page (issue 5) with AppTest: choose a case and letter, see the facts used, edit
the free text, preview, download, record as sent; and the batch zip with a progress bar."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import LetterType
from core.letters import rendering
from core.models import Letter, StageEvent
from tests.pages.conftest import app_as
from tests.scenarios import demo_actors
from tests.services.letter_scenarios import a_case_with_history

PAGE = "pages/letters.py"


def _choose(box, letter_type: LetterType):
    assert letter_type.label in box.options
    return box.select(letter_type.value)


def _open_case(app_db, letter_type: LetterType):
    history = a_case_with_history(app_db, demo_actors(app_db))
    at = app_as("teamleader", PAGE)
    assert not at.exception
    at.text_input(key="lt_query").input("NPH900001").run()
    _choose(at.selectbox(key="lt_type"), letter_type).run()
    assert not at.exception
    return at, history


def _table(at, column: str):
    """The dataframe that has this column (AppTest dataframes carry no key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _preview(at) -> str:
    return "\n".join(t.value for t in at.text)


def test_drafting_shows_facts_preview_and_download(app_db):
    at, _ = _open_case(app_db, LetterType.WARNING)
    facts = _table(at, "From the records")
    assert "Ms Siân O'Brien-Nkemelu" in list(facts.iloc[:, 1])
    assert "Review date" in list(facts.iloc[:, 0])
    preview = _preview(at)
    assert "Fair Treatment Letter – warning stage" in preview
    assert "17 October 2026" in preview and "Dear Ms O'Brien-Nkemelu," in preview
    assert "Download .docx" in [b.label for b in at.download_button]


def test_edited_paragraphs_appear_in_the_preview_as_typed(app_db):
    at, history = _open_case(app_db, LetterType.WARNING)
    key = f"lt_text_{history.case_id}:warning:{history.warning_id}"
    typed = "Thank you & sorry <again>: {{ 7*7 }}\n\nSecond paragraph from Zoë."
    at.text_area(key=key).input(typed)
    at.button[[b.label for b in at.button].index("Update preview")].click().run()
    assert not at.exception
    preview = _preview(at)
    assert "Thank you & sorry <again>: {{ 7*7 }}" in preview and "Second paragraph from Zoë." in preview
    assert "49" not in preview


def test_mark_as_sent_records_the_letter_and_starts_the_appeal_window(app_db):
    at, history = _open_case(app_db, LetterType.WARNING)
    at.button(key="lt_sent").click().run()
    assert not at.exception and not at.error
    assert any("Recorded as sent" in s.value for s in at.success)
    with UnitOfWork(app_db) as u:
        letter = u.session.scalar(select(Letter))
        assert letter.letter_type == LetterType.WARNING and letter.checksum
        assert u.session.get(StageEvent, history.warning_id).notified_on == dt.date.today()
    assert "Letters sent on this case" in [s.value for s in at.subheader]


def test_pdf_option_is_hidden_without_libreoffice(app_db, monkeypatch):
    monkeypatch.setattr(rendering, "libreoffice_binary", lambda: None)
    at, _ = _open_case(app_db, LetterType.FORMAL)
    assert "Make a PDF" not in [b.label for b in at.button]
    assert "Contact limited to one channel" in _preview(at)


def test_batch_drafts_the_weeks_review_letters_into_one_zip(app_db):
    a_case_with_history(app_db, demo_actors(app_db))
    at = app_as("teamleader", PAGE)
    _choose(at.selectbox(key="lt_batch_type"), LetterType.REVIEW_OUTCOME)
    at.date_input(key="lt_batch_from").set_value(dt.date(2026, 11, 16))
    at.date_input(key="lt_batch_to").set_value(dt.date(2026, 11, 22))
    at.button[[b.label for b in at.button].index("Find letters due")].click().run()
    assert not at.exception
    assert list(_table(at, "Reference")["Reference"]) == ["NPH900001"]
    at.button(key="lt_batch_go").click().run()
    assert not at.exception
    assert any("1 letter drafted" in s.value for s in at.success)
    assert at.progress and "Download zip" in [b.label for b in at.download_button]


HOSTILE = "[click](http://evil.example) ![x](http://evil.example/t.png)"
MARKDOWN_ELEMENTS = (
    "markdown",
    "title",
    "header",
    "subheader",
    "caption",
    "success",
    "info",
    "warning",
    "error",
)


def markdown_values(at) -> list[str]:
    return [str(e.value) for kind in MARKDOWN_ELEMENTS for e in list(getattr(at, kind))]


def inert(value: str) -> bool:
    """No Markdown link or image survives: every bracket and parenthesis is escaped."""
    return "](" not in value and "![" not in value


def test_batch_problems_show_a_hostile_customer_name_inert(app_db):
    """Issue 14 item 7: the name in the batch's problems list was a live link and tracking image."""
    history = a_case_with_history(app_db, demo_actors(app_db), first="Eve", last=HOSTILE)
    with UnitOfWork(app_db) as u:
        event = u.session.get(StageEvent, history.warning_id)
        event.review_due = None
        event.case.warning_review_due = None  # the warning letter cannot be drafted
        u.commit()
    at = app_as("teamleader", PAGE)
    _choose(at.selectbox(key="lt_batch_type"), LetterType.WARNING)
    at.date_input(key="lt_batch_from").set_value(dt.date(2026, 7, 13))
    at.date_input(key="lt_batch_to").set_value(dt.date(2026, 7, 31))
    at.button[[b.label for b in at.button].index("Find letters due")].click().run()
    at.button(key="lt_batch_go").click().run()
    assert not at.exception
    problems = [w.value for w in at.warning if "review date" in w.value]
    assert len(problems) == 1
    assert f"Eve {HOSTILE}" in problems[0].replace("\\", "")  # shown, as typed, once unescaped
    assert all(inert(value) for value in markdown_values(at)), markdown_values(at)
