"""My work: what the signed-in person must do, most urgent first, each line a link to where it is
done (issue 15). Counts per kind of work at the top; the same total is the navigation badge."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core.services import work
from ui.session import actor, attempt, uow
from ui.work_badge import remember

me = actor()
today = dt.date.today()
st.header("My work")
ok, mine = attempt(work.my_work, me, uow(), today)
if not ok or mine is None:
    st.stop()
remember(mine.total)
if not mine.total:
    st.success("Nothing is waiting for you. Well done.")
    st.stop()
st.caption(f"{mine.total} things to do, {mine.overdue} overdue, as of {today:%A %d %B %Y}.")

busy = [line for line in mine.lines if line.count]
columns = st.columns(min(len(busy), 4))
for index, line in enumerate(busy):
    columns[index % len(columns)].metric(
        line.label,
        line.count,
        delta=f"{line.overdue} overdue" if line.overdue else None,
        delta_color="inverse",
        border=True,
    )

for line in busy:
    heading = f"{line.label} ({line.count})"
    with st.expander(heading, expanded=True):
        for item in line.items:
            when = (
                f" · **{item.due_text}**"
                if item.overdue_days
                else (f" · {item.due_text}" if item.due_text else "")
            )
            since = f" · since {item.since:%d %b %Y}" if item.since and not item.due_on else ""
            due = f" (by {item.due_on:%d %b %Y})" if item.due_on else ""
            st.page_link(
                item.page,
                label=f"{item.title}: {item.detail}{due}{when}{since}",
                query_params=item.query or None,
            )
        if line.count > len(line.items):
            st.caption(f"Showing the {len(line.items)} most urgent of {line.count}.")
