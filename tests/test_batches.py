"""Batches: selection of ready claims, control numbers across runs, no resends, dry runs."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from claimbook import batches as B
from claimbook import findings as F
from claimbook.errors import ClaimBookError
from claimbook.ledger import Ledger
from claimbook.x12.tokens import segments
from tests.x12_validate import x12_errors
from tests.x837_factory import line, make_book

T1 = datetime(2026, 2, 1, 9, 0)
T2 = datetime(2026, 2, 2, 9, 0)


def _controls(path: str) -> dict[str, list[int]]:
    segs, _ = segments(Path(path).read_text())
    out: dict[str, list[int]] = {"isa13": [], "gs06": [], "st02": [], "bht03": []}
    for s in segs:
        if s.id == "ISA":
            out["isa13"].append(int(s.get(13)))
        elif s.id == "GS":
            out["gs06"].append(int(s.get(6)))
        elif s.id == "ST":
            out["st02"].append(int(s.get(2)))
        elif s.id == "BHT":
            out["bht03"].append(int(s.get(3)))
    return out


def _finding(claim_id: str, rule: str) -> pd.DataFrame:
    return F.one(rule, "synthetic finding", sheet="Claims", claim_id=claim_id)


def test_control_numbers_increase_across_runs_and_sent_claims_are_not_resent(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    first = make_book([line("A1"), line("A2", payer_id="BCBS1"), line("A3")])
    r1 = B.build(first, F.empty(), ledger, tmp_path / "out", now=T1)
    assert sorted(r1.claim_batches["claim_id"]) == ["A1", "A2", "A3"]
    # second run: the same claims plus one new one
    second = make_book([line("A1"), line("A2", payer_id="BCBS1"), line("A3"), line("A4")])
    r2 = B.build(second, F.empty(), ledger, tmp_path / "out", now=T2)
    assert list(r2.claim_batches["claim_id"]) == ["A4"]
    assert set(r2.held["claim_id"]) == {"A1", "A2", "A3"}
    assert r2.held["reason"].str.startswith("Already sent in batch B").all()
    c1 = [_controls(f.file) for f in r1.files]
    c2 = [_controls(f.file) for f in r2.files]
    for key in ("isa13", "gs06", "st02", "bht03"):
        before = [n for c in c1 for n in c[key]]
        after = [n for c in c2 for n in c[key]]
        assert len(set(before + after)) == len(before + after), key
        assert min(after) > max(before), key
    for f in r1.files + r2.files:
        assert x12_errors(f.file) == []
    # a third run sends nothing and reserves nothing
    isa_before = ledger.peek("x12.isa13")
    r3 = B.build(second, F.empty(), ledger, tmp_path / "out", now=T2)
    assert r3.files == [] and ledger.peek("x12.isa13") == isa_before
    rows = ledger.conn.execute("SELECT claim_id, batch_id FROM submissions").fetchall()
    assert sorted(r[0] for r in rows) == ["A1", "A2", "A3", "A4"]
    batches = ledger.conn.execute("SELECT isa13, claims, total_charge_cents FROM batches "
                                  "ORDER BY isa13").fetchall()
    assert [tuple(b) for b in batches] == [(1, 2, 25000), (2, 1, 12500), (3, 1, 12500)]


def test_dry_run_writes_to_a_temporary_folder_and_leaves_the_ledger_alone(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.next_numbers("x12.isa13", 4)  # earlier runs
    book = make_book([line("D1"), line("D2")])
    res = B.build(book, F.empty(), ledger, tmp_path / "out",
                  B.BatchOptions(dry_run=True), now=T1)
    (f,) = res.files
    assert Path(f.file).parent.name.startswith("claimbook-dry-run-")
    assert Path(f.file).parent.parent == tmp_path
    assert not (tmp_path / "out").exists()
    assert f.isa13 == "000000005" and x12_errors(f.file) == []
    assert res.batches["batch_id"].str.startswith("DRY-").all()
    assert ledger.peek("x12.isa13") == 4 and ledger.peek("x12.line_control") == 0
    assert ledger.conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 0
    assert ledger.conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 0


def test_errors_hold_claims_back_and_warnings_only_with_include_warnings(tmp_path):
    book = make_book([line("E1"), line("W1"), line("OK1")])
    findings = F.concat([_finding("E1", "REQ-POS"), _finding("W1", "MONEY-FEE")])
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ids, held = B.select(book.get("Claims"), findings, ledger)
    assert list(ids) == ["OK1"]
    reasons = dict(zip(held["claim_id"], held["reason"]))
    assert reasons["E1"].startswith("Has errors") and "--include-warnings" in reasons["W1"]
    ids, _ = B.select(book.get("Claims"), findings, ledger, include_warnings=True)
    assert list(ids) == ["W1", "OK1"]


def test_claims_sent_elsewhere_are_skipped_but_corrections_go(tmp_path):
    book = make_book([
        line("S1", submitted_on="2026-01-10"),
        line("R7", frequency="7", original_claim_number="ICN1", submitted_on="2026-01-10"),
        line("R8", frequency="8"),  # void without the payer's claim number
        line("N1"),
    ])
    ledger = Ledger(tmp_path / "ledger.sqlite")
    res = B.build(book, F.empty(), ledger, tmp_path / "out", now=T1)
    assert sorted(res.claim_batches["claim_id"]) == ["N1", "R7"]
    reasons = dict(zip(res.held["claim_id"], res.held["reason"]))
    assert reasons["S1"] == "Already sent on 2026-01-10 (Submitted on is filled)."
    assert "Original payer claim #" in reasons["R8"]
    # the replacement was sent once; the next run does not send it again
    res2 = B.build(book, F.empty(), ledger, tmp_path / "out", now=T2)
    assert res2.files == []


def test_claims_the_file_cannot_carry_are_held_with_a_reason(tmp_path):
    book = make_book([
        line("NOCOV", payer_id="MCR01"),  # P1 has no Medicare coverage row
        line("NOPAT", patient="P9"),
        line("BADPTR", pointers="3"),  # only one diagnosis
        line("NOPROV", rendering_npi="1093817589"),
        line("GOOD"),
    ])
    res = B.build(book, F.empty(), Ledger(tmp_path / "l.sqlite"), tmp_path / "out", now=T1)
    assert list(res.claim_batches["claim_id"]) == ["GOOD"]
    reasons = dict(zip(res.held["claim_id"], res.held["reason"]))
    assert reasons["NOCOV"].startswith("No Coverage row with a member id for patient P1 and "
                                       "payer MCR01")
    assert reasons["NOPAT"].startswith("Patient P9 is missing from the Patients sheet")
    assert "pointers '3'" in reasons["BADPTR"]
    assert "Rendering NPI 1093817589 is not in the Providers sheet" in reasons["NOPROV"]


def test_missing_practice_settings_name_the_setting(tmp_path):
    book = make_book([line("X1")], practice={"billing_ein": None, "receiver_id": None})
    with pytest.raises(ClaimBookError) as exc:
        B.build(book, F.empty(), Ledger(tmp_path / "l.sqlite"), tmp_path / "out", now=T1)
    msg = str(exc.value)
    assert "'Billing provider EIN'" in msg and "'Receiver id'" in msg
    assert "Practice" in msg and not (tmp_path / "out").exists()


def test_stage_adds_the_batches_sheet_and_claim_batches(tmp_path):
    from claimbook.pipeline import RunContext, run_stages

    book = make_book([line("G1"), line("G2", payer_id="BCBS1"), line("H1", submitted_on="2026-01-02")])
    ctx = RunContext(book=book, as_of=pd.Timestamp("2026-02-01"),
                     ledger=Ledger(tmp_path / "l.sqlite"), out_dir=tmp_path,
                     options={"include_warnings": True})  # G2: secondary, primary not paid
    run_stages(ctx, only={"validate", "scrub", "batch"})
    assert not ctx.errors, ctx.errors
    sheet = ctx.results["Batches"]
    files = sheet.sections[0].frame
    assert list(files.columns) == ["Batch ID", "Payer ID", "Payer", "Claims", "Lines",
                                   "Total charge", "File name", "ISA13", "Created"]
    assert files["Claims"].sum() == 2 and (tmp_path / "batches" / files["File name"][0]).exists()
    held = sheet.sections[1].frame
    assert list(held["Claim ID"]) == ["H1"]
    cb = ctx.state["claim_batches"]
    assert sorted(cb["claim_id"]) == ["G1", "G2"] and cb["batch_id"].str.startswith("B").all()


def test_batch_command_json(tmp_path):
    from typer.testing import CliRunner

    from claimbook.cli import app
    from tests.x837_factory import write_workbook

    wb = write_workbook(tmp_path / "clinic.xlsx", [line("J1"), line("J2", payer_id="BCBS1")])
    out = tmp_path / "files"
    args = ["batch", str(wb), "--out", str(out), "--json", "--ledger",
            str(tmp_path / "l.sqlite"), "--as-of", "2026-02-01"]
    # J2 goes to P1's secondary payer: the scrubber warns (no primary remittance posted)
    held = CliRunner().invoke(app, args)
    assert held.exit_code == 0 and len(json.loads(held.stdout[held.stdout.index("["):])) == 1
    r = CliRunner().invoke(app, [*args, "--include-warnings"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout[r.stdout.index("["):])
    assert [(d["payer_id"], d["claims"], d["lines"], d["total_charge"]) for d in data] == [
        ("BCBS1", 1, 1, 125.0)]
    assert [d["isa13"] for d in data] == ["000000002"]
    assert all(Path(d["file"]).parent == out and x12_errors(d["file"]) == [] for d in data)
    again = CliRunner().invoke(app, [*args, "--include-warnings"])
    assert again.exit_code == 0 and json.loads(again.stdout[again.stdout.index("["):]) == []


def test_batch_command_names_a_missing_setting(tmp_path):
    from typer.testing import CliRunner

    from claimbook.cli import app
    from claimbook.template import build_template
    from tests.x837_factory import (
        COVERAGE_ROWS,
        PATIENT_ROWS,
        PAYER_ROWS,
        PRACTICE_VALUES,
        PROVIDER_ROWS,
    )

    wb = tmp_path / "clinic.xlsx"
    practice = {k: v for k, v in PRACTICE_VALUES.items() if k != "submitter_contact"}
    build_template(wb, {"Payers": pd.DataFrame(PAYER_ROWS),
                        "Patients": pd.DataFrame(PATIENT_ROWS),
                        "Coverage": pd.DataFrame(COVERAGE_ROWS),
                        "Providers": pd.DataFrame(PROVIDER_ROWS),
                        "Claims": pd.DataFrame([line("M1")])}, practice)
    r = CliRunner().invoke(app, ["batch", str(wb), "--ledger", str(tmp_path / "l.sqlite"),
                                 "--as-of", "2026-02-01", "--out", str(tmp_path / "out")])
    assert r.exit_code == 2
    text = " ".join(r.output.split())
    assert "the Practice sheet has no value for 'Submitter contact'" in text
    assert "Fill in this setting in the Practice sheet" in text
    assert "Traceback" not in r.output and not (tmp_path / "out").exists()


def test_a_claim_recorded_by_another_run_meanwhile_is_not_sent_twice(tmp_path, monkeypatch):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    book = make_book([line("Z1"), line("Z2")])
    real_select = B.select
    other_done: list[bool] = []

    def select_then_other_run(*args, **kw):
        picked = real_select(*args, **kw)
        if not other_done:  # another process batches Z2 between selection and transaction
            other_done.append(True)
            B.build(make_book([line("Z2")]), F.empty(), ledger, tmp_path / "other", now=T1)
        return picked

    monkeypatch.setattr(B, "select", select_then_other_run)
    with pytest.raises(ClaimBookError, match="Another batch run recorded 1 of these claims"):
        B.build(book, F.empty(), ledger, tmp_path / "out", now=T2)
    assert not list((tmp_path / "out").glob("*.x12"))
    rows = ledger.conn.execute("SELECT claim_id FROM submissions").fetchall()
    assert [r[0] for r in rows] == ["Z2"]
    assert ledger.peek("x12.isa13") == 1
