"""An unexpected error in a page: logged with a short reference, shown to the user calmly.

app.py runs everything it shows through `run_page_safely`. A PolicyError never gets here
(pages show it with ui.session.attempt); anything else is a bug or an outage: the user sees
"Something went wrong; reference 7F3A2C. Nothing was saved." and the server log has the same
reference with the exception's type and stack (no message, no personal data: see
core/logging_config.py). Nothing was saved because every write commits in one unit of work,
which rolls back when an exception leaves it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

import streamlit as st

# Streamlit's own control flow (st.rerun, st.switch_page, st.stop) raises these; they derive
# from BaseException in Streamlit 1.67, and are re-raised here in case that ever changes.
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from core.logging_config import describe_exception

log = logging.getLogger(__name__)

CALM_MESSAGE = "Something went wrong; reference {reference}. Nothing was saved."


def new_reference() -> str:
    """Six hex digits, upper case (16.7 million values): short enough to read out on the phone."""
    return secrets.token_hex(3).upper()


def log_unexpected(error: BaseException) -> str:
    """Log an unexpected exception with a new reference (and the signed-in user's id); return it."""
    reference = new_reference()
    signed_in = st.session_state.get("actor") if st.runtime.exists() else None
    log.error(
        "unexpected error, reference %s\n%s",
        reference,
        describe_exception(error),
        extra={"reference": reference, "actor_id": getattr(signed_in, "user_id", None)},
    )
    return reference


def run_page_safely(page: Callable[[], Any]) -> bool:
    """Run `page` (app.py's main, or a router's run); an unexpected exception is logged and
    shown as CALM_MESSAGE with its reference. True if the page ran to the end."""
    try:
        page()
    except (StopException, RerunException):
        raise
    except Exception as error:
        reference = log_unexpected(error)
        st.error(CALM_MESSAGE.format(reference=reference), icon=":material/error:")
        return False
    return True
