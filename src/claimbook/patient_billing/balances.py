"""What each claim line owes after insurance, from the ledger's posted remittances.

The 835 posting engine writes `claim_payments` and `line_payments` (ledger migration 3);
reversals (CLP02 = 22) are rows with negative amounts, so sums net them out. Per workbook
claim line this module gives: insurance paid, adjustments (contractual + other), patient
responsibility (deductible + coinsurance + copay + other PR) and where the claim stands:

- `waiting`: no remittance posted yet (or every posting was reversed);
- `secondary`: the primary paid, the patient has secondary coverage active on the DOS and no
  secondary remittance arrived yet (the secondary payer may still pay the patient's part);
- `remitted`: insurance is done, the patient responsibility is the patient's.

Amounts that a remittance reports only at claim level (no matching line) go to the claim's
first line, so claim totals always equal the remittance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimbook.book import Book
from claimbook.ledger import Ledger
from claimbook.patient_billing.money import cents

PR_PARTS = ["deductible_c", "coinsurance_c", "copay_c", "other_pr_c"]
LINE_COLS = ["ins_paid_c", "adjust_c", *PR_PARTS]
LEVEL = {"2": 2, "20": 2, "3": 3, "21": 3}  # payer order of a CLP02 status; others: 1
FORWARDED = ("19", "20", "21")  # processed and forwarded to the next payer


def _empty_claim_sums() -> pd.DataFrame:
    return pd.DataFrame({
        "claim_id": pd.Series(dtype=object), "cp_paid": pd.Series(dtype="int64"),
        "cp_pr": pd.Series(dtype="int64"), "cp_charge": pd.Series(dtype="int64"),
        "postings": pd.Series(dtype="int64"), "forwarded": pd.Series(dtype=bool),
        "last_level": pd.Series(dtype="int64"), "remit_date": pd.Series(dtype="datetime64[ns]")})


def payer_postings(ledger: Ledger) -> pd.DataFrame:
    """Every claim payment with its payer level and whether it belongs to the claim's last
    payer (`at_last`): the one whose patient responsibility is the patient's.

    A reversal (CLP02 = 22) takes the level of the posting it reverses, so the pair nets out
    at that level; `in_force` marks postings neither reversing nor reversed.
    """
    sql = """
        SELECT cp.id AS id, cp.claim_id AS claim_id, cp.status AS status,
               cp.charge_cents AS charge, cp.paid_cents AS paid,
               cp.patient_resp_cents AS pr, cp.reversed_by AS reversed_by,
               COALESCE(NULLIF(r.payment_date, ''), substr(cp.posted_at, 1, 10)) AS remit_date
        FROM claim_payments cp LEFT JOIN remittances r ON r.remit_id = cp.remit_id
        WHERE cp.claim_id IS NOT NULL"""
    f = pd.read_sql_query(sql, ledger.conn)
    f["claim_id"] = f["claim_id"].astype(str)
    f["status"] = f["status"].astype(str)
    level = f["status"].map(LEVEL).fillna(1).astype("int64")
    rev = f["reversed_by"].notna()
    of_reversal = pd.Series(level[rev].to_numpy(), index=f.loc[rev, "reversed_by"].astype(
        "int64").to_numpy())
    of_reversal = of_reversal[~of_reversal.index.duplicated()]
    is_rev = f["status"].eq("22")
    level = level.where(~is_rev, f["id"].map(of_reversal).fillna(1).astype("int64"))
    f["level"] = level
    f["in_force"] = ~is_rev & ~rev
    last = f["level"].where(f["in_force"]).groupby(f["claim_id"]).transform("max").fillna(1)
    f["at_last"] = f["level"].eq(last)
    return f


def ledger_claims(ledger: Ledger | None) -> pd.DataFrame:
    """Per claim: net paid (every payer), the last payer's net patient responsibility and
    charge, net number of postings, forwarded-and-waiting flag, first remittance date."""
    if ledger is None:
        return _empty_claim_sums()
    f = payer_postings(ledger)
    if f.empty:
        return _empty_claim_sums()
    last = f["at_last"]
    g = f.assign(pr_last=f["pr"].where(last, 0), charge_last=f["charge"].where(last, 0),
                 n=np.where(f["status"].eq("22"), -1, 1),
                 fwd=f["in_force"] & last & f["status"].isin(FORWARDED),
                 answered=f["level"].where(f["in_force"], 0)).groupby("claim_id")
    out = pd.DataFrame({
        "cp_paid": g["paid"].sum(), "cp_pr": g["pr_last"].sum(),
        "cp_charge": g["charge_last"].sum(), "postings": g["n"].sum(),
        "forwarded": g["fwd"].any(), "last_level": g["answered"].max(),
        "remit_date": g["remit_date"].min()}).reset_index()
    out["remit_date"] = pd.to_datetime(out["remit_date"], errors="coerce", format="mixed")
    return out


def ledger_lines(ledger: Ledger | None) -> pd.DataFrame:
    """Per (claim, line): net paid (every payer), adjustments and the last payer's
    patient-responsibility parts, in cents.

    A later payer's OA adjustments report what the earlier payer already settled (CARC 23),
    so only the first payer's OA adjustments count as write-offs.
    """
    cols = ["claim_id", "line_no", *LINE_COLS]
    empty = pd.DataFrame({c: pd.Series(dtype=object if c == "claim_id" else "int64")
                          for c in cols})
    if ledger is None:
        return empty
    sql = """
        SELECT lp.claim_payment_id AS cp_id, COALESCE(lp.claim_id, cp.claim_id) AS claim_id,
               lp.line_no AS line_no, lp.paid_cents AS ins_paid_c,
               lp.contractual_cents AS contractual, lp.other_adj_cents AS other_adj,
               lp.deductible_cents AS deductible_c, lp.coinsurance_cents AS coinsurance_c,
               lp.copay_cents AS copay_c, lp.other_pr_cents AS other_pr_c
        FROM line_payments lp JOIN claim_payments cp ON cp.id = lp.claim_payment_id
        WHERE COALESCE(lp.claim_id, cp.claim_id) IS NOT NULL AND lp.line_no IS NOT NULL"""
    f = pd.read_sql_query(sql, ledger.conn)
    if f.empty:
        return empty
    post = payer_postings(ledger).set_index("id")
    level = f["cp_id"].map(post["level"]).fillna(1)
    last = f["cp_id"].map(post["at_last"]).fillna(True).astype(bool)
    f["adjust_c"] = f["contractual"] + f["other_adj"].where(level.eq(1), 0)
    for c in PR_PARTS:
        f[c] = f[c].where(last, 0)
    f["claim_id"] = f["claim_id"].astype(str)
    f["line_no"] = f["line_no"].astype("int64")
    out = f.groupby(["claim_id", "line_no"], as_index=False)[LINE_COLS].sum()
    return out[cols]


def active_secondary(book: Book, lines: pd.DataFrame) -> pd.Series:
    """True per line when the patient has secondary coverage active on the line's DOS."""
    cov = book.get("Coverage")
    if lines.empty or not {"priority", "effective_from", "effective_to"} <= set(cov.columns):
        return pd.Series(False, index=lines.index)
    sec = cov[cov["priority"].eq("secondary")][["patient", "effective_from", "effective_to"]]
    if sec.empty:
        return pd.Series(False, index=lines.index)
    m = lines[["patient", "dos"]].reset_index().merge(sec, on="patient", how="inner")
    on = ((m["effective_from"].isna() | (m["effective_from"] <= m["dos"]))
          & (m["effective_to"].isna() | (m["effective_to"] >= m["dos"])))
    hit = m.loc[on, "index"].unique()
    return pd.Series(lines.index.isin(hit), index=lines.index)


