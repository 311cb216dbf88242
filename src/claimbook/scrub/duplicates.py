"""Duplicates: the same service twice in the workbook or already sent (ledger), and one claim
id used for two patients.

A service is patient + payer + DOS + code + modifiers (in any order); the same service sent
to the primary and then to the secondary payer is not a duplicate. Frequency 7/8 claims
(replacement, void) are corrections: they are not duplicates of their original.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.rules import scrub as R
from claimbook.scrub.data import (
    NAT,
    ScrubData,
    day_numbers,
    day_text,
    first_of_group,
    group_ids,
    isin,
)
from claimbook.scrub.emit import claim_findings, line_findings


def check(sd: ScrubData) -> list[pd.DataFrame]:
    return [in_workbook(sd), already_sent(sd), claim_id_reuse(sd), claim_id_changed(sd)]


def service_rows(sd: ScrubData) -> np.ndarray:
    """Lines that identify a service (patient, payer, DOS and code all present)."""
    return (sd.dos != NAT) & (sd.code_code >= 0) & (sd.patient_code >= 0) & (sd.payer_code >= 0)


def in_workbook(sd: ScrubData) -> pd.DataFrame:
    idx = np.flatnonzero(service_rows(sd))
    n = len(sd.dos)
    orig = np.full(n, -1, np.int64)
    if len(idx):
        g = group_ids(sd.patient_code[idx], sd.payer_code[idx], sd.dos[idx],
                      sd.code_code[idx], sd.mods.dense[idx], sd.correction[idx])
        orig[idx] = idx[first_of_group(g)]
    dup = (orig >= 0) & (orig != np.arange(n))
    cid = sd.lines["claim_id"].to_numpy(dtype=object)
    ln = sd.lines["line_no"].to_numpy(dtype=object)
    rows = sd.lines["_row"].to_numpy()
    return line_findings(
        sd, dup, R.DUP_LINE, "code",
        f"Claim {{claim_id}} line {{line_no}} (sheet '{sd.sheet}' row {{_row}}) repeats claim "
        "{other} line {other_line} (row {other_row}): same patient, payer, DOS {dos}, code "
        "{value} and modifiers.",
        other=lambda i: cid[orig[i]], other_line=lambda i: ln[orig[i]],
        other_row=lambda i: rows[orig[i]],
        dos=lambda i: day_text(sd.dos[i]))


def already_sent(sd: ScrubData) -> pd.DataFrame:
    led = sd.ledger.lines
    if led.empty or not len(sd.dos):
        return F.empty()
    ok = service_rows(sd) & (sd.correction == 0)
    ok &= isin(sd.line_patient, led["patient"].dropna().unique())
    idx = np.flatnonzero(ok)
    if not len(idx):
        return F.empty()
    keys = {m: sd.mods.key_of(m) for m in led["modifiers"].fillna("").unique()}
    lk = pd.DataFrame({
        "patient": led["patient"].astype(object), "payer_id": led["payer_id"].astype(object),
        "dos": day_numbers(led["dos"]), "code": led["code"].astype(object),
        "mk": led["modifiers"].fillna("").map(keys).astype(object),
        "sent_claim": led["claim_id"].astype(object), "batch": led["batch_id"].astype(object),
        "at": led["submitted_at"].astype(object)})
    lk = lk[lk["mk"].notna()]
    lk["mk"] = lk["mk"].astype(np.int64)
    wb = pd.DataFrame({
        "pos": idx, "patient": pd.Series(sd.line_patient[idx], dtype=object),
        "payer_id": pd.Series(sd.line_payer[idx], dtype=object), "dos": sd.dos[idx],
        "code": pd.Series(sd.code_vocab.to_numpy()[sd.code_code[idx]], dtype=object),
        "mk": sd.mods.key[idx],
        "claim_id": pd.Series(sd.lines["claim_id"].to_numpy(dtype=object)[idx], dtype=object)})
    hit = wb.merge(lk, on=["patient", "payer_id", "dos", "code", "mk"], how="inner")
    hit = hit[hit["claim_id"] != hit["sent_claim"]]
    hit = hit.sort_values(["pos", "at", "sent_claim"], kind="stable").drop_duplicates("pos")
    flag = np.zeros(len(sd.dos), bool)
    flag[hit["pos"].to_numpy()] = True
    other = np.full(len(sd.dos), "", dtype=object)
    batch = np.full(len(sd.dos), "", dtype=object)
    other[hit["pos"].to_numpy()] = hit["sent_claim"].to_numpy()
    batch[hit["pos"].to_numpy()] = hit["batch"].fillna("").to_numpy()
    return line_findings(
        sd, flag, R.DUP_SENT, "code",
        f"Claim {{claim_id}} line {{line_no}} (sheet '{sd.sheet}' row {{_row}}): code "
        "{value} for this patient, payer and DOS was already sent on claim {other} "
        "(batch {batch}).", other=other, batch=batch)


def claim_id_reuse(sd: ScrubData) -> pd.DataFrame:
    raw = sd.lines["patient"].to_numpy()
    flag = raw != sd.line_patient
    at = np.flatnonzero(flag)  # None/NaN blanks compare unequal: keep real patients only
    flag[at] = ~pd.isna(raw[at]) & ~pd.isna(sd.line_patient[at])
    first_row = sd.claims["_row"].to_numpy()[sd.cc] if len(sd.cc) else np.zeros(0)
    col = sd.letters.get("patient", "")
    return line_findings(
        sd, flag, R.DUP_CLAIM_ID, "patient",
        f"Claim {{claim_id}} line {{line_no}} is for patient {{value}} (sheet '{sd.sheet}' cell "
        f"{col}{{_row}}) but the claim's first line (row {{first_row}}) is for patient "
        "{first_patient}: one claim id is used for two patients.",
        first_row=first_row, first_patient=sd.line_patient)


def claim_id_changed(sd: ScrubData) -> pd.DataFrame:
    """CLAIM-ID-CHANGED: a claim id the 837P would send in another form (lower case, characters
    outside the X12 basic set, too long), naming any other claim it would then collide with."""
    from claimbook.x12.envelope import MAX, clean

    ids = sd.claims["claim_id"].astype(str).reset_index(drop=True)
    sent = clean(ids, MAX["claim_id"]).astype(str).reset_index(drop=True)
    changed = (sent != ids).to_numpy()
    if not changed.any():
        return F.empty()
    clash = np.full(len(ids), "", dtype=object)
    shared = sent.duplicated(keep=False).to_numpy()
    for out, members in ids[shared].groupby(sent[shared]):  # the few colliding ids only
        for pos, raw in members.items():
            rest = ", ".join(f"'{o}'" for o in members if o != raw)
            clash[pos] = f", the same as claim {rest}" if rest else ""
    return claim_findings(
        sd, changed, R.CLAIM_ID_SENT_AS, "claim_id",
        f"Claim id '{{value}}' (sheet '{sd.sheet}' row {{_row}}) would be sent as "
        "'{sent}'{clash}: the payer's remittance could not be matched back to it.",
        sent=sent.to_numpy(dtype=object), clash=clash)
