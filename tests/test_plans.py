"""Payment plans: schedules to the cent, due dates, paid / late / missed tracking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from claimbook.patient_billing import plans
from claimbook.pipeline import RunContext
from claimbook.results import ResultSheet, Section
from claimbook.stages import plans as stage
from tests.pb_book import book

AS_OF = "2026-11-29"


def _plans(rows, payments=()):
    return book(PaymentPlans=rows, PatientPayments=list(payments))


@pytest.mark.parametrize(("total", "n", "expected"), [
    (10000, 3, [3334, 3333, 3333]),
    (5, 7, [1, 1, 1, 1, 1]),
    (100001, 4, [25001, 25000, 25000, 25000]),
    (99, 99, [1] * 99),
    (1, 1, [1]),
    (123457, 12, [10289] + [10288] * 11),
])
def test_split_sums_to_the_cent(total, n, expected):
    idx, num, amt = plans.split(np.array([total]), np.array([n]))
    assert amt.tolist() == expected
    assert int(amt.sum()) == total
    assert num.tolist() == list(range(1, len(expected) + 1))


def test_schedules_with_down_payment_and_awkward_amounts():
    b = _plans([
        {"patient": "P1", "balance": 100.00, "installments": 3, "frequency": "monthly",
         "start_date": "2026-01-31"},
        {"patient": "P2", "balance": 0.05, "installments": 7, "frequency": "weekly",
         "start_date": "2026-10-01"},
        {"patient": "P3", "balance": 1000.01, "down_payment": 250.00, "installments": 6,
         "frequency": "biweekly", "start_date": "2026-09-01"},
        {"patient": "P4", "balance": 80.00, "down_payment": 80.00, "installments": 2,
         "start_date": "2026-09-01"},
    ])
    p, sch, findings = plans.schedule(b)
    by = {pid: g for pid, g in sch.groupby("patient")}
    assert by["P1"]["amount_c"].tolist() == [3334, 3333, 3333]
    assert by["P1"]["due"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-01-31", "2026-02-28", "2026-03-31"]
    assert by["P2"]["amount_c"].tolist() == [1] * 5
    assert by["P3"]["amount_c"].tolist() == [25000, 12501, 12500, 12500, 12500, 12500, 12500]
    assert by["P3"]["number"].tolist() == list(range(7))
    # down payment on the start date, installment 1 two weeks later
    assert by["P3"]["due"].dt.strftime("%m-%d").tolist() == [
        "09-01", "09-15", "09-29", "10-13", "10-27", "11-10", "11-24"]
    assert by["P4"]["amount_c"].tolist() == [8000]  # all paid down, nothing financed
    for pid, bal in (("P1", 10000), ("P2", 5), ("P3", 100001), ("P4", 8000)):
        assert int(by[pid]["amount_c"].sum()) == bal
    split = findings[findings["rule"] == "PLAN-SPLIT"]
    assert split["row"].tolist() == [3]
    assert "0.05 cannot be split into 7 installments" in split["message"].iloc[0]


def test_invalid_plans_are_reported_with_row_and_column():
    b = _plans([
        {"patient": "P1", "balance": -5.0, "installments": 3, "start_date": "2026-09-01"},
        {"patient": "P2", "balance": 50.0, "down_payment": 60.0, "installments": 3,
         "start_date": "2026-09-01"},
        {"patient": "P3", "balance": 50.0, "installments": 0, "start_date": "2026-09-01"},
        {"patient": "P4", "balance": 50.0, "installments": 2},
    ])
    p, sch, f = plans.schedule(b)
    assert p.empty and sch.empty
    assert f[["row", "field"]].values.tolist() == [
        [2, "balance"], [3, "down_payment"], [4, "installments"], [5, "start_date"]]
    assert "down payment 60" in f["message"].iloc[1]


def test_tracking_paid_late_missed_due_upcoming():
    b = _plans(
        [{"patient": "P3", "balance": 250.0, "down_payment": 50.0, "installments": 5,
          "frequency": "weekly", "start_date": "2026-10-05"}],
        [{"patient": "P3", "date": "2026-09-28", "amount": 50.0},   # down payment at signing
         {"patient": "P3", "date": "2026-10-12", "amount": 40.0},   # installment 1 on time
         {"patient": "P3", "date": "2026-11-01", "amount": 40.0},   # installment 2 late
         {"patient": "P1", "date": "2026-11-01", "amount": 99.0}])  # another patient
    r = plans.track(b, "2026-11-08")
    s = r.schedule
    assert s["status"].tolist() == ["paid", "paid", "late", "missed", "due", "upcoming"]
    assert s["due"].dt.strftime("%m-%d").tolist() == ["10-05", "10-12", "10-19", "10-26",
                                                      "11-02", "11-09"]
    assert s["paid_on"].dt.strftime("%m-%d").fillna("").tolist() == [
        "09-28", "10-12", "11-01", "", "", ""]
    assert r.plans["paid_c"].tolist() == [13000]
    assert r.plans["remaining_c"].tolist() == [12000]
    assert r.plans["state"].tolist() == ["behind"]
    assert r.missed["amount"].tolist() == [40.0]
    assert r.missed["source"].tolist() == ["PaymentPlans row 2"]
    assert "installment 3 due 2026-10-26 is missed (13 days overdue)" in r.missed["reason"][0]
    f = r.findings[r.findings["rule"] == "PLAN-MISSED"]
    assert len(f) == 1 and "40.00 unpaid" in f["message"].iloc[0]


def test_partial_payment_counts_toward_the_missed_installment():
    b = _plans([{"patient": "P1", "balance": 100.0, "installments": 2, "frequency": "monthly",
                 "start_date": "2026-09-01"}],
               [{"patient": "P1", "date": "2026-09-01", "amount": 60.0}])
    r = plans.track(b, AS_OF)
    assert r.schedule["status"].tolist() == ["paid", "missed"]
    assert r.schedule["covered_c"].tolist() == [5000, 1000]
    assert r.missed["amount"].tolist() == [40.0]


def test_stage_sheet_state_and_exceptions_section():
    b = _plans([{"patient": "P1", "balance": 100.0, "installments": 3, "frequency": "monthly",
                 "start_date": "2026-08-01"}])
    ctx = RunContext(book=b, as_of=pd.Timestamp(AS_OF))
    ctx.add_sheet(ResultSheet("Exceptions", [Section(pd.DataFrame({"type": []}))]))
    stage.run(ctx)
    assert len(ctx.state["plan_exceptions"]) == 3
    assert ctx.results["Exceptions"].sections[-1].title == "Payment Plans"
    sheet = ctx.results["Plan Schedule"]
    assert sheet.sections[0].frame["Missed"].tolist() == [3]
    assert sheet.sections[1].frame["Amount"].tolist() == [33.34, 33.33, 33.33]
    assert ctx.summary["Missed plan installments"] == 3


def test_cli_plans_on_the_demo_clinic(demo_small, tmp_path):
    import shutil

    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from claimbook.cli import app
    from claimbook.io.writer import append_rows

    wb = tmp_path / "clinic.xlsx"
    shutil.copy(demo_small.workbook, wb)
    # an account the demo itself has no patient payments for (its payments would count too)
    paying = {str(a) for sheet in ("PatientPayments", "PaymentPlans")
              for a in pd.read_excel(wb, sheet_name=sheet, engine="calamine")["Account #"]}
    acct = next(f"P{n}" for n in range(100003, 100300) if f"P{n}" not in paying)
    plan = pd.DataFrame({"patient": [acct, "P100002"], "balance": [100.0, 0.05],
                         "down_payment": [10.0, None], "installments": [3, 7],
                         "frequency": ["monthly", "weekly"],
                         "start_date": pd.to_datetime(["2026-09-01", "2026-11-26"])})
    append_rows(wb, "PaymentPlans", plan, {
        "patient": "Account #", "balance": "Balance", "down_payment": "Down payment",
        "installments": "Installments", "frequency": "Frequency", "start_date": "Start date"})
    pay = pd.DataFrame({"patient": [acct], "date": pd.to_datetime(["2026-09-01"]),
                        "amount": [40.0]})
    append_rows(wb, "PatientPayments", pay, {"patient": "Account #", "date": "Date",
                                             "amount": "Amount"})
    r = CliRunner().invoke(app, ["plans", str(wb), "--as-of", AS_OF, "--ledger",
                                 str(tmp_path / "l.sqlite")])
    assert r.exit_code == 0, r.output
    assert "Missed installments:" in r.output  # the demo's own plans add to this one's one
    ws = load_workbook(tmp_path / "clinic-plans.xlsx", read_only=True)["Plan Schedule"]
    rows = [row for row in ws.iter_rows(values_only=True) if row and row[0] == acct]
    # the plan row, then installments 0..3: 10.00 on 09-01, then 30.00 on 10-01, 11-01, 12-01
    assert [row[3] for row in rows[1:]] == [10.0, 30.0, 30.0, 30.0]
    assert [row[6] for row in rows[1:]] == ["paid", "paid", "missed", "upcoming"]
