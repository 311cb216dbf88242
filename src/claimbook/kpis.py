"""The office manager's KPIs, each a small pure function with its formula stated.

Inputs are the claim balances of `reconcile.postings.claim_balances` (amounts in cents), the
ledger postings and the aging detail. Rates are fractions (0.95 = 95 %); a KPI with an empty
denominator is None (shown blank), never a division error.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from claimbook.reconcile.postings import Postings

REFUND_PLB = ("WO", "72")  # overpayment recoveries and authorized returns count as refunds


@dataclass(frozen=True)
class Kpi:
    name: str
    value: float | None
    target: str
    formula: str
    unit: str  # "days" or "percent"
    numerator: float | None = None
    denominator: float | None = None
    good: bool | None = None

    def __post_init__(self) -> None:  # plain Python numbers (JSON, Excel, comparisons)
        for name in ("value", "numerator", "denominator"):
            v = getattr(self, name)
            object.__setattr__(self, name, None if v is None else float(v))
        if self.good is not None:
            object.__setattr__(self, "good", bool(self.good))


def _ratio(num: float, den: float) -> float | None:
    return None if not den else num / den


def _answered(bal: pd.DataFrame) -> pd.DataFrame:
    """Claims a payer has answered (a remittance posted): the base of outcome rates."""
    return bal[bal["remitted"]]


def days_in_ar(bal: pd.DataFrame, as_of: pd.Timestamp, period_days: int = 90) -> Kpi:
    """Total A/R / (charges with DOS in the last `period_days` / `period_days`)."""
    ar = bal["balance_cents"].sum() / 100
    recent = bal["dos"].gt(as_of - pd.Timedelta(days=period_days)) & bal["dos"].le(as_of)
    charges = bal.loc[recent, "charge_cents"].sum() / 100
    daily = charges / period_days
    v = _ratio(ar, daily)
    return Kpi("Days in A/R", v, "30-40 days",
               f"total A/R ÷ (charges with DOS in the last {period_days} days ÷ {period_days})",
               "days", ar, daily, None if v is None else v <= 40)


def gross_collection_rate(bal: pd.DataFrame) -> Kpi:
    """(insurance + patient payments) / charges, over claims with a remittance."""
    b = bal[bal["remitted"]]
    num = (b["paid_cents"].sum() + b["patient_paid_cents"].sum()) / 100
    den = b["charge_cents"].sum() / 100
    v = _ratio(num, den)
    return Kpi("Gross collection rate", v, "informational",
               "payments ÷ charges (claims with a remittance)", "percent", num, den)


def net_collection_rate(bal: pd.DataFrame, p: Postings) -> Kpi:
    """(payments - refunds) / (charges - contractual adjustments), claims with a remittance."""
    b = bal[bal["remitted"]]
    refunds = p.plb.loc[p.plb["reason"].isin(REFUND_PLB) & p.plb["amount_cents"].gt(0),
                        "amount_cents"].sum() / 100
    num = (b["paid_cents"].sum() + b["patient_paid_cents"].sum()) / 100 - refunds
    den = (b["charge_cents"].sum() - b["writeoff_cents"].sum()) / 100
    v = _ratio(num, den)
    return Kpi("Net collection rate", v, "≥ 95%",
               "(payments − refunds (PLB WO/72)) ÷ (charges − contractual adjustments), claims "
               "with a remittance", "percent", num, den, None if v is None else v >= 0.95)


def _denied_claims(p: Postings) -> pd.Series:
    """Denied cents per claim over postings in force (reversed ones left out)."""
    a = p.adjustments
    a = a[a["category"].eq("denial") & a["reversed_by"].isna() & a["status"].ne("22")]
    return a.groupby("claim_id")["amount_cents"].sum()


def denial_rate(bal: pd.DataFrame, p: Postings) -> tuple[Kpi, Kpi]:
    """Claims with a denied amount / claims answered; denied dollars / their charges.

    Claims sent but not yet answered by a remittance are left out of both: they have no
    outcome yet and would make the rate look better than it is.
    """
    sent = _answered(bal)
    den_by_claim = _denied_claims(p)
    den_by_claim = den_by_claim[den_by_claim.gt(0) & den_by_claim.index.isin(sent["claim_id"])]
    n, d = float(len(den_by_claim)), float(len(sent))
    v1 = _ratio(n, d)
    dollars, charges = den_by_claim.sum() / 100, sent["charge_cents"].sum() / 100
    v2 = _ratio(dollars, charges)
    return (Kpi("Denial rate (claims)", v1, "< 5%", "claims with a denied amount ÷ claims sent and answered (with a remittance)",
                "percent", n, d, None if v1 is None else v1 < 0.05),
            Kpi("Denial rate (dollars)", v2, "< 5%", "denied dollars ÷ charges of claims sent and answered",
                "percent", dollars, charges, None if v2 is None else v2 < 0.05))


def clean_claim_rate(claim_ids: pd.Series, findings: pd.DataFrame | None,
                     given: float | None = None) -> Kpi:
    """Claims with no error or warning finding / claims (or the scrubber's own figure)."""
    formula = "claims with no error or warning finding ÷ claims"
    if given is not None:
        return Kpi("Clean claim rate", float(given), "≥ 95%", formula + " (from the scrubber)",
                   "percent", None, None, float(given) >= 0.95)
    ids = pd.Series(pd.unique(claim_ids.dropna().astype(str)))
    if findings is not None and len(findings):
        f = findings[findings["severity"].isin(["error", "warning"])]
        dirty = set(f["claim_id"].dropna().astype(str))
    else:
        dirty = set()
    n, d = float((~ids.isin(dirty)).sum()), float(len(ids))
    v = _ratio(n, d)
    return Kpi("Clean claim rate", v, "≥ 95%", formula, "percent", n, d,
               None if v is None else v >= 0.95)


def first_pass_rate(bal: pd.DataFrame, p: Postings) -> Kpi:
    """Claims whose first answer paid with no denied amount / claims answered."""
    sent = _answered(bal)
    cp = p.claims.dropna(subset=["claim_id"])
    cp = cp[cp["status"].ne("22")]
    first = cp.sort_values("id").drop_duplicates("claim_id", keep="first")
    a = p.adjustments
    denied_cp = set(a.loc[a["category"].eq("denial") & a["amount_cents"].gt(0),
                          "claim_payment_id"])
    ok = first[first["paid_cents"].gt(0) & ~first["id"].isin(denied_cp)
               & first["claim_id"].isin(sent["claim_id"])]
    n, d = float(len(ok)), float(len(sent))
    v = _ratio(n, d)
    return Kpi("First-pass resolution rate", v, "≥ 90%",
               "claims paid in full on their first answer (no denied amount) ÷ claims sent and "
               "answered (with a remittance)",
               "percent", n, d, None if v is None else v >= 0.90)


def ar_over_90(detail: pd.DataFrame) -> Kpi:
    """A/R in 91-120 and 120+ / total A/R."""
    total = detail["balance"].sum()
    over = detail.loc[detail["bucket"].isin(["91-120", "120+"]), "balance"].sum()
    v = _ratio(over, total)
    return Kpi("A/R over 90 days", v, "< 20%", "A/R aged 91 days or more ÷ total A/R",
               "percent", over, total, None if v is None else v < 0.20)


def all_kpis(bal: pd.DataFrame, p: Postings, detail: pd.DataFrame, as_of: pd.Timestamp,
             claim_ids: pd.Series, findings: pd.DataFrame | None,
             clean_rate: float | None = None) -> list[Kpi]:
    d1, d2 = denial_rate(bal, p)
    return [days_in_ar(bal, as_of), net_collection_rate(bal, p), gross_collection_rate(bal),
            d1, d2, clean_claim_rate(claim_ids, findings, clean_rate), first_pass_rate(bal, p),
            ar_over_90(detail)]


def kpi_frame(kpis: list[Kpi]) -> pd.DataFrame:
    return pd.DataFrame({
        "kpi": [k.name for k in kpis],
        "value": [k.value for k in kpis],
        "unit": [k.unit for k in kpis],
        "target": [k.target for k in kpis],
        "status": ["" if k.good is None else ("on target" if k.good else "off target")
                   for k in kpis],
        "formula": [k.formula for k in kpis],
    })

