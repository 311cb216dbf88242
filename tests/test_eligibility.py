"""Insurance verification: coverage on the date, estimated patient share, flags, 271 overlay."""

from __future__ import annotations

import pandas as pd

from claimbook.eligibility import verify, x271
from claimbook.pipeline import RunContext
from claimbook.stages import eligibility as stage
from tests import elig_data as D


def _by_trace(v):
    return v.appointments.set_index("trace")


def test_coverage_estimates_and_flags():
    v = verify.verify(D.clinic())
    a = _by_trace(v)
    p1 = a.loc["P1-20261203"]
    assert (p1["payer_id"], p1["priority"], p1["active"]) == ("AETNA", "primary", "yes")
    assert p1["other_coverage"] == "BCBS"
    # 98.00 + 12.00 allowed: copay 25.00, then 85.00 of the 100.00 deductible left.
    assert (p1["price_c"], p1["estimate_c"]) == (11000, 11000)
    p4 = a.loc["P4-20261204"]
    # 55.55 + 612.34 = 667.89: deductible 1,000.00 left takes it all.
    assert (p4["price_c"], p4["estimate_c"]) == (66789, 66789)
    assert p4["auth_codes"] == "97110, 70551" and bool(p4["auth_missing"])
    assert not a.loc["P4-20261211", "auth_missing"]  # authorization number given
    assert a.loc["P2-20261203", "active"] == "no" and a.loc["P3-20261204", "active"] == "none"
    assert a.loc["P3-20261204", "estimate_c"] == 15000  # self-pay: the standard charge
    # P1's second visit: 98.00 (J3490 unpriced): copay 25.00, the 15.00 of deductible the
    # first visit left, 20 % of 58.00 = 11.60.
    assert a.loc["P1-20261212", "estimate_c"] == 2500 + 1500 + 1160
    f = v.findings.set_index("row")
    assert f.loc[3, "rule"] == "ELIG-EXPIRED" and "ended 2025-12-31" in f.loc[3, "message"]
    assert f.loc[4, "rule"] == "ELIG-NO-COVERAGE"
    assert f.loc[5, "rule"] == "ELIG-PRIOR-AUTH" and "97110, 70551" in f.loc[5, "message"]
    assert f.loc[7, "rule"] == "ELIG-PATIENT"
    assert f.loc[8, "rule"] == "ELIG-NO-PRICE" and f.loc[8, "value"] == "99213 J3490"
    assert set(v.findings["sheet"]) == {"Appointments"}


def test_coinsurance_after_copay_and_deductible():
    b = D.clinic()
    cov = b.tables["Coverage"]
    cov.loc[0, ["copay", "deductible_met"]] = [10.0, 470.0]  # 30.00 deductible left
    a = _by_trace(verify.verify(b))
    # 110.00: copay 10.00, deductible 30.00, 20 % of the 70.00 left = 14.00.
    assert a.loc["P1-20261203", "estimate_c"] == 5400


def test_271_responses_fill_in_coverage():
    responses = pd.concat([x271.parse(t) for t in (D.ACTIVE_271, D.RENEWED_271,
                                                   D.DEPENDENT_271)], ignore_index=True)
    v = verify.verify(D.clinic(), responses)
    a = _by_trace(v)
    p1 = a.loc["P1-20261203"]
    assert p1["source"] == "271" and p1["effective_to"] == pd.Timestamp("2026-12-31")
    # 271: copay 25.00, 120.00 deductible left: 25.00 + 85.00.
    assert (p1["deductible_left_c"], p1["estimate_c"]) == (12000, 11000)
    p2 = a.loc["P2-20261203"]  # matched by member id; renewed plan year
    assert (p2["active"], p2["source"], p2["copay_c"]) == ("yes", "271", 3500)
    assert p2["estimate_c"] == 3500
    p4 = a.loc["P4-20261204"]
    assert p4["active"] == "no" and p4["source"] == "271"
    msg = v.findings[(v.findings["rule"] == "ELIG-EXPIRED") & (v.findings["row"] == 5)]
    assert "271 response says it is inactive" in msg["message"].iloc[0]


def test_stage_writes_270s_and_sheet(tmp_path):
    from claimbook.ledger import Ledger

    with Ledger(tmp_path / "l.sqlite") as lg:
        ctx = RunContext(book=D.clinic(), as_of=pd.Timestamp("2026-11-29"), ledger=lg,
                         options={"x270_dir": str(tmp_path / "270")})
        stage.run(ctx)
        assert lg.peek("x12.isa13") == 2
    files = sorted(p.name for p in (tmp_path / "270").iterdir())
    assert files == ["270-AETNA-000000001.x12", "270-BCBS-000000002.x12"]
    frame = ctx.results["Eligibility"].frame
    assert frame["Estimated patient responsibility"].tolist()[:4] == [110.0, 150.0, 150.0,
                                                                      667.89]
    assert ctx.summary["Appointments missing prior auth"] == 1


def _demo_copy(demo_small, tmp_path):
    import shutil

    wb = tmp_path / "clinic.xlsx"
    shutil.copy(demo_small.workbook, wb)
    return wb


def test_cli_eligibility_writes_valid_270s(demo_small, tmp_path):
    from typer.testing import CliRunner

    from claimbook.cli import app
    from claimbook.io.reader import read_book
    from claimbook.io.writer import append_rows
    from tests.test_x27x import derived_map, pyx12_errors

    wb = _demo_copy(demo_small, tmp_path)
    cov = read_book(wb).get("Coverage")
    active = cov[cov["effective_to"].isna() & cov["priority"].eq("primary")]
    pats = active["patient"].drop_duplicates().head(3).tolist()
    rows = pd.DataFrame({"patient": [*pats, "NOSUCH"],
                         "date": pd.Timestamp("2026-12-07"),
                         "planned_codes": "99213"})
    append_rows(wb, "Appointments", rows, {"patient": "Account #", "date": "Date",
                                           "planned_codes": "Planned codes"})
    out = tmp_path / "270"
    r = CliRunner().invoke(app, ["eligibility", str(wb), "--270", str(out), "--ledger",
                                 str(tmp_path / "l.sqlite")])
    assert r.exit_code == 0, r.output
    files = sorted(out.glob("270-*.x12"))
    assert files
    maps = derived_map(tmp_path)
    for f in files:
        assert pyx12_errors(f.read_text(), maps, tmp_path) == []
    text = "".join(f.read_text() for f in files)
    for p in pats:
        assert f"TRN*1*{p}-20261207*" in text
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "clinic-eligibility.xlsx", read_only=True)["Eligibility"]
    accounts = [row[0] for row in ws.iter_rows(values_only=True) if row]
    assert all(p in accounts for p in [*pats, "NOSUCH"])
