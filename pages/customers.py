"""Customers: find one by name, reference or address fragment, or create one; the record with
vulnerabilities (clause 2.3), third-party contact (clause 4.1), open service referrals and
corrections with a reason (clause 6). The flag alert shows first when a record is opened."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.enums import Channel, Vulnerability
from core.permissions import Permission
from core.services.customers import (
    CustomerDetails,
    CustomerRecord,
    add_third_party_contact,
    create_customer,
    get_customer,
    open_cases,
    record_vulnerability,
    remove_vulnerability,
    stop_third_party_contact,
    update_customer,
)
from core.services.incidents import list_service_referrals, resolve_service_referral
from core.services.users import list_service_areas
from ui.alerts import show_flag_alert
from ui.customer_picker import md, pick_customer
from ui.evidence_panels import household_panel, needs_panel
from ui.session import actor, attempt, rerun_with_message, show_message, try_read, uow

CHANNELS = [c.value for c in Channel]
VULNERABILITIES = [v.value for v in Vulnerability]


def _details_fields(prefix: str, current: CustomerRecord | None) -> CustomerDetails:
    areas = {a["id"]: a["name"] for a in list_service_areas(uow())}
    area_ids = list(areas)

    def now(field: str, default: str = "") -> str:
        return getattr(current, field) if current is not None else default

    col1, col2, col3 = st.columns([1, 3, 3])
    title = col1.text_input("Title", value=now("title", ""), key=f"{prefix}_title")
    first = col2.text_input("First name", value=now("first_name", ""), key=f"{prefix}_first")
    last = col3.text_input("Last name", value=now("last_name", ""), key=f"{prefix}_last")
    col1, col2 = st.columns(2)
    ref = col1.text_input(
        "Housing-system reference (tenancy or account)", value=now("housing_ref", ""), key=f"{prefix}_ref"
    )
    area = col2.selectbox(
        "Service area",
        area_ids,
        format_func=areas.__getitem__,
        key=f"{prefix}_area",
        index=area_ids.index(current.service_area_id)
        if current is not None and current.service_area_id in area_ids
        else None,
    )
    line1 = st.text_input("Address line 1", value=now("address_line1", ""), key=f"{prefix}_line1")
    line2 = st.text_input("Address line 2", value=now("address_line2", ""), key=f"{prefix}_line2")
    col1, col2 = st.columns(2)
    town = col1.text_input("Town", value=now("town", "Northampton"), key=f"{prefix}_town")
    postcode = col2.text_input("Postcode", value=now("postcode", ""), key=f"{prefix}_postcode")
    col1, col2, col3 = st.columns(3)
    phone = col1.text_input("Phone", value=now("phone", ""), key=f"{prefix}_phone")
    email = col2.text_input("Email", value=now("email", ""), key=f"{prefix}_email")
    preferred = col3.selectbox(
        "Preferred contact",
        CHANNELS,
        format_func=lambda c: Channel(c).label,
        index=CHANNELS.index(now("preferred_contact", Channel.PHONE.value)),
        key=f"{prefix}_preferred",
    )
    return CustomerDetails(
        first_name=first,
        last_name=last,
        housing_ref=ref,
        title=title,
        address_line1=line1,
        address_line2=line2,
        town=town,
        postcode=postcode,
        phone=phone,
        email=email,
        preferred_contact=preferred,
        service_area_id=area,
    )


def _new_customer() -> None:
    with st.expander(
        "Create a customer (when the search does not find them)",
        expanded=st.session_state.get("customer_id") is None,
    ):
        with st.form("new_customer"):
            details = _details_fields("new", None)
            kinds = st.multiselect(
                "Underlying issues to consider (clause 2.3)",
                VULNERABILITIES,
                format_func=lambda v: Vulnerability(v).label,
                key="new_vulnerabilities",
            )
            notes = st.text_input(
                "Details of those needs (e.g. interpreter, large print)", key="new_vuln_notes"
            )
            created = st.form_submit_button("Create customer", type="primary", key="new_submit")
        if created:
            details.vulnerabilities = {k: notes for k in kinds}
            ok, new_id = attempt(create_customer, me, details, uow())
            if ok:
                st.session_state["customer_id"] = new_id
                st.session_state["cust_reset"] = True
                rerun_with_message("Customer created.")


def _record(customer_id: int) -> None:
    show_flag_alert(customer_id)  # first: staff must see arrangements before anything else
    c = try_read(get_customer, me, customer_id, uow())
    if c is None:
        return
    st.subheader(f"{md(c.name)} ({md(c.housing_ref)})")
    if c.amended_at:
        st.caption(f"Record amended on {c.amended_at:%Y-%m-%d %H:%M} by {md(c.amended_by)}")
    st.dataframe(
        pd.DataFrame(
            [
                {"Field": "Address", "Value": c.address},
                {"Field": "Phone", "Value": c.phone},
                {"Field": "Email", "Value": c.email},
                {"Field": "Preferred contact", "Value": c.preferred_contact_label},
            ]
        ),
        hide_index=True,
        key="cust_details",
    )
    col1, col2 = st.columns(2)
    col1.page_link("pages/timeline.py", label="Case timeline", icon=":material/timeline:")
    if me.can(Permission.RECORD_INCIDENTS):
        col2.page_link("pages/incident.py", label="Log an incident", icon=":material/edit_note:")

    ok, cases = attempt(open_cases, me, customer_id, uow())
    if ok and cases:
        st.markdown("**Open cases** (each service area manages its own, clause 5)")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Case": r.case_id,
                        "Service area": r.service_area,
                        "Stage": r.stage_label,
                        "You can act on it": "Yes" if r.can_act else "Read only",
                    }
                    for r in cases
                ]
            ),
            hide_index=True,
            key="cust_open_cases",
        )

    st.markdown("**Underlying issues and vulnerabilities** (considered in every decision, clause 2.3)")
    vulns = {v.id: f"{v.label}: {v.details}" if v.details else v.label for v in c.vulnerabilities}
    if vulns:
        st.dataframe(
            pd.DataFrame([{"Need": v.label, "Details": v.details} for v in c.vulnerabilities]),
            hide_index=True,
            key="cust_vulns",
        )
    else:
        st.caption("None recorded.")

    household_panel(customer_id)  # issue 16
    needs_panel(customer_id)
    st.markdown("**Contact via a third party** (family member or friend, clause 4.1)")
    contacts = c.third_party_contacts
    if contacts:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Name": t.name,
                        "Relationship": t.relationship_to_customer,
                        "Phone": t.phone,
                        "Status": "Active"
                        if t.active
                        else f"Stopped {t.stopped_on:%d/%m/%Y}: {t.stopped_reason}",
                    }
                    for t in contacts
                ]
            ),
            hide_index=True,
            key="cust_contacts",
        )
    else:
        st.caption("None.")

    ok, referrals = attempt(list_service_referrals, me, uow(), customer_id=customer_id)
    if ok and referrals:
        st.markdown("**Open service referrals** (the underlying problem must be resolved, clause 2.3)")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Raised": r.raised_at,
                        "Service area": r.service_area,
                        "What needs putting right": r.description,
                    }
                    for r in referrals
                ]
            ),
            hide_index=True,
            key="cust_referrals",
        )

    if not me.can(Permission.RECORD_INCIDENTS):
        return
    with st.expander("Record or remove an underlying issue"):
        with st.form("add_vulnerability"):
            kind = st.selectbox(
                "Need", VULNERABILITIES, format_func=lambda v: Vulnerability(v).label, key="vuln_kind"
            )
            vuln_details = st.text_input("Details", key="vuln_details")
            if (
                st.form_submit_button("Record", key="vuln_submit")
                and attempt(record_vulnerability, me, customer_id, kind, vuln_details, uow())[0]
            ):
                rerun_with_message("Saved.")
        if vulns:
            with st.form("remove_vulnerability"):
                vid = st.selectbox("Remove", list(vulns), format_func=vulns.__getitem__, key="vuln_remove")
                reason = st.text_input(
                    "Reason for removing it (kept in the audit log)", key="vuln_remove_reason"
                )
                if (
                    st.form_submit_button("Remove", key="vuln_remove_submit")
                    and attempt(remove_vulnerability, me, vid, reason, uow())[0]
                ):
                    rerun_with_message("Saved.")
    with st.expander("Third-party contact: add or stop"):
        with st.form("add_contact"):
            name = st.text_input("Name", key="tp_name")
            relationship = st.text_input("Relationship to the customer", key="tp_relationship")
            phone = st.text_input("Phone", key="tp_phone")
            if (
                st.form_submit_button("Add third-party contact", key="tp_submit")
                and attempt(add_third_party_contact, me, customer_id, name, relationship, uow(), phone=phone)[
                    0
                ]
            ):
                rerun_with_message("Saved.")
        active = {t.id: t.name for t in contacts if t.active}
        if active:
            with st.form("stop_contact"):
                contact_id = st.selectbox(
                    "Stop the arrangement with", list(active), format_func=active.__getitem__, key="tp_stop"
                )
                reason = st.text_area(
                    "Reason (e.g. the third party behaved unacceptably)", key="tp_stop_reason"
                )
                if (
                    st.form_submit_button("Stop arrangement", key="tp_stop_submit")
                    and attempt(stop_third_party_contact, me, contact_id, reason, uow())[0]
                ):
                    rerun_with_message("Saved.")
    if referrals:
        with st.expander("Mark a service referral resolved"), st.form("resolve_referral"):
            options = {r.id: f"{r.service_area}: {r.description[:80]}" for r in referrals}
            rid = st.selectbox("Referral", list(options), format_func=options.__getitem__, key="ref_pick")
            resolution = st.text_area("What was done to resolve it", key="ref_resolution")
            if (
                st.form_submit_button("Mark resolved", key="ref_submit")
                and attempt(resolve_service_referral, me, rid, resolution, uow())[0]
            ):
                rerun_with_message("Saved.")
    # The version the user saw when the form was first drawn: a save over someone else's newer
    # correction is refused (optimistic locking), and the next run shows the latest record.
    seen_key = f"customer_version_{customer_id}"
    seen = st.session_state.setdefault(seen_key, c.version)
    with st.expander("Correct the customer's details"), st.form("correct_customer"):
        details = _details_fields(f"fix{customer_id}", c)
        reason = st.text_area(
            "Reason for the correction (required; the earlier details are kept in the audit log)",
            key="fix_customer_reason",
        )
        if st.form_submit_button("Save correction", key="fix_customer_submit"):
            ok, _ = attempt(update_customer, me, customer_id, details, reason, uow(), expected_version=seen)
            if ok or seen != c.version:
                st.session_state.pop(seen_key, None)
            if ok:
                rerun_with_message("Saved.")


me = actor()
st.header("Customers")
show_message()
customer_id = pick_customer("cust")
if customer_id is not None:
    _record(customer_id)
if me.can(Permission.RECORD_INCIDENTS):
    _new_customer()
