"""The built .xlsm/.xlam: VBA project read back with oletools, ribbon and macros cross-checked
against addin/, reproducible bytes, and headless LibreOffice opening, recalculating and
printing them."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import olefile
import pytest
from oletools.olevba import VBA_Parser, decompress_stream

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "addin"), str(ROOT / "scripts"), str(ROOT / "tests")]

import build_workbooks as B
import ovba

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
RUNPYTHON = re.compile(r'RunPython\(?\s*"import\s+(\w+);\s*(\w+)\.(\w+)\(\'(\w+)\'')


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("built")
    paths = B.build_all(d / "workbooks", d / "addin", demo_claims=40)
    return {"template": paths[0], "demo": paths[1], "addin": paths[2]}


def _load(path: Path, **kw):
    """openpyxl reads only workbook content types: give it the add-in as an .xlsm would be."""
    import io

    from openpyxl import load_workbook

    if path.suffix != ".xlam":
        return load_workbook(path, **kw)
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(B.CT["xlam"].encode(), B.CT["xlsm"].encode())
            dst.writestr(item, data)
    return load_workbook(buf, **kw)


def _macros(path: Path) -> dict[str, str]:
    vp = VBA_Parser(str(path))
    try:
        return {name.rsplit(".", 1)[0]: code for _, _, name, code in vp.extract_macros()}
    finally:
        vp.close()


def _subs(code: str) -> dict[str, str]:
    """Sub name -> its parameter list."""
    return {m.group(1): m.group(2) for m in re.finditer(
        r"^\s*(?:Public\s+|Private\s+)?Sub\s+(\w+)\s*\(([^)]*)\)", code, re.MULTILINE | re.IGNORECASE)}


@pytest.mark.parametrize("kind", ["template", "demo", "addin"])
def test_vba_modules_are_there(built, kind):
    mods = _macros(built[kind])
    expected = {"ThisWorkbook", "xlwings", "Dictionary", "ClaimBook", "ClaimBookRibbon",
                "xlwings_udfs"}
    assert expected <= set(mods)
    z = zipfile.ZipFile(built[kind])
    wbxml = z.read("xl/workbook.xml").decode()
    assert 'codeName="ThisWorkbook"' in wbxml
    sheet_names = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    for n in sheet_names:  # every sheet's code name has its document module
        code = re.search(r'codeName="(\w+)"', z.read(n).decode()).group(1)
        assert code in mods
    ct = z.read("[Content_Types].xml").decode()
    assert B.CT["xlam" if kind == "addin" else "xlsm"] in ct
    assert "vnd.ms-office.vbaProject" in ct
    if kind == "addin":
        assert 'PROJECT_NAME As String = "claimbook"' in mods["xlwings"]


@pytest.mark.parametrize("kind", ["template", "addin"])
def test_every_runpython_names_an_existing_job(built, kind):
    """Each button's RunPython calls the dependency-free entry claimbook_button.run('job'),
    and 'job' is a function of claimbook_jobs."""
    mods = _macros(built[kind])
    ours = [n for n in mods if n not in ("xlwings", "Dictionary")]  # xlwings' docs have examples
    code = "\n".join(mods[n] for n in ours)
    calls = RUNPYTHON.findall(code)
    assert len(calls) == code.count("RunPython(")  # every call has the checked form
    jobs = importlib.import_module("claimbook_jobs")
    assert len(calls) == len(jobs.JOBS)  # one per job
    entry = importlib.import_module("claimbook_button")
    for module, obj, func, job in calls:
        assert module == obj == "claimbook_button" and func == "run"
        assert callable(getattr(entry, func))
        assert callable(getattr(jobs, job)), job
        assert job in entry.BUTTONS
    assert {c[3] for c in calls} == {"validate_codes", "scrub_claims", "build_batch",
                                     "reconcile_remittances", "aging_report", "dashboard",
                                     "statements", "verify_insurance"}


@pytest.mark.parametrize("kind", ["template", "addin"])
def test_buttons_check_the_outcome_and_say_what_failed(built, kind):
    """RunPython shows Python's errors itself and returns -1: each Sub checks that; Import
    functions says "ready" only after the import call succeeded."""
    code = _macros(built[kind])["ClaimBook"]
    subs = re.findall(r"Public Sub (CB_\w+)\(\)(.*?)End Sub", code, re.DOTALL)
    jobs = [(n, body) for n, body in subs if "RunPython" in body]
    assert len(jobs) == 8
    for name, body in jobs:
        assert re.search(r'If RunPython\(.*\) = -1 Then CB_ShowFailure "[^"]+", ""', body), name
        assert "CB_ShowFailure" in body.split("Failed:")[1], name
    imp = dict(subs)["CB_ImportFunctions"]
    assert imp.index('"import_udfs"') < imp.index("are ready") < imp.index("Failed:")
    assert not re.search(r"^\s*ImportPythonUDFs", imp, re.MULTILINE)  # hides its failure
    fail = code[code.index("Private Sub CB_ShowFailure"):]
    for text in ("cannot find ClaimBook's Excel files", "is not installed for it",
                 "Trust access to the VBA project object model", "could not start Python",
                 "Python stopped before ClaimBook could start", "Excel reported: "):
        assert text in fail, text
    assert "The Python side never raises" not in code


@pytest.mark.parametrize("kind", ["template", "addin"])
def test_every_ribbon_button_calls_an_existing_sub(built, kind):
    z = zipfile.ZipFile(built[kind])
    assert "customUI/customUI.xml" in z.read("_rels/.rels").decode()
    ui = z.read("customUI/customUI.xml").decode()
    actions = re.findall(r'onAction="([\w.]+)"', ui)
    assert len(actions) == 10
    mods = _macros(built[kind])
    subs = {}
    for code in mods.values():
        subs.update(_subs(code))
    for action in actions:
        assert action in subs, action
        assert "IRibbonControl" in subs[action]
        callee = re.search(rf"Sub {action}\(.*?\)\s*\n\s*(\w+)", mods["ClaimBookRibbon"])
        assert callee and callee.group(1) in subs  # the job Sub it calls exists


def test_udf_wrappers_match_the_python_functions(built):
    import claimbook_xl

    code = _macros(built["template"])["xlwings_udfs"]
    called = set(re.findall(r'XLPy\.CallUDF\("claimbook_xl", "(\w+)"', code))
    assert called == {f.__name__ for f in claimbook_xl.UDFS}
    assert "ThisWorkbook, Application.Caller" in code
    assert "ActiveWorkbook, Application.Caller" in _macros(built["addin"])["xlwings_udfs"]


def test_settings_sheet(built):
    for kind, sheet in (("template", "xlwings.conf"), ("addin", "claimbook.conf")):
        wb = _load(built[kind])
        rows = {r[0]: r[1] for r in wb[sheet].iter_rows(values_only=True)}
        assert rows["UDF Modules"] == "claimbook_xl"
        assert "Interpreter_Win" in rows and "PYTHONPATH" in rows


def test_project_stream_and_protection_records(built):
    raw = zipfile.ZipFile(built["demo"]).read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(raw)
    project = ole.openstream("PROJECT").read().decode("cp1252")
    pid = re.search(r'ID="(\{[0-9A-F-]+\})"', project).group(1)
    values = dict(re.findall(r'^(CMG|DPB|GC)="([0-9A-F]+)"', project, re.MULTILINE))
    expect = {"CMG": bytes(4), "DPB": b"\x00", "GC": b"\xff"}
    for k, v in values.items():
        data, key = ovba.decrypt(v)
        assert data == expect[k] and key == sum(pid.encode()) & 0xFF
    assert ole.openstream("VBA/_VBA_PROJECT").read() == b"\xcc\x61\xff\xff\x00\x01\x00"
    d = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    assert b"ClaimBookRibbon" in d and b"MSO.DLL" in d


def test_compression_and_encryption_round_trip():
    src = (B.xlwings_dir() / "xlwings.bas").read_bytes()
    for data in (b"", b"x", src, bytes(range(256)) * 20):
        assert bytes(decompress_stream(bytearray(ovba.compress(data)))) == data
    # Excel's own encoding in xlwings' quickstart template decrypts to the same records
    tmpl = zipfile.ZipFile(B.xlwings_dir() / "quickstart_standalone.xlsm")
    project = olefile.OleFileIO(tmpl.read("xl/vbaProject.bin")).openstream(
        "PROJECT").read().decode("cp1252")
    pid = re.search(r'ID="(\{[0-9A-F-]+\})"', project).group(1)
    cmg = re.search(r'CMG="([0-9A-F]+)"', project).group(1)
    assert ovba.decrypt(cmg) == (bytes(4), sum(pid.encode()) & 0xFF)


def test_builds_are_reproducible(built, tmp_path):
    again = B.build_one("addin", tmp_path / "ClaimBook.xlam")
    assert again.read_bytes() == built["addin"].read_bytes()
    again = B.build_one("demo", tmp_path / "ClaimBook-demo.xlsm", demo_claims=40)
    assert again.read_bytes() == built["demo"].read_bytes()


def _part_differences(a: Path, b: Path) -> list[str]:
    za, zb = zipfile.ZipFile(a), zipfile.ZipFile(b)
    na, nb = set(za.namelist()), set(zb.namelist())
    out = [f"only in {a.name} committed: {n}" for n in sorted(na - nb)]
    out += [f"only in the fresh build: {n}" for n in sorted(nb - na)]
    out += [n for n in sorted(na & nb) if za.read(n) != zb.read(n)]
    return out


def test_committed_binaries_match_a_fresh_build(tmp_path):
    """workbooks/ and addin/ hold exactly what the build script makes from the sources now.

    The build is byte-for-byte deterministic (test_builds_are_reproducible), so a fresh
    build with the script's defaults must equal the committed files: a stale sheet layout,
    Instructions text, drop-down, VBA module or ribbon fails here. The bytes also depend on
    the installed xlwings (its VBA module goes into the file, and xlwings expects the VBA and
    Python versions to match) and openpyxl (its XML): after upgrading either, rebuild."""
    import openpyxl
    import xlwings

    paths = B.build_all(tmp_path / "workbooks", tmp_path / "addin")
    committed = [ROOT / "workbooks" / "ClaimBook.xlsm", ROOT / "workbooks" / "ClaimBook-demo.xlsm",
                 ROOT / "addin" / "ClaimBook.xlam"]
    stale = {}
    for path, fresh in zip(committed, paths, strict=True):
        assert path.exists(), f"{path} is missing: run python scripts/build_workbooks.py"
        if path.read_bytes() != fresh.read_bytes():
            stale[path.name] = _part_differences(path, fresh)
    assert not stale, (
        f"committed files differ from a fresh build (xlwings {xlwings.__version__}, openpyxl "
        f"{openpyxl.__version__}); run python scripts/build_workbooks.py. Differing parts: "
        f"{stale}")


def test_engine_reads_the_built_workbooks(built):
    from claimbook.io.reader import read_book

    demo = read_book(built["demo"])
    assert len(demo.get("Claims")) > 40 and len(demo.get("Payers")) > 0
    empty = read_book(built["template"])
    assert len(empty.get("Claims")) == 0


@pytest.fixture(scope="module")
def office(built, tmp_path_factory) -> Path:
    """LibreOffice, told to recalculate every formula on load: PDFs of the three files, and
    each of them plus the demo after a job (HYPERLINK formulas) converted to .xlsx."""
    if not SOFFICE:
        pytest.skip("headless LibreOffice is not installed")
    import addin_standin as S
    import claimbook_jobs as J

    out = tmp_path_factory.mktemp("office")
    job = out / "demo-after-job.xlsm"
    shutil.copy(built["demo"], job)
    book = S.Book(job)
    assert J.validate_codes(book, as_of="2026-11-29").ok
    book.save(job)
    user = out / "profile" / "user"
    user.mkdir(parents=True)
    (user / "registrymodifications.xcu").write_text(RECALC_ALWAYS, "utf-8")
    profile = f"-env:UserInstallation=file://{out / 'profile'}"
    base = [SOFFICE, profile, "--headless", "--norestore"]

    def run(args: list[str]) -> None:
        p = subprocess.run(base + args + ["--outdir", str(out)], capture_output=True,
                           text=True, timeout=300, check=False)
        assert p.returncode == 0 and "Error" not in p.stdout + p.stderr.replace(
            "javaldx", ""), (p.stdout, p.stderr)

    run(["--convert-to", "pdf", str(built["template"]), str(built["demo"])])
    # LibreOffice does not recognise the add-in content type (xlwings' own .xlam neither):
    # name the import filter explicitly.
    shutil.copy(built["addin"], out / "ClaimBook-addin.xlam")  # its PDF must not clash
    run(["--infilter=Calc MS Excel 2007 XML", "--convert-to", "pdf",
         str(out / "ClaimBook-addin.xlam")])
    run(["--convert-to", "xlsx", str(job), str(built["template"]), str(built["demo"])])
    run(["--infilter=Calc MS Excel 2007 XML", "--convert-to", "xlsx",
         str(out / "ClaimBook-addin.xlam")])
    return out


@pytest.mark.libreoffice
def test_libreoffice_prints_every_file(office, built):
    from pypdf import PdfReader

    pages = {}
    for stem in ("ClaimBook", "ClaimBook-demo", "ClaimBook-addin"):
        pages[stem] = PdfReader(office / f"{stem}.pdf").pages
        assert len(pages[stem]) >= 1
    text = "".join(p.extract_text() for p in pages["ClaimBook"][:2])
    assert "ClaimBook clinic workbook" in text
    addin_text = "".join(p.extract_text() for p in pages["ClaimBook-addin"])
    assert "UDF Modules" in addin_text and "claimbook_xl" in addin_text  # its settings sheet


# LibreOffice's default for .xlsx is "never recalculate on load": make it always recalculate.
RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
CELL_ERRORS = re.compile(r"^(#(N/A|NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|SPILL!|CALC!)|Err:\d+)")


def _error_cells(path: Path) -> list[str]:
    """Every cell on every sheet holding an error value (Excel's or LibreOffice's Err:nnn)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, data_only=True)
    bad = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "e" or (isinstance(c.value, str)
                                          and CELL_ERRORS.match(c.value)):
                    bad.append(f"{ws.title}!{c.coordinate}={c.value}")
    return bad


