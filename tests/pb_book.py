"""Small synthetic clinic Books and ledger rows for the patient-billing and eligibility tests.

Tables are built with every schema column in the reader's normalised form (see
docs/contracts.md); remittances are written straight into a temporary ledger the way the 835
posting engine writes them (ledger migration 3).
"""

from __future__ import annotations

import pandas as pd

from claimbook.book import Book, PracticeSettings, empty_table
from claimbook.ledger import Ledger
from claimbook.schemas import table

PRACTICE = PracticeSettings(
    billing_name="Maple Street Family Practice", billing_npi="1234567893",
    billing_ein="123456789", billing_taxonomy="207Q00000X", billing_address="12 Maple St",
    billing_city="Springfield", billing_state="MA", billing_zip="011031234",
    billing_phone="4135550100", submitter_id="MAPLE01", submitter_name="Maple Street FP",
    submitter_contact="Billing Office", submitter_phone="4135550100", receiver_id="CLEARHOUSE",
    receiver_name="Test Clearinghouse", remit_name="Maple Street FP Billing",
    remit_address="PO Box 77; Springfield, MA 01103")


def frame(name: str, rows: list[dict]) -> pd.DataFrame:
    """A table of `name` with every schema column, typed like the reader's output."""
    base = empty_table(table(name))
    if not rows:
        return base
    f = pd.DataFrame(rows)
    out = pd.DataFrame(index=range(len(f)))
    for col in base.columns:
        if col == "_row":
            out[col] = f[col] if col in f else range(2, len(f) + 2)
            continue
        vals = f[col] if col in f else pd.Series([None] * len(f))
        dtype = base[col].dtype
        if str(dtype).startswith("datetime"):
            out[col] = pd.to_datetime(vals)
        elif dtype == "float64":
            out[col] = pd.to_numeric(vals).astype("float64")
        elif str(dtype) in ("Int64", "boolean"):
            out[col] = vals.astype(dtype)
        else:
            out[col] = vals.astype(object).where(vals.notna(), None)
    return out


def book(**tables: list[dict]) -> Book:
    patients = tables.pop("Patients", None) or [
        {"account": a, "last_name": ln, "first_name": fn, "dob": "1980-01-01", "sex": "F",
         "address": "1 Elm St", "city": "Springfield", "state": "MA", "zip": "01103"}
        for a, ln, fn in [("P1", "Testa", "Ann"), ("P2", "Demo", "Bo"), ("P3", "Sample", "Cy"),
                          ("P4", "Fixture", "Di")]]
    t = {"Patients": frame("Patients", patients)}
    for name, rows in tables.items():
        t[name] = frame(name, rows)
    for name in ("Claims", "Coverage", "Payers"):
        t.setdefault(name, frame(name, []))
    return Book(tables=t, practice=PRACTICE)


def line(claim: str, patient: str, dos: str, code: str, charge: float, line_no: int = 1,
         payer: str = "AETNA", **kw) -> dict:
    return {"claim_id": claim, "line_no": line_no, "patient": patient, "payer_id": payer,
            "dos_from": dos, "code": code, "charge": charge, "units": 1.0, **kw}


def remit(ledger: Ledger, claim: str, lines: list[dict], *, status: str = "1",
          payment_date: str = "2026-09-01", trace: str | None = None) -> None:
    """Post one claim's remittance as the posting engine does (amounts in cents)."""
    c = ledger.conn
    trace = trace or f"T{claim}{status}{payment_date}"
    sign = -1 if status == "22" else 1
    cur = c.execute(
        "INSERT INTO remittances(payer_key, trace, paid_cents, payment_date, posted_at, "
        "posted_by) VALUES ('AETNA', ?, ?, ?, '2026-09-02T00:00:00+00:00', 'test')",
        (trace, sign * sum(x.get("paid", 0) for x in lines), payment_date))
    rid = cur.lastrowid
    charge = sum(x["charge"] for x in lines)
    paid = sum(x.get("paid", 0) for x in lines)
    pr = sum(x.get(k, 0) for x in lines for k in ("ded", "coins", "copay", "other_pr"))
    cur = c.execute(
        "INSERT INTO claim_payments(remit_id, claim_id, remit_claim_id, status, charge_cents, "
        "paid_cents, patient_resp_cents, posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
        "'2026-09-02T00:00:00+00:00')", (rid, claim, claim, status, sign * charge, sign * paid,
                                         sign * pr))
    cpid = cur.lastrowid
    for x in lines:
        c.execute(
            "INSERT INTO line_payments(claim_payment_id, claim_id, line_no, charge_cents, "
            "paid_cents, contractual_cents, deductible_cents, coinsurance_cents, copay_cents, "
            "other_pr_cents, other_adj_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cpid, claim, x["line_no"], sign * x["charge"], sign * x.get("paid", 0),
             sign * x.get("co", 0), sign * x.get("ded", 0), sign * x.get("coins", 0),
             sign * x.get("copay", 0), sign * x.get("other_pr", 0), sign * x.get("oa", 0)))
