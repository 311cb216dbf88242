"""Patient statements: balances from posted remittances, payments, skip rules, PDF totals."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from pypdf import PdfReader

from claimbook.ledger import Ledger
from claimbook.patient_billing import statement_pdf, statements
from claimbook.patient_billing.money import allocate
from claimbook.pipeline import RunContext
from claimbook.stages import statements as stage
from tests.pb_book import book, line, remit

AS_OF = "2026-11-29"


@pytest.fixture()
def clinic(tmp_path):
    """P1 owes on two claims (one paid down), P2 waits on insurance (one claim reversed),
    P3 paid in full, P4 disputes one claim and owes on another."""
    lg = Ledger(tmp_path / "ledger.sqlite")
    b = book(
        Claims=[line("C1", "P1", "2026-08-10", "99213", 150.0, 1),
                line("C1", "P1", "2026-08-10", "36415", 20.0, 2),
                line("C2", "P1", "2026-06-01", "99214", 200.0, mod1="25"),
                line("C3", "P2", "2026-11-01", "99213", 150.0),
                line("C4", "P3", "2026-08-01", "99213", 150.0),
                line("C5", "P4", "2026-08-01", "99213", 150.0),
                line("C6", "P4", "2026-08-05", "99212", 100.0),
                line("C7", "P2", "2026-07-01", "99213", 150.0)],
        PatientPayments=[
            {"patient": "P1", "date": "2026-09-15", "amount": 10.0, "method": "card"},
            {"patient": "P3", "date": "2026-09-15", "amount": 25.0, "claim_id": "C4",
             "method": "cash"},
            {"patient": "P2", "date": "2026-11-01", "amount": 30.0, "claim_id": "C3",
             "method": "card"}],
        Disputes=[{"patient": "P4", "claim_id": "C5", "reason": "not seen that day",
                   "status": "open"},
                  {"patient": "P1", "claim_id": "C2", "reason": "old", "status": "closed"}])
    remit(lg, "C1", [dict(line_no=1, charge=15000, paid=9000, co=3000, coins=1500, copay=1500),
                     dict(line_no=2, charge=2000, co=500, ded=1500)])
    remit(lg, "C2", [dict(line_no=1, charge=20000, paid=10000, co=7000, coins=3000)],
          payment_date="2026-06-20")
    remit(lg, "C4", [dict(line_no=1, charge=15000, paid=10000, co=2500, copay=2500)])
    remit(lg, "C5", [dict(line_no=1, charge=15000, paid=10000, co=1000, ded=4000)])
    remit(lg, "C6", [dict(line_no=1, charge=10000, paid=7000, co=1766, coins=1234)])
    remit(lg, "C7", [dict(line_no=1, charge=15000, paid=10000, co=2500, copay=2500)])
    remit(lg, "C7", [dict(line_no=1, charge=15000, paid=10000, co=2500, copay=2500)],
          status="22", payment_date="2026-10-01")
    yield b, lg
    lg.close()


def test_balances_payments_and_skip_rules(clinic):
    b, lg = clinic
    run = statements.build(b, lg, AS_OF)
    st = run.statements.set_index("patient")
    assert list(st.index) == ["P1", "P4"]
    # P1: C1 45.00 + C2 30.00 - 10.00 paid (oldest DOS first: C2).
    assert st.loc["P1", "due_c"] == 6500
    assert st.loc["P1", "Over 120"] == 2000 and st.loc["P1", "61-90"] == 4500
    assert st.loc["P1", "level"] == 4 and "more than 120 days" in st.loc["P1", "dunning"]
    assert st.loc["P4", "due_c"] == 1234 and st.loc["P4", "level"] == 2
    why = run.skipped.set_index("claim_id")["status"].to_dict()
    assert why == {"C3": "waiting", "C7": "waiting", "C4": "zero", "C5": "disputed"}
    assert run.skipped.set_index("claim_id").loc["C5", "reason"] == "disputed: not seen that day"
    c = run.claims.set_index("claim_id")
    assert c.loc["C2", "patient_paid_c"] == 1000 and c.loc["C1", "patient_paid_c"] == 0
    # The copay collected at the visit is held on its claim, which still waits on insurance.
    assert c.loc["C3", "patient_paid_c"] == 3000 and c.loc["C3", "status"] == "waiting"
    rc = run.receipts.set_index("Account #")
    assert rc.loc["P1", "Applied to"] == "C2 10.00"
    assert rc.loc["P3", "Applied"] == 25.0 and rc.loc["P3", "Credit"] == 0.0
    assert run.total_due_c == 7734


def test_whole_patient_dispute_and_secondary_hold(clinic):
    b, lg = clinic
    b.tables["Disputes"] = pd.concat([b.tables["Disputes"], b.tables["Disputes"].iloc[:1].assign(
        patient="P1", claim_id=None, reason="billing error", status=None)], ignore_index=True)
    run = statements.build(b, lg, AS_OF)
    assert list(run.statements["patient"]) == ["P4"]
    # Secondary coverage active on the DOS: the primary's patient share waits for it.
    b.tables["Disputes"] = b.tables["Disputes"].iloc[:1]
    from tests.pb_book import frame
    b.tables["Coverage"] = frame("Coverage", [
        {"patient": "P4", "payer_id": "BCBS", "member_id": "B1", "priority": "secondary",
         "effective_from": "2026-01-01"}])
    run = statements.build(b, lg, AS_OF)
    assert list(run.statements["patient"]) == ["P1"]
    assert run.claims.set_index("claim_id").loc["C6", "status"] == "secondary"


def test_payment_to_wrong_claim_and_unknown_patient(clinic):
    b, lg = clinic
    from tests.pb_book import frame
    b.tables["PatientPayments"] = frame("PatientPayments", [
        {"patient": "P1", "date": "2026-10-01", "amount": 40.0, "claim_id": "C6"},
        {"patient": "P9", "date": "2026-10-01", "amount": 5.0},
        {"patient": "P4", "date": "2026-10-02", "amount": 20.0}])
    run = statements.build(b, lg, AS_OF)
    rules = run.findings.set_index("rule")
    assert rules.loc["PAY-CLAIM", "row"] == 2 and rules.loc["PAY-PATIENT", "row"] == 3
    assert "not one of the patient's claims" in rules.loc["PAY-CLAIM", "message"]
    st = run.statements.set_index("patient")
    # P1's 40.00 went oldest first: C2 30.00 then C1 10.00.
    assert st.loc["P1", "due_c"] == 7500 - 4000
    # P4's 20.00 skips the disputed C5 and pays C6 (12.34); 7.66 is a credit.
    assert "P4" not in st.index
    assert rules.loc["PAY-CREDIT", "value"] == "20"
    assert "7.66" in rules.loc["PAY-CREDIT", "message"]


def _pdf_text(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(path).pages)


def test_pdf_totals_in_exact_cents(clinic, tmp_path):
    b, lg = clinic
    run = statements.build(b, lg, AS_OF)
    statements.record(lg, run, "clinic.xlsx")
    files = statement_pdf.render(run, b.practice, tmp_path / "pdf")
    assert [f.name for f in files] == ["statements-2026-11-29.pdf", "statement-P1.pdf",
                                       "statement-P4.pdf"]
    one = _pdf_text(files[1])
    assert "Totals $370.00 $190.00 $105.00 $10.00 $65.00" in one
    assert re.search(r"06/01/2026 C2 99214-25 \$200\.00 \$100\.00 \$70\.00 \$10\.00 \$20\.00",
                     one)
    assert "Amount due: $65.00" in one
    assert "$0.00 $0.00 $45.00 $0.00 $20.00 $65.00" in one  # aging row
    assert "Maple Street Family Practice" in one and "PO Box 77" in one
    assert f"Statement #: {run.run_id}-1" in one
    combined = _pdf_text(files[0])
    assert re.findall(r"Amount due: (\$[\d,.]+)", combined)[::2] == ["$65.00", "$12.34"]
    assert "Second notice" in combined and "C5" not in combined
    row = dict(lg.conn.execute("SELECT * FROM statement_runs").fetchone())
    assert row["statements"] == 2 and row["total_due_cents"] == 7734


def test_stage_writes_pdfs_sheet_and_ledger(clinic, tmp_path):
    b, lg = clinic
    ctx = RunContext(book=b, as_of=pd.Timestamp(AS_OF), ledger=lg, out_dir=tmp_path)
    stage.run(ctx)
    assert (tmp_path / "statements" / "statement-P4.pdf").exists()
    assert ctx.summary["Patient statements"] == 2
    assert ctx.summary["Patient balance billed"] == 77.34
    sheet = ctx.results["Statements"]
    assert [s.title for s in sheet.sections] == ["Statements", "Itemized lines", "Not billed"]
    assert sheet.sections[0].frame["Amount due"].tolist() == [65.0, 12.34]
    files = json.loads(lg.conn.execute("SELECT files FROM statement_runs").fetchone()[0])
    assert "statement-P1.pdf" in files


def test_allocate_fills_in_order_within_key():
    d = pd.DataFrame({"key": ["a", "a", "b", "b"], "d": ["c1", "c2", "c3", "c4"],
                      "cents": [100, 50, 30, 0]})
    s = pd.DataFrame({"key": ["a", "a", "b"], "s": ["p1", "p2", "p3"], "cents": [70, 100, 45]})
    got = allocate(d, s).values.tolist()
    assert got == [["a", "c1", "p1", 70], ["a", "c1", "p2", 30], ["a", "c2", "p2", 50],
                   ["b", "c3", "p3", 30]]


def test_long_statement_breaks_pages_and_keeps_totals(tmp_path):
    lg = Ledger(tmp_path / "l.sqlite")
    n = 70
    b = book(Claims=[line("C9", "P1", "2026-07-01", "97110", 12.34, i + 1) for i in range(n)])
    remit(lg, "C9", [dict(line_no=i + 1, charge=1234, paid=900, co=100, coins=234)
                     for i in range(n)])
    run = statements.build(b, lg, AS_OF)
    files = statement_pdf.render(run, b.practice, tmp_path / "pdf", per_patient=False)
    reader = PdfReader(files[0])
    assert len(reader.pages) >= 2
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "(continued)" in text
    assert len(re.findall(r"07/01/2026 C9 97110 \$12\.34", text)) == n
    assert f"Totals ${n * 12.34:,.2f} ${n * 9:,.2f} ${n:,.2f} $0.00 ${n * 2.34:,.2f}" in text
    lg.close()


def test_empty_tables_give_no_statements(tmp_path):
    b = book(Claims=[], PatientPayments=[], Disputes=[])
    run = statements.build(b, None, AS_OF)
    assert run.statements.empty and run.total_due_c == 0
    assert statement_pdf.render(run, b.practice, tmp_path) == []
    assert [s.name for s in statements.sheets(run)] == ["Statements"]


def test_cli_statements_on_the_demo_clinic(demo_small, tmp_path):
    """`claimbook reconcile` posts the demo's 835s; `claimbook statements` bills what is left."""
    import shutil

    from typer.testing import CliRunner

    from claimbook.cli import app

    wb = tmp_path / "clinic.xlsx"
    shutil.copy(demo_small.workbook, wb)
    shutil.copytree(demo_small.workbook.parent / "remits", tmp_path / "remits")
    ledger = tmp_path / "ledger.sqlite"
    runner = CliRunner()
    r = runner.invoke(app, ["reconcile", str(wb), "--ledger", str(ledger), "--as-of", AS_OF])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["statements", str(wb), "--ledger", str(ledger), "--as-of", AS_OF,
                            "--out", str(tmp_path / "pdf")])
    assert r.exit_code == 0, r.output
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "clinic-statements.xlsx", read_only=True)["Statements"]
    due = [row for row in ws.iter_rows(values_only=True) if row and row[0] and
           re.fullmatch(r"\d+-\d+", str(row[0]))]
    pdfs = sorted((tmp_path / "pdf").glob("statement-*.pdf"))
    assert len(due) == len(pdfs) > 0
    with Ledger(ledger) as lg:
        runs = lg.conn.execute("SELECT statements, total_due_cents FROM statement_runs")
        n, total = runs.fetchone()
    assert n == len(pdfs)
    assert total == round(sum(row[4] for row in due) * 100)