@pytest.mark.libreoffice
@pytest.mark.parametrize("stem", ["demo-after-job", "ClaimBook", "ClaimBook-demo",
                                  "ClaimBook-addin"])
def test_libreoffice_recalculates_without_error_values(office, stem):
    from openpyxl import load_workbook

    path = office / f"{stem}.xlsx"
    assert path.exists(), f"LibreOffice did not convert {stem}"
    assert _error_cells(path) == []
    wb = load_workbook(path, data_only=True)
    assert len(wb.sheetnames) >= 1 and all(ws.max_row >= 1 for ws in wb.worksheets)
    if stem == "demo-after-job":  # the formulas were there, and were computed
        formulas = load_workbook(path)["Findings"]
        links = [c.value for row in formulas.iter_rows() for c in row
                 if isinstance(c.value, str) and c.value.startswith("=HYPERLINK(")]
        assert len(links) > 10
        ws = wb["Findings"]
        cells = [r[4] for r in ws.iter_rows(min_row=5, values_only=True) if r[4]]
        assert cells and all(re.fullmatch(r"[A-Z]+\d+", str(c)) for c in cells)


def test_error_scan_finds_error_values(tmp_path):
    """The scan above is not vacuous: it sees Excel errors and LibreOffice's Err:502."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "fine"
    wb.active["B2"] = "#NAME?"
    wb.create_sheet("Other")["C3"] = "Err:502"
    wb.save(tmp_path / "e.xlsx")
    assert _error_cells(tmp_path / "e.xlsx") == ["Sheet!B2=#NAME?", "Other!C3=Err:502"]


def test_template_keeps_tables_comments_dropdowns_and_frozen_headers(built):
    """The build re-saves the engine's template: nothing of it may get lost on the way."""
    wb = _load(built["template"])
    assert wb.sheetnames[0] == "Instructions" and wb.sheetnames[-1] == "xlwings.conf"
    claims = wb["Claims"]
    assert list(claims.tables) == ["tblClaims"]
    assert claims.freeze_panes == "A2"
    assert all(c.comment is not None for c in claims[1] if c.value)
    lists = " ".join(str(dv.formula1) for dv in claims.data_validations.dataValidation)
    assert "Payers!" in lists and "LT" in lists  # payer and modifier drop-downs
    cov = " ".join(str(dv.formula1) for dv in wb["Coverage"].data_validations.dataValidation)
    assert "primary" in cov
    text = " ".join(str(r[0]) for r in wb["Instructions"].iter_rows(values_only=True) if r[0])
    assert "Scrub claims" in text and "Build batch" in text


