"""The Excel jobs (button macros) run against real workbook files.

Excel itself is not available here, so the xlwings Book/Sheet/Range objects are replaced by
tests/addin_standin.py: a tiny stand-in over openpyxl that hands values over the way xlwings
does. Everything else is the real path: sheet values -> claimbook.io.reader.
read_book_from_values -> the pipeline stages -> addin.xl_writer -> sheets; the written
sheets are then saved and read back.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "addin"), str(ROOT / "tests")]

import addin_standin as S
import claimbook_jobs as J
import xl_writer as W

AS_OF = "2026-11-29"
INPUTS = ["Practice", "Payers", "Patients", "Coverage", "Providers", "Claims"]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    """A small synthetic demo clinic with seeded defects and demo 835 files."""
    from claimbook.demo import generate

    out = tmp_path_factory.mktemp("clinic")
    r = generate(out, claims=80, seed=7, as_of=dt.date(2026, 11, 29))  # some ready, unsent
    return r.workbook


@pytest.fixture
def book(clinic, tmp_path) -> S.Book:
    dest = tmp_path / "clinic.xlsx"
    shutil.copy(clinic, dest)
    for remit in clinic.parent.glob("remits/*"):
        (tmp_path / "remits").mkdir(exist_ok=True)
        shutil.copy(remit, tmp_path / "remits" / remit.name)
    return S.Book(dest)


def _input_values(path: Path) -> dict[str, list]:
    from claimbook.io.reader import read_raw

    raw = read_raw(path)
    return {s: raw[s] for s in INPUTS}


def test_validate_codes_writes_findings_like_the_cli(book):
    before = _input_values(book.path)
    r = J.validate_codes(book, as_of=AS_OF)
    assert r.ok, r.message
    assert {"Findings", "Claim Status", "Summary"} <= set(r.sheets)
    assert r.shown == "Findings" and book.sheets.active.name == "Findings"
    assert book.app.alerts == [r.message] and r.message.startswith("Validate codes: done.")
    # the same engine as `claimbook run --only validate,findings`
    from claimbook.runner import run_workbook

    cli = run_workbook(book.path, only={"validate", "findings"}, as_of=AS_OF, write=False)
    f = cli.findings
    assert r.counts["errors"] == (f["severity"] == "error").sum() > 0
    assert r.counts["warnings"] == (f["severity"] == "warning").sum()
    saved = book.save(book.path.with_name("after.xlsx"))
    assert _input_values(saved) == before  # input sheets untouched
    ws = load_workbook(saved)["Findings"]
    header = next(i for i in range(1, 10) if ws.cell(i, 1).value == "Claim ID")
    heads = [c.value for c in ws[header]]
    assert {"Rule", "Severity", "Message"} <= set(heads)
    assert len(ws.tables) == 1
    sev_col = heads.index("Severity") + 1
    fills = {ws.cell(r, sev_col).value: ws.cell(r, 1).fill.fgColor.rgb
             for r in range(header + 1, ws.max_row + 1)}
    assert fills["error"].endswith(W.SEVERITY_FILLS["error"])
    assert ws.cell(header, 1).fill.fgColor.rgb.endswith(W.HEADER_FILL)


def test_rerun_replaces_owned_sheets_in_place(book):
    J.scrub_claims(book, as_of=AS_OF)
    names1 = [s.name for s in book.sheets]
    J.scrub_claims(book, as_of=AS_OF)
    names2 = [s.name for s in book.sheets]
    assert names1 == names2 and names2.count("Findings") == 1
    assert names2[: len(INPUTS) + 1][1:] == INPUTS  # inputs first, in their order


def test_scrub_marks_claims_and_summary_counts(book):
    r = J.scrub_claims(book, as_of=AS_OF)
    assert r.ok, r.message
    ws = book.sheets["Claim Status"].ws
    values = [c for row in ws.iter_rows(values_only=True) for c in row]
    assert {"Ready", "Blocked"} <= set(values)
    assert r.counts["Claims blocked"] >= 1


def test_build_batch_writes_files_next_to_the_workbook(book):
    r = J.build_batch(book, as_of=AS_OF)
    assert r.ok, r.message
    assert r.shown == "Batches"
    files = list((book.path.parent / "batches").glob("*"))
    assert files and all(f.stat().st_size > 0 for f in files)
    assert files[0].read_text().startswith("ISA*")


def test_reconcile_posts_files_once(book):
    files = sorted(str(p) for p in (book.path.parent / "remits").glob("*.835"))
    assert files, "the demo should come with 835 files"
    r1 = J.reconcile_remittances(book, files="|".join(files), as_of=AS_OF)
    assert r1.ok, r1.message
    posted = r1.counts["Remittances posted"]
    assert posted > 0
    assert posted + r1.counts["Remittances already posted"] == len(files)  # demo has a repeat
    ws = book.sheets["Payments"].ws
    assert ws.max_row > 5
    r2 = J.reconcile_remittances(book, files=files, as_of=AS_OF)
    assert r2.counts["Remittances posted"] == 0
    assert r2.counts["Remittances already posted"] == len(files)


@pytest.mark.parametrize("job,sheet", [("aging_report", "Aging Summary"),
                                       ("dashboard", "Dashboard"),
                                       ("statements", "Statements"),
                                       ("verify_insurance", "Eligibility")])
def test_report_jobs(book, job, sheet):
    r = getattr(J, job)(book, as_of=AS_OF)
    assert r.ok, r.message
    assert sheet in r.sheets and r.shown == sheet


def test_missing_sheet_is_a_message_box_not_a_traceback(book):
    book.sheets["Claims"].delete()
    r = J.validate_codes(book, as_of=AS_OF)
    assert not r.ok
    assert "missing" in r.message and "'Claims'" in r.message
    assert "What to do:" in r.message and "Traceback" not in r.message
    assert book.app.alerts == [r.message]
    assert "Findings" not in [s.name for s in book.sheets]


def test_unexpected_error_becomes_a_readable_message(book, monkeypatch):
    def boom(*a, **k):
        raise KeyError("dx13")

    monkeypatch.setattr("claimbook.io.reader.read_book_from_values", boom)
    r = J.scrub_claims(book, as_of=AS_OF)
    assert not r.ok
    assert r.message.startswith("Scrub claims could not finish: KeyError: 'dx13'")
    assert "claimbook run" in r.message


def test_jobs_that_write_files_need_a_saved_workbook(book, monkeypatch):
    monkeypatch.setattr(S.Book, "fullname", property(lambda self: "Book1"))
    r = J.build_batch(book, as_of=AS_OF)
    assert not r.ok and "Save the workbook" in r.message


def test_an_input_sheet_is_never_overwritten(book):
    with pytest.raises(Exception) as e:
        W.replace_sheet(book, "Claims")
    assert "holds your data" in str(e.value)
    book.sheets.add("Findings")  # the coordinator's own sheet, read as input
    with pytest.raises(Exception) as e:
        W.replace_sheet(book, "Findings", inputs=["Findings"])
    assert "Rename your sheet 'Findings'" in str(e.value)


def test_plan_formats_links_fills_and_formula_text():
    from claimbook.results import ResultSheet, Section

    frame = pd.DataFrame({
        "Claim": ["C1", "C2", "C3", "C4"],
        "DOS": pd.to_datetime(["2026-01-02", None, "2026-01-04", "2026-01-05"]),
        "Charge": [10.0, None, 12.5, -3.0],
        "Share": [50.0, 25.0, None, 25.0],
        "Count": pd.array([1, None, 3, 4], dtype="Int64"),
        "Severity": ["error", "error", "info", "warning"],
        "Note": ["=cmd|' /c calc'!A0", "ok", None, "x"],
    })
    links = pd.Series(["#'Claims'!A2", "", "#'Claims'!A4", None])
    sheet = ResultSheet("Findings", [Section(frame, title="All", formats={"Share": "percent"},
                                             links={"Claim": links},
                                             severity_column="Severity")],
                        intro=["Title", "Second line"])
    p = W.plan(sheet)
    assert p.titles[0] == ("A1", 14) and p.freeze_row == 5  # intro, blank, title, header
    header = next(b for b in p.blocks if b.row == 5)
    assert header.values == [list(frame.columns)]
    body = next(b for b in p.blocks if b.row == 6).values
    assert body[0][0] == '=HYPERLINK("#\'Claims\'!A2","C1")' and body[1][0] == "C2"
    assert body[1][1] is None and body[0][1] == dt.datetime(2026, 1, 2)
    assert body[0][3] == 0.5 and body[2][3] is None  # percent 0..100 -> fraction
    assert body[1][4] is None and body[2][4] == 3
    assert body[0][6] == "'=cmd|' /c calc'!A0"  # data never becomes a formula
    assert ("C6:C9", W.NUMBER_FORMATS["money"]) in p.formats
    assert ("B6:B9", W.NUMBER_FORMATS["date"]) in p.formats
    assert p.fills[W.SEVERITY_FILLS["error"]] == ["A6:G7"]
    assert p.fills[W.SEVERITY_FILLS["warning"]] == ["A9:G9"]
    assert p.tables == [("A5:G9", "Findings")]


def test_join_addresses_respects_excels_limit():
    addresses = [f"A{i}:K{i}" for i in range(2, 400, 2)]
    joined = W.join_addresses(addresses)
    assert all(len(a) <= 255 for a in joined)
    assert ",".join(joined).split(",") == addresses


# --- the buttons' entry module (claimbook_button): must work without ClaimBook installed ------

_BLOCKED_RUN = r"""
import sys, types
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCK:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
sys.meta_path.insert(0, Block())
shown = []
class App:
    def alert(self, text, title=""):
        shown.append((title, text))
