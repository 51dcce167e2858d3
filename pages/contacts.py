"""Contacts and notes (issue 16): log a call, email, letter or visit with the customer, or a case
note, and attach evidence files. A contact outside the restriction in force is marked."""

import datetime as dt

import pandas as pd
import streamlit as st

from core.enums import Channel
from core.enums_evidence import Direction, EntryKind
from core.services import attachments, contacts
from core.services.incidents import list_incidents
from ui.customer_picker import md, pick_customer
from ui.session import actor, attempt, rerun_with_message, show_message, uow

me = actor()
st.header("Contacts and notes")
st.caption(
    "Log every contact with the customer and every note on the case, in short factual "
    "words. A contact outside the restriction in force is marked as evidence for its review."
)
show_message()
customer_id = pick_customer("contacts")
if customer_id is None:
    st.info("Find the customer first.")
    st.stop()

with st.form("log_contact", clear_on_submit=False):
    kind = st.radio(
        "What",
        [k.value for k in EntryKind],
        format_func=lambda c: EntryKind(c).label,
        horizontal=True,
        key="contact_kind",
    )
    left, right = st.columns(2)
    channel = left.selectbox(
        "Channel", [c.value for c in Channel], format_func=lambda c: Channel(c).label, key="contact_channel"
    )
    direction = right.selectbox(
        "Direction",
        [d.value for d in Direction],
        format_func=lambda d: Direction(d).label,
        key="contact_direction",
    )
    day = left.date_input(
        "Date", value=dt.date.today(), max_value=dt.date.today(), format="DD/MM/YYYY", key="contact_date"
    )
    at = right.time_input("Time", value=dt.time(10, 0), key="contact_time")
    duration = left.number_input(
        "Duration of the call (minutes)", min_value=0, max_value=1440, value=0, key="contact_duration"
    )
    with_whom = right.text_input("With whom (notes: agency or person)", key="contact_with")
    summary = st.text_area("Short factual summary", key="contact_summary")
    checked = st.checkbox("I have checked the wording", key="contact_checked")
    if st.form_submit_button("Save", type="primary"):
        new = contacts.NewContact(
            customer_id=customer_id,
            occurred_at=dt.datetime.combine(day, at, contacts.LOCAL),
            channel=channel,
            direction=direction,
            summary=summary,
            kind=kind,
            duration_minutes=int(duration) if channel == Channel.PHONE.value else None,
            with_whom=with_whom,
            wording_checked=checked,
        )
        ok, entry_id = attempt(contacts.log_contact, me, new, uow())
        if ok:
            rerun_with_message(f"Saved ({EntryKind(kind).label.lower()} {entry_id}).")

ok, entries = attempt(contacts.list_contacts, me, customer_id, uow())
if ok and entries:
    outside = sum(e.outside_arrangement for e in entries)
    if outside:
        st.warning(f"{outside} contact{'s' if outside != 1 else ''} outside the arrangement in force.")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "id": e.id,
                    "when": e.occurred_at.astimezone(contacts.LOCAL).strftime("%d/%m/%Y %H:%M"),
                    "what": e.kind.label,
                    "channel": e.channel.label,
                    "direction": e.direction.label,
                    "staff": e.staff,
                    "minutes": e.duration_minutes,
                    "with": e.with_whom,
                    "summary": e.summary,
                    "outside arrangement": "; ".join(e.outside_reasons),
                }
                for e in entries
            ]
        ),
        hide_index=True,
        width="stretch",
    )
elif ok:
    st.info("No contacts or notes yet.")

st.subheader("Attach a file")
subjects: dict[str, str] = {
    f"contact_log:{e.id}": f"{e.kind.label} {e.id} ({e.occurred_at:%d/%m/%Y})" for e in entries or []
}
ok, incidents = attempt(list_incidents, me, customer_id, uow())
subjects |= {
    f"incident:{i['id']}": f"Incident {i['id']} ({i['occurred_at']:%d/%m/%Y})" for i in incidents or []
}
if not subjects:
    st.info("Log a contact, a note or an incident first, then attach the file to it.")
else:
    with st.form("attach_file", clear_on_submit=True):
        subject = st.selectbox(
            "Attach to", list(subjects.keys()), format_func=lambda k: subjects[str(k)], key="attach_subject"
        )
        upload = st.file_uploader("Evidence file (photo, PDF, email, audio, Word)", key="attach_upload")
        description = st.text_input("Description", key="attach_description")
        if st.form_submit_button("Attach"):
            if upload is None or subject is None:
                st.error("Choose a file to attach.")
            else:
                kind_, subject_id = subject.split(":")
                ok, attachment_id = attempt(
                    attachments.attach_file,
                    me,
                    kind_,
                    int(subject_id),
                    upload.name,
                    upload.getvalue(),
                    uow(),
                    description,
                )
                if ok:
                    rerun_with_message(f"Attached {upload.name} (file {attachment_id}).")

ok, files = attempt(attachments.list_attachments, me, customer_id, uow())
if ok and files:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "id": f.id,
                    "file": f.filename,
                    "type": f.media_type,
                    "bytes": f.size_bytes,
                    "on": f"{f.subject_type} {f.subject_id}",
                    "by": f.uploaded_by,
                    "sha256": f.sha256[:12],
                }
                for f in files
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    by_id = {f.id: f for f in files}
    picked = st.selectbox("File", list(by_id), format_func=lambda i: md(by_id[i].filename), key="attach_pick")
    if st.button("Open (the download is recorded)", key="attach_open"):
        ok, got = attempt(attachments.download_attachment, me, picked, uow())
        if ok and got is not None:
            if got.inline:
                st.image(got.content, caption=got.filename)
            st.download_button(
                "Download",
                got.content,
                file_name=got.filename,
                mime="application/octet-stream",
                key="attach_download",
            )
