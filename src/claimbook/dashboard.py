"""The Dashboard sheet: KPI rows (value, target, formula) and native charts.

Sections: KPIs; A/R by payer and bucket (stacked column chart); denials by reason (bar chart);
payments by month (column chart). The openpyxl writer renders each Chart over its section's
columns.
"""

from __future__ import annotations

import pandas as pd

from claimbook.aging import BUCKETS, pivot
from claimbook.kpis import Kpi, kpi_frame
from claimbook.reconcile import codes
from claimbook.reconcile.postings import Postings
from claimbook.results import Chart, ResultSheet, Section


def denials_by_reason(p: Postings) -> pd.DataFrame:
    """Denied amounts in force per CARC: reason, description, lines, amount (dollars)."""
    a = p.adjustments
    a = a[a["category"].eq("denial") & a["reversed_by"].isna() & a["status"].ne("22")]
    if a.empty:
        return pd.DataFrame({"reason": pd.Series(dtype=object),
                             "description": pd.Series(dtype=object),
                             "count": pd.Series(dtype="int64"),
                             "amount": pd.Series(dtype="float64")})
    key = a["group_code"] + "-" + a["reason"]
    g = a.assign(key=key).groupby("key").agg(count=("amount_cents", "size"),
                                             amount=("amount_cents", "sum"),
                                             code=("reason", "first"))
    g["amount"] = g["amount"] / 100
    g["description"] = codes.carc_text(g["code"])
    g = g.sort_values("amount", ascending=False).rename_axis("reason").reset_index()
    return g[["reason", "description", "count", "amount"]]


def payments_by_month(p: Postings, patient_payments: pd.DataFrame | None) -> pd.DataFrame:
    """Insurance payments (by remittance payment date) and patient payments per month."""
    cp = p.claims.dropna(subset=["payment_date"])
    ins = (cp.groupby(cp["payment_date"].dt.strftime("%Y-%m"))["paid_cents"].sum() / 100)
    if patient_payments is not None and len(patient_payments):
        pp = patient_payments.dropna(subset=["date"])
        pat = pp.groupby(pp["date"].dt.strftime("%Y-%m"))["amount"].sum()
    else:
        pat = pd.Series(dtype="float64")
    months = sorted(set(ins.index) | set(pat.index))
    return pd.DataFrame({"month": months,
                         "insurance": [float(ins.get(m, 0.0)) for m in months],
                         "patient": [float(pat.get(m, 0.0)) for m in months]})


def _as_percent(rates: pd.DataFrame) -> pd.DataFrame:
    """KPI fractions as 0-100 values for a percent-formatted column."""
    return rates.assign(value=rates["value"] * 100)


def dashboard_sheet(kpis: list[Kpi], detail: pd.DataFrame, p: Postings,
                    patient_payments: pd.DataFrame | None, as_of: pd.Timestamp) -> ResultSheet:
    k = kpi_frame(kpis)
    # values as numbers: percent columns hold 0-100 (the writer's convention), days a number
    notes = {"formula": "How each KPI is computed (docs/reconciliation.md)."}
    d = detail.assign(payer=detail["payer"].fillna("(none)"))
    by_payer = pivot(d, "payer", "balance") if len(d) else pd.DataFrame(
        columns=["payer", *BUCKETS, "total"])
    sections = [
        Section(_as_percent(k[k["unit"].eq("percent")].drop(columns="unit")), "Rates",
                formats={"value": "percent"}, notes=notes),
        Section(k[k["unit"].eq("days")].drop(columns="unit"), "Days in A/R",
                formats={"value": "number"}, notes=notes),
        Section(by_payer, "A/R by payer and bucket",
                formats={b: "money" for b in [*BUCKETS, "total"]},
                charts=[Chart("col", "A/R by payer and bucket", "payer", list(BUCKETS),
                              stacked=True, y_title="Balance ($)")]),
        Section(denials_by_reason(p), "Denials by reason",
                formats={"amount": "money", "count": "int"},
                charts=[Chart("bar", "Denied dollars by reason", "reason", ["amount"])]),
        Section(payments_by_month(p, patient_payments), "Payments by month",
                formats={"insurance": "money", "patient": "money"},
                charts=[Chart("col", "Payments by month", "month", ["insurance", "patient"],
                              y_title="Paid ($)")]),
    ]
    return ResultSheet("Dashboard", sections,
                       intro=[(f"Dashboard as of {as_of:%Y-%m-%d}. Targets from common practice "
                              "benchmarks; each KPI's formula is in its row.")])
