"""Required 837P data: billing provider, payer, patient demographics, rendering NPI, POS, charge.

(The subscriber member id is checked in coverage.py, where the claim's coverage row is known;
'at least one diagnosis' is the validator's DX-NONE.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.rules import scrub as R
from claimbook.schemas import PATIENTS, PAYERS, PRACTICE
from claimbook.scrub.data import ScrubData, is_blank
from claimbook.scrub.emit import claim_findings, line_findings

BILLING_FIELDS = ("billing_name", "billing_npi", "billing_ein", "billing_taxonomy",
                  "billing_address", "billing_city", "billing_state", "billing_zip")
PATIENT_FIELDS = ("last_name", "first_name", "dob", "sex", "address", "city", "state", "zip")
PAYER_FIELDS = ("name", "filing_indicator")


def check(sd: ScrubData) -> list[pd.DataFrame]:
    return [billing(sd), payer(sd), patient(sd), *lines(sd)]


def billing(sd: ScrubData) -> pd.DataFrame:
    """One finding per missing billing-provider setting (it blocks every claim)."""
    book = sd.book
    sheet = book.sheet(PRACTICE.name)
    reported = set()
    if not book.findings.empty:
        f = book.findings
        reported = set(f.loc[f["sheet"].eq(sheet), "field"])
    out = []
    for name in BILLING_FIELDS:
        v = getattr(book.practice, name, None)
        if v not in (None, "") or name in reported:
            continue
        col = PRACTICE.column(name)
        _, row = book.practice_cell(name)
        where = f"row {row}" if row else "(no such row yet)"
        out.append(F.one(
            R.REQ_BILLING,
            f"The Practice setting '{col.header}' is empty {where} in sheet '{sheet}'; every "
            "claim needs it, so no claim can be sent.",
            sheet=sheet, field=name, row=row, column="B" if row else "",
            fix=f"Fill in '{col.header}' in the Practice sheet ({col.description})"))
    return F.concat(out)


def payer(sd: ScrubData) -> pd.DataFrame:
    c, p = sd.claims, sd.payers
    out = []
    blank = pd.isna(c["payer_id"].to_numpy(dtype=object, na_value=None))
    unknown = ~p["_known"].to_numpy() & ~blank
    col = sd.letters.get("payer_id", "")
    out.append(claim_findings(
        sd, unknown, R.REQ_PAYER, "payer_id",
        f"Claim {{claim_id}}: payer '{{value}}' (sheet '{sd.sheet}' cell {col}{{_row}}) is not "
        "in the Payers sheet."))
    out.append(claim_findings(
        sd, blank & ~sd.unreadable("Claims", "payer_id", c["_row"].to_numpy()), R.REQ_PAYER,
        "payer_id",
        f"Claim {{claim_id}} has no payer (sheet '{sd.sheet}' cell {col}{{_row}} is empty).",
        fix="Fill in Payer ID on the claim's lines (a payer id from the Payers sheet)."))
    sheet = sd.book.sheet(PAYERS.name)
    prow = p["_row"].to_numpy()
    for name in PAYER_FIELDS:
        letter = sd.book.letter(PAYERS.name, name)
        header = PAYERS.column(name).header
        miss = (p["_known"].to_numpy() & is_blank(p[name])
                & ~sd.unreadable(PAYERS.name, name, prow))
        out.append(claim_findings(
            sd, miss, R.REQ_PAYER, name,
            f"Claim {{claim_id}}: payer {{payer_id}} has no {header} in sheet '{sheet}' "
            f"row {{_row}}; the claim file needs it.",
            sheet=sheet, rows=prow, column=letter, value=np.full(len(c), "", dtype=object),
            payer_id=c["payer_id"].to_numpy(dtype=object),
            fix=f"Fill in {header} for this payer in the Payers sheet "
                f"({PAYERS.column(name).description})"))
    return F.concat(out)


def patient(sd: ScrubData) -> pd.DataFrame:
    c, pt = sd.claims, sd.patients
    out = []
    known = pt["_known"].to_numpy()
    present = ~pd.isna(c["patient"].to_numpy(dtype=object, na_value=None))
    col = sd.letters.get("patient", "")
    out.append(claim_findings(
        sd, present & ~known, R.REQ_PATIENT, "patient",
        f"Claim {{claim_id}}: patient account '{{value}}' (sheet '{sd.sheet}' cell "
        f"{col}{{_row}}) is not in the Patients sheet.",
        fix="Add the patient to the Patients sheet, or correct the account number."))
    sheet = sd.book.sheet(PATIENTS.name)
    prow = pt["_row"].to_numpy()
    table = sd.book.get(PATIENTS.name)
    pos = np.maximum(pt["_pos"].to_numpy(), 0)
    trows = table["_row"].to_numpy()
    for name in PATIENT_FIELDS:
        letter = sd.book.letter(PATIENTS.name, name)
        header = PATIENTS.column(name).header
        bad = is_blank(table[name]) & ~sd.unreadable(PATIENTS.name, name, trows)
        if not bad.any():
            continue
        miss = known & bad[pos]
        out.append(claim_findings(
            sd, miss, R.REQ_PATIENT, name,
            f"Claim {{claim_id}}: patient {{patient}} has no {header} in sheet '{sheet}' "
            f"cell {letter}{{_row}}; the claim must carry it.",
            sheet=sheet, rows=prow, column=letter, value=np.full(len(c), "", dtype=object),
            patient=c["patient"].to_numpy(dtype=object),
            fix=f"Fill in {header} for this patient in the Patients sheet."))
    return F.concat(out)


def lines(sd: ScrubData) -> list[pd.DataFrame]:
    L = sd.lines
    rows = L["_row"].to_numpy()
    out = []
    for rule, name, header in ((R.REQ_RENDERING, "rendering_npi", "Rendering NPI"),
                               (R.REQ_POS, "pos", "POS")):
        miss = is_blank(L[name]) & ~sd.unreadable("Claims", name, rows)
        col = sd.letters.get(name, "")
        where = f"cell {col}{{_row}}" if col else "row {_row} (the column is missing)"
        out.append(line_findings(
            sd, miss, rule, name,
            f"Claim {{claim_id}} line {{line_no}}: {header} is empty in sheet '{sd.sheet}' "
            f"{where}."))
    miss = np.isnan(sd.charge) & ~sd.unreadable("Claims", "charge", rows)
    col = sd.letters.get("charge", "")
    out.append(line_findings(
        sd, miss, R.REQ_CHARGE, "charge",
        f"Claim {{claim_id}} line {{line_no}}: Charge is empty in sheet '{sd.sheet}' "
        f"cell {col}{{_row}}."))
    return out