def test_instructions_sheet_prints_and_reads_well(built):
    wb = _load(built["template"])
    ws = wb["Instructions"]
    assert 80 <= ws.column_dimensions["A"].width <= 100
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    lines = [c.value for c in ws["A"] if c.value]
    assert all(c.alignment.wrap_text for c in ws["A"] if c.value)
    # every row fits the column, so nothing depends on row heights growing for wrapped text
    assert all(len(line) <= ws.column_dimensions["A"].width - 5 for line in lines)
    text = " ".join(lines)
    assert "First time on this computer:" in lines
    for words in ("xlwings.conf", "Import functions", "CB_ICD", "Verify insurance", "Help"):
        assert words in text, words
    assert "`" not in text  # no developer markup


def test_dropdowns_stop_wrong_values_and_warn_on_code_lists(built):
    wb = _load(built["template"])

    def by_column(sheet):
        ws = wb[sheet]
        heads = {c.column_letter: c.value for c in ws[1]}
        return {heads[str(dv.sqref).split(":")[0].rstrip("0123456789")]: dv
                for dv in ws.data_validations.dataValidation}

    pat, cov, claims = by_column("Patients"), by_column("Coverage"), by_column("Claims")
    for dv in (pat["Sex"], cov["Priority"], cov["Prior auth required"], claims["Frequency"]):
        assert dv.errorStyle == "stop" and dv.showErrorMessage and dv.error, dv.sqref
        assert "must be" in dv.error
    for dv in (claims["POS"], claims["Payer ID"], cov["Payer ID"]):
        assert dv.errorStyle == "warning" and dv.showErrorMessage and dv.error
    mods = [dv for head, dv in claims.items() if "Mod" in head]
    assert mods and all(dv.errorStyle == "warning" and dv.showErrorMessage for dv in mods)
    assert all(dv.showErrorMessage for s in ("Patients", "Coverage", "Claims", "Payers",
                                             "Practice")
               for dv in wb[s].data_validations.dataValidation)


@pytest.mark.parametrize("kind", ["template", "addin"])
def test_macros_call_only_procedures_that_exist(built, kind):
    mods = _macros(built[kind])
    defined = set(re.findall(r"^\s*(?:Public\s+|Private\s+)?(?:Sub|Function)\s+(\w+)",
                             "\n".join(mods.values()), re.MULTILINE | re.IGNORECASE))
    ours = mods["ClaimBook"] + mods["ClaimBookRibbon"]
    for name in ("RunPython", "XLPy", "GetUdfModules", "GetConfig", "CheckConda",
                 "CB_ShowFailure"):
        assert name in ours and name in defined, name
    for code in (mods["ClaimBook"], mods["ClaimBookRibbon"]):
        assert code.count("End Sub") == len(_subs(code))
