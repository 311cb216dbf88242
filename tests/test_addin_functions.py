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
    assert out[0][0].startswith("payer 'ZZZ' is not in the payers range; add it")


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


# --- 50,000-row ranges: every function, the mix of cells a real column has ----------------

N = 50_000
DOSES = [dt.datetime(2026, 3, 2), SERIAL, None, "03/02/2026", float(SERIAL + 10)]


def _column(pattern, n=N):
    reps = n // len(pattern) + 1
    return [[v] for v in (pattern * reps)[:n]]


def _big_equals_small(big, small_rows, n=N):
    """The 50k-row answer is the small answer repeated: vectorised == one row at a time."""
    assert len(big) == n
    k = len(small_rows)
    assert big[:k] == small_rows
    assert big[n - k:] == [small_rows[i % k] for i in range(n - k, n)]  # the last rows
    for i in range(0, n, 997):  # a spread of rows
        assert big[i] == small_rows[i % k], i


def test_icd_50000_rows_with_mixed_dos():
    codes = ["E11.65", None, "e1165", "E11", 99.0, "#N/A", " I10 ", "ZZZ99", "S52.521", True]
    # the DOS column mixes datetimes, serial numbers, blanks and text dates (len 5: codes and
    # dates line up differently on each pass, as in a real sheet)
    col, dos = _column(codes), _column(DOSES)
    out = X.CB_ICD(col, dos)
    small = [X.CB_ICD([c], [d])[0] for c, d in zip(col[:50], dos[:50], strict=True)]
    _big_equals_small(out, small)
    statuses = [r[0] for r in small[:10]]
    assert statuses == ["OK", "", "OK", "Not billable", "Invalid", "Error", "OK", "Invalid",
                        "Not billable", "Error"]
    assert small[2][1].startswith("E11.65: ") and "#N/A" in small[5][1]
    assert "TRUE" in small[9][1]


def test_check_codes_50000_rows_each_kind():
    cpt = X.CB_CHECK_CODES(_column([99213.0, "99214", None, 123.0, "#VALUE!", 99213.5]), "cpt")
    assert [r[0] for r in cpt[:6]] == ["OK", "OK", "", "Invalid", "Error", "Error"]
    _big_equals_small(cpt, cpt[:6])
    pos = X.CB_CHECK_CODES(_column([11.0, "02", 2.0, None, 77.0]), "pos")
    assert [r[0] for r in pos[:5]] == ["OK", "OK", "OK", "", "Invalid"]
    _big_equals_small(pos, pos[:5])
    mods = X.CB_CHECK_CODES(_column([25.0, "lt", "9Z", None]), "modifier")
    assert [r[0] for r in mods[:4]] == ["OK", "OK", "Invalid", ""]
    _big_equals_small(mods, mods[:4])
    icd = X.CB_CHECK_CODES(_column(["E11.9", None, "I10", 1e300]), "icd10", DOS)
    assert [r[0] for r in icd[:4]] == ["OK", "", "OK", "Error"]
    assert "too large" in icd[3][1]
    _big_equals_small(icd, icd[:4])


def test_npi_50000_rows():
    pattern = [1234567893.0, "1234567893", None, "12345", "#REF!", "1234567890", 1.5]
    out = X.CB_NPI(_column(pattern))
    first = [r[0] for r in out[:7]]
    assert first[:2] == ["Valid", "Valid"] and first[2] in (None, "")
    assert "not 10 digits" in first[3] and "#REF!" in first[4]
    assert first[5].startswith("Invalid: The check digit") and "decimals" in first[6]
    _big_equals_small(out, out[:7])


def test_timely_days_50000_rows():
    payers = ["MCR01", "aet01", 10001.0, "90", 45.0, "#N/A", "ZZZ", None]
    dos = [dt.datetime(2026, 1, 1), float((dt.date(2026, 1, 1) - dt.date(1899, 12, 30)).days),
           None, "2026-01-01", "later"]
    out = X.CB_TIMELY_DAYS(_column(dos), _column(payers), dt.datetime(2026, 3, 1), PAYERS)
    small = [X.CB_TIMELY_DAYS([d], [p], dt.datetime(2026, 3, 1), PAYERS)[0]
             for d, p in zip(_column(dos, 40), _column(payers, 40), strict=True)]
    _big_equals_small(out, small)
    assert small[0] == [365 - 59] and small[1] == [120 - 59]  # datetime, then serial DOS
    assert small[2] == [None] and small[3] == [90 - 59]  # blank DOS; "90" typed as text
    assert "not a date" in small[4][0]
    assert "#N/A" in small[5][0] and "ZZZ" in small[6][0]


def test_aging_bucket_50000_rows():
    asof = dt.datetime(2026, 6, 30)
    serial = float((dt.date(2026, 5, 1) - dt.date(1899, 12, 30)).days)
    pattern = [asof - dt.timedelta(days=10), serial, None, "2026-01-15", "#N/A",
               dt.datetime(2026, 7, 4), "someday", asof - dt.timedelta(days=400)]
    out = X.CB_AGING_BUCKET(_column(pattern), asof)
    small = out[:8]
    assert small[0] == ["0-30"] and small[1] == ["31-60"] and small[2] == [None]
    assert small[3] == ["120+"] and "#N/A" in small[4][0]
    assert "in the future" in small[5][0] and "not a date" in small[6][0]
    assert small[7] == ["120+"]
    _big_equals_small(out, small)


