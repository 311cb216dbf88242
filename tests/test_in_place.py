"""`--in-place` updates leave every input sheet as it was: values (including the cached results
of formulas, which openpyxl drops on save) and formulas; result hyperlinks land on their own
cells."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from claimbook.cli import app
from claimbook.demo import generate
from claimbook.io.writer import _cached_values, _inject, update_in_place
from claimbook.results import ResultSheet, Section
from claimbook.schemas import OWNED_SHEETS

from .conftest import AS_OF, soffice_convert

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OWNED = {s.lower() for s in OWNED_SHEETS}
runner = CliRunner()


def values(path: Path) -> dict[str, list[list]]:
    """Every input sheet as python-calamine reads it (cached results for formulas)."""
    wb = CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False)
            for n in wb.sheet_names if n.lower() not in OWNED}


def formulas(path: Path) -> dict[str, dict[str, str]]:
    """Every formula of every input sheet, by cell, as openpyxl reads them."""
    wb = load_workbook(path)
    return {ws.title: {c.coordinate: str(getattr(c.value, "text", c.value))
                       for row in ws.iter_rows() for c in row if c.data_type == "f"}
            for ws in wb.worksheets if ws.title.lower() not in OWNED}


def full_calc_on_load(path: Path) -> str | None:
    """The fullCalcOnLoad attribute of <calcPr> as written (openpyxl reads a missing one as
    True)."""
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("xl/workbook.xml"))
    calc = root.find(f"{{{MAIN}}}calcPr")
    return None if calc is None else calc.get("fullCalcOnLoad")


def findings_sheet() -> ResultSheet:
    df = pd.DataFrame({"claim_id": ["C1", "C2"], "severity": ["error", "warning"]})
    links = pd.Series(["#'Claims'!B2", "#'Claims'!B3"])
    return ResultSheet("Findings", [Section(df, links={"claim_id": links},
                                            severity_column="severity")])


def formula_workbook(path: Path) -> Path:
    """Two input sheets whose formulas give numbers, text, booleans, errors and dates, plus an
    old Findings sheet; converted by LibreOffice so the formulas carry cached results."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Claims"
    ws.append(["Claim ID", "Charge", "Double", "Label", "Big", "Ratio", "Due"])
    ws.append(["C1", "=50+50", "=B2*2", '=A2&" / "&B2', "=B2>90", "=B2/0", "=DATE(2026,3,1)+30"])
    ws.append(["C2", 95.5, "=B3*2", '=""', "=B3>100", "=ROUND(B3/3,4)", "=C2"])
    ws["G2"].number_format = ws["G3"].number_format = "yyyy-mm-dd"
    ws["A5"] = "total"
    ws["B5"] = "=SUM(B2:B3)"
    notes = wb.create_sheet("Notes")
    notes.append(["Charges", "=Claims!B5", "=COUNTIF(Claims!E2:E3,TRUE)"])
    notes.append(["text", "=UPPER(Claims!A2)", "=LEN(B2)"])
    wb.create_sheet("Findings").append(["old results"])
    wb.save(path)
    return soffice_convert(path, "xlsx", path.parent / "lo")


def test_in_place_keeps_values_and_formulas_of_every_input_sheet(tmp_path):
    src = formula_workbook(tmp_path / "clinic.xlsx")
    original = src.read_bytes()
    before, before_f = values(src), formulas(src)
    assert before["Claims"][1][1:5] == [100.0, 200.0, "C1 / 100", True]
    assert before["Notes"][0][1] == 195.5 and full_calc_on_load(src) is None

    backup = update_in_place(src, [findings_sheet()])
    assert backup.exists() and backup.read_bytes() == original
    assert values(src) == before
    assert formulas(src) == before_f
    assert full_calc_on_load(src) is None  # the cached results are good: no recalculation
    with zipfile.ZipFile(src) as z:  # python-calamine reads error results as ''
        sheet = z.read("xl/worksheets/sheet1.xml")
    assert re.search(rb'<c r="F2"[^>]* t="e"><f>B2/0</f><v>#DIV/0!</v></c>', sheet)
    assert load_workbook(src)["Findings"]["A1"].value == "Claim ID"
    # a second update starts from openpyxl's file and keeps everything again
    update_in_place(src, [findings_sheet()])
    assert values(src) == before and formulas(src) == before_f


def test_formulas_reading_a_result_sheet_are_recalculated_on_open(tmp_path):
    def book(name: str, formula: str) -> Path:
        wb = Workbook()
        wb.active.title = "Claims"
        wb.active.append(["Claim ID", formula])
        wb.create_sheet("Findings")
        wb.calculation.fullCalcOnLoad = None  # as Excel and LibreOffice write it
        wb.save(tmp_path / name)
        return tmp_path / name

    plain = book("plain.xlsx", "=1+1")
    update_in_place(plain, [findings_sheet()])
    assert full_calc_on_load(plain) is None
    reads_results = book("reads.xlsx", "=COUNTA(Findings!A:A)")
    update_in_place(reads_results, [findings_sheet()])
    assert full_calc_on_load(reads_results) == "1"


