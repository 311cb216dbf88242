"""Messy cells real exports contain, and what ClaimBook makes of them."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from claimbook import normalize as N


def one(fn, value):
    vals, bad = fn(pd.Series([value], dtype=object))
    v = vals.iloc[0]
    return (None if v is None or (not isinstance(v, str) and pd.isna(v)) else v), bool(bad.iloc[0])


@pytest.mark.parametrize("raw,expected", [
    ("E11.65", "E11.65"), ("e1165", "E11.65"), (" e11.65 ", "E11.65"), ("E 11 65", "E11.65"),
    ("I10", "I10"), ("i10", "I10"), ("S52521A", "S52.521A"), (None, None), ("", None),
])
def test_icd_codes_with_or_without_dots_case_and_spaces(raw, expected):
    assert one(N.icd, raw) == (expected, False)


@pytest.mark.parametrize("raw,expected", [
    ("99213", "99213"), (99213.0, "99213"), (" j1100 ", "J1100"), ("0001f", "0001F"),
    (100.0, "00100"),  # anesthesia code stored as a number lost its zeros
    ("9921", "9921"),  # typed as text: a wrong code, left for the validator to flag
])
def test_procedure_codes(raw, expected):
    assert one(N.code, raw) == (expected, False)


@pytest.mark.parametrize("raw,expected,bad", [
    (1234567893.0, "1234567893", False), ("1234567893", "1234567893", False),
    (" 123 456 7893 ", "1234567893", False), ("12345", None, True),
])
def test_npi_as_number_or_text(raw, expected, bad):
    v, b = one(N.npi, raw)
    assert b == bad
    if not bad:
        assert v == expected


@pytest.mark.parametrize("raw,expected", [
    (2134, "02134"), (2134.0, "02134"), ("02134", "02134"), ("02134-1234", "021341234"),
    (21341234, "021341234"), ("60614", "60614"),
])
def test_zip_codes_that_lost_leading_zeros(raw, expected):
    assert one(N.zip_code, raw) == (expected, False)


def test_ein_and_phone():
    assert one(N.ein, "04-3219876") == ("043219876", False)
    assert one(N.ein, 43219876.0) == ("043219876", False)
    assert one(N.phone, "(413) 555-0100") == ("4135550100", False)
    assert one(N.phone, "1-413-555-0100") == ("4135550100", False)
    assert one(N.phone, "555-0100")[1] is True


@pytest.mark.parametrize("raw,expected", [
    (dt.datetime(2026, 3, 15, 14, 30), "2026-03-15"), (dt.date(2026, 3, 15), "2026-03-15"),
    ("2026-03-15", "2026-03-15"), ("03/15/2026", "2026-03-15"), ("3/15/26", "2026-03-15"),
    ("20260315", "2026-03-15"), (46096, "2026-03-15"), (46096.0, "2026-03-15"),
    ("46096", "2026-03-15"), ("Mar 15, 2026", "2026-03-15"),
])
def test_dates_as_text_serials_and_datetimes(raw, expected):
    v, bad = one(N.date, raw)
    assert not bad
    assert v.strftime("%Y-%m-%d") == expected


def test_unreadable_date_is_reported_not_guessed():
    v, bad = one(N.date, "31/31/2025")
    assert v is None and bad


def test_mixed_date_column_keeps_every_row():
    raw = pd.Series([dt.datetime(2026, 1, 2), "01/03/2026", 46026.0, None, "nonsense"],
                    dtype=object)
    vals, bad = N.date(raw)
    assert list(vals.dt.strftime("%Y-%m-%d").fillna("")) == [
        "2026-01-02", "2026-01-03", "2026-01-04", "", ""]
    assert list(bad) == [False, False, False, False, True]


@pytest.mark.parametrize("raw,expected", [
    ("$1,234.50", 1234.5), ("125", 125.0), (125, 125.0), ("(12.00)", -12.0), (" 99.999 ", 100.0),
])
def test_numbers_stored_as_text(raw, expected):
    assert one(N.money, raw) == (expected, False)


def test_bad_number_is_reported():
    v, bad = one(N.money, "abc")
    assert v is None and bad


@pytest.mark.parametrize("raw,expected", [(20, 20.0), ("20%", 20.0), (0.2, 20.0), ("0.2", 20.0)])
def test_percent(raw, expected):
    assert one(N.percent, raw) == (expected, False)


@pytest.mark.parametrize("raw,expected", [
    ("1,2", "1,2"), ("1 2", "1,2"), ("12", "1,2"), ("AB", "1,2"), ("a:b:d", "1,2,4"),
    (1.0, "1"), ("1,2,3,4,5", "1,2,3,4,5"), ("10,12", "10,12"),
])
def test_diagnosis_pointers(raw, expected):
    assert one(N.pointers, raw) == (expected, False)


def test_sex_bool_and_choices():
    assert one(N.sex, "female") == ("F", False)
    assert one(N.sex, "Q")[1] is True
    assert one(N.boolean, "Yes") == (True, False)
    assert one(N.boolean, "n") == (False, False)
    assert one(lambda s: N.choice(s, ("primary", "secondary")), "Primary") == ("primary", False)
    assert one(lambda s: N.choice(s, ("1", "7", "8")), 7.0) == ("7", False)


def test_text_trims_and_blank_markers():
    vals, _ = N.text(pd.Series(["  Maple   Grove ", "N/A", None, np.nan], dtype=object))
    assert list(vals) == ["Maple Grove", None, None, None]


# ---- export artefacts: dates with a time, numbers that went through text, European amounts


@pytest.mark.parametrize("raw", ["2026-03-15T00:00:00", "2026-03-15 00:00:00",
                                 "2026-03-15T08:30:00.000Z", "2026-03-15T08:30"])
def test_iso_text_dates_with_a_time(raw):
    v, bad = one(N.date, raw)
    assert (v, bad) == (pd.Timestamp("2026-03-15"), False)


@pytest.mark.parametrize("fn,raw,expected", [
    (N.code, "99213.0", "99213"), (N.code, "100.0", "00100"), (N.code, " j1100 ", "J1100"),
    (N.npi, "1234567893.0", "1234567893"), (N.zip_code, "2134.0", "02134"),
    (N.zip_code, "021341234.0", "021341234"), (N.pos, "11.0", "11"), (N.pos, "2.0", "02"),
    (N.ein, "43219876.0", "043219876"), (N.phone, "4135550100.0", "4135550100"),
    (N.ident, "1001.0", "1001"), (N.ident, "A1001.0", "A1001.0"),
    (N.modifier, "25.0", "25"),
])
def test_trailing_point_zero_of_numbers_stored_as_text(fn, raw, expected):
    assert one(fn, raw) == (expected, False)


@pytest.mark.parametrize("raw,expected", [
    ("E11.0", "E11.0"), ("e110", "E11.0"), ("J45.0", "J45.0"), ("Z00.00", "Z00.00"),
])
def test_icd_dots_are_not_export_artefacts(raw, expected):
    assert one(N.icd, raw) == (expected, False)


@pytest.mark.parametrize("raw,expected", [
    ("1.234,50", 1234.5), ("$1.234,50", 1234.5), ("(1.234,50)", -1234.5), ("12,50", 12.5),
    ("1.234.567", 1234567.0), ("1.234.567,89", 1234567.89),
    ("1,234.50", 1234.5), ("$1,234", 1234.0), ("1,234,567.5", 1234567.5),
])
def test_us_and_unambiguous_european_amounts(raw, expected):
    assert one(N.money, raw) == (expected, False)


@pytest.mark.parametrize("raw", ["1,2345", "1,23,4.50", "1.234,5.0", "12,345,67"])
def test_amounts_with_misplaced_separators_are_reported_not_guessed(raw):
    assert one(N.money, raw) == (None, True)


@pytest.mark.parametrize("raw,expected", [
    ("25,59", "25,59"), ("25 59", "25,59"), (" 25, 59 ", "25,59"), ("25;59", "25,59"),
    ("lt/rt", "LT,RT"), ("25", "25"), ("5", "05"),
])
def test_several_modifiers_in_one_cell(raw, expected):
    assert one(N.modifier, raw) == (expected, False)
