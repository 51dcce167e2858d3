"""Issue 16 item 5: partner agencies on the case, the timeline, monitoring and the home page."""

import datetime as dt

import pytest

from core.db import UnitOfWork
from core.enums_evidence import Agency
from core.errors import PolicyError
from core.models import Case
from core.services import partners
from core.services.evidence_timeline import timeline_events_for
from tests.services.case_scenarios import TODAY, a_case_at_formal_stage


def customer_of_case(url: str, case_id: int) -> int:
    with UnitOfWork(url) as w:
        return w.session.get_one(Case, case_id).customer_id


def test_a_marac_referral_and_a_legal_remedy_with_its_court_date(db_url, uow, actors):
    case_id = a_case_at_formal_stage(db_url, actors)
    customer_id = customer_of_case(db_url, case_id)
    tl = actors["teamleader"]
    marac = partners.record_partner_action(
        tl,
        partners.NewPartnerAction(
            customer_id, "marac", "referral", TODAY - dt.timedelta(days=5), reference="M-77"
        ),
        uow(),
        today=TODAY,
    )
    with pytest.raises(PolicyError, match="court date"):
        partners.record_partner_action(
            tl, partners.NewPartnerAction(customer_id, "nph_legal", "legal_remedy", TODAY), uow(), today=TODAY
        )
    court = TODAY + dt.timedelta(days=30)
    partners.record_partner_action(
        tl,
        partners.NewPartnerAction(customer_id, "nph_legal", "legal_remedy", TODAY, court_date=court),
        uow(),
        today=TODAY,
    )
    partners.record_outcome(tl, marac, "Safety plan agreed.", TODAY, uow())
    rows = partners.partner_actions(tl, customer_id, uow())
    assert {r.agency for r in rows} == {Agency.MARAC, Agency.NPH_LEGAL}
    assert next(r for r in rows if r.id == marac).outcome == "Safety plan agreed."
    assert [(c.court_date, c.case_id) for c in partners.court_dates_for_owner(tl, uow(), TODAY)] == [
        (court, case_id)
    ]
    counts = partners.partner_counts(actors["ad.housing"], uow(), TODAY - dt.timedelta(days=30), TODAY)
    assert counts == {Agency.MARAC: 1, Agency.NPH_LEGAL: 1}
    with UnitOfWork(db_url) as w:
        titles = [e.title for e in timeline_events_for(w, customer_id)]
    assert "MARAC: referral (ref M-77)" in titles and "MARAC: outcome" in titles
