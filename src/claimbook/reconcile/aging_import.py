"""Reconcile our aging against an aging report exported from a practice system (AgingImport).

Rows with a claim id are compared claim by claim (balance and bucket); rows with only a patient
(and maybe a payer) are compared with our total per patient (and payer). Listed: balances that
differ, rows missing on either side, and claims that sit in another bucket.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from claimbook.aging import BUCKETS
from claimbook.book import Book

COLUMNS = ["issue", "claim", "patient", "payer", "their_balance", "our_balance", "difference",
           "their_bucket", "our_bucket", "sheet_row"]


def normalize_bucket(text: pd.Series) -> pd.Series:
    """'31 - 60', '31-60 days', '>120', 'over 120', 'current' -> canonical labels (else None)."""
    def one(v: object) -> str | None:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        s = str(v).strip().lower()
        if s in ("current", "0", "0-30", "1-30"):
            return "0-30"
        nums = [int(n) for n in re.findall(r"\d+", s)]
        if not nums:
            return None
        hi = max(nums)
        if "+" in s or "over" in s or ">" in s:
            hi += 1  # "120+" / "over 120" / ">90" mean the days after the number
        for label, upper in zip(BUCKETS, (30, 60, 90, 120), strict=False):
            if hi <= upper:
                return label
        return "120+"
    uniq = {v: one(v) for v in pd.unique(text.astype(object))}  # a handful of distinct labels
    return text.astype(object).map(uniq)


def reconcile_aging(book: Book, detail: pd.DataFrame, tolerance: float = 0.005) -> pd.DataFrame:
    """Differences between AgingImport and our aging detail (one row per issue)."""
    imp = book.get("AgingImport")
    if imp.empty:
        return pd.DataFrame(columns=COLUMNS)
    imp = imp.assign(their_bucket=normalize_bucket(imp["bucket"]),
                     sheet_row=book.sheet("AgingImport") + " row " + imp["_row"].astype(str))
    ours = detail.rename(columns={"claim": "claim_id", "balance": "our_balance",
                                  "bucket": "our_bucket"})
    frames = []
    by_claim = imp[imp["claim_id"].notna()]
    if len(by_claim):
        m = by_claim.merge(ours[["claim_id", "patient", "payer", "our_balance", "our_bucket"]],
                           on="claim_id", how="outer", indicator=True, suffixes=("", "_ours"))
        m["patient"] = m["patient"].fillna(m["patient_ours"])
        m["payer"] = m["payer_id"].fillna(m["payer"])
        frames.append(_issues(m.rename(columns={"claim_id": "claim"}), tolerance))
    by_patient = imp[imp["claim_id"].isna() & imp["patient"].notna()]
    if len(by_patient):
        with_payer = by_patient["payer_id"].notna()
        for mask, keys in ((with_payer, ["patient", "payer"]), (~with_payer, ["patient"])):
            rows = by_patient[mask].rename(columns={"payer_id": "payer"})
            if rows.empty:
                continue
            g = ours.groupby(keys, dropna=False)["our_balance"].sum().reset_index()
            g = g[g["patient"].isin(rows["patient"])]
            m = rows.merge(g, on=keys, how="outer", indicator=True)
            m["our_bucket"] = None
            m["their_bucket"] = None  # buckets are compared per claim only
            m["claim"] = None
            if "payer" not in m:
                m["payer"] = None
            frames.append(_issues(m, tolerance))
    out = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(
        len(f) for f in frames) else pd.DataFrame(columns=COLUMNS)
    return out[COLUMNS]


def _issues(m: pd.DataFrame, tol: float) -> pd.DataFrame:
    their = m["balance"].astype("float64")
    ours = m["our_balance"].astype("float64")
    issue = pd.Series(None, index=m.index, dtype=object)
    issue[m["_merge"].eq("right_only") & ours.abs().gt(tol)] = "missing in the import"
    issue[m["_merge"].eq("left_only") & their.abs().gt(tol)] = "missing in ClaimBook"
    both = m["_merge"].eq("both")
    issue[both & (their - ours).abs().gt(tol)] = "balance differs"
    bucket_diff = both & issue.isna() & m["their_bucket"].notna() & m["our_bucket"].notna() \
        & m["their_bucket"].ne(m["our_bucket"])
    issue[bucket_diff] = "bucket differs"
    out = pd.DataFrame({
        "issue": issue, "claim": m["claim"], "patient": m["patient"], "payer": m["payer"],
        "their_balance": their, "our_balance": ours,
        "difference": (their.fillna(0) - ours.fillna(0)).round(2),
        "their_bucket": m["their_bucket"], "our_bucket": m["our_bucket"],
        "sheet_row": m.get("sheet_row")})
    return out[out["issue"].notna()]