def test_patient_on_a_plan_gets_the_next_installment_not_a_dunning(clinic, tmp_path):
    from claimbook.patient_billing import plans
    from tests.pb_book import frame

    b, lg = clinic
    b.tables["PaymentPlans"] = frame("PaymentPlans", [
        {"patient": "P1", "balance": 65.0, "installments": 2, "frequency": "monthly",
         "start_date": "2026-12-05"},
        {"patient": "P4", "balance": 12.34, "installments": 2, "frequency": "monthly",
         "start_date": "2026-10-01"}])  # P4 missed October: keeps the dunning
    on_plan = plans.track(b, AS_OF).plans
    run = statements.build(b, lg, AS_OF, on_plan)
    st = run.statements.set_index("patient")
    assert st.loc["P1", "dunning"] == ("Thank you for keeping to your payment plan. Your next "
                                       "installment of 32.50 is due 12/05/2026.")
    assert st.loc["P1", "level"] == 0
    assert st.loc["P4", "dunning"].startswith("Second notice")
    files = statement_pdf.render(run, b.practice, tmp_path, per_patient=False)
    assert "installment of 32.50 is due 12/05/2026" in _pdf_text(files[0])


def test_secondary_payment_leaves_the_patient_only_the_last_payers_share(tmp_path):
    """Primary pays 88.00 (CO-45 40.00, coinsurance 22.00); the secondary then pays the 22.00,
    reporting the primary's part as OA-23 128.00: the patient owes nothing."""
    from claimbook.patient_billing.balances import claim_lines

    lg = Ledger(tmp_path / "ledger.sqlite")
    b = book(Claims=[line("S1", "P1", "2026-08-10", "99213", 150.0)])
    remit(lg, "S1", [dict(line_no=1, charge=15000, paid=8800, co=4000, coins=2200)],
          status="1", trace="PRIM")
    remit(lg, "S1", [dict(line_no=1, charge=15000, paid=2200, oa=12800)], status="2",
          trace="SEC")
    ln = claim_lines(b, lg).iloc[0]
    assert (ln["ins_paid_c"], ln["adjust_c"], ln["pr_c"]) == (11000, 4000, 0)
    assert ln["state"] == "remitted"
    assert statements.build(b, lg, AS_OF).statements.empty
    # the secondary leaves a copay: only that is the patient's
    lg2 = Ledger(tmp_path / "ledger2.sqlite")
    remit(lg2, "S1", [dict(line_no=1, charge=15000, paid=8800, co=4000, coins=2200)],
          status="1", trace="PRIM")
    remit(lg2, "S1", [dict(line_no=1, charge=15000, paid=1700, oa=12800, copay=500)],
          status="2", trace="SEC")
    ln = claim_lines(b, lg2).iloc[0]
    assert (ln["ins_paid_c"], ln["pr_c"], ln["copay_c"], ln["coinsurance_c"]) == (
        10500, 500, 500, 0)


def test_claim_forwarded_to_the_next_payer_is_not_billed_to_the_patient(tmp_path):
    """CLP02 19: processed as primary and forwarded; no secondary on the Coverage sheet."""
    from claimbook.patient_billing.balances import claim_lines

    lg = Ledger(tmp_path / "ledger.sqlite")
    b = book(Claims=[line("F1", "P1", "2026-08-10", "99213", 150.0)])
    remit(lg, "F1", [dict(line_no=1, charge=15000, paid=9000, co=5520, coins=480)],
          status="19")
    assert claim_lines(b, lg).iloc[0]["state"] == "secondary"
    run = statements.build(b, lg, AS_OF)
    assert run.statements.empty
    assert run.claims.set_index("claim_id").loc["F1", "status"] == "secondary"
    # the secondary's answer arrives: now the patient's share is known and billed
    remit(lg, "F1", [dict(line_no=1, charge=15000, paid=300, oa=14520, coins=180)],
          status="2")
    assert claim_lines(b, lg).iloc[0]["state"] == "remitted"
    st = statements.build(b, lg, AS_OF).statements
    assert st["patient"].tolist() == ["P1"]