def test_cached_values_with_prefixes_shared_strings_and_no_refs():
    original = (f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData><x:row>'
                '<x:c t="s"><x:f>"a"&amp;"b"</x:f><x:v>0</x:v></x:c>'
                '<x:c><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>'
                '<x:row r="4"><x:c r="C4" t="e"><x:f>1/0</x:f><x:v>#DIV/0!</x:v></x:c>'
                '</x:row></x:sheetData></x:worksheet>').encode()
    cached = _cached_values(original, lambda: ["a<b"])
    assert cached == {"A1": ("str", "a<b"), "B1": (None, "2"), "C4": ("e", "#DIV/0!")}
    saved = (f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData><x:row r="1">'
             '<x:c r="A1" s="1"><x:f>"a"&amp;"b"</x:f><x:v/></x:c>'
             '<x:c r="B1" t="str"><x:f>1+1</x:f></x:c></x:row><x:row r="4">'
             '<x:c r="C4"><x:f>1/0</x:f><x:v>#N/A</x:v></x:c></x:row>'
             '</x:sheetData></x:worksheet>').encode()
    out, n = _inject(saved, cached)
    assert n == 2  # C4 already has a value of its own
    assert (b'<x:c r="A1" s="1" t="str"><x:f>"a"&amp;"b"</x:f><x:v>a&lt;b</x:v></x:c>'
            b'<x:c r="B1"><x:f>1+1</x:f><x:v>2</x:v></x:c>') in out
    assert b'<x:v>#N/A</x:v>' in out


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("in_place_demo")
    generate(out, claims=40, seed=7, defects=True, as_of=AS_OF)
    return out


def run_in_place(workbook: Path) -> None:
    r = runner.invoke(app, ["run", str(workbook), "--in-place", "--as-of", AS_OF.isoformat()])
    assert r.exit_code == 0, r.output


def findings(workbook: Path) -> pd.DataFrame:
    rows = CalamineWorkbook.from_path(str(workbook)).get_sheet_by_name("Findings").to_python()
    head = next(i for i, r in enumerate(rows) if r[:2] == ["Claim ID", "Line"])
    return pd.DataFrame(rows[head + 1:], columns=rows[head]).assign(
        excel_row=range(head + 2, head + 2 + len(rows) - head - 1))


def test_run_in_place_links_every_finding_to_its_own_cell(demo_dir, tmp_path):
    wb = tmp_path / "clinic.xlsx"
    shutil.copy(demo_dir / "clinic.xlsx", wb)
    run_in_place(wb)
    f = findings(wb)
    linked = f[f["Cell"] != ""]
    assert len(linked) > 10 and (linked["Sheet"] == "Claims").sum() > 5
    ws = load_workbook(wb)["Findings"]
    col = list(f.columns).index("Cell") + 1
    for rec in linked.itertuples():
        cell = ws.cell(rec.excel_row, col)
        assert cell.hyperlink is not None, cell.coordinate
        assert cell.hyperlink.ref == cell.coordinate
        assert cell.hyperlink.location == f"'{rec.Sheet}'!{rec.Cell}"
    assert sum(c.hyperlink is not None for row in ws.iter_rows() for c in row) == len(linked)
    status = load_workbook(wb)["Claim Status"]
    refs = [c.hyperlink.ref for row in status.iter_rows() for c in row if c.hyperlink]
    assert len(refs) > 10 and len(set(refs)) == len(refs)
    assert all(c.hyperlink.ref == c.coordinate
               for row in status.iter_rows() for c in row if c.hyperlink)


def charges_as_formulas(src: Path, dest: Path, n: int = 8) -> list[int]:
    """Write the first `n` Charge cells of Claims as formulas (=a+b); returns their rows."""
    wb = load_workbook(src)
    ws = wb["Claims"]
    col = next(c.column for c in ws[1] if c.value == "Charge")
    rows = []
    for r in range(2, ws.max_row + 1):
        v = ws.cell(r, col).value
        if isinstance(v, int | float) and v > 1 and len(rows) < n:
            ws.cell(r, col).value = f"={v - 1}+1"
            rows.append(r)
    wb.save(dest)
    return rows


def test_run_in_place_keeps_formula_results_of_a_libreoffice_workbook(demo_dir, tmp_path):
    rows = charges_as_formulas(demo_dir / "clinic.xlsx", tmp_path / "clinic.xlsx")
    wb = soffice_convert(tmp_path / "clinic.xlsx", "xlsx:Calc MS Excel 2007 XML",
                         tmp_path / "lo")
    original = wb.read_bytes()
    before, before_f = values(wb), formulas(wb)
    assert len(before_f["Claims"]) == len(rows)
    run_in_place(wb)
    backup, = wb.parent.glob("clinic.backup-*.xlsx")
    assert backup.read_bytes() == original
    assert values(wb) == before
    assert formulas(wb) == before_f
    first = findings(wb)
    # the next run reads the same charges: no new findings on the formula rows
    run_in_place(wb)
    again = findings(wb)
    assert values(wb) == before and formulas(wb) == before_f
    key = ["Rule", "Sheet", "Row", "Field"]
    pd.testing.assert_frame_equal(first[key], again[key])
    assert not again[(again["Field"].str.lower() == "charge")
                     & again["Row"].isin([float(r) for r in rows])].size
    assert full_calc_on_load(wb) is None


def test_append_rows_keeps_formula_results_and_asks_for_a_recalculation(tmp_path):
    from claimbook.io.writer import append_rows

    src = formula_workbook(tmp_path / "clinic.xlsx")
    before = values(src)
    append_rows(src, "Claims", pd.DataFrame({"claim_id": ["C3"], "charge": [10.0]}),
                {"claim_id": "Claim ID", "charge": "Charge"})
    after = values(src)
    assert after["Notes"] == before["Notes"]
    assert after["Claims"][:5] == before["Claims"][:5]  # every row above the new one
    assert after["Claims"][5][:2] == ["C3", 10.0]
    assert full_calc_on_load(src) == "1"  # SUM(B2:B3) etc. may now be out of date
