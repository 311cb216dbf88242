"""Everything posted in the ledger, as DataFrames, and claim balances computed from it.

Balance rules (docs/reconciliation.md, "How balances are computed"):
- a claim's charge is the sum of its lines in the Claims sheet (the ledger's submission when
  the workbook no longer has it);
- insurance paid, write-offs (CO/OA/PI/CR adjustments whose CARC is contractual, prior-payer or
  other), patient responsibility (PR) and denied amounts (every other adjustment) are summed
  over every posting of the claim, reversals included (a reversal carries negated amounts, so
  the original and its reversal cancel and only the correction remains);
- insurance balance = charge - paid - write-offs - patient responsibility; denied amounts stay
  in it until the claim is corrected, appealed or written off; an unsent or unanswered claim
  is in insurance A/R at its full charge;
- patient balance = patient responsibility - patient payments (PatientPayments rows with that
  claim id); when the latest answer forwarded the claim to another payer (CLP02 19/20/21/23),
  the patient's part is waiting on that payer and stays in the insurance balance.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from claimbook.book import Book
from claimbook.ledger import Ledger
from claimbook.reconcile import codes
from claimbook.reconcile.match import known_claims, to_cents
from claimbook.x12.x835 import FORWARDED


@dataclass
class Postings:
    """The ledger's remittance tables (amounts in cents)."""

    remits: pd.DataFrame
    claims: pd.DataFrame  # claim_payments + payer_name, trace, payment_date, file
    lines: pd.DataFrame  # line_payments + status, payer, trace, payment_date, reversed
    adjustments: pd.DataFrame  # payment_adjustments + claim_id, status, category
    plb: pd.DataFrame  # provider_adjustments + payer, trace, payment_date
    submissions: pd.DataFrame
    submitted_lines: pd.DataFrame


def query(ledger: Ledger, sql: str, params: list | None = None) -> pd.DataFrame:
    """`pd.read_sql_query` with plain tuples as rows (building sqlite3.Row objects, the
    connection's row factory, and converting them back costs about a third of the read)."""
    conn = ledger.conn
    factory, conn.row_factory = conn.row_factory, None
    try:
        return pd.read_sql_query(sql, conn, params=params)
    finally:
        conn.row_factory = factory


def load(ledger: Ledger) -> Postings:
    q = lambda sql: query(ledger, sql)
    remits = q("SELECT * FROM remittances")
    claims = q("SELECT cp.*, r.payer_key, r.payer_name, r.trace, r.payment_date, r.file, "
               "r.posted_at AS remit_posted_at FROM claim_payments cp "
               "JOIN remittances r USING (remit_id)")
    lines = q("SELECT lp.*, cp.status, cp.payer_id, cp.reversed_by, cp.remit_claim_id, "
              "r.payer_key, r.payer_name, r.trace, r.payment_date FROM line_payments lp "
              "JOIN claim_payments cp ON cp.id = lp.claim_payment_id "
              "JOIN remittances r ON r.remit_id = cp.remit_id")
    adj = q("SELECT pa.*, cp.claim_id, cp.status, cp.reversed_by, cp.payer_id, "
            "r.payment_date FROM payment_adjustments pa "
            "JOIN claim_payments cp ON cp.id = pa.claim_payment_id "
            "JOIN remittances r ON r.remit_id = cp.remit_id")
    plb = q("SELECT pa.*, r.payer_key, r.payer_name, r.trace, r.payment_date, r.file "
            "FROM provider_adjustments pa JOIN remittances r USING (remit_id)")
    subs = q("SELECT * FROM submissions")
    sl = q("SELECT * FROM submitted_lines")
    for f, cols in ((claims, ["payment_date"]), (lines, ["payment_date", "dos"]),
                    (adj, ["payment_date"]), (plb, ["payment_date", "fiscal_period"]),
                    (remits, ["payment_date"])):
        for c in cols:
            f[c] = pd.to_datetime(f[c], errors="coerce")
    adj["category"] = codes.categories(adj["group_code"], adj["reason"])
    return Postings(remits, claims, lines, adj, plb, subs, sl)


def empty() -> Postings:
    return load(Ledger(":memory:"))


