"""The CB_ worksheet functions, called with exactly what xlwings hands a UDF.

xlwings passes a range as a 2-D list (ndim=2), blanks as None, every number as a float,
date cells as datetime, typed serial numbers as floats and, with err_to_str, cell errors as
"#N/A". No Excel is needed: on this OS the @xw decorators leave the functions as they are,
and the xlwings metadata (names, argument help) is read through xlwings' own decorators.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "addin"), str(ROOT / "scripts")]

import claimbook_xl as X

DOS = dt.datetime(2026, 3, 2)
SERIAL = float((dt.date(2026, 3, 2) - dt.date(1899, 12, 30)).days)  # 46083.0
PAYERS = [["Payer ID", "Payer name", "Filing indicator", "Timely filing days"],
          ["MCR01", "Medicare Part B", "MB", None],
          ["AET01", "Aetna", "CI", 120.0],
          [10001.0, "Numeric payer", "CI", None],
          ["BLUE1", "Blue", "BL", None]]


def test_icd_single_cell_spills_status_and_description():
    assert X.CB_ICD("E11.65") == [["OK", "E11.65: Type 2 diabetes mellitus with hyperglycemia"]]
    assert X.CB_ICD([["e1165"]], [[DOS]])[0][0] == "OK"  # lower case, no dot


def test_icd_column_with_messy_cells():
    col = [["E11.9"], [None], ["E11"], ["#N/A"], ["S52.521"], ["ZZZ99"], [" i10 "]]
    out = X.CB_ICD(col, SERIAL)
    assert [r[0] for r in out] == ["OK", "", "Not billable", "Error", "Not billable",
                                   "Invalid", "OK"]
    assert out[1] == ["", ""]
    assert "category header" in out[2][1]
    assert "#N/A" in out[3][1]
    assert "7th character" in out[4][1]
    assert out[6][1].startswith("I10: ")


def test_icd_dos_per_row_and_unreadable_dos():
    out = X.CB_ICD([["E11.65"], ["E11.65"], ["E11.65"]], [[DOS], ["03/02/2026"], ["soon"]])
    assert [r[0] for r in out] == ["OK", "OK", "Error"]
    assert "DOS 'soon' is not a date" in out[2][1]


def test_check_codes_numbers_arrive_as_floats():
    cpt = X.CB_CHECK_CODES([[99213.0], ["J1100"], [123.0]], "cpt")
    assert [r[0] for r in cpt] == ["OK", "Invalid", "Invalid"]
    pos = X.CB_CHECK_CODES([[11.0], [2.0], [77.0]], "pos")
    assert pos[0] == ["OK", "11: Office"]
    assert pos[1][0] == "OK" and pos[1][1].startswith("02: ")
    assert pos[2][0] == "Invalid"
    mods = X.CB_CHECK_CODES([[25.0], ["lt"], ["9Z"]], "modifier")
    assert [r[0] for r in mods] == ["OK", "OK", "Invalid"]


def test_check_codes_row_range_is_read_row_major():
    out = X.CB_CHECK_CODES([["E11.9", None, "I10"]], "icd10")
    assert [r[0] for r in out] == ["OK", "", "OK"]


def test_check_codes_50000_rows():
    codes = [["E11.65"], [None], ["I10"], ["E11"], [99.0]] * 10_000
    out = X.CB_CHECK_CODES(codes, "icd10", DOS)
    assert len(out) == 50_000 and all(len(r) == 2 for r in out)
    assert out[:5] == out[5:10]
    assert [r[0] for r in out[:5]] == ["OK", "", "OK", "Not billable", "Invalid"]


def test_bad_kind_is_a_readable_cell():
    out = X.CB_CHECK_CODES([["E11.9"]], "icd9")
    assert out == [[("ClaimBook: kind 'icd9' is not one of icd10, cpt, hcpcs, modifier, pos, "
                     "npi, ndc.")]]


def test_npi_keeps_the_shape_and_says_why():
    out = X.CB_NPI([[1234567893.0, "1234567890"], [None, "12345"], ["3234567893", "#REF!"]])
    assert out[0][0] == "Valid"
    assert out[0][1].startswith("Invalid: The check digit")
    assert out[1][0] is None or out[1][0] == ""
    assert "not 10 digits" in out[1][1]
    assert "starts with 1 or 2" in out[2][0]
    assert out[2][1].startswith("Error") and "#REF!" in out[2][1]


def test_timely_days_with_payers_table():
    dos = [[dt.datetime(2026, 1, 1)]] * 5 + [[None], ["later"]]
    payer = [["MCR01"], ["aet01"], [10001.0], ["BLUE1"], [45.0], ["AET01"], ["AET01"]]
    out = X.CB_TIMELY_DAYS(dos, payer, dt.datetime(2026, 3, 1), PAYERS)
    # 2026-01-01 + limit - 2026-03-01 (59 days later)
    assert out[:5] == [[365 - 59], [120 - 59], [90 - 59], [90 - 59], [45 - 59]]
    assert out[5] == [None]
    assert "not a date" in out[6][0]


def test_timely_days_serial_dates_and_unknown_payer():
    out = X.CB_TIMELY_DAYS([[SERIAL], [SERIAL]], [["MB"], ["ZZZ"]], SERIAL)
    assert out[0] == [365]
    assert "ZZZ" in out[1][0] and "Payers table" in out[1][0]
    out = X.CB_TIMELY_DAYS([[SERIAL]], [["ZZZ"]], SERIAL, PAYERS)
    assert out == [["payer 'ZZZ' is not in the payers range"]]


def test_timely_days_payers_range_without_header():
    out = X.CB_TIMELY_DAYS(DOS, "AET01", DOS, [["Name", "Days"], ["A", 1.0]])
    assert "Payer ID" in out[0][0] and out[0][0].startswith("ClaimBook:")


def test_aging_bucket_boundaries_and_inputs():
    asof = dt.datetime(2026, 6, 30)
    days = [0, 30, 31, 60, 61, 90, 91, 120, 121, 400]
    col = [[asof - dt.timedelta(days=d)] for d in days]
    out = X.CB_AGING_BUCKET(col, asof)
    assert [r[0] for r in out] == ["0-30", "0-30", "31-60", "31-60", "61-90", "61-90",
                                   "91-120", "91-120", "120+", "120+"]
    mixed = [[SERIAL], ["2026-03-02"], [None], ["#VALUE!"], ["someday"]]
    out = X.CB_AGING_BUCKET(mixed, dt.datetime(2026, 4, 15))
    assert out[0] == ["31-60"] and out[1] == ["31-60"] and out[2] == [None]
    assert "#VALUE!" in out[3][0] and "not a date" in out[4][0]


def test_aging_bucket_as_of_must_be_a_date():
    out = X.CB_AGING_BUCKET(DOS, "tomorrow")
    assert out[0][0].startswith("ClaimBook: as-of date 'tomorrow' is not a date")


def test_claim_status_from_findings_table():
    findings = [["Claim ID", "Line", "Rule", "Severity", "Message"],
                ["C1", 1.0, "R1", "warning", "m"],
                ["C1", 2.0, "R2", "error", "m"],
                [1001.0, 1.0, "R3", "warning", "m"],
                ["C3", None, "R4", "info", "m"],
                [None, None, "R5", "error", "settings"]]
    out = X.CB_CLAIM_STATUS([["C1"], ["1001"], ["C3"], ["C9"], [None]], findings)
    assert out == [["Blocked"], ["Needs attention"], ["Ready"], ["Ready"], [None]]


def test_claim_status_needs_the_headers():
    out = X.CB_CLAIM_STATUS("C1", [["Claim", "What"], ["C1", "x"]])
    assert "Severity" in out[0][0]


def test_no_traceback_ever_reaches_a_cell(monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(X, "check_codes", boom)
    out = X.CB_ICD("E11.9")
    assert out[0][0].startswith("ClaimBook could not compute CB_ICD (RuntimeError: disk on fire)")
    assert "Traceback" not in out[0][0]


def test_xlwings_metadata_prefix_and_help_on_every_argument():
    import build_workbooks as B

    mod = B.load_udf_module()
    funcs = {n: getattr(mod, n) for n in dir(mod) if hasattr(getattr(mod, n), "__xlfunc__")}
    assert sorted(funcs) == ["CB_AGING_BUCKET", "CB_CHECK_CODES", "CB_CLAIM_STATUS", "CB_ICD",
                             "CB_NPI", "CB_TIMELY_DAYS"]
    for name, f in funcs.items():
        meta = f.__xlfunc__
        assert meta["category"] == "ClaimBook"
        assert meta["ret"]["doc"] and len(meta["ret"]["doc"]) <= 255
        for arg in meta["args"]:
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
            assert arg["options"].get("err_to_str") is True, (name, arg["name"])
    # the metadata-loaded functions behave like the plain ones
    assert funcs["CB_ICD"]("I10")[0][0] == "OK"


@pytest.mark.parametrize("kind", ["icd", "ICD10", "dx", "mod", "npi", "ndc", "hcpcs"])
def test_kind_aliases(kind):
    assert X._kind(kind) in X.KINDS


def test_icd_validity_follows_the_fiscal_year_and_names_each_dos():
    """B88.01 was added for FY2026 (DOS from 2025-10-01): each row's message names its DOS."""
    rows = [["B88.01"]] * 3
    dos = [[dt.datetime(2025, 3, 1)], [dt.datetime(2025, 4, 1)], [dt.datetime(2025, 10, 1)]]
    out = X.CB_ICD(rows, dos)
    assert [r[0] for r in out] == ["Not billable", "Not billable", "OK"]
    assert "2025-03-01" in out[0][1] and "2025-04-01" in out[1][1]
    assert "FY2026" in out[0][1]
