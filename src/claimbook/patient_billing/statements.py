"""Patient statements: who gets one, what it itemizes, how old the balance is.

`build(book, ledger, as_of)` posts the PatientPayments, applies the Disputes and returns a
`StatementRun`: one statement per patient with a balance due (itemized lines, patient-balance
aging, dunning message), plus the claims not billed and why. No statement is made for a claim
with no balance, for a claim still waiting on insurance (primary, or a secondary payer that
may still pay the patient's part), or for a claim under an open dispute. `statement_pdf`
renders the PDFs; `sheets` gives the Statements and Receipts result sheets; `record` writes
the run into the ledger (`statement_runs`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.book import Book, as_date
from claimbook.ledger import Ledger, current_user, now_iso
from claimbook.patient_billing import balances, disputes, payments
from claimbook.patient_billing.money import dollars
from claimbook.results import ResultSheet, Section

BUCKETS = ["Current", "31-60", "61-90", "91-120", "Over 120"]
BUCKET_EDGES = [30, 60, 90, 120]
DUNNING = [
    "Thank you for choosing us. This is the part of your bill your insurance left for you to "
    "pay. Please pay the amount due by {pay_by}.",
    "Reminder: this balance is more than 30 days old. Please pay it now, or call us to set up "
    "a payment plan.",
    "Second notice: this balance is more than 60 days past due. Please pay it now, or call us "
    "today to arrange a payment plan.",
    "Final notice: this balance is more than 90 days past due. Please pay within 10 days or "
    "call us to avoid further action.",
    "Your account is more than 120 days past due. Unless we hear from you within 10 days it "
    "may be referred to a collection agency. Please call us today.",
]
REASONS = {
    "waiting": "waiting on insurance",
    "secondary": "waiting on secondary insurance",
    "disputed": "disputed",
    "zero": "no balance",
}


@dataclass
class StatementRun:
    """One statement run: statements per patient, their lines, and what was not billed."""

    as_of: pd.Timestamp
    statements: pd.DataFrame  # one row per patient billed
    items: pd.DataFrame  # the lines itemized on the statements
    skipped: pd.DataFrame  # claims not billed: claim_id, patient, reason, balance_c
    claims: pd.DataFrame  # every claim with its patient balance and status
    receipts: pd.DataFrame
    findings: pd.DataFrame = field(default_factory=F.empty)
    run_id: int | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def total_due_c(self) -> int:
        return int(self.statements["due_c"].sum()) if len(self.statements) else 0


def bucket_index(age_days: pd.Series) -> np.ndarray:
    """0..4 for Current (0-30), 31-60, 61-90, 91-120, Over 120 days."""
    return np.searchsorted(BUCKET_EDGES, age_days.to_numpy(dtype="int64"), side="left")


def build(book: Book, ledger: Ledger | None = None, as_of: object = None,
          plans: pd.DataFrame | None = None) -> StatementRun:
    """Everything a statement run needs, computed over whole tables.

    `plans` (plans.track(...).plans) replaces the dunning message of a patient whose payment
    plan is on track by the plan's next installment.
    """
    as_of = as_date(as_of)
    lines = balances.claim_lines(book, ledger)
    totals = balances.claim_totals(lines)
    held, f_disp = disputes.open_disputes(book, totals)
    pays, f_pay = payments.valid_payments(book, totals)
    apps = payments.post(pays, totals, set(held["claim_id"]))
    paid = apps[apps["claim_id"].notna()].groupby("claim_id")["cents"].sum()
    totals["patient_paid_c"] = totals["claim_id"].map(paid).fillna(0).astype("int64")
    totals["balance_c"] = totals["pr_c"] - totals["patient_paid_c"]
    disputed = totals["claim_id"].isin(held["claim_id"])
    totals["status"] = np.select(
        [totals["state"].eq("waiting"), totals["state"].eq("secondary"), disputed,
         totals["balance_c"].le(0)],
        ["waiting", "secondary", "disputed", "zero"], "due")
    totals["age_days"] = (as_of - totals["remit_date"]).dt.days.clip(lower=0).astype("int64")

    # Patient paid per line: the claim's payments fill its lines' responsibility in order.
    lines = lines.sort_values(["claim_id", "line_no"], kind="stable")
    claim_paid = lines["claim_id"].map(paid).fillna(0).astype("int64")
    cum = lines.groupby("claim_id")["pr_c"].cumsum()
    lines["patient_paid_c"] = np.clip(claim_paid - (cum - lines["pr_c"]), 0,
                                      lines["pr_c"].clip(lower=0)).astype("int64")
    last = ~lines["claim_id"].duplicated(keep="last")
    over = (claim_paid - lines.groupby("claim_id")["patient_paid_c"].transform("sum"))
    lines.loc[last, "patient_paid_c"] += over[last].clip(lower=0)
    lines["balance_c"] = lines["pr_c"] - lines["patient_paid_c"]

    due = totals[totals["status"].eq("due")]
    items = lines[lines["claim_id"].isin(due["claim_id"])].copy()
    items = items.sort_values(["patient", "dos", "claim_id", "line_no"], kind="stable")
    statements = _per_patient(book, due, as_of)
    if plans is not None and len(plans) and len(statements):
        statements = _on_plan(statements, plans)
    skipped = totals[totals["status"].ne("due")][["claim_id", "patient", "status", "pr_c",
                                                   "patient_paid_c", "balance_c"]].copy()
    skipped["reason"] = skipped["status"].map(REASONS)
    held_reason = held.set_index("claim_id")["reason"]
    isd = skipped["status"].eq("disputed")
    if isd.any():
        skipped.loc[isd, "reason"] = ("disputed: " + skipped.loc[isd, "claim_id"]
                                      .map(held_reason).astype(str))
    return StatementRun(
        as_of=as_of, statements=statements, items=items.reset_index(drop=True),
        skipped=skipped.sort_values(["patient", "claim_id"]).reset_index(drop=True),
        claims=totals, receipts=payments.receipts(pays, apps),
        findings=F.concat([f_disp, f_pay, payments.credit_findings(book, pays, apps)]))


def _per_patient(book: Book, due: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    b = bucket_index(due["age_days"])
    aging = pd.DataFrame({name: np.where(b == i, due["balance_c"], 0)
                          for i, name in enumerate(BUCKETS)})
    aging["patient"] = due["patient"].to_numpy()
    g = aging.groupby("patient", sort=True)
    st = g[BUCKETS].sum()
    st["due_c"] = st[BUCKETS].sum(axis=1)
    st["oldest_days"] = due.groupby("patient")["age_days"].max()
    st["claims"] = due.groupby("patient")["claim_id"].nunique()
    st = st[st["due_c"] > 0].reset_index()
    level = bucket_index(st["oldest_days"])
    pay_by = (as_of + pd.Timedelta(days=30)).strftime("%m/%d/%Y")
    st["level"] = level
    st["dunning"] = [DUNNING[i].format(pay_by=pay_by) for i in level]
    pts = book.get("Patients").drop_duplicates("account").set_index("account")
    acct = st["patient"]
    for col in ("last_name", "first_name", "address", "city", "state", "zip"):
        st[col] = acct.map(pts[col]).astype("object").where(lambda s: s.notna(), "").to_numpy()
    st["seq"] = np.arange(1, len(st) + 1)
    return st


def _on_plan(st: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    """Patients keeping to a payment plan get its next installment instead of a dunning."""
    ok = plans[plans["state"].eq("on track") & plans["next_due"].notna()]
    ok = ok.sort_values("next_due").drop_duplicates("patient").set_index("patient")
    hit = st["patient"].isin(ok.index)
    if not hit.any():
        return st
    st = st.copy()
    nxt = ok.reindex(st.loc[hit, "patient"])
    st.loc[hit, "level"] = 0
    st.loc[hit, "dunning"] = (
        "Thank you for keeping to your payment plan. Your next installment of "
        + (nxt["next_amount_c"] // 100).map("{:,}".format).to_numpy() + "."
        + (nxt["next_amount_c"] % 100).map("{:02d}".format).to_numpy() + " is due "
        + pd.to_datetime(nxt["next_due"]).dt.strftime("%m/%d/%Y").to_numpy() + ".")
    return st


def record(ledger: Ledger, run: StatementRun, workbook: object = None) -> int:
    """Record the run in the ledger's statement_runs; returns its id (statement # prefix).

    Call before rendering (the statement numbers carry the id), then `record_files`.
    """
    cur = ledger.conn.execute(
        "INSERT INTO statement_runs(at, user, workbook, statements, total_due_cents, files) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (now_iso(), current_user(), Path(str(workbook)).name if workbook else None,
         len(run.statements), run.total_due_c, json.dumps([p.name for p in run.files])))
    run.run_id = int(cur.lastrowid)
    return run.run_id


def record_files(ledger: Ledger, run: StatementRun) -> None:
    """Store the names of the PDF files written for a recorded run."""
    if run.run_id is not None:
        ledger.conn.execute("UPDATE statement_runs SET files = ? WHERE id = ?",
                            (json.dumps([p.name for p in run.files]), run.run_id))


def statement_numbers(run: StatementRun) -> pd.Series:
    """Statement # per statement row: '<run id>-<n>' (run id from the ledger, else the date)."""
    prefix = str(run.run_id) if run.run_id is not None else run.as_of.strftime("%Y%m%d")
    return prefix + "-" + run.statements["seq"].astype(str)


