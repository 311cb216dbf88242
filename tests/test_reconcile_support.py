"""Helpers for the reconciliation tests: a tiny Book and 835 texts (no tests here)."""

from __future__ import annotations

import pandas as pd

from claimbook.book import Book, PracticeSettings
from claimbook.demo_remits import RClaim, RLine, build_transaction, interchange

CLAIM_COLS = ["claim_id", "line_no", "patient", "payer_id", "dos_from", "code", "mod1", "mod2",
              "mod3", "mod4", "charge", "units", "original_claim_number", "submitted_on"]


def claims_table(rows: list[list]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=CLAIM_COLS)
    df["dos_from"] = pd.to_datetime(df["dos_from"])
    df["submitted_on"] = pd.to_datetime(df["submitted_on"])
    df["line_no"] = df["line_no"].astype("Int64")
    df["_row"] = range(2, 2 + len(df))
    return df


def small_book(**extra: pd.DataFrame) -> Book:
    """Claims C1 (2 lines, 200.00), C2 (150.00), C3 (90.00, payer claim # ICN-OLD) for ACME;
    C4 (100.00) for BETA sent long ago; fee schedule ACME 99213 100, 85025 60, 99214 110."""
    claims = claims_table([
        ["C1", 1, "P1", "ACME", "2026-01-02", "99213", "25", None, None, None, 120.0, 1, None,
         "2026-01-03"],
        ["C1", 2, "P1", "ACME", "2026-01-02", "85025", None, None, None, None, 80.0, 1, None,
         "2026-01-03"],
        ["C2", 1, "P2", "ACME", "2026-01-05", "99214", None, None, None, None, 150.0, 1, None,
         "2026-01-06"],
        ["C3", 1, "P3", "ACME", "2026-01-07", "99212", None, None, None, None, 90.0, 1,
         "ICN-OLD", "2026-01-08"],
        ["C4", 1, "P4", "BETA", "2025-10-01", "99213", None, None, None, None, 100.0, 1, None,
         "2025-10-02"],
    ])
    fees = pd.DataFrame({"payer_id": ["ACME", "ACME", "ACME", "*"],
                         "code": ["99213", "85025", "99214", "99212"],
                         "modifier": [None, None, None, None],
                         "standard_charge": [120.0, 80.0, 150.0, 90.0],
                         "allowed": [100.0, 60.0, 110.0, 70.0], "_row": [2, 3, 4, 5]})
    coverage = pd.DataFrame({"patient": ["P1", "P2", "P3", "P4"],
                             "payer_id": ["ACME", "ACME", "ACME", "BETA"],
                             "member_id": ["M1", "M2", "M3", "M4"], "_row": [2, 3, 4, 5]})
    payers = pd.DataFrame({"payer_id": ["ACME", "BETA"], "name": ["ACME HEALTH", "BETA CARE"],
                           "filing_indicator": ["CI", "CI"], "_row": [2, 3]})
    tables = {"Claims": claims, "FeeSchedule": fees, "Coverage": coverage, "Payers": payers}
    tables.update(extra)
    return Book(tables=tables, practice=PracticeSettings())


def paid_c1(paid_line1: int = 8000) -> RClaim:
    """C1 paid: 99213-25 charge 120, allowed 100, copay 20; 85025 charge 80 allowed 60."""
    return RClaim("C1", "1", 20000, paid_line1 + 6000, 2000, "ICN1", lines=[
        RLine("99213", 12000, paid_line1,
              [("CO", "45", 12000 - 2000 - paid_line1), ("PR", "3", 2000)],
              modifiers=("25",), dos="20260102", allowed=2000 + paid_line1),
        RLine("85025", 8000, 6000, [("CO", "45", 2000)], dos="20260102")])


def denied_c2() -> RClaim:
    return RClaim("C2", "4", 15000, 0, 0, "ICN2", remarks=("M76",), lines=[
        RLine("99214", 15000, 0, [("CO", "16", 15000)], dos="20260105", remarks=("M76",))])


def era_text(claims: list[RClaim], trace: str = "TR1", plb=(), isa: int = 5,
             payer: str = "ACME", paid: int | None = None) -> str:
    t = build_transaction("0001", payer, payer + " HEALTH", trace, claims, plb=list(plb),
                          paid=paid)
    return interchange([t], isa)
