"""Clause 6 rules as plain functions: erasure blockers, retention and redaction flags."""

import datetime as dt

import pytest

from core.errors import PolicyError
from core.policy import dataprotection as rules


def test_erasure_is_allowed_when_nothing_is_live():
    assert rules.erasure_blockers(rules.Holds()) == []


def test_erasure_blockers_name_every_reason():
    reasons = rules.erasure_blockers(
        rules.Holds(
            active_formal_actions=2,
            active_spoc_entries=1,
            active_pvp_entries=1,
            open_appeals=1,
            legal_hold=True,
            legal_hold_reason="Injunction",
        )
    )
    assert len(reasons) == 5
    assert "2 formal-stage restriction(s)" in reasons[0] and "(Injunction)" in reasons[-1]


def test_retention_counts_whole_years_back_from_today():
    assert rules.retention_cutoff(dt.date(2026, 2, 28), 6) == dt.date(2020, 2, 28)
    assert rules.is_due_for_deletion(True, dt.date(2020, 2, 28), dt.date(2026, 2, 28), 6)
    assert not rules.is_due_for_deletion(True, dt.date(2020, 2, 29), dt.date(2026, 2, 28), 6)
    assert not rules.is_due_for_deletion(False, dt.date(2001, 1, 1), dt.date(2026, 2, 28), 6)
    with pytest.raises(PolicyError):
        rules.retention_years(0)


def test_scanner_flags_other_peoples_names_refs_emails_and_phones_by_whole_word():
    scanner = rules.RedactionScanner(
        [
            rules.Identity(
                "another customer", "Mary Ann", "O'Neil", "Mrs", "NPH123", "m@x.org", "+44 7700 900123"
            ),
            rules.Identity("another customer", "Al", "Li", "", "NPH999"),
        ],
        exclude_names=["Siân Jones"],
    )
    found = scanner.scan(
        "Mary Ann O’Neil (nph123) emailed from m@x.org and rang 07700 900123; "
        "Mrs O'Neil agreed. Alison Lindley and Siân Jones were present. NPH9999."
    )
    kinds = {(text, kind) for text, kind in found}
    assert ("Mary Ann O’Neil", "another customer's name") in kinds
    assert ("nph123", "another customer's reference") in kinds
    assert ("m@x.org", "another customer's email address") in kinds
    assert ("07700 900123", "another customer's phone number") in kinds
    assert ("Mrs O'Neil", "another customer's name") in kinds
    assert not [t for t, _ in found if t in ("Alison Lindley", "Siân Jones", "NPH9999")]


def test_a_request_repeating_an_open_one_word_for_word_on_the_same_date_is_identical():
    open_ones = [(3, dt.date(2026, 3, 1), "All my data"), (4, dt.date(2026, 3, 2), "Only letters")]
    assert rules.identical_request(open_ones, dt.date(2026, 3, 1), " all  my DATA ") == 3
    assert rules.identical_request(open_ones, dt.date(2026, 3, 2), "All my data") is None
    assert rules.identical_request([], dt.date(2026, 3, 1), "All my data") is None


def test_lookup_keys_are_the_words_references_emails_and_phones_a_scan_could_match():
    keys = rules.lookup_keys(["Mary Ann O’Neil (nph123) emailed M@X.org, rang +44 7700 900123", "", None])
    assert {"O’Neil", "Ann O’Neil", "Mary Ann O’Neil"} <= keys.phrases
    assert "NPH123" in keys.references and "ANN" not in keys.references
    assert keys.emails == {"m@x.org"} and keys.phones == {"07700900123"}
    assert {"O'Neil", "o’neil", "O’NEIL"} <= rules.name_spellings("o’neil") | rules.name_spellings("O’Neil")
