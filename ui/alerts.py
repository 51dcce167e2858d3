"""The flag alert: shown first whenever anyone opens a flagged customer or starts an incident."""
from __future__ import annotations

import streamlit as st

from core.services.arrangements import arrangements_for, has_arrangements
from ui.session import actor, uow


def show_flag_alert(customer_id: int) -> None:
    view = arrangements_for(actor(), customer_id, uow())
    if not has_arrangements(view):
        return
    lines = []
    if view["red_flag"]:
        lines.append("**Red flag: Potentially Violent Person register.**")
    if view["two_officers_on_visits"]:
        lines.append("Two officers on all visits.")
    lines += [f"Visits: {text}" for text in view["visit_arrangements"]]
    for spoc in view["single_point_of_contact"]:
        lines.append(f"Single point of contact: {spoc['contact']} ({', '.join(spoc['channels'])}; "
                     f"{spoc['contact_times']}; {spoc['contact_limit']})")
    lines += [f"{r['arrangement']}: {r['terms']}" for r in view["restrictions"]]
    lines += [f"Contact via third party: {t['name']} ({t['relationship']})" for t in view["third_party_contact"]]
    st.error("Arrangements in force  \n" + "  \n".join(lines), icon=":material/flag:")
