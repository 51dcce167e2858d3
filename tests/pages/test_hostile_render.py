"""Hostile input on screen (issue 9): a customer whose name, address and incident text contain
HTML, script, Markdown links/images and template code is shown as text on every page that
shows them. Markdown-capable elements (markdown, headings, captions, alerts) may carry user
text only escaped; raw text belongs in st.text / st.dataframe / st.code."""

import re

import pytest

from tests.pages.conftest import app_as
from tests.scenarios import a_customer, an_incident, demo_actors

FIRST = "<script>alert(1)</script>"
LAST = "[x](javascript:alert(1)) ![t](http://tracker.example/p.png) **bold** {{ 7*7 }}"
DESCRIPTION = "<img src=x onerror=alert(1)> said [click](javascript:alert(2)) {% if 1 %}x{% endif %}"
DANGEROUS = ("<script>", "<img", "](javascript:", "](http://tracker")
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


def unsafe_markdown(at) -> list[str]:
    """Markdown-rendered values (main area and sidebar) containing unescaped user markup."""
    found = []
    for kind in MARKDOWN_ELEMENTS:
        for element in list(getattr(at, kind)) + list(getattr(at.sidebar, kind)):
            value = re.sub(r"\\.", "", str(element.value))  # a backslash-escaped character is text
            if any(bad in value for bad in DANGEROUS):
                found.append(f"{kind}: {value[:120]}")
    return found


@pytest.fixture
def hostile_customer(app_db):
    actors = demo_actors(app_db)
    customer_id = a_customer(app_db, actors["teamleader"], ref="NPH666666", first=FIRST, last=LAST)
    an_incident(
        app_db,
        actors["teamleader"],
        customer_id,
        description=DESCRIPTION,
        witnesses="<b>Bob</b> [y](javascript:x)",
    )
    return customer_id


def open_page(page: str, customer_id: int, username: str = "teamleader"):
    at = app_as(username)
    at.session_state["customer_id"] = customer_id
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(
    "page",
    [
        "pages/customers.py",
        "pages/timeline.py",
        "pages/incident.py",
        "pages/letters.py",
        "pages/case_actions.py",
    ],
)
def test_hostile_text_is_shown_only_as_text(hostile_customer, page):
    at = open_page(page, hostile_customer)
    assert unsafe_markdown(at) == []


def test_the_timeline_shows_the_hostile_text_as_typed(hostile_customer):
    at = open_page("pages/timeline.py", hostile_customer)
    shown = " ".join(str(t.value) for t in at.text) + " ".join(df.value.to_csv() for df in at.dataframe)
    assert "<img src=x onerror=alert(1)>" in shown or "onerror" in shown


def test_contact_arrangements_show_a_hostile_name_as_text(hostile_customer):
    at = app_as("contractor", "pages/arrangements.py")
    next(t for t in at.text_input if t.label.startswith("Name")).input("NPH666666")
    next(b for b in at.button if b.label == "Search").click().run()
    next(b for b in at.button if b.label == "Show arrangements").click().run()
    assert not at.exception
    assert unsafe_markdown(at) == []


# --- issue 14 item 7: the user's display name in the sidebar ----------------------------------

HOSTILE_NAME = (
    "[Reset your password](http://evil.example/login) ![t](http://tracker.example/p.png) <img src=x>"
)


def test_a_hostile_display_name_renders_inert_in_the_sidebar(app_db):
    from core.db import UnitOfWork
    from core.services import users

    admin = demo_actors(app_db)["admin"]
    users.add_user(
        admin, "hostile.name", HOSTILE_NAME, "viewer", "a long enough passphrase", UnitOfWork(app_db)
    )
    at = app_as("hostile.name")
    assert not at.exception
    assert at.session_state["actor"].name == HOSTILE_NAME
    sidebar = [str(m.value) for m in at.sidebar.markdown]
    assert any("Reset your password" in m for m in sidebar)
    assert unsafe_markdown(at) == []
    unescaped = [re.sub(r"\\.", "", m) for m in sidebar]
    assert not any("](http" in m or "<img" in m or "![" in m for m in unescaped)


@pytest.mark.parametrize(
    "text, forbidden",
    [
        ("[x](http://evil.example)", "](http"),
        ("![x](http://tracker.example/p.png)", "!["),
        ("<img src=x onerror=alert(1)>", "<img"),
        ("&lt;script&gt;", "&lt;"),
        (":red[alarm] :material/warning:", ":red["),
        ("line one\n# heading\n- item", "\n#"),
        ("$\\\\LaTeX$ **bold** `code`", "**bold**"),
    ],
)
def test_md_escape_neutralises_links_images_html_and_markup(text, forbidden):
    from ui.alerts import md_escape
    from ui.customer_picker import md

    escaped = md_escape(text)
    assert forbidden not in re.sub(r"\\.", "", escaped)  # left once escaped characters are read as text
    assert md(text) == escaped  # one escaper for every page
    assert escaped.replace("\\", "") == " ".join(text.split()).replace("\\", "")  # the text is kept
