"""The Disputes table: which claims are on hold because the patient disputes them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.book import Book
from claimbook.rules import patient_billing as R


def open_disputes(book: Book, claims: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(disputed claims, findings).

    `claims` has claim_id and patient. A dispute with a blank Claim ID holds all the
    patient's claims; a blank status counts as open. The result has claim_id, patient, reason.
    """
    d = book.get("Disputes")
    cols = ["claim_id", "patient", "reason"]
    if d.empty:
        return pd.DataFrame(columns=cols), F.empty()
    status = d["status"].astype("object").fillna("open").astype(str).str.lower()
    d = d[status.ne("closed")].copy()
    d["patient"] = d["patient"].astype(str)
    reason = d["reason"].astype("object").fillna("disputed").astype(str)
    d["reason"] = reason
    own = claims[["claim_id", "patient"]].drop_duplicates()
    has_claim = d["claim_id"].notna()
    named = d[has_claim].merge(own, on=["claim_id", "patient"], how="left", indicator=True)
    bad = np.zeros(len(d), dtype=bool)
    bad[np.flatnonzero(has_claim.to_numpy())] = named["_merge"].eq("left_only").to_numpy()
    findings = F.from_mask(
        d, bad, R.DISPUTE_CLAIM, "claim_id",
        "The dispute of patient {patient} names claim {value}, which is not one of the "
        "patient's claims; it holds no statement.", sheet=book.sheet("Disputes"),
        column=book.letter("Disputes", "claim_id"))
    whole = d[~has_claim][["patient", "reason"]].merge(own, on="patient")
    one = named[named["_merge"].eq("both")][["claim_id", "patient", "reason"]]
    out = pd.concat([one, whole[cols]], ignore_index=True).drop_duplicates("claim_id")
    return out.reset_index(drop=True), findings
