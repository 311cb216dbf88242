"""The demo's simulated 835s, `claimbook run` over them, and the era/reconcile/aging commands."""

from __future__ import annotations

import json
import shutil

import pandas as pd
from typer.testing import CliRunner

from claimbook.cli import app
from claimbook.io.reader import read_book
from claimbook.ledger import Ledger
from claimbook.pipeline import RunContext, run_stages
from claimbook.x12.x835 import read_files
from tests.conftest import AS_OF


def test_demo_remittances_cover_every_scenario(demo_small):
    files = demo_small.remits
    assert files and all(f.parent.name == "remits" for f in files)
    blobs = [f.read_bytes() for f in files]
    dups = [f.name for f, b in zip(files, blobs, strict=True) if blobs.count(b) > 1]
    assert len(dups) == 2  # one remittance delivered twice under two names
    era = read_files(files)
    assert era.imbalances.empty and era.transactions["balanced"].all()
    statuses = set(era.claims["status"])
    assert {"1", "4", "19", "22"} <= statuses
    adj = era.adjustments
    pairs = set(zip(adj["group"], adj["reason"], strict=True))
    assert {("CO", "45"), ("PR", "1"), ("PR", "2"), ("PR", "3"), ("CO", "97"),
            ("CO", "16")} <= pairs
    assert {"WO", "L6"} <= set(era.plb["reason"])
    # the reversal negates an earlier payment of the same claim and is followed by a correction
    rev = era.claims[era.claims["status"].eq("22")].iloc[0]
    same = era.claims[era.claims["remit_claim_id"].eq(rev["remit_claim_id"])]
    assert same["status"].tolist() == ["1", "22", "1"]
    assert same["paid_cents"].iloc[0] == -rev["paid_cents"]
    book = read_book(demo_small.workbook)
    sent = set(book.get("Claims").dropna(subset=["submitted_on"])["claim_id"])
    assert set(era.claims["remit_claim_id"]) <= sent


def test_run_posts_demo_remits_once(demo_small, tmp_path):
    folder = tmp_path / "clinic"
    shutil.copytree(demo_small.folder, folder)
    book = read_book(folder / demo_small.workbook.name)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ctx = RunContext(book=book, as_of=pd.Timestamp(AS_OF), ledger=ledger,
                     workbook_path=folder / demo_small.workbook.name)
    run_stages(ctx, only={"reconcile", "aging", "dashboard"})
    assert ctx.errors == []
    assert ctx.summary["Remittances posted"] == len(demo_small.remits) - 1
    assert ctx.summary["Remittances already posted"] == 1
    ex = ctx.state["reconciliation"].exceptions
    for kind in ("Denial", "Underpayment", "Patient responsibility", "Duplicate remittance",
                 "Partial payment"):
        assert (ex["type"] == kind).any(), kind
    under = ex[ex["type"].eq("Underpayment")]
    assert under["payer"].nunique() == 1  # the one payer paying under contract
    # grouped: one row per payer + code + modifier, one per patient (not one per line/claim)
    service = under["reason"].str.extract(r"^\d+ lines? of (\S+) allowed")[0]
    assert service.notna().all() and not service.duplicated().any()
    pr = ex[ex["type"].eq("Patient responsibility")]
    assert pr["source"].str.startswith("Patient ").all() and not pr["source"].duplicated().any()
    bal = ctx.state["reconciliation"].balances
    owing = bal[bal["patient_balance_cents"].gt(0) & ~bal["forwarded"] & ~bal["disputed"]]
    assert len(pr) == owing["patient"].nunique() < len(owing)
    assert round(pr["amount"].sum(), 2) == owing["patient_balance_cents"].sum() / 100
    for name in ("Payments", "Provider Adjustments", "Exceptions", "Aging", "Aging Summary",
                 "Dashboard"):
        assert name in ctx.results
    first_paid = ctx.state["reconciliation"].balances["paid_cents"].sum()
    again = RunContext(book=book, as_of=pd.Timestamp(AS_OF), ledger=ledger,
                       workbook_path=folder / demo_small.workbook.name)
    run_stages(again, only={"reconcile"})
    assert again.summary["Remittances posted"] == 0
    assert again.summary["Remittances already posted"] == len(demo_small.remits)
    assert again.state["reconciliation"].balances["paid_cents"].sum() == first_paid
    # re-reading the posted files is no to-do; the second delivery under another name still is
    ex2 = again.state["reconciliation"].exceptions
    assert (ex2["type"] == "Duplicate remittance").sum() == 1
    ledger.close()