def claim_lines(book: Book, ledger: Ledger | None) -> pd.DataFrame:
    """Every workbook claim line with its insurance outcome, in cents.

    Columns: claim_id, line_no, patient, payer_id, dos, service, charge_c, ins_paid_c,
    adjust_c, deductible_c, coinsurance_c, copay_c, other_pr_c, pr_c, state
    ('waiting'/'secondary'/'remitted'), remit_date, _row.
    """
    c = book.get("Claims")
    mods = c[["mod1", "mod2", "mod3", "mod4"]].astype("object").fillna("")
    service = c["code"].astype("object").fillna("").astype(str)
    for m in mods.columns:
        service = service.where(mods[m].eq(""), service + "-" + mods[m].astype(str))
    lines = pd.DataFrame({
        "claim_id": c["claim_id"].astype(str).to_numpy(),
        "line_no": pd.to_numeric(c["line_no"], errors="coerce").fillna(1).astype("int64")
        .to_numpy(),
        "patient": c["patient"].astype(str).to_numpy(),
        "payer_id": c["payer_id"].astype("object").to_numpy(),
        "dos": pd.to_datetime(c["dos_from"]).to_numpy(),
        "service": service.to_numpy(),
        "charge_c": cents(c["charge"]),
        "_row": c["_row"].to_numpy() if "_row" in c else np.zeros(len(c), dtype="int64"),
    })
    lp = ledger_lines(ledger)
    lines = lines.merge(lp, on=["claim_id", "line_no"], how="left")
    for col in LINE_COLS:
        lines[col] = lines[col].fillna(0).astype("int64")
    cp = ledger_claims(ledger)
    lines = lines.merge(cp, on="claim_id", how="left")
    has_cp = lines["postings"].notna()
    # Claim-level amounts not carried by any matched line go to the claim's first line.
    first = lines.groupby("claim_id")["line_no"].transform("min").eq(lines["line_no"])
    first &= ~lines.duplicated(["claim_id", "line_no"])
    line_paid = lines.groupby("claim_id")["ins_paid_c"].transform("sum")
    line_pr = lines[PR_PARTS].sum(axis=1).groupby(lines["claim_id"]).transform("sum")
    has_lines = (lines[LINE_COLS].abs().sum(axis=1).groupby(lines["claim_id"])
                 .transform("sum").gt(0))
    put = first & has_cp
    res_paid = (lines["cp_paid"].fillna(0) - line_paid).astype("int64")
    res_pr = (lines["cp_pr"].fillna(0) - line_pr).astype("int64")
    res_adj = (lines["cp_charge"].fillna(0) - lines["cp_paid"].fillna(0)
               - lines["cp_pr"].fillna(0)).astype("int64")
    lines.loc[put, "ins_paid_c"] += res_paid[put]
    lines.loc[put, "other_pr_c"] += res_pr[put]
    lines.loc[put & ~has_lines, "adjust_c"] += res_adj[put & ~has_lines]
    lines["pr_c"] = lines[PR_PARTS].sum(axis=1).astype("int64")
    remitted = has_cp & lines["postings"].fillna(0).gt(0)
    claim_pr = lines.groupby("claim_id")["pr_c"].transform("sum")
    forwarded = lines["forwarded"].fillna(False).astype(bool)
    # waiting on the next payer: the payer said it forwarded the claim (19/20/21), or only the
    # primary answered and the patient has secondary coverage on the DOS
    only_primary = lines["last_level"].fillna(1).le(1)
    secondary = remitted & (forwarded | (
        only_primary & claim_pr.gt(0)
        & active_secondary(book, lines).groupby(lines["claim_id"]).transform("any")))
    lines["state"] = np.where(~remitted, "waiting", np.where(secondary, "secondary", "remitted"))
    lines["remit_date"] = pd.to_datetime(lines["remit_date"]).fillna(lines["dos"])
    return lines.drop(columns=["cp_paid", "cp_pr", "cp_charge", "postings", "forwarded",
                               "last_level"])


def claim_totals(lines: pd.DataFrame) -> pd.DataFrame:
    """Per claim: patient, first DOS, state, charge and patient responsibility in cents."""
    g = lines.groupby("claim_id", sort=False)
    return pd.DataFrame({
        "patient": g["patient"].first(),
        "first_dos": g["dos"].min(),
        "remit_date": g["remit_date"].min(),
        "state": g["state"].first(),
        "charge_c": g["charge_c"].sum(),
        "pr_c": g["pr_c"].sum(),
    }).reset_index()