def sheets(run: StatementRun) -> list[ResultSheet]:
    """The Statements sheet (statements, itemized lines, not billed) and the Receipts sheet."""
    st = run.statements
    top = pd.DataFrame({
        "Statement #": statement_numbers(run),
        "Account #": st["patient"],
        "Patient": (st["last_name"].astype(str) + ", " + st["first_name"].astype(str)),
        "Claims": st["claims"].astype("int64"),
        "Amount due": dollars(st["due_c"]),
        **{name: dollars(st[name]) for name in BUCKETS},
        "Oldest (days)": st["oldest_days"].astype("int64"),
        "Message": st["dunning"],
    })
    it = run.items
    lines = pd.DataFrame({
        "Account #": it["patient"], "Claim ID": it["claim_id"], "Line": it["line_no"],
        "DOS": it["dos"], "Service": it["service"], "Charge": dollars(it["charge_c"]),
        "Insurance paid": dollars(it["ins_paid_c"]), "Adjustments": dollars(it["adjust_c"]),
        "Patient paid": dollars(it["patient_paid_c"]), "Balance due": dollars(it["balance_c"]),
        "Excel row": it["_row"],
    })
    sk = run.skipped
    skipped = pd.DataFrame({
        "Account #": sk["patient"], "Claim ID": sk["claim_id"],
        "Not billed because": sk["reason"], "Patient responsibility": dollars(sk["pr_c"]),
        "Patient paid": dollars(sk["patient_paid_c"]),
        "Balance": dollars(sk["balance_c"]),
    })
    intro = [f"Statements as of {run.as_of:%Y-%m-%d}: {len(st):,} patients, "
             f"{dollars(np.int64(run.total_due_c)):,.2f} due. Claims waiting on insurance, "
             "under dispute or with no balance are listed below and not billed."]
    out = [ResultSheet("Statements", [
        Section(top, title="Statements"),
        Section(lines, title="Itemized lines"),
        Section(skipped, title="Not billed"),
    ], intro=intro)]
    if len(run.receipts):
        out.append(ResultSheet.single("Receipts", run.receipts, title="Patient payment receipts"))
    return out