class Book:
    @staticmethod
    def caller():
        b = Book(); b.app = App(); return b
sys.modules["xlwings"] = types.SimpleNamespace(Book=Book)  # Excel's side, as RunPython has it
sys.path.insert(0, ADDIN)
import claimbook_button
claimbook_button.run("validate_codes")
for title, text in shown:
    print(title); print(text)
"""


@pytest.mark.parametrize("block, says", [
    ({"claimbook"}, "ClaimBook is not installed for the Python that Excel starts"),
    ({"pandas"}, "a part ClaimBook needs (pandas) is not installed"),
])
def test_button_without_claimbook_shows_the_install_steps(block, says):
    """RunPython's command imports claimbook_button: with the engine missing it still loads
    (standard library only) and shows a ClaimBook box with the steps, not a traceback."""
    import subprocess

    code = f"BLOCK = {block!r}; ADDIN = {str(ROOT / 'addin')!r}\n" + _BLOCKED_RUN
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, check=False)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert out.startswith("ClaimBook\nValidate codes could not start: ")
    assert says in out and "Traceback" not in out + p.stderr
    assert "-m pip install" in out and str(ROOT) in out  # the project folder, quoted
    assert "Interpreter_Win" in out and "PYTHONPATH" in out and str(ROOT / "addin") in out


def test_button_runs_the_job_and_names_match(book, monkeypatch):
    import claimbook_button as CB

    assert CB.BUTTONS == {k: j.name for k, j in J.JOBS.items()}
    seen = []
    monkeypatch.setattr(J, "caller_book", lambda b=None: seen.append(b) or book)
    r = CB.run("validate_codes")
    assert r.ok and seen == [None]  # the job found the book itself, as from Excel
    shown = []
    monkeypatch.setattr(CB, "_tell", shown.append)
    assert CB.run("no_such_job") is None
    assert shown and "has no 'no_such_job' job" in shown[0]


def test_button_last_guard_turns_an_escape_into_a_message(monkeypatch):
    import claimbook_button as CB

    def boom(**_):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(J, "dashboard", boom)
    shown = []
    monkeypatch.setattr(CB, "_tell", shown.append)
    CB.run("dashboard")
    assert shown[0].startswith("Dashboard could not finish: RuntimeError: disk on fire")
    assert "What to do:" in shown[0]


# --- writing cells: text that Excel would parse, frozen headers ---------------------------------

def test_text_starting_with_formula_characters_stays_text(book):
    from claimbook.results import ResultSheet, Section

    frame = pd.DataFrame({"Phone": ["+1 555 0100", "-5", "@home", "=1+1", "ok", None],
                          "Amount": [-5.0, 1.0, 2.0, None, 3.0, 4.0],
                          "Count": pd.array([-1, 2, 3, 4, 5, None], dtype="Int64")})
    p = W.plan(ResultSheet("Findings", [Section(frame)]))
    body = next(b for b in p.blocks if b.row == 2).values
    assert [r[0] for r in body] == ["'+1 555 0100", "'-5", "'@home", "'=1+1", "ok", None]
    assert body[0][1] == -5.0 and body[0][2] == -1  # numbers stay numbers
    W.apply(book, p)
    saved = load_workbook(book.save(book.path.with_name("escaped.xlsx")))["Findings"]
    assert [saved.cell(r, 1).value for r in range(2, 6)] == ["+1 555 0100", "-5", "@home",
                                                             "=1+1"]
    assert all(saved.cell(r, 1).data_type == "s" for r in range(2, 6))
    assert saved.cell(2, 2).value == -5


def test_freeze_panes_on_windows_excel_and_honest_elsewhere(book, monkeypatch, caplog):
    from claimbook.results import ResultSheet, Section

    frame = pd.DataFrame({"A": [1, 2]})
    monkeypatch.setattr(W.sys, "platform", "win32")
    ws = W.apply(book, W.plan(ResultSheet("Findings", [Section(frame)], intro=["T"])))
    assert ws.ws.freeze_panes == "A4"  # intro, blank, header row 3
    monkeypatch.setattr(W.sys, "platform", "darwin")
    with caplog.at_level("WARNING", logger="claimbook.excel"):
        assert W.freeze(ws, 3) is False
    assert "Excel for Mac" in caplog.text
    monkeypatch.setattr(W.sys, "platform", "win32")
    monkeypatch.setattr(book.app, "api", object())  # an Excel without ActiveWindow
    with caplog.at_level("WARNING", logger="claimbook.excel"):
        assert W.freeze(ws, 3) is False
    assert "window is not available" in caplog.text