def active(claims: pd.DataFrame) -> pd.DataFrame:
    """Postings still in force: not reversed and not reversals themselves."""
    return claims[claims["reversed_by"].isna() & claims["status"].ne("22")]


def latest(claims: pd.DataFrame) -> pd.DataFrame:
    """The latest posting in force per claim and payer (the payer's current answer)."""
    a = active(claims).dropna(subset=["claim_id"])
    return a.sort_values("id").drop_duplicates(["claim_id", "payer_key"], keep="last")


def claim_balances(book: Book, p: Postings, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per known claim: charge, paid, writeoff, patient_resp, denied, balances (cents).

    Postings and patient payments dated after `as_of` are left out (aging as of a date).
    """
    known = known_claims(book, p.submissions)
    subs = p.submissions
    if len(subs):
        last_sub = pd.to_datetime(subs["submitted_at"], errors="coerce", utc=True) \
            .dt.tz_localize(None).dt.normalize().groupby(subs["claim_id"]).max()
        known["submitted_on"] = known["submitted_on"].fillna(known["claim_id"].map(last_sub))
    cp, adj = p.claims, p.adjustments
    if as_of is not None:
        cp = cp[cp["payment_date"].isna() | cp["payment_date"].le(as_of)]
        adj = adj[adj["payment_date"].isna() | adj["payment_date"].le(as_of)]
    cp = cp.dropna(subset=["claim_id"])
    adj = adj.dropna(subset=["claim_id"])
    paid = cp.groupby("claim_id")["paid_cents"].sum()
    by_cat = adj.pivot_table(index="claim_id", columns="category", values="amount_cents",
                             aggfunc="sum", fill_value=0)
    out = known.copy()
    out["paid_cents"] = out["claim_id"].map(paid).fillna(0).astype("int64")
    for c in ("writeoff", "patient", "denial"):
        v = by_cat[c] if c in by_cat else pd.Series(dtype="int64")
        out[c + "_cents"] = out["claim_id"].map(v).fillna(0).astype("int64")
    out = out.rename(columns={"writeoff_cents": "writeoff_cents",
                              "patient_cents": "patient_resp_cents",
                              "denial_cents": "denied_cents"})
    last = latest(cp) if len(cp) else cp
    status = last.sort_values("id").drop_duplicates("claim_id", keep="last") \
        .set_index("claim_id")["status"] if len(last) else pd.Series(dtype=object)
    out["last_status"] = out["claim_id"].map(status)
    out["remitted"] = out["claim_id"].isin(cp["claim_id"])
    out["forwarded"] = out["last_status"].isin(FORWARDED)
    pp = book.get("PatientPayments")
    if len(pp):
        pp = pp.dropna(subset=["claim_id"])
        if as_of is not None:
            pp = pp[pp["date"].isna() | pp["date"].le(as_of)]
        pat_paid = to_cents(pp["amount"]).groupby(pp["claim_id"]).sum()
    else:
        pat_paid = pd.Series(dtype="int64")
    out["patient_paid_cents"] = out["claim_id"].map(pat_paid).fillna(0).astype("int64")
    ins = out["charge_cents"] - out["paid_cents"] - out["writeoff_cents"] \
        - out["patient_resp_cents"]
    pat = out["patient_resp_cents"] - out["patient_paid_cents"]
    fwd = out["forwarded"]
    out["insurance_balance_cents"] = ins.where(~fwd, ins + out["patient_resp_cents"])
    out["patient_balance_cents"] = pat.where(~fwd, -out["patient_paid_cents"])
    out["balance_cents"] = out["insurance_balance_cents"] + out["patient_balance_cents"]
    return out


def load_light(ledger: Ledger) -> dict[str, pd.DataFrame]:
    """What matching needs before posting: submissions, submitted lines, posted claim numbers."""
    q = lambda sql: query(ledger, sql)
    return {
        "submissions": q("SELECT * FROM submissions"),
        "submitted_lines": q("SELECT * FROM submitted_lines"),
        "claim_payments": q("SELECT claim_id, payer_claim_number FROM claim_payments "
                            "WHERE claim_id IS NOT NULL AND payer_claim_number IS NOT NULL"),
    }