def test_claim_status_50000_rows():
    findings = [["Claim ID", "Line", "Rule", "Severity", "Message"]]
    for i in range(5_000):
        findings.append([f"C{i}", 1.0, "R1", ("error", "warning", "info")[i % 3], "m"])
    findings.append([None, None, "R5", "error", "settings"])
    findings.append([1001.0, 1.0, "R2", "error", "m"])  # a number-typed claim id
    ids = [[f"C{i % 6_000}"] if i % 11 else [None] for i in range(N)]
    ids[7] = [1001.0]
    out = X.CB_CLAIM_STATUS(ids, findings)
    assert len(out) == N
    expect = {0: "Blocked", 1: "Needs attention", 2: "Ready"}
    for i in range(0, N, 101):
        if i % 11 == 0:
            assert out[i] == [None]
        elif i != 7:
            k = i % 6_000
            assert out[i] == [expect[k % 3] if k < 5_000 else "Ready"], i
    assert out[7] == ["Blocked"]  # 1001.0 matches the findings' 1001


# --- inputs that used to give garbage or a Python error -----------------------------------

@pytest.mark.parametrize("value, expect", [
    (True, "TRUE is not a code"), (False, "FALSE is not a code"),
    (1.5, "1.5 is a number with decimals"), (1e300, "too large"),
    (float("inf"), "too large")])
def test_icd_rejects_bools_decimals_and_huge_numbers(value, expect):
    out = X.CB_ICD(value)
    assert out[0][0] == "Error" and expect in out[0][1], out
    assert "TRU.E" not in out[0][1] and "15 is" not in out[0][1]


def test_error_values_in_every_argument():
    na = "#N/A"
    assert X.CB_TIMELY_DAYS(DOS, na, DOS)[0][0] == "payer shows #N/A; fix the cell it comes from"
    out = X.CB_TIMELY_DAYS([[DOS], [DOS]], [[na], ["MB"]], DOS, PAYERS)
    assert "#N/A" in out[0][0] and out[1] == [365]
    findings = [["Claim ID", "Severity"], ["C1", "error"]]
    assert X.CB_CLAIM_STATUS(na, findings) == [[("claim ID shows #N/A; fix the cell it comes "
                                                "from")]]
    assert "kind shows the error #N/A" in X.CB_CHECK_CODES("E11.9", na)[0][0]
    assert "as-of date shows the error #N/A" in X.CB_AGING_BUCKET(DOS, na)[0][0]
    assert "DOS shows #N/A" in X.CB_TIMELY_DAYS(na, "MB", DOS)[0][0]
    assert X.CB_ICD("E11.9", na) == [["Error", "DOS shows #N/A; fix the cell it comes from"]]


def test_duplicated_headers_give_a_readable_message():
    payers = [["Payer ID", "Name", "Payer ID"], ["AET01", "Aetna", "X"]]
    out = X.CB_TIMELY_DAYS(DOS, "AET01", DOS, payers)[0][0]
    assert out.startswith("ClaimBook: the payers range has the same header twice")
    assert "column A ('Payer ID') and column C ('Payer ID')" in out
    assert "AttributeError" not in out
    findings = [["Claim ID", "Severity", "severity"], ["C1", "error", "info"]]
    out = X.CB_CLAIM_STATUS("C1", findings)[0][0]
    assert "findings range has the same header twice" in out


def test_payer_days_typed_as_text_and_numbers_that_are_not_days():
    assert X.CB_TIMELY_DAYS(DOS, "90", DOS) == [[90]]
    assert X.CB_TIMELY_DAYS(DOS, " 120 ", DOS) == [[120]]
    assert X.CB_TIMELY_DAYS(DOS, 45.0, DOS) == [[45]]
    assert X.CB_TIMELY_DAYS(DOS, "AET01", DOS, PAYERS) == [[120]]  # an id wins over days
    out = X.CB_TIMELY_DAYS(DOS, "60054", DOS)[0][0]  # a payer id, not 60,054 days
    assert "payer '60054'" in out and "1 to 3650" in out
    assert "decimals" in X.CB_TIMELY_DAYS(DOS, 45.5, DOS)[0][0]


def test_aging_bucket_future_date_says_so():
    out = X.CB_AGING_BUCKET(dt.datetime(2026, 7, 1), dt.datetime(2026, 6, 30))
    assert out == [[("2026-07-01 is in the future (after the as-of date 2026-06-30); check "
                    "the date")]]
    assert X.CB_AGING_BUCKET(dt.datetime(2026, 6, 30), dt.datetime(2026, 6, 30)) == [["0-30"]]
    assert "not a date" in X.CB_AGING_BUCKET(True, dt.datetime(2026, 6, 30))[0][0]


def test_claim_status_unknown_severity_is_not_ready():
    findings = [["Claim ID", "Severity"], ["C1", "critical"], ["C2", "critical"],
                ["C2", "error"], ["C3", "Warning"], ["C4", None]]
    out = X.CB_CLAIM_STATUS([["C1"], ["C2"], ["C3"], ["C4"], [True], [1.5]], findings)
    assert out[0] == [("Check the Findings table: severity 'critical' is not error, warning "
                      "or info")]
    assert out[1] == ["Blocked"]  # an error outranks anything
    assert out[2] == ["Needs attention"] and out[3] == ["Ready"]
    assert "TRUE is not a claim ID" in out[4][0] and "decimals" in out[5][0]


def test_function_wizard_help_is_one_line():
    import build_workbooks as B

    mod = B.load_udf_module()
    for f in X.UDFS:
        meta = getattr(mod, f.__name__).__xlfunc__
        doc = meta["ret"]["doc"]
        assert "\n" not in doc and "  " not in doc and doc == doc.strip(), f.__name__
        assert len(doc) <= 255
        for arg in meta["args"]:
            assert "\n" not in arg["doc"] and len(arg["doc"]) <= 255
