"""The factual-language prompt (clause 6: factual, no hearsay, no personal comments)."""

import pytest

from core.policy.language import (
    DIAGNOSIS,
    HEARSAY,
    INSULT,
    OPINION,
    PERSONAL_COMMENT,
    PHRASES,
    check_language,
)


def kinds(text):
    return [(f.phrase, f.kind) for f in check_language(text)]


def test_a_factual_description_passes():
    text = "The customer shouted and swore at the call handler and ended the call at 10:42."
    assert check_language(text) == []


@pytest.mark.parametrize(
    "text, phrase, kind",
    [
        ("Apparently he kicked the door.", "Apparently", HEARSAY),
        ("I heard from a neighbour that she shouted.", "I heard", HEARSAY),
        ("I’ve heard this before.", "I’ve heard", HEARSAY),
        ("I think he was trying to scare the officer.", "I think", OPINION),
        ("In my opinion the complaint is made up.", "In my opinion", OPINION),
        ("He is a troublemaker.", "troublemaker", PERSONAL_COMMENT),
        ("The man is an idiot.", "idiot", INSULT),
        ("She is clearly bipolar.", "bipolar", DIAGNOSIS),
        ("He is a PSYCHO.", "PSYCHO", DIAGNOSIS),
    ],
)
def test_each_kind_of_non_factual_phrasing_is_flagged(text, phrase, kind):
    assert (phrase, kind) in kinds(text)


def test_flags_come_in_order_with_advice():
    flags = check_language("Apparently he is a nutter and I think he is on drugs.")
    assert [f.phrase for f in flags] == ["Apparently", "nutter", "I think", "on drugs"]
    assert all(f.advice for f in flags)
    assert "not evidence" in flags[0].advice


def test_whole_words_only():
    # "mad" inside "made", "cow" inside "coward", "pig" nowhere, "think" without "I"
    assert check_language("He made a complaint; the officers think the repair is late.") == []


def test_the_customers_own_words_in_quotation_marks_are_not_flagged():
    assert check_language("He called the officer a 'stupid cow' and said \"you idiot\".") == []
    assert kinds("She said “you are mad” and apparently left.") == [("apparently", HEARSAY)]


def test_apostrophes_inside_words_do_not_hide_a_phrase():
    assert kinds("I don't know, but I think he's lying.") == [("I think", OPINION)]


def test_each_phrase_is_flagged_as_typed_in_order_of_appearance():
    assert [p for p, _ in kinds("Idiot. idiot. Apparently.")] == ["Idiot", "idiot", "Apparently"]
    assert check_language("") == []


def test_the_word_list_is_in_one_place_and_lower_case():
    for phrases in PHRASES.values():
        assert all(p == p.lower() and p.strip() == p for p in phrases)
    assert {HEARSAY, OPINION, PERSONAL_COMMENT, INSULT, DIAGNOSIS} == set(PHRASES)
