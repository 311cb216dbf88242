"""Everything posted in the ledger, as DataFrames, and claim balances computed from it.

Balance rules (docs/reconciliation.md, "How balances are computed"), the same as patient
statements (`patient_billing.balances`, whose payer levels are reused):
- a claim's charge is the sum of its lines in the Claims sheet (the ledger's submission when
  the workbook no longer has it);
- insurance paid is summed over every payer and posting, reversals included (a reversal
  carries negated amounts, so the original and its reversal cancel);
- each posting has a payer level (CLP02 1/19/4 primary, 2/20 secondary, 3/21 tertiary; a
  reversal takes its original's level); patient responsibility (PR) is the last payer's only;
  CO adjustments count at every level, OA/PI/CR only at the primary's (a secondary's OA-23
  restates what the primary settled); CO/OA/PI/CR with a contractual, prior-payer or other
  CARC are write-offs, every other reason is a denial that stays in the insurance balance;
- insurance balance = charge - paid - write-offs - patient responsibility; an unsent or
  unanswered claim is in insurance A/R at its full charge;
- patient balance = patient responsibility - patient payments, applied as statements apply
  them (`payments.post`: the named claim first, then the oldest remitted undisputed balance);
  when the last answer forwarded the claim to the next payer (CLP02 19/20/21), the patient's
  part waits on that payer and stays in the insurance balance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from claimbook.book import Book
from claimbook.ledger import Ledger
from claimbook.patient_billing import disputes, payments
from claimbook.patient_billing.balances import FORWARDED as PB_FORWARDED
from claimbook.patient_billing.balances import active_secondary, payer_postings
from claimbook.reconcile import codes
from claimbook.reconcile.match import known_claims, to_cents


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
    imbalances: pd.DataFrame  # remittance_imbalances + payer_name, file, remit_claim_id, line_no
    ledger: Ledger | None = None  # where they were read (payer levels are read from it)


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
    imb = q("SELECT i.*, r.payer_name, r.file, cp.remit_claim_id, lp.line_no "
            "FROM remittance_imbalances i JOIN remittances r USING (remit_id) "
            "LEFT JOIN claim_payments cp ON cp.id = i.claim_payment_id "
            "LEFT JOIN line_payments lp ON lp.id = i.line_payment_id")
    subs = q("SELECT * FROM submissions")
    sl = q("SELECT * FROM submitted_lines")
    for f, cols in ((claims, ["payment_date"]), (lines, ["payment_date", "dos"]),
                    (adj, ["payment_date"]), (plb, ["payment_date", "fiscal_period"]),
                    (remits, ["payment_date"])):
        for c in cols:
            f[c] = pd.to_datetime(f[c], errors="coerce")
    adj["category"] = codes.categories(adj["group_code"], adj["reason"])
    return Postings(remits, claims, lines, adj, plb, subs, sl, imb, ledger)


def empty() -> Postings:
    return load(Ledger(":memory:"))


def active(claims: pd.DataFrame) -> pd.DataFrame:
    """Postings still in force: not reversed and not reversals themselves."""
    return claims[claims["reversed_by"].isna() & claims["status"].ne("22")]


def latest(claims: pd.DataFrame) -> pd.DataFrame:
    """The latest posting in force per claim and payer (the payer's current answer)."""
    a = active(claims).dropna(subset=["claim_id"])
    return a.sort_values("id").drop_duplicates(["claim_id", "payer_key"], keep="last")


def payer_levels(p: Postings, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per claim payment (indexed by id): claim_id, status, payer `level` (1 primary, 2
    secondary, 3 tertiary; a reversal takes its original's), `in_force` and `at_last` (it
    belongs to the claim's last payer, whose patient responsibility is the patient's).

    The levels are `patient_billing.balances.payer_postings`, so statements and aging agree. With
    `as_of`, postings dated later are left out and `in_force` / `at_last` are taken again
    over what is left (a later reversal had not happened yet).
    """
    f = payer_postings(p.ledger) if p.ledger is not None else pd.DataFrame(
        columns=["id", "claim_id", "status", "reversed_by", "remit_date", "level", "in_force",
                 "at_last"])
    if as_of is not None and len(f):
        dated = pd.to_datetime(f["remit_date"], errors="coerce", format="mixed")
        f = f[dated.isna() | dated.le(as_of)].copy()
        undone = f["reversed_by"].notna() & f["reversed_by"].isin(f["id"])
        f["in_force"] = f["status"].ne("22") & ~undone
        last = f["level"].where(f["in_force"]).groupby(f["claim_id"]).transform("max")
        f["at_last"] = f["level"].eq(last.fillna(1))
    return f.set_index("id")[["claim_id", "status", "level", "in_force", "at_last"]]


def _adjustment_sums(adj: pd.DataFrame, lv: pd.DataFrame) -> pd.DataFrame:
    """Per claim: writeoff, patient and denial cents under coordination of benefits.

    Only the last payer's PR counts (it restates what the patient owes after every payer);
    a later payer's OA/PI/CR adjustments report what an earlier payer settled (OA-23), so
    only the primary's count; CO adjustments count at every level.
    """
    level = adj["claim_payment_id"].map(lv["level"])
    at_last = adj["claim_payment_id"].map(lv["at_last"]).astype("boolean").fillna(False)
    is_pr = adj["category"].eq("patient")
    keep = level.notna() & np.where(is_pr, at_last, adj["group_code"].eq("CO") | level.eq(1))
    a = adj[keep]
    return a.pivot_table(index="claim_id", columns="category", values="amount_cents",
                         aggfunc="sum", fill_value=0)


def _claim_states(out: pd.DataFrame) -> pd.Series:
    """The patient-billing state of each claim (as `balances.claim_lines` names it)."""
    return pd.Series(np.select([~out["remitted"], out["forwarded"]], ["waiting", "secondary"],
                               "remitted"), index=out.index)


def _patient_payments(book: Book, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """PatientPayments that can be posted: pid, patient, date, amount_c, claim_id."""
    pp = book.get("PatientPayments")
    cols = ["pid", "patient", "date", "amount_c", "claim_id"]
    if pp.empty:
        return pd.DataFrame(columns=cols)
    pay = pd.DataFrame({"pid": np.arange(len(pp)), "patient": pp["patient"].astype(object),
                        "date": pd.to_datetime(pp["date"], errors="coerce"),
                        "amount_c": to_cents(pp["amount"]).to_numpy(),
                        "claim_id": pp["claim_id"].to_numpy(dtype=object, copy=True)})
    ok = pay["patient"].notna() & pay["amount_c"].gt(0)
    if as_of is not None:
        ok &= pay["date"].isna() | pay["date"].le(as_of)
    pay = pay[ok].assign(patient=lambda f: f["patient"].astype(str))
    return pay


def _patient_paid(book: Book, out: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.Series:
    """Patient payments per claim, applied as statements apply them (`payments.post`): the
    named claim first, then the oldest remitted undisputed balances; what finds no balance
    is a credit on the named claim, else on the patient's newest claim."""
    pay = _patient_payments(book, as_of)
    if pay.empty:
        return pd.Series(dtype="int64")
    claims = pd.DataFrame({"claim_id": out["claim_id"], "patient": out["patient"].astype(str),
                           "first_dos": out["dos"], "state": _claim_states(out),
                           "pr_c": out["patient_resp_cents"]})
    pairs = claims[["claim_id", "patient"]].drop_duplicates()
    own = pay[["claim_id", "patient"]].merge(pairs, how="left", indicator=True)["_merge"] \
        .eq("both").to_numpy()
    pay["claim_id"] = pay["claim_id"].where(own, None)  # not the patient's: oldest first
    apps = payments.post(pay, claims, set(out.loc[out["disputed"], "claim_id"]))
    newest = claims.sort_values(["first_dos", "claim_id"]).drop_duplicates("patient",
                                                                          keep="last")
    by_pid = pay.set_index("pid")
    home = by_pid["claim_id"].fillna(by_pid["patient"].map(newest.set_index("patient")
                                                           ["claim_id"]))
    apps["claim_id"] = apps["claim_id"].fillna(apps["pid"].map(home))
    return apps.groupby("claim_id")["cents"].sum()


def _disputed(book: Book, known: pd.DataFrame) -> pd.Series:
    """True per claim under an open dispute (Disputes table): statements hold it."""
    held, _ = disputes.open_disputes(book, known[["claim_id", "patient"]].astype(
        {"patient": str}))
    return known["claim_id"].isin(held["claim_id"])


def claim_balances(book: Book, p: Postings, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per known claim: charge, paid, writeoff, patient_resp, denied, balances (cents).

    Coordination of benefits as in patient statements (`payer_levels`, `_adjustment_sums`);
    patient payments applied as statements apply them (`_patient_paid`). Postings and
    patient payments dated after `as_of` are left out (aging as of a date).
    """
    known = known_claims(book, p.submissions)
    subs = p.submissions
    if len(subs):
        last_sub = pd.to_datetime(subs["submitted_at"], errors="coerce", utc=True) \
            .dt.tz_localize(None).dt.normalize().groupby(subs["claim_id"]).max()
        known["submitted_on"] = known["submitted_on"].fillna(known["claim_id"].map(last_sub))
    lv = payer_levels(p, as_of)
    cp = p.claims[p.claims["id"].isin(lv.index)].dropna(subset=["claim_id"])
    adj = p.adjustments[p.adjustments["claim_payment_id"].isin(lv.index)]
    adj = adj.dropna(subset=["claim_id"])
    by_cat = _adjustment_sums(adj, lv)
    out = known.copy()
    out["paid_cents"] = out["claim_id"].map(cp.groupby("claim_id")["paid_cents"].sum()) \
        .fillna(0).astype("int64")
    for c, name in (("writeoff", "writeoff_cents"), ("patient", "patient_resp_cents"),
                    ("denial", "denied_cents")):
        v = by_cat[c] if c in by_cat else pd.Series(dtype="int64")
        out[name] = out["claim_id"].map(v).fillna(0).astype("int64")
    last = lv[lv["in_force"] & lv["at_last"]].sort_index()
    last = last[~last["claim_id"].duplicated(keep="last")].set_index("claim_id")
    out["last_status"] = out["claim_id"].map(last["status"])
    out["remitted"] = out["claim_id"].isin(cp["claim_id"])
    # waiting on the next payer, as patient statements decide it: the payer forwarded the
    # claim (19/20/21), or only the primary answered and a secondary is on file for the DOS
    answered = lv.loc[lv["in_force"]].groupby("claim_id")["level"].max()
    only_primary = out["claim_id"].map(answered).fillna(1).le(1)
    has_secondary = active_secondary(book, out[["patient", "dos"]])
    out["forwarded"] = out["last_status"].isin(PB_FORWARDED) | (
        out["claim_id"].isin(cp["claim_id"]) & only_primary & has_secondary
        & out["patient_resp_cents"].gt(0))
    out["disputed"] = _disputed(book, out)
    out["patient_paid_cents"] = out["claim_id"].map(_patient_paid(book, out, as_of)) \
        .fillna(0).astype("int64")
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
