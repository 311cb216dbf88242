"""What the scrubber needs from the ledger: claims sent, lines sent, primary adjudications.

Read once per scrub with three queries; every table may be empty (a new ledger) or absent
(no ledger given), in which case nothing is known to have been sent or paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from claimbook.ledger import Ledger

_SENT_LINES = """
    SELECT l.claim_id, l.patient, l.dos, l.code, l.modifiers, l.batch_id,
           s.payer_id, s.submitted_at
    FROM submitted_lines l
    LEFT JOIN submissions s ON s.claim_id = l.claim_id AND s.batch_id = l.batch_id
    WHERE l.claim_id NOT IN (SELECT claim_id FROM submissions WHERE frequency = '8')
"""
_ADJUDICATIONS = """
    SELECT cp.claim_id, cp.status, COALESCE(r.payment_date, cp.posted_at) AS paid_on,
           s.patient, s.payer_id, s.first_dos
    FROM claim_payments cp
    JOIN remittances r ON r.remit_id = cp.remit_id
    LEFT JOIN submissions s ON s.claim_id = cp.claim_id
    WHERE cp.status NOT IN ('22', '23') AND cp.claim_id IS NOT NULL
"""


def _empty(cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})


@dataclass
class LedgerData:
    sent_claims: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    submissions: pd.DataFrame = field(default_factory=lambda: _empty(
        ["claim_id", "patient", "payer_id", "first_dos"]))
    lines: pd.DataFrame = field(default_factory=lambda: _empty(
        ["claim_id", "patient", "dos", "code", "modifiers", "batch_id", "payer_id",
         "submitted_at"]))
    adjudications: pd.DataFrame = field(default_factory=lambda: _empty(
        ["claim_id", "status", "paid_on", "patient", "payer_id", "first_dos"]))


def to_dates(values: pd.Series) -> pd.Series:
    """Ledger date text (YYYY-MM-DD, YYYYMMDD or ISO timestamps) as midnight datetimes."""
    s = pd.Series(values, dtype=object).astype("string")
    out = pd.to_datetime(s.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    compact = out.isna() & s.str.fullmatch(r"\d{8}").fillna(False)
    if compact.any():
        out[compact] = pd.to_datetime(s[compact], format="%Y%m%d", errors="coerce")
    return out.astype("datetime64[ns]")


def load_ledger_data(ledger: Ledger | None) -> LedgerData:
    if ledger is None:
        return LedgerData()
    conn = ledger.conn
    subs = pd.read_sql_query(
        "SELECT claim_id, patient, payer_id, first_dos, frequency FROM submissions", conn)
    lines = pd.read_sql_query(_SENT_LINES, conn)
    adj = pd.read_sql_query(_ADJUDICATIONS, conn)
    subs["first_dos"] = to_dates(subs["first_dos"])
    lines["dos"] = to_dates(lines["dos"])
    adj["paid_on"] = to_dates(adj["paid_on"])
    adj["first_dos"] = to_dates(adj["first_dos"])
    return LedgerData(
        sent_claims=subs["claim_id"].astype(object).unique(),
        submissions=subs, lines=lines, adjudications=adj)
