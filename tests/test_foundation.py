"""Ledger, demo determinism, template, and the one-command run end to end."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from claimbook.cli import app
from claimbook.demo import build_tables, npi_with_check
from claimbook.io.reader import read_book
from claimbook.ledger import MIGRATIONS, Ledger, resolve_path

from .conftest import AS_OF, soffice_convert


def test_ledger_schema_version_and_migrations(tmp_path):
    lg = Ledger(tmp_path / "l.sqlite")
    assert lg.schema_version == max(v for v, _, _ in MIGRATIONS)
    lg.close()
    # reopening applies nothing twice
    lg = Ledger(tmp_path / "l.sqlite")
    n = lg.conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]
    assert n == len(MIGRATIONS)


def test_counters_are_unique_and_increasing_across_connections(tmp_path):
    p = tmp_path / "l.sqlite"
    a = Ledger(p).next_numbers("isa13", 3)
    b = Ledger(p).next_numbers("isa13", 2)
    assert a == [1, 2, 3] and b == [4, 5]


def test_ledger_location_option_env_and_default(tmp_path, monkeypatch):
    wb = tmp_path / "clinic.xlsx"
    monkeypatch.delenv("CLAIMBOOK_LEDGER", raising=False)
    assert resolve_path(wb) == tmp_path / "claimbook-ledger.sqlite"
    monkeypatch.setenv("CLAIMBOOK_LEDGER", str(tmp_path / "env.sqlite"))
    assert resolve_path(wb) == tmp_path / "env.sqlite"
    assert resolve_path(wb, tmp_path / "opt.sqlite") == tmp_path / "opt.sqlite"


def test_audit_records_counts_never_patient_data(tmp_path):
    lg = Ledger(tmp_path / "l.sqlite")
    lg.audit("run", tmp_path / "sub" / "clinic.xlsx",
             {"claims": 3, "patient_name": "Doe", "errors": 1})
    row = lg.audit_rows()[0]
    assert row["workbook"] == "clinic.xlsx" and row["command"] == "run"
    assert json.loads(row["counts"]) == {"claims": 3, "errors": 1}


def test_npi_check_digit():
    assert npi_with_check("123456789") == "1234567893"


def test_demo_is_deterministic_for_a_seed():
    a, pa, ka = build_tables(claims=200, seed=5, as_of=AS_OF)
    b, pb, kb = build_tables(claims=200, seed=5, as_of=AS_OF)
    c, _, _ = build_tables(claims=200, seed=6, as_of=AS_OF)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    pd.testing.assert_frame_equal(ka, kb)
    assert pa == pb
    assert not a["Claims"].equals(c["Claims"])


def test_demo_workbook_reads_back_and_key_locates_rows(demo_small):
    book = read_book(demo_small.workbook)
    claims = book.tables["Claims"]
    assert claims["claim_id"].nunique() == demo_small.claims
    key = pd.read_csv(demo_small.answer_key)
    assert {"ICD-HEADER", "NPI-INVALID", "TF-PASSED", "NCCI-PTP", "DUP-LINE"} <= set(key["rule"])
    line_keys = key.dropna(subset=["line"])
    line_keys = line_keys[line_keys["sheet"] == "Claims"]
    merged = line_keys.merge(claims, left_on="row", right_on="_row")
    assert (merged["claim_id_x"] == merged["claim_id_y"]).all()
    assert len(merged) == len(line_keys)


def test_demo_clean_has_no_key(demo_clean):
    assert pd.read_csv(demo_clean.answer_key).empty


def test_new_writes_every_table(tmp_path):
    r = CliRunner().invoke(app, ["new", str(tmp_path / "empty.xlsx")])
    assert r.exit_code == 0, r.output
    wb = load_workbook(tmp_path / "empty.xlsx")
    assert {"Instructions", "Practice", "Payers", "Patients", "Coverage", "Providers", "Claims",
            "FeeSchedule"} <= set(wb.sheetnames)
    ws = wb["Claims"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].comment is not None and "CLM01" in ws["A1"].comment.text
    assert "tblClaims" in ws.tables
    assert any("M,F,U" in (dv.formula1 or "") for dv in wb["Patients"].data_validations.dataValidation)
    book = read_book(tmp_path / "empty.xlsx")
    assert book.tables["Claims"].empty
    # refusing to overwrite
    r = CliRunner().invoke(app, ["new", str(tmp_path / "empty.xlsx")])
    assert r.exit_code == 2 and "already exists" in r.output


def test_demo_then_run_end_to_end_opens_in_libreoffice(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--claims", "150",
                            "--seed", "3", "--as-of", AS_OF.isoformat()])
    assert r.exit_code == 0, r.output
    wb = tmp_path / "demo" / "clinic.xlsx"
    before = wb.read_bytes()
    r = runner.invoke(app, ["run", str(wb), "--as-of", AS_OF.isoformat()])
    assert r.exit_code == 0, r.output
    assert wb.read_bytes() == before
    results = tmp_path / "demo" / "clinic-results.xlsx"
    assert results.exists()
    sheets = load_workbook(results, read_only=True).sheetnames
    assert sheets[0] == "Summary"
    led = sqlite3.connect(tmp_path / "demo" / "claimbook-ledger.sqlite")
    (command, counts), = led.execute("SELECT command, counts FROM audit").fetchall()
    assert command == "run" and json.loads(counts)["lines"] > 150
    pdf = soffice_convert(results, "pdf", tmp_path / "pdf")
    assert pdf.stat().st_size > 1000


def test_round_trip_through_libreoffice_reads_the_same(demo_small, tmp_path):
    original = read_book(demo_small.workbook)
    converted = soffice_convert(demo_small.workbook, "xlsx:Calc MS Excel 2007 XML",
                                tmp_path / "lo")
    again = read_book(converted)
    cols = ["claim_id", "line_no", "patient", "dos_from", "dx1", "code", "mod1", "charge",
            "units", "pointers", "rendering_npi"]
    a = original.tables["Claims"][cols].reset_index(drop=True)
    b = again.tables["Claims"][cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(a.astype(str), b.astype(str))
    assert original.practice == again.practice


def test_run_on_a_locked_workbook_in_place_is_refused(demo_small, tmp_path):
    import shutil

    wb = tmp_path / "clinic.xlsx"
    shutil.copy(demo_small.workbook, wb)
    (tmp_path / "~$clinic.xlsx").write_text("lock")
    r = CliRunner().invoke(app, ["run", str(wb), "--in-place", "--as-of", AS_OF.isoformat()])
    assert r.exit_code == 2
    assert "open in Excel" in r.output


@pytest.mark.parametrize("missing", ["Claims", "Coverage"])
def test_run_names_a_missing_sheet(tmp_path, missing):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Practice"
    for name in ("Payers", "Patients", "Coverage", "Claims"):
        if name != missing:
            wb.create_sheet(name).append(["x"])
    wb.save(tmp_path / "bad.xlsx")
    r = CliRunner().invoke(app, ["run", str(tmp_path / "bad.xlsx")])
    assert r.exit_code == 2
    assert f"'{missing}'" in r.output and "Sheets found" in r.output


def test_generated_docs_are_up_to_date():
    """docs/workbook.md and docs/rules.md come from the schemas and the rule catalogue."""
    from pathlib import Path

    from claimbook.rules import catalogue_markdown
    from claimbook.schema_docs import workbook_markdown

    docs = Path(__file__).resolve().parents[1] / "docs"
    assert (docs / "workbook.md").read_text() == workbook_markdown() + "\n", \
        "run: claimbook schema --write-docs docs/workbook.md"
    assert (docs / "rules.md").read_text() == catalogue_markdown() + "\n", \
        "run: claimbook rules --write-docs docs/rules.md"


def test_full_run_sheets_and_batch_columns(demo_small, tmp_path):
    import shutil

    wb = tmp_path / "clinic.xlsx"
    shutil.copy(demo_small.workbook, wb)
    shutil.copytree(demo_small.folder / "remits", tmp_path / "remits")
    r = CliRunner().invoke(app, ["run", str(wb), "--as-of", AS_OF.isoformat()])
    assert r.exit_code == 0, r.output
    book = load_workbook(tmp_path / "clinic-results.xlsx", read_only=True)
    assert {"Summary", "Claim Status", "Findings", "Batches", "Exceptions", "Payments",
            "Aging", "Dashboard"} <= set(book.sheetnames)
    rows = list(book["Claim Status"].iter_rows(values_only=True))
    header = next(r for r in rows if r and "Batch" in [str(c) for c in r])
    assert "Submitted" in [str(c) for c in header]
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True)
               if len(r) > 1 and r[0]}
    assert summary["Claims sent"] > 0 and "Steps that could not finish" not in summary
