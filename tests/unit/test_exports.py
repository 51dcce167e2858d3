"""Register exports cannot carry a formula into a spreadsheet (CSV/formula injection)."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from core.exports import neutralise, to_csv, to_xlsx

DANGEROUS = [
    "=1+1",
    "+44 1604 000000",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=cmd",
    "\r=cmd",
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
]
SAFE = ["Siân O'Brien-Nkemelu 🙂", "a=b", "Email only.", "", "1+1", " =spaced"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_cell_starting_with_a_formula_character_gets_a_single_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", SAFE)
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text


def rows():
    return [
        {
            "housing_ref": "NPH1",
            "terms": bad,
            "safe": SAFE[i % len(SAFE)],
            "count": -5,
            "review_date": dt.date(2027, 5, 20),
        }
        for i, bad in enumerate(DANGEROUS)
    ]


def test_csv_export_neutralises_every_dangerous_cell():
    data = to_csv(rows())
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM so Excel reads accents
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert parsed[0] == ["housing_ref", "terms", "safe", "count", "review_date"]
    assert [r[1] for r in parsed[1:]] == ["'" + d for d in DANGEROUS]
    assert all(not r[1].startswith(("=", "+", "-", "@", "\t", "\r")) for r in parsed[1:])
    assert parsed[1][2] == SAFE[0] and parsed[1][4] == "2027-05-20"


def test_xlsx_export_stores_dangerous_cells_as_quoted_text_never_formulas():
    book = load_workbook(io.BytesIO(to_xlsx(rows())))
    sheet = book.active
    values = [[c for c in row] for row in sheet.iter_rows()]
    assert [c.value for c in values[0]] == ["housing_ref", "terms", "safe", "count", "review_date"]
    for row, dangerous in zip(values[1:], DANGEROUS, strict=False):
        terms = row[1]
        assert terms.value == "'" + dangerous
        assert terms.data_type == "s"  # text, not a formula ('f')
    assert all(c.data_type != "f" for row in values for c in row)
    assert values[1][2].value == SAFE[0]
    assert values[1][3].value == -5  # numbers stay numbers
    assert values[1][4].value.date() == dt.date(2027, 5, 20)


def test_columns_can_be_fixed_and_missing_values_are_blank():
    data = to_csv([{"a": "x"}, {"b": "y"}], columns=["a", "b"]).decode("utf-8-sig")
    assert data.splitlines() == ["a,b", "x,", ",y"]
    assert to_csv([], columns=["a"]).decode("utf-8-sig").splitlines() == ["a"]


def test_dataclass_read_models_export_by_their_fields_and_are_neutralised():
    from dataclasses import dataclass

    from core.enums import RegisterStatus

    @dataclass(frozen=True)
    class Row:
        housing_ref: str
        terms: str
        status: RegisterStatus
        review_due: dt.date

    data = to_csv(
        [
            Row("NPH1", "=1+1", RegisterStatus.ACTIVE, dt.date(2027, 5, 20)),
            Row("NPH2", "@SUM(A1)", RegisterStatus.ENDED, dt.date(2027, 6, 1)),
        ]
    )
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert parsed == [
        ["housing_ref", "terms", "status", "review_due"],
        ["NPH1", "'=1+1", "Active", "2027-05-20"],
        ["NPH2", "'@SUM(A1)", "Ended", "2027-06-01"],
    ]
