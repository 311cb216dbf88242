"""Benchmark patient billing and insurance verification on synthetic data.

    .venv/bin/python benchmarks/bench_patient_billing.py [--patients 10000] [--appointments 10000]

Builds a synthetic clinic (one or two claims per patient, remittances in a temporary ledger,
patient payments, disputes), then times: balances + payment posting + statement selection,
PDF rendering (one file per patient plus the combined print file; pages/s), the Statements
sheet, payment plan schedules and tracking, and verification of the appointments with 270
generation. Prints the figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from claimbook.book import Book
from claimbook.eligibility import verify, x270
from claimbook.ledger import Ledger
from claimbook.patient_billing import plans, statement_pdf, statements
from tests.pb_book import PRACTICE, frame


def clinic(n_pat: int, n_appt: int, ledger: Ledger, seed: int = 1) -> Book:
    rng = np.random.default_rng(seed)
    acct = np.array([f"P{i:06d}" for i in range(n_pat)])
    patients = pd.DataFrame({"account": acct, "last_name": "Synthetic", "first_name": "Pat",
                             "dob": "1980-01-01", "sex": "F", "address": "1 Test St",
                             "city": "Springfield", "state": "MA", "zip": "01103"})
    n_claims = n_pat * 2
    cpat = np.repeat(acct, 2)
    cid = np.array([f"C{i:07d}" for i in range(n_claims)])
    n_lines = rng.integers(1, 4, n_claims)
    li = np.repeat(np.arange(n_claims), n_lines)
    line_no = np.arange(len(li)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    dos = pd.Timestamp("2026-03-01") + pd.to_timedelta(rng.integers(0, 240, n_claims), "D")
    charge_c = rng.integers(50, 400, len(li)) * 100
    claims = pd.DataFrame({"claim_id": cid[li], "line_no": line_no, "patient": cpat[li],
                           "payer_id": "AETNA", "dos_from": dos[li], "code": "99213",
                           "charge": charge_c / 100.0, "units": 1.0})
    # 85 % of claims remitted: paid 60 %, contractual 25 %, the rest patient responsibility.
    remitted = rng.random(n_claims) < 0.85
    c = ledger.conn
    with ledger.transaction():
        c.execute("INSERT INTO remittances(remit_id, payer_key, trace, paid_cents, "
                  "payment_date, posted_at, posted_by) VALUES (1, 'AETNA', 'T1', 0, "
                  "'2026-09-01', '2026-09-02', 'bench')")
        rc = np.flatnonzero(remitted)
        lines_r = np.isin(li, rc)
        paid = (charge_c * 0.6).astype("int64")
        co = (charge_c * 0.25).astype("int64")
        pr = charge_c - paid - co

        def claim_sum(v: np.ndarray) -> np.ndarray:
            return np.bincount(li, weights=v, minlength=n_claims).astype("int64")

        c.executemany(
            "INSERT INTO claim_payments(id, remit_id, claim_id, remit_claim_id, status, "
            "charge_cents, paid_cents, patient_resp_cents, posted_at) VALUES "
            "(?, 1, ?, ?, '1', ?, ?, ?, '2026-09-02')",
            [(int(i) + 1, cid[i], cid[i], int(a), int(b), int(d)) for i, a, b, d in
             zip(rc, claim_sum(charge_c)[rc], claim_sum(paid)[rc], claim_sum(pr)[rc],
                 strict=True)])
        idx = np.flatnonzero(lines_r)
        c.executemany(
            "INSERT INTO line_payments(claim_payment_id, claim_id, line_no, charge_cents, "
            "paid_cents, contractual_cents, coinsurance_cents) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(int(li[i]) + 1, cid[li[i]], int(line_no[i]), int(charge_c[i]), int(paid[i]),
              int(co[i]), int(pr[i])) for i in idx])
    pay_pat = rng.choice(acct, n_pat // 3)
    payments = pd.DataFrame({"patient": pay_pat, "date": "2026-10-01",
                             "amount": rng.integers(5, 60, len(pay_pat)).astype(float),
                             "method": "card"})
    disputes = pd.DataFrame({"patient": acct[: n_pat // 50], "claim_id": None,
                             "reason": "billing question", "status": "open"})
    pl = pd.DataFrame({"patient": acct[: n_pat // 10], "balance": 250.0, "down_payment": 50.0,
                       "installments": 6, "frequency": "monthly", "start_date": "2026-07-15"})
    coverage = pd.DataFrame({"patient": acct, "payer_id": "AETNA", "member_id": "M" + acct,
                             "priority": "primary", "relationship": "self",
                             "effective_from": "2026-01-01", "copay": 25.0,
                             "deductible": 1000.0, "deductible_met": 300.0,
                             "coinsurance_pct": 20.0})
    fees = pd.DataFrame({"payer_id": ["*", "AETNA", "*"], "code": ["99213", "99213", "36415"],
                         "standard_charge": [150.0, 150.0, 20.0],
                         "allowed": [None, 98.0, None]})
    appts = pd.DataFrame({"patient": rng.choice(acct, n_appt),
                          "date": pd.Timestamp("2026-12-01")
                          + pd.to_timedelta(rng.integers(0, 20, n_appt), "D"),
                          "planned_codes": "99213, 36415"})
    t = {"Patients": patients, "Claims": claims, "PatientPayments": payments,
         "Disputes": disputes, "PaymentPlans": pl, "Coverage": coverage, "FeeSchedule": fees,
         "Appointments": appts,
         "Payers": pd.DataFrame({"payer_id": ["AETNA"], "name": ["Aetna Test"],
                                 "filing_indicator": ["CI"]})}
    return Book(tables={k: frame(k, v.to_dict("records")) for k, v in t.items()},
                practice=PRACTICE)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--appointments", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lg = Ledger(Path(tmp) / "ledger.sqlite")
        t = time.perf_counter()
        b = clinic(args.patients, args.appointments, lg)
        print(f"synthetic clinic: {args.patients:,} patients, "
              f"{len(b.tables['Claims']):,} claim lines ({time.perf_counter() - t:.1f} s)")
        t = time.perf_counter()
        run = statements.build(b, lg, "2026-11-29")
        build_s = time.perf_counter() - t
        print(f"balances + payments + selection: {build_s:.2f} s -> {len(run.statements):,} "
              f"statements, {len(run.items):,} itemized lines, "
              f"{run.total_due_c / 100:,.2f} due")
        t = time.perf_counter()
        files = statement_pdf.render(run, b.practice, Path(tmp) / "pdf")
        pdf_s = time.perf_counter() - t
        from pypdf import PdfReader

        pages = len(PdfReader(files[0]).pages)
        size = sum(f.stat().st_size for f in files) / 1e6
        print(f"PDF: {pages:,} pages in the print file + {len(files) - 1:,} patient files in "
              f"{pdf_s:.1f} s = {2 * pages / pdf_s:,.0f} pages/s rendered "
              f"({pages / pdf_s:,.0f} statements pages/s end to end), {size:.1f} MB")
        t = time.perf_counter()
        statements.sheets(run)
        print(f"Statements sheet frames: {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        pr = plans.track(b, "2026-11-29")
        print(f"plans: {len(pr.plans):,} plans, {len(pr.schedule):,} installments, "
              f"{len(pr.missed):,} missed in {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        v = verify.verify(b)
        ver_s = time.perf_counter() - t
        print(f"verification: {len(v.appointments):,} appointments in {ver_s:.2f} s "
              f"({len(v.appointments) / ver_s:,.0f}/s)")
        t = time.perf_counter()
        req = verify.requests(b, v)
        inq = x270.build(req, b.practice, ledger=lg)
        print(f"270: {len(req):,} inquiries in {len(inq)} file(s), "
              f"{sum(len(q.text) for q in inq) / 1e6:.1f} MB in {time.perf_counter() - t:.2f} s")
        lg.close()


if __name__ == "__main__":
    main()
