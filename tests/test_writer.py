"""Result sheets never touch input: byte-identical input, in-place with backup, lock files."""

from __future__ import annotations

import hashlib
import shutil

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from claimbook.errors import WorkbookError, WorkbookLockedError
from claimbook.io.writer import append_rows, update_in_place, write_results
from claimbook.results import Chart, ResultSheet, Section


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def findings_sheet() -> ResultSheet:
    df = pd.DataFrame({"claim_id": ["C1", "C2"], "severity": ["error", "warning"],
                       "charge": [135.0, 95.5],
                       "dos": pd.to_datetime(["2026-03-01", "2026-03-02"])})
    links = pd.Series(["#'Claims'!E2", "clinic.xlsx#'Claims'!E3"])
    return ResultSheet("Findings", [Section(df, links={"claim_id": links},
                                            severity_column="severity",
                                            charts=[Chart("col", "Charges", "claim_id",
                                                          ["charge"])])])


def input_workbook(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Claims"
    ws.append(["Claim ID", "Charge", "Double"])
    ws.append(["C1", 135, "=B2*2"])
    ws.append(["C2", 95.5, "=B3*2"])
    wb.create_sheet("Findings").append(["old results"])
    wb.save(path)
    return path


def test_results_file_leaves_input_byte_identical(tmp_path):
    src = input_workbook(tmp_path / "clinic.xlsx")
    before = sha(src)
    out = write_results(tmp_path / "clinic-results.xlsx", [findings_sheet()], protect=[src])
    assert sha(src) == before
    wb = load_workbook(out)
    ws = wb["Findings"]
    assert [c.value for c in ws[1]] == ["Claim ID", "Severity", "Charge", "DOS"]
    assert ws["C2"].number_format.startswith("#,##0.00")
    assert ws["D2"].number_format == "yyyy-mm-dd"
    assert ws["A2"].hyperlink.location == "'Claims'!E2"
    assert ws["A3"].hyperlink.target == "clinic.xlsx"
    assert ws.freeze_panes == "A2"
    assert list(ws.tables) == ["Findings"]
    assert len(ws.conditional_formatting) == 1
    assert len(ws._charts) == 1


def test_results_never_overwrite_the_input(tmp_path):
    src = input_workbook(tmp_path / "clinic.xlsx")
    with pytest.raises(WorkbookError, match="overwrite the input"):
        write_results(src, [findings_sheet()], protect=[src])


def test_in_place_update_keeps_input_sheets_and_a_backup(tmp_path):
    src = input_workbook(tmp_path / "clinic.xlsx")
    original = tmp_path / "original.xlsx"
    shutil.copy(src, original)
    backup = update_in_place(src, [findings_sheet()])
    assert sha(backup) == sha(original)
    before = load_workbook(original)["Claims"]
    after_wb = load_workbook(src)
    after = after_wb["Claims"]
    assert [[c.value for c in r] for r in after.iter_rows()] == \
        [[c.value for c in r] for r in before.iter_rows()]
    assert after["C2"].value == "=B2*2"
    # the owned sheet was replaced, not appended to
    findings = after_wb["Findings"]
    assert findings["A1"].value == "Claim ID"
    # each link sits on its own cell (a normal-mode sheet keeps the ref it is given)
    assert findings["A2"].hyperlink.location == "'Claims'!E2"
    assert findings["A3"].hyperlink.target == "clinic.xlsx"
    assert [c.hyperlink.ref for c in findings["A"] if c.hyperlink] == ["A2", "A3"]
    assert after_wb.sheetnames.count("Findings") == 1
    # a second run replaces it again and keeps another backup
    backup2 = update_in_place(src, [findings_sheet()])
    assert backup2 != backup and backup2.exists()
    assert load_workbook(src).sheetnames == ["Claims", "Findings"]


def test_open_in_excel_lock_file_gives_a_clear_message(tmp_path):
    src = input_workbook(tmp_path / "clinic.xlsx")
    (tmp_path / "~$clinic.xlsx").write_bytes(b"locked")
    with pytest.raises(WorkbookLockedError) as e:
        update_in_place(src, [findings_sheet()])
    assert "open in Excel" in str(e.value) and "close it" in str(e.value)
    assert not list(tmp_path.glob("*.backup-*"))


def test_append_rows_extends_the_table_and_keeps_a_backup(tmp_path):
    from openpyxl.worksheet.table import Table

    src = tmp_path / "clinic.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Claims"
    ws.append(["Claim ID", "Charge"])
    ws.append(["C1", 10])
    ws.add_table(Table(displayName="tblClaims", ref="A1:B2"))
    wb.save(src)
    bak = append_rows(src, "Claims", pd.DataFrame({"claim_id": ["C2", "C3"],
                                                   "charge": [20.0, 30.0]}),
                      {"claim_id": "Claim ID", "charge": "Charge"})
    assert bak.exists()
    ws = load_workbook(src)["Claims"]
    assert [[c.value for c in r] for r in ws.iter_rows()] == [
        ["Claim ID", "Charge"], ["C1", 10], ["C2", 20], ["C3", 30]]
    assert ws.tables["tblClaims"].ref == "A1:B4"
