"""Clause 4.2 need-to-know look-ups (issue 14 item 11): a viewer without case access names a
customer precisely, by housing reference or by full name plus postcode."""

import pytest

from core.errors import PolicyError
from core.policy.disclosure import ViewerSearch, viewer_search


def test_a_housing_reference_alone_is_enough():
    assert viewer_search(" nph900001 ") == ViewerSearch(housing_ref="NPH900001")


def test_a_full_name_and_postcode_are_enough_whatever_the_case_and_spacing():
    assert viewer_search("Siân   O'Brien-Nkemelu nn1 2aa") == ViewerSearch(
        full_name="siân o'brien-nkemelu", postcode="NN12AA"
    )
    assert viewer_search("ŁUKASZ NOWAK, NN12AA") == ViewerSearch(full_name="łukasz nowak", postcode="NN12AA")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "Smith",
        "O'Brien",
        "Jane Smith",
        "Smith NN1 2AA",
        "NN1 2AA",
        "Abington Street",
        "NPH%",
        "12 Abington Street",
    ],
)
def test_a_surname_street_or_postcode_fragment_is_refused(query):
    with pytest.raises(PolicyError, match="housing reference, or the customer's full name and postcode"):
        viewer_search(query)
