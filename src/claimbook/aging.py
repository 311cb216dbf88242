"""A/R aging as of a date: buckets 0-30, 31-60, 61-90, 91-120, 120+ days.

Ages are whole days from the date of service (the first DOS of the claim) or from the latest
submission (`basis="submitted"`; a claim not sent yet is aged from its DOS). Day 30 is in 0-30,
day 31 in 31-60, day 120 in 91-120, day 121 in 120+. Balances come from
`reconcile.postings.claim_balances` (see there, and docs/reconciliation.md, for how they are
computed): insurance and patient balances are aged separately, by payer and by patient.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from claimbook.results import Chart, ResultSheet, Section

BUCKETS = ("0-30", "31-60", "61-90", "91-120", "120+")
Basis = Literal["dos", "submitted"]


def bucket(days: pd.Series) -> pd.Series:
    """Bucket label per age in days (negative ages, i.e. future dates, count as 0-30)."""
    d = pd.to_numeric(days, errors="coerce")
    idx = np.searchsorted(np.array([30, 60, 90, 120]), d.to_numpy(dtype="float64"), side="left")
    out = pd.Series(np.array(BUCKETS, dtype=object)[np.minimum(idx, 4)], index=days.index)
    return out.where(d.notna(), None)


def aging_detail(balances: pd.DataFrame, as_of: pd.Timestamp, basis: Basis = "dos"
                 ) -> pd.DataFrame:
    """One row per claim with a balance: age, bucket, insurance and patient balance (dollars)."""
    b = balances[balances["balance_cents"].ne(0)
                 | balances["insurance_balance_cents"].ne(0)].copy()
    start = b["dos"]
    if basis == "submitted":
        start = b["submitted_on"].fillna(b["dos"])
    age = (as_of - start).dt.days
    out = pd.DataFrame({
        "claim": b["claim_id"], "patient": b["patient"], "payer": b["payer_id"],
        "dos": b["dos"], "submitted": b["submitted_on"],
        "age_days": age.astype("Int64"), "bucket": bucket(age),
        "charge": b["charge_cents"] / 100, "paid": b["paid_cents"] / 100,
        "writeoff": b["writeoff_cents"] / 100, "denied": b["denied_cents"] / 100,
        "patient_resp": b["patient_resp_cents"] / 100,
        "patient_paid": b["patient_paid_cents"] / 100,
        "insurance_balance": b["insurance_balance_cents"] / 100,
        "patient_balance": b["patient_balance_cents"] / 100,
        "balance": b["balance_cents"] / 100,
        "status": np.where(~b["remitted"] & b["submitted_on"].isna(), "not sent",
                           np.where(~b["remitted"], "sent, no remittance",
                                    np.where(b["forwarded"], "forwarded to next payer",
                                             "adjudicated"))),
    })
    return out.sort_values(["age_days", "claim"], ascending=[False, True]).reset_index(drop=True)


def by_bucket(detail: pd.DataFrame) -> pd.DataFrame:
    """Insurance, patient and total balance per bucket, with every bucket present."""
    g = detail.groupby("bucket")[["insurance_balance", "patient_balance", "balance"]].sum()
    g = g.reindex(list(BUCKETS), fill_value=0.0)
    g["claims"] = detail.groupby("bucket").size().reindex(list(BUCKETS), fill_value=0)
    total = g["balance"].sum()
    g["share"] = (g["balance"] / total * 100) if total else 0.0  # percent, 0-100
    return g.rename_axis("bucket").reset_index()[["bucket", "claims", "insurance_balance",
                                                  "patient_balance", "balance", "share"]]


def pivot(detail: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """Balance per `by` (payer or patient) and bucket, with a total column."""
    d = detail[detail[value].ne(0)]
    p = d.pivot_table(index=by, columns="bucket", values=value, aggfunc="sum", fill_value=0.0)
    p = p.reindex(columns=list(BUCKETS), fill_value=0.0)
    p["total"] = p.sum(axis=1)
    return p.sort_values("total", ascending=False).reset_index()


def over_90_share(detail: pd.DataFrame) -> float:
    """Share of A/R (total balance) in 91-120 and 120+."""
    total = detail["balance"].sum()
    if not total:
        return 0.0
    return float(detail.loc[detail["bucket"].isin(["91-120", "120+"]), "balance"].sum() / total)


def aging_sheets(detail: pd.DataFrame, as_of: pd.Timestamp, basis: Basis) -> list[ResultSheet]:
    """Aging (detail) and Aging Summary sheets."""
    since = "date of service" if basis == "dos" else "submission date"
    intro = [f"A/R as of {as_of:%Y-%m-%d}, aged from the {since}.",
             ("Insurance balance = charge - paid - write-offs - patient responsibility (denied "
             "amounts stay until corrected or written off; unsent claims count at full charge).")]
    d = detail.copy()
    d["payer"] = d["payer"].fillna("(none)")
    sheet = ResultSheet.single("Aging", d, intro=intro,
                               formats={"dos": "date", "submitted": "date", "age_days": "int"})
    money = {b: "money" for b in [*BUCKETS, "total"]}
    summary = ResultSheet("Aging Summary", [
        Section(by_bucket(d), "A/R by bucket", formats={"share": "percent", "claims": "int"},
                charts=[Chart("col", "A/R by bucket", "bucket",
                              ["insurance_balance", "patient_balance"], stacked=True,
                              y_title="Balance ($)")]),
        Section(pivot(d, "payer", "insurance_balance"), "Insurance balance by payer",
                formats=money,
                charts=[Chart("bar", "Insurance A/R by payer and bucket", "payer",
                              list(BUCKETS), stacked=True)]),
        Section(pivot(d, "patient", "patient_balance"), "Patient balance by patient",
                formats=money),
    ], intro=intro)
    return [sheet, summary]
