"""Synthetic clinic books for the 837P tests, built through the real reader.

`make_book(claims=[...], coverage=[...], ...)` takes rows as dicts of canonical column names
and returns `read_book_from_values(...)` of a workbook with those sheets, so every value goes
through the same normalisation as a real file. Synthetic people only.
"""

from __future__ import annotations

from claimbook.io.reader import read_book_from_values
from claimbook.schemas import CLAIMS, COVERAGE, PATIENTS, PAYERS, PRACTICE, PROVIDERS

BILLING_NPI = "1234567893"
RENDERING_NPI = "1245319599"
REFERRING_NPI = "1003000126"
SECOND_NPI = "1093817587"

PRACTICE_VALUES = {
    "billing_name": "Test Family Practice", "billing_npi": BILLING_NPI,
    "billing_ein": "12-3456789", "billing_taxonomy": "207Q00000X",
    "billing_address": "12 Main St", "billing_city": "Springfield", "billing_state": "MA",
    "billing_zip": "01103-1234", "submitter_id": "SUBM001", "submitter_name": "Test Practice",
    "submitter_contact": "Billing Desk", "submitter_phone": "413-555-0100",
    "submitter_email": "billing@example.org", "receiver_id": "CLEARHOUSE",
    "receiver_name": "Demo Clearinghouse", "usage": "T",
}
PAYER_ROWS = [
    {"payer_id": "AETNA1", "name": "Aetna Test", "filing_indicator": "CI",
     "address": "PO Box 1", "city": "Hartford", "state": "CT", "zip": "06101"},
    {"payer_id": "MCR01", "name": "Medicare Part B Test", "filing_indicator": "MB"},
    {"payer_id": "BCBS1", "name": "Blue Test", "filing_indicator": "BL"},
]
PATIENT_ROWS = [
    {"account": "P1", "last_name": "Testperson", "first_name": "Alex", "dob": "1980-02-03",
     "sex": "F", "address": "1 Elm St", "city": "Boston", "state": "MA", "zip": "02134"},
    {"account": "P2", "last_name": "Sample", "first_name": "Kid", "dob": "2015-06-07",
     "sex": "M", "address": "2 Oak St", "city": "Boston", "state": "MA", "zip": "02135"},
]
COVERAGE_ROWS = [
    {"patient": "P1", "payer_id": "AETNA1", "member_id": "W100", "group_number": "G1",
     "relationship": "self", "priority": "primary"},
    {"patient": "P1", "payer_id": "BCBS1", "member_id": "XB200", "relationship": "self",
     "priority": "secondary"},
    {"patient": "P2", "payer_id": "AETNA1", "member_id": "W300", "relationship": "child",
     "subscriber_last": "Sample", "subscriber_first": "Parent", "subscriber_dob": "1985-01-01",
     "subscriber_sex": "F", "priority": "primary"},
]
PROVIDER_ROWS = [
    {"npi": RENDERING_NPI, "last_name": "Doctor", "first_name": "Dana",
     "taxonomy": "207Q00000X", "role": "rendering"},
    {"npi": REFERRING_NPI, "last_name": "Referrer", "first_name": "Rob", "role": "referring"},
    {"npi": SECOND_NPI, "last_name": "Second", "first_name": "Sam", "taxonomy": "208D00000X",
     "role": "rendering"},
]


def line(claim_id: str, **kw) -> dict:
    """One service line with sensible defaults (office visit for P1 billed to Aetna)."""
    row = {"claim_id": claim_id, "patient": "P1", "payer_id": "AETNA1",
           "rendering_npi": RENDERING_NPI, "pos": "11", "dos_from": "2026-01-05",
           "dx1": "E11.65", "code": "99213", "pointers": "1", "units": 1, "charge": 125.0}
    row.update(kw)
    return row


def _sheet(schema, rows: list[dict]) -> list[list]:
    cols = schema.columns
    return [[c.header for c in cols]] + [[r.get(c.name) for c in cols] for r in rows]


def make_book(claims: list[dict], *, coverage: list[dict] | None = None,
              patients: list[dict] | None = None, payers: list[dict] | None = None,
              providers: list[dict] | None = None, practice: dict | None = None):
    values = dict(PRACTICE_VALUES, **(practice or {}))
    sheets = {
        "Practice": [["Setting", "Value"]] + [[PRACTICE.column(k).header, v]
                                               for k, v in values.items()],
        "Payers": _sheet(PAYERS, payers if payers is not None else PAYER_ROWS),
        "Patients": _sheet(PATIENTS, patients if patients is not None else PATIENT_ROWS),
        "Coverage": _sheet(COVERAGE, coverage if coverage is not None else COVERAGE_ROWS),
        "Providers": _sheet(PROVIDERS, providers if providers is not None else PROVIDER_ROWS),
        "Claims": _sheet(CLAIMS, claims),
    }
    return read_book_from_values(sheets, name="test.xlsx")


def write_workbook(path, claims: list[dict]):
    """A clinic workbook file (the template) with the factory's tables and these claim lines."""
    import pandas as pd

    from claimbook.template import build_template

    build_template(path, {"Payers": pd.DataFrame(PAYER_ROWS),
                          "Patients": pd.DataFrame(PATIENT_ROWS),
                          "Coverage": pd.DataFrame(COVERAGE_ROWS),
                          "Providers": pd.DataFrame(PROVIDER_ROWS),
                          "Claims": pd.DataFrame(claims)}, PRACTICE_VALUES)
    return path