def test_cli_era_json_keys(demo_small):
    res = CliRunner().invoke(app, ["era", "--json", *map(str, demo_small.remits[:2])])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert len(data) == 2
    for t in data:
        assert {"payer", "trace", "paid_total", "plb_total", "balanced", "claims"} <= set(t)
        assert t["balanced"] is True
        c = t["claims"][0]
        assert {"claim_id", "status", "charge", "paid", "patient_responsibility",
                "payer_claim_number"} <= set(c)


def test_cli_era_malformed_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.835"
    bad.write_text("ISA*00*oops~")
    res = CliRunner().invoke(app, ["era", str(bad)])
    assert res.exit_code == 2
    assert "bad.835" in res.output and "Traceback" not in res.output


def test_cli_reconcile_twice_then_aging(demo_small, tmp_path):
    folder = tmp_path / "clinic"
    shutil.copytree(demo_small.folder, folder)
    wb = folder / demo_small.workbook.name
    era = [str(p) for p in sorted((folder / "remits").glob("*.835"))[:3]]
    args = ["reconcile", str(wb), "--as-of", str(AS_OF), "--json"]
    for f in era:
        args += ["--era", f]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    out1 = json.loads(first.output)
    assert len(out1["posted"]) >= 1 and out1["claims_posted"] > 0
    second = json.loads(CliRunner().invoke(app, args).output)
    assert second["posted"] == [] and second["claims_posted"] == 0
    assert len(second["already_posted"]) == len(era)
    res = CliRunner().invoke(app, ["aging", str(wb), "--as-of", str(AS_OF), "--from",
                                   "submitted"])
    assert res.exit_code == 0, res.output
    assert "120+" in res.output
    bad = CliRunner().invoke(app, ["aging", str(wb), "--from", "yesterday"])
    assert bad.exit_code == 2


def test_cli_reconcile_missing_file_is_a_clear_error(demo_small, tmp_path):
    res = CliRunner().invoke(app, ["reconcile", str(demo_small.workbook), "--era",
                                   str(tmp_path / "nope.835")])
    assert res.exit_code == 2 and "nope.835" in res.output


def test_run_with_an_overflowing_amount_posts_the_other_files(demo_small, tmp_path):
    folder = tmp_path / "clinic"
    shutil.copytree(demo_small.folder, folder)
    good = sorted((folder / "remits").glob("*.835"))
    text = good[0].read_text(encoding="latin-1")
    bpr = text.index("BPR*")
    amount = text[bpr:].split("*")[2]
    (folder / "remits" / "zz_bad.835").write_text(
        text[:bpr] + text[bpr:].replace(f"*{amount}*", "*1e999*", 1), encoding="latin-1")
    book = read_book(folder / demo_small.workbook.name)
    ctx = RunContext(book=book, as_of=pd.Timestamp(AS_OF), ledger=Ledger(":memory:"),
                     workbook_path=folder / demo_small.workbook.name)
    run_stages(ctx, only={"reconcile"})
    assert ctx.errors == []
    assert ctx.summary["Remittances posted"] == len(demo_small.remits) - 1
    bad = ctx.state["reconciliation"].exceptions
    bad = bad[bad["type"].eq("Unreadable remittance")]
    assert bad["source"].tolist() == ["zz_bad.835"]
    assert bad["reason"].iloc[0].startswith(
        "zz_bad.835: segment 4 (BPR02) holds '1e999', expected an amount such as 125.00.")
