"""CARC/RARC code lists (src/claimbook/data/carc.csv, rarc.csv), loaded once.

The files carry their provenance in their header comments: the codes are X12's public lists,
the descriptions and next actions are ClaimBook's own plain-language wording.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

PLB_REASONS = {
    "WO": "overpayment recovery (recoupment)",
    "FB": "forward balance",
    "L6": "interest owed",
    "72": "authorized return (refund)",
    "CS": "adjustment",
    "J1": "nonreimbursable",
    "IR": "internal revenue service withholding",
    "LE": "levy",
    "50": "late charge",
    "B2": "rebate",
    "C5": "temporary allowance",
    "FC": "fund allocation",
    "GO": "graduate medical education",
    "IS": "interim settlement",
    "AP": "acceleration of benefits",
    "BD": "bad debt adjustment",
    "BN": "bonus",
    "E3": "withholding",
    "WU": "unspecified recovery",
}
GROUPS = {"CO": "contractual obligation", "PR": "patient responsibility",
          "OA": "other adjustment", "PI": "payer-initiated reduction",
          "CR": "correction or reversal"}


def _read(name: str) -> pd.DataFrame:
    path = Path(__file__).resolve().parent.parent / "data" / name
    return pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def carc() -> pd.DataFrame:
    """code, category, description, next_action (indexed by code)."""
    return _read("carc.csv").set_index("code")


@lru_cache(maxsize=1)
def rarc() -> pd.DataFrame:
    """code, description (indexed by code)."""
    return _read("rarc.csv").set_index("code")


def categories(groups: pd.Series, reasons: pd.Series) -> pd.Series:
    """How each adjustment moves the balance: patient, writeoff or denial (vectorized).

    PR is the patient's; CO/OA/PI/CR with a contractual, prior-payer or other reason is written
    off; every other reason (and a code we do not know) is a denial the coordinator works.
    """
    cat = reasons.map(carc()["category"]).fillna("denial")
    out = pd.Series("denial", index=reasons.index, dtype=object)
    out[cat.isin(["contractual", "prior_payer", "other"])] = "writeoff"
    out[groups.eq("PR")] = "patient"
    return out


def carc_text(reasons: pd.Series) -> pd.Series:
    return reasons.map(carc()["description"]).fillna(
        "CARC " + reasons.astype(str) + " (see x12.org/codes)")


def carc_action(reasons: pd.Series) -> pd.Series:
    return reasons.map(carc()["next_action"]).fillna(
        "Look the code up at x12.org/codes; correct and resubmit or appeal.")


def rarc_text(codes: str) -> str:
    """'M76,N20' -> 'M76 (Diagnosis is missing...); N20 (...)' (for one remark list)."""
    table = rarc()["description"]
    parts = []
    for c in filter(None, (codes or "").split(",")):
        parts.append(f"{c} ({table.get(c, 'see x12.org/codes')})")
    return "; ".join(parts)
