"""Hand-built Books for the scrubber tests (synthetic data only); no tests in this module.

`make_book(claims=[...], ...)` builds normalised tables the way the reader does (canonical
columns, `_row` Excel rows from 2, dtypes per schema kind) with a small default clinic:
patient P1 (adult), payers SUMMT (commercial, 90 days), MCR (Medicare), SELF (self-pay),
coverage P1-SUMMT primary, and a '*' fee schedule.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from claimbook import findings as F
from claimbook.book import Book, PracticeSettings, TableSource
from claimbook.schemas import table

AS_OF = pd.Timestamp("2026-11-29")
NPI = "1234567893"
PRACTICE = {
    "billing_name": "Test Clinic", "billing_npi": NPI, "billing_ein": "043219876",
    "billing_taxonomy": "207Q00000X", "billing_address": "1 Main St",
    "billing_city": "Springfield", "billing_state": "MA", "billing_zip": "011031234",
    "submitter_id": "S1", "submitter_name": "Test Clinic", "submitter_contact": "Billing",
    "submitter_phone": "4135550100", "receiver_id": "R1", "receiver_name": "Clearing"}
PATIENT = {"account": "P1", "last_name": "Testperson", "first_name": "Alex",
           "dob": pd.Timestamp("1980-05-01"), "sex": "F", "address": "2 Elm St",
           "city": "Springfield", "state": "MA", "zip": "01103"}
PAYERS = [
    {"payer_id": "SUMMT", "name": "Summit Health", "filing_indicator": "CI",
     "timely_filing_days": 90},
    {"payer_id": "MCR", "name": "Medicare B", "filing_indicator": "MB"},
    {"payer_id": "SELF", "name": "Self-pay", "filing_indicator": "09"},
]
COVERAGE = [{"patient": "P1", "payer_id": "SUMMT", "member_id": "SUM123456789",
             "priority": "primary", "effective_from": pd.Timestamp("2020-01-01")}]
FEES = [{"payer_id": "*", "code": c, "standard_charge": v} for c, v in (
    ("99213", 135.0), ("36415", 15.0), ("20610", 180.0), ("93000", 65.0), ("93010", 25.0),
    ("93306", 650.0), ("17000", 120.0), ("17003", 15.0), ("96372", 35.0))]


def line(**kw: Any) -> dict:
    """A clean service line (claim C1, patient P1, SUMMT, 99213 on 2026-11-02)."""
    base = {"claim_id": "C1", "line_no": 1, "patient": "P1", "payer_id": "SUMMT",
            "rendering_npi": NPI, "pos": "11", "dos_from": pd.Timestamp("2026-11-02"),
            "dx1": "I10", "code": "99213", "pointers": "1", "units": 1.0, "charge": 135.0,
            "frequency": "1"}
    base.update(kw)
    return base


def frame(name: str, records: list[dict]) -> pd.DataFrame:
    schema = table(name)
    df = pd.DataFrame(records)
    n = len(df)
    out: dict[str, Any] = {
        "_row": df["_row"].to_numpy() if "_row" in df else np.arange(2, 2 + n)}
    for c in schema.columns:
        v = df[c.name] if c.name in df else pd.Series([None] * n, dtype=object)
        if c.kind == "date":
            v = pd.to_datetime(v).astype("datetime64[ns]")
        elif c.kind in ("money", "number", "percent"):
            v = pd.to_numeric(v).astype(float)
        elif c.kind == "int":
            v = pd.array(v, dtype="Int64")
        elif c.kind == "bool":
            v = pd.array(v, dtype="boolean")
        else:
            v = pd.Series(v, dtype=object).where(pd.Series(v, dtype=object).notna(), None)
        out[c.name] = v if not isinstance(v, pd.Series) else v.to_numpy()
    fr = pd.DataFrame(out)
    fr.attrs["columns"] = {c.name: get_column_letter(i + 1) for i, c in enumerate(schema.columns)}
    fr.attrs["sheet"] = name
    return fr


def make_book(claims: list[dict], *, patients: list[dict] | None = None,
              payers: list[dict] | None = None, coverage: list[dict] | None = None,
              fees: list[dict] | None = None, practice: dict | None = None,
              findings: pd.DataFrame | None = None, **extra: list[dict]) -> Book:
    tables = {
        "Claims": frame("Claims", claims),
        "Patients": frame("Patients", patients if patients is not None else [PATIENT]),
        "Payers": frame("Payers", payers if payers is not None else PAYERS),
        "Coverage": frame("Coverage", coverage if coverage is not None else COVERAGE),
        "FeeSchedule": frame("FeeSchedule", fees if fees is not None else FEES),
    }
    for name, recs in extra.items():
        tables[name] = frame(name, recs)
    sources = {n: TableSource(n, 1, dict(t.attrs["columns"])) for n, t in tables.items()}
    return Book(tables=tables, practice=PracticeSettings(**(practice or PRACTICE)),
                sources=sources, practice_rows={k: i + 1 for i, k in enumerate(PRACTICE)},
                findings=findings if findings is not None else F.empty())


def scrub(book: Book, as_of: pd.Timestamp = AS_OF, ledger=None) -> pd.DataFrame:
    from claimbook.scrub import scrub_claims

    return scrub_claims(book, as_of, ledger)


def hits(findings: pd.DataFrame, rule: str) -> list[tuple]:
    """(claim_id, line, field) of the findings of one rule."""
    f = findings[findings["rule"] == rule]
    return [(r.claim_id, None if pd.isna(r.line) else int(r.line), r.field)
            for r in f.itertuples()]
