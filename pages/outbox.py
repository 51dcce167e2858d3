"""Outbox (administrators): the email reminders and notices, sent or waiting (issue 15)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.services import notify
from ui.session import actor, attempt, uow

me = actor()
st.header("Outbox")
st.caption(
    "Reminders and notices to staff. Without SMTP settings (FT_SMTP_HOST) they wait here; "
    "`make reminders` queues the daily digests and sends what is pending."
)
status = st.selectbox("Status", ["", *notify.STATUSES], format_func=lambda s: s.capitalize() or "All")
ok, rows = attempt(notify.outbox, me, uow(), status)
if not ok or rows is None:
    st.stop()
if not rows:
    st.info("The outbox is empty.")
    st.stop()
st.dataframe(
    pd.DataFrame(
        [
            {
                "Message": r.message_id,
                "Kind": r.kind.replace("_", " "),
                "To": r.recipient,
                "Address": r.to_address or "-",
                "Subject": r.subject,
                "Status": r.status,
                "Attempts": r.attempts,
                "Last error": r.last_error or "-",
                "Queued": r.created_at,
                "Sent": r.sent_at,
            }
            for r in rows
        ]
    ),
    hide_index=True,
    use_container_width=True,
)
subjects: dict[int, str] = {r.message_id: f"#{r.message_id} {r.subject}" for r in rows}
chosen = st.selectbox(
    "Read a message",
    list(subjects),
    format_func=lambda i: subjects.get(i, ""),
)
st.text(next(r.body for r in rows if r.message_id == chosen))
