"""Finding tables by sheet or header, header aliases, messy cells, clear errors."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from claimbook.errors import WorkbookError
from claimbook.io.reader import read_book, read_book_from_values

PRACTICE = [["Setting", "Value"], ["Billing provider name", "Test Clinic"],
            ["Billing provider NPI", 1234567893.0], ["EIN", "12-3456789"],
            ["ISA15 usage (T/P)", "p"], ["Default timely filing days", "120"]]
PAYERS = [["Payer ID", "Payer name", "Filing indicator"], ["SUMMT", "Summit", "CI"]]
PATIENTS = [["Account #", "Last name", "First name", "DOB", "Sex"],
            ["P1", "Doe", "Sam", dt.datetime(1980, 5, 1), "male"]]
COVERAGE = [["Account #", "Payer ID", "Member ID", "Priority"], ["P1", "SUMMT", "X1", "Primary"]]


def claims_sheet(header: list, rows: list[list]) -> list[list]:
    return [header, *rows]


def sheets(claims: list[list], **extra) -> dict:
    d = {"Practice": PRACTICE, "Payers": PAYERS, "Patients": PATIENTS, "Coverage": COVERAGE,
         "Claims": claims}
    d.update(extra)
    return d


@pytest.mark.parametrize("dos_header", ["DOS", "Date of Service", "Service Date", "service  date",
                                        "date_of_service", "SVC DATE"])
def test_dos_header_aliases(dos_header):
    claims = claims_sheet(["Claim #", "Patient Account", "Payer", dos_header, "CPT", "Charges"],
                          [["C1", "P1", "SUMMT", "03/15/2026", "99213", "$135.00"]])
    book = read_book_from_values(sheets(claims))
    c = book.tables["Claims"]
    assert c.loc[0, "dos_from"] == dt.datetime(2026, 3, 15)
    assert c.loc[0, "charge"] == 135.0
    assert c.loc[0, "code"] == "99213"
    assert book.letter("Claims", "dos_from") == "D"


def test_table_found_by_header_on_a_differently_named_sheet():
    claims = claims_sheet(["Claim ID", "Account #", "Payer ID", "DOS", "CPT/HCPCS", "Charge"],
                          [["C1", "P1", "SUMMT", dt.datetime(2026, 3, 1), "99213", 100]])
    s = sheets(claims)
    s["Export 2026-03"] = s.pop("Claims")
    book = read_book_from_values(s)
    assert book.sheet("Claims") == "Export 2026-03"
    assert len(book.tables["Claims"]) == 1


def test_header_below_a_title_row_and_excel_rows_are_exact():
    claims = [["Charges export"], [], ["Claim ID", "Account #", "Payer ID", "DOS", "CPT", "Charge"],
              ["C1", "P1", "SUMMT", "2026-03-01", "99213", 100],
              [None, None, None, None, None, None],
              ["C2", "P1", "SUMMT", "2026-03-02", "99214", 150]]
    book = read_book_from_values(sheets(claims))
    c = book.tables["Claims"]
    assert list(c["_row"]) == [4, 6]
    assert list(c["line_no"]) == [1, 1]


def test_missing_sheet_is_one_clear_error_listing_sheets_found():
    s = sheets([["Claim ID", "Account #", "Payer ID", "DOS", "CPT", "Charge"]])
    del s["Coverage"]
    with pytest.raises(WorkbookError) as e:
        read_book_from_values(s)
    msg = str(e.value)
    assert "'Coverage'" in msg and "Sheets found" in msg and "'Claims'" in msg


def test_missing_column_names_it_and_lists_headers_found():
    claims = claims_sheet(["Claim ID", "Account #", "Payer ID", "CPT", "Charge"],
                          [["C1", "P1", "SUMMT", "99213", 100]])
    with pytest.raises(WorkbookError) as e:
        read_book_from_values(sheets(claims))
    msg = str(e.value)
    assert "'DOS'" in msg and "sheet 'Claims'" in msg
    assert "Claim ID, Account #, Payer ID, CPT, Charge" in msg


def test_bad_cells_become_findings_and_other_rows_go_on():
    claims = claims_sheet(
        ["Claim ID", "Account #", "Payer ID", "DOS", "CPT", "Charge", "Referring NPI"],
        [["C1", "P1", "SUMMT", "13/45/2026", "99213", "abc", "12345"],
         ["C2", "P1", "SUMMT", "2026-03-02", "99214", 150, 1234567893.0],
         [None, "P1", "SUMMT", "2026-03-03", "99214", 150, None]])
    book = read_book_from_values(sheets(claims))
    c = book.tables["Claims"]
    assert list(c["claim_id"]) == ["C1", "C2"]  # the row with no claim id is skipped
    assert c.loc[1, "referring_npi"] == "1234567893"
    f = book.findings.set_index(["row", "rule"])
    assert (2, "IO-DATE") in f.index and (2, "IO-NUMBER") in f.index
    assert (2, "IO-FORMAT") in f.index and (4, "IO-REQUIRED") in f.index
    msg = f.loc[(2, "IO-DATE"), "message"]
    assert "'13/45/2026'" in msg and "sheet 'Claims'" in msg and "D2" in msg
    # an unreadable DOS is reported once (IO-DATE), not again as an empty required cell
    assert not ((book.findings["row"] == 2) & (book.findings["rule"] == "IO-REQUIRED")).any()


def test_practice_settings_key_value():
    claims = claims_sheet(["Claim ID", "Account #", "Payer ID", "DOS", "CPT", "Charge"], [])
    s = sheets(claims)
    s["Practice"] = PRACTICE + [["Billing ZIP", 1103.0], ["Favourite colour", "blue"],
                                ["Billing phone", None]]
    book = read_book_from_values(s)
    p = book.practice
    assert (p.billing_name, p.billing_npi, p.billing_ein, p.usage) == (
        "Test Clinic", "1234567893", "123456789", "P")
    assert p.timely_filing_days == 120 and p.billing_zip == "01103"
    assert p.billing_phone is None and p.medicare_timely_filing_days == 365
    assert book.findings["rule"].tolist() == ["IO-SETTING"]


def test_file_written_by_openpyxl_with_excel_table(tmp_path):
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets(claims_sheet(
            ["Claim ID", "Account #", "Payer ID", "DOS", "CPT", "Charge", "Dx1", "Dx2"],
            [["C1", "P1", "SUMMT", dt.datetime(2026, 3, 1), 99213, 135, "e1165", "I10"]])).items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    from openpyxl.worksheet.table import Table

    wb["Claims"].add_table(Table(displayName="tblClaims", ref="A1:H2"))
    path = tmp_path / "clinic.xlsx"
    wb.save(path)
    book = read_book(path)
    c = book.tables["Claims"]
    assert c.loc[0, "code"] == "99213" and c.loc[0, "dx1"] == "E11.65"
    assert book.changes.iloc[0][["row", "field", "raw", "value"]].tolist() == [
        2, "dx1", "e1165", "E11.65"]


def test_export_artefacts_are_read_not_reported():
    """ISO dates with a time, ids and codes as text with '.0', European amounts."""
    claims = claims_sheet(
        ["Claim ID", "Account #", "Payer ID", "DOS", "CPT", "Rendering NPI", "POS", "Dx1",
         "Charge"],
        [["C1", "P1", "SUMMT", "2026-03-15T00:00:00", "99213.0", "1234567893.0", "11.0",
          "E11.0", "1.234,50"],
         ["C2", "P1", "SUMMT", "2026-03-16 00:00:00", "99214", 1234567893.0, 11, "e110",
          "1,234.50"]])
    book = read_book_from_values(sheets(claims))
    c = book.tables["Claims"]
    assert list(c["dos_from"]) == [dt.datetime(2026, 3, 15), dt.datetime(2026, 3, 16)]
    assert list(c["code"]) == ["99213", "99214"]
    assert list(c["rendering_npi"]) == ["1234567893"] * 2
    assert list(c["pos"]) == ["11", "11"]
    assert list(c["dx1"]) == ["E11.0", "E11.0"]
    assert list(c["charge"]) == [1234.5, 1234.5]
    assert book.findings.empty, book.findings[["rule", "message"]].to_string()


def test_an_amount_that_cannot_be_read_safely_names_sheet_cell_and_value():
    claims = claims_sheet(["Claim ID", "Account #", "Payer ID", "DOS", "CPT", "Charge"],
                          [["C1", "P1", "SUMMT", "2026-03-15", "99213", "1,2345"]])
    book = read_book_from_values(sheets(claims))
    f = book.findings
    assert list(f["rule"]) == ["IO-NUMBER"]
    assert (f.loc[0, "sheet"], f.loc[0, "row"], f.loc[0, "column"]) == ("Claims", 2, "F")
    assert "'1,2345'" in f.loc[0, "message"] and "cell F2" in f.loc[0, "message"]
    assert book.tables["Claims"]["charge"].isna().all()
