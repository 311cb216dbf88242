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
RUNPYTHON = re.compile(r'RunPython\s+"import\s+(\w+);\s*(\w+)\.(\w+)\(')


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
    mods = _macros(built[kind])
    ours = [n for n in mods if n not in ("xlwings", "Dictionary")]  # xlwings' docs have examples
    calls = [c for n in ours for c in RUNPYTHON.findall(mods[n])]
    assert len(calls) == len(importlib.import_module("claimbook_jobs").JOBS)  # one per job
    jobs = importlib.import_module("claimbook_jobs")
    for module, obj, func in calls:
        assert module == obj == "claimbook_jobs"
        assert callable(getattr(jobs, func)), func
    assert {c[2] for c in calls} == {"validate_codes", "scrub_claims", "build_batch",
                                     "reconcile_remittances", "aging_report", "dashboard",
                                     "statements", "verify_insurance"}


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


def test_committed_binaries_have_the_current_layout(built):
    """workbooks/ and addin/ hold the files the build script makes (same sheets, modules)."""
    for kind, path in (("template", ROOT / "workbooks" / "ClaimBook.xlsm"),
                       ("addin", ROOT / "addin" / "ClaimBook.xlam"),
                       ("demo", ROOT / "workbooks" / "ClaimBook-demo.xlsm")):
        assert path.exists(), f"{path} is missing: run python scripts/build_workbooks.py"
        assert (_load(path, read_only=True).sheetnames
                == _load(built[kind], read_only=True).sheetnames), \
            f"{path.name} is out of date: run python scripts/build_workbooks.py"
        assert _macros(path) == _macros(built[kind]), \
            f"{path.name} macros are out of date: run python scripts/build_workbooks.py"


def test_engine_reads_the_built_workbooks(built):
    from claimbook.io.reader import read_book

    demo = read_book(built["demo"])
    assert len(demo.get("Claims")) > 40 and len(demo.get("Payers")) > 0
    empty = read_book(built["template"])
    assert len(empty.get("Claims")) == 0


@pytest.fixture(scope="module")
def office(built, tmp_path_factory) -> Path:
    """One LibreOffice run: PDFs of the three files, and the demo after a job (formulas)
    recalculated into .xlsx."""
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
    run(["--convert-to", "xlsx", str(job)])
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


@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_job_results(office):
    from openpyxl import load_workbook

    wb = load_workbook(office / "demo-after-job.xlsx", data_only=True)
    ws = wb["Findings"]
    values = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert not [v for v in values if isinstance(v, str) and v.startswith("#") and v.endswith(
        ("!", "?", "A"))]
    cells = [r[4] for r in ws.iter_rows(min_row=5, values_only=True) if r[4]]
    assert cells and all(re.fullmatch(r"[A-Z]+\d+", str(c)) for c in cells)  # HYPERLINK text


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


@pytest.mark.parametrize("kind", ["template", "addin"])
def test_macros_call_only_procedures_that_exist(built, kind):
    mods = _macros(built[kind])
    defined = set(re.findall(r"^\s*(?:Public\s+|Private\s+)?(?:Sub|Function)\s+(\w+)",
                             "\n".join(mods.values()), re.MULTILINE | re.IGNORECASE))
    ours = mods["ClaimBook"] + mods["ClaimBookRibbon"]
    for name in ("RunPython", "ImportPythonUDFs", "ImportPythonUDFsToAddin", "CB_ShowFailure"):
        assert name in ours and name in defined
    for code in (mods["ClaimBook"], mods["ClaimBookRibbon"]):
        assert code.count("End Sub") == len(_subs(code))
