"""Coverage: an active Coverage row for the claim's patient and payer on the DOS, billing order
(primary first), the primary's adjudication before a secondary claim, member id format.

A claim's DOS here is its earliest line DOS; its patient and payer are its first line's.
Self-pay payers (filing indicator 09) are not insurance and are skipped; claims to a payer
missing from the Payers sheet are left to REQ-PAYER.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.rules import scrub as R
from claimbook.schemas import COVERAGE, PAYERS
from claimbook.scrub.data import (
    MEDICARE,
    NAT,
    SELF_PAY,
    ScrubData,
    day_numbers,
    day_text,
    encode,
    isin,
)
from claimbook.scrub.emit import claim_findings

# Medicare Beneficiary Identifier: 11 characters, letters without S, L, O, I, B, Z.
_A = "[AC-HJKMNP-RT-Y]"
MBI_PATTERN = f"[1-9]{_A}{_A[:-1]}0-9][0-9]{_A}{_A[:-1]}0-9][0-9]{_A}{_A}[0-9][0-9]"



@dataclass
class CoverageMatch:
    """Per claim: the active Coverage row (-1 none) and the billing-order facts."""

    pos: np.ndarray  # Coverage position of the active row for patient+payer on the DOS
    any_pos: np.ndarray  # a Coverage row for patient+payer on any date (-1 none)
    insured: np.ndarray  # bool: the claim's payer is insurance we can check
    secondary: np.ndarray  # bool: billed payer is secondary/tertiary while a primary is active
    primary_payer: np.ndarray  # object: that primary payer
    looks_secondary: np.ndarray  # bool: a claim to the primary for that patient+DOS exists
    adjudicated_on: np.ndarray  # day number of the primary's remittance (NAT unknown)


def _obj(a: object) -> pd.Series:
    return pd.Series(np.asarray(a, dtype=object), dtype=object)


def _active(dos: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    return (dos != NAT) & ((start == NAT) | (start <= dos)) & ((end == NAT) | (dos <= end))


def match(sd: ScrubData) -> CoverageMatch:
    c, cov = sd.claims, sd.book.get(COVERAGE.name)
    k = len(c)
    filing = sd.payers["filing_indicator"].to_numpy(dtype=object, na_value=None)
    insured = sd.payers["_known"].to_numpy() & (filing != SELF_PAY)
    res = CoverageMatch(
        pos=np.full(k, -1, np.int64), any_pos=np.full(k, -1, np.int64), insured=insured,
        secondary=np.zeros(k, bool), primary_payer=np.full(k, None, object),
        looks_secondary=np.zeros(k, bool), adjudicated_on=np.full(k, NAT, np.int64))
    if not k or cov.empty:
        return res
    cov_payer = cov["payer_id"].to_numpy(dtype=object, na_value=None)
    # payers only in Coverage (a primary nobody billed yet) extend the claims' vocabulary
    vocab = sd.payer_vocab.append(pd.Index(
        pd.unique(cov_payer[~pd.isna(cov_payer)]), dtype=object).difference(sd.payer_vocab))
    cv = pd.DataFrame({
        "patient": encode(cov["patient"].to_numpy(dtype=object, na_value=None),
                          sd.patient_vocab),
        "payer_id": encode(cov_payer, vocab),
        "_cpos": np.arange(len(cov)), "f": day_numbers(cov["effective_from"]),
        "t": day_numbers(cov["effective_to"]),
        "priority": _obj(cov["priority"].to_numpy(dtype=object, na_value=None))})
    cv = cv[(cv["patient"] >= 0) & (cv["payer_id"] >= 0)]
    q = pd.DataFrame({"ci": np.arange(k), "patient": sd.claim_patient_code,
                      "payer_id": sd.claim_payer_code, "dos": c["dos"].to_numpy()})
    q = q[insured & (sd.claim_patient_code >= 0) & (sd.claim_payer_code >= 0)]
    m = q.merge(cv, on=["patient", "payer_id"], how="inner", sort=False)
    if len(m):
        anyrow = m.groupby("ci", sort=False)["_cpos"].min()
        res.any_pos[anyrow.index.to_numpy()] = anyrow.to_numpy()
        act = m[_active(m["dos"].to_numpy(), m["f"].to_numpy(), m["t"].to_numpy())]
        act = act.groupby("ci", sort=False)["_cpos"].min()
        res.pos[act.index.to_numpy()] = act.to_numpy()

    all_prio = cov["priority"].to_numpy(dtype=object, na_value=None)
    prio = np.where(res.pos >= 0, all_prio[np.maximum(res.pos, 0)], None)
    later = isin(prio, ["secondary", "tertiary"])
    if later.any():
        q2 = q[later[q["ci"].to_numpy()]].drop(columns="payer_id")
        prim = cv[cv["priority"].eq("primary")]
        m2 = q2.merge(prim, on="patient", how="inner", sort=False)
        m2 = m2[_active(m2["dos"].to_numpy(), m2["f"].to_numpy(), m2["t"].to_numpy())
                & (m2["payer_id"].to_numpy() != sd.claim_payer_code[m2["ci"].to_numpy()])]
        m2 = m2.sort_values(["ci", "_cpos"], kind="stable").drop_duplicates("ci")
        ci = m2["ci"].to_numpy()
        res.secondary[ci] = True
        res.primary_payer[ci] = vocab.to_numpy(dtype=object)[m2["payer_id"].to_numpy()]
        _primary_claims(sd, res, ci)
    return res


def _primary_claims(sd: ScrubData, res: CoverageMatch, ci: np.ndarray) -> None:
    """Is there a claim to the primary for the same patient and DOS (workbook or ledger), and
    has the primary's remittance been posted?"""
    c = sd.claims
    cand = pd.DataFrame({"ci": ci, "patient": _obj(c["patient"].to_numpy()[ci]),
                         "payer_id": _obj(res.primary_payer[ci]),
                         "dos": c["dos"].to_numpy()[ci]})
    pats = isin(sd.line_patient, cand["patient"].unique())
    wb = pd.DataFrame({"patient": _obj(sd.line_patient[pats]),
                       "payer_id": _obj(sd.line_payer[pats]), "dos": sd.dos[pats],
                       "claim_id": _obj(sd.lines["claim_id"].to_numpy(dtype=object)[pats])}
                      ).drop_duplicates()
    led = sd.ledger
    subs = pd.DataFrame({"patient": _obj(led.submissions["patient"]),
                         "payer_id": _obj(led.submissions["payer_id"]),
                         "dos": day_numbers(led.submissions["first_dos"]),
                         "claim_id": _obj(led.submissions["claim_id"])})
    known = pd.concat([wb, subs], ignore_index=True)
    hit = cand.merge(known, on=["patient", "payer_id", "dos"], how="inner")
    res.looks_secondary[hit["ci"].unique()] = True
    adj = led.adjudications
    if len(adj):
        paid = pd.DataFrame({"claim_id": _obj(adj["claim_id"]),
                             "paid_on": day_numbers(adj["paid_on"]),
                             "patient": _obj(adj["patient"]), "payer_id": _obj(adj["payer_id"]),
                             "dos": day_numbers(adj["first_dos"])})
        by_claim = hit.merge(paid[["claim_id", "paid_on"]], on="claim_id", how="inner")
        by_key = cand.merge(paid.drop(columns="claim_id"), on=["patient", "payer_id", "dos"],
                            how="inner")
        done = pd.concat([by_claim[["ci", "paid_on"]], by_key[["ci", "paid_on"]]])
        done = done[done["paid_on"] != NAT]
        if len(done):
            latest = done.groupby("ci")["paid_on"].max()
            res.adjudicated_on[latest.index.to_numpy()] = latest.to_numpy()
            res.looks_secondary[latest.index.to_numpy()] = True


def check(sd: ScrubData) -> list[pd.DataFrame]:
    cm = match(sd)
    sd.state["coverage"] = cm
    c = sd.claims
    cov = sd.book.get(COVERAGE.name)
    cov_sheet = sd.book.sheet(COVERAGE.name)
    out = []
    dated = c["dos"].to_numpy() != NAT
    cov_f = day_numbers(cov["effective_from"])
    cov_t = day_numbers(cov["effective_to"])
    cov_rows = cov["_row"].to_numpy()

    def why_none(idx: np.ndarray) -> list[str]:
        out_ = []
        for ap in cm.any_pos[idx]:
            if ap < 0:
                out_.append("there is no Coverage row for this patient and payer")
            else:
                f, t = cov_f[ap], cov_t[ap]
                out_.append(f"the Coverage row {cov_rows[ap]} runs "
                            f"{day_text(f) or 'from the start'} to {day_text(t) or 'open'}")
        return out_

    none = cm.insured & dated & (cm.pos < 0) & c["patient"].notna().to_numpy()
    out.append(claim_findings(
        sd, none, R.COV_NONE, "payer_id",
        "Claim {claim_id}: patient {patient} has no coverage with payer {value} active on "
        "the DOS {dos}: {why}.",
        patient=c["patient"].to_numpy(dtype=object), dos=lambda i: day_text(c["dos"].to_numpy()[i]),
        why=why_none))

    prio = cov["priority"].to_numpy(dtype=object, na_value=None)
    wrong = cm.secondary & ~cm.looks_secondary
    out.append(claim_findings(
        sd, wrong, R.COV_NOT_PRIMARY, "payer_id",
        "Claim {claim_id} is billed to {value}, the patient's {prio} payer, but {primary} is "
        "primary on the DOS {dos} and no claim to {primary} for that date was found.",
        prio=lambda i: prio[cm.pos[i]], primary=cm.primary_payer,
        dos=lambda i: day_text(c["dos"].to_numpy()[i])))
    waiting = cm.secondary & cm.looks_secondary & (cm.adjudicated_on == NAT)
    out.append(claim_findings(
        sd, waiting, R.COV_SECONDARY_NO_PRIMARY, "payer_id",
        "Claim {claim_id} goes to the secondary payer {value}, but no remittance from the "
        "primary payer {primary} is posted for the DOS {dos}.",
        primary=cm.primary_payer, dos=lambda i: day_text(c["dos"].to_numpy()[i])))

    member = cov["member_id"].to_numpy(dtype=object, na_value=None)
    has = cm.pos >= 0
    mem = np.where(has, member[np.maximum(cm.pos, 0)] if len(member) else None, None)
    mem_blank = pd.isna(mem) | (mem == "")
    rows_c = np.where(has, cov_rows[np.maximum(cm.pos, 0)] if len(cov_rows) else -1, -1)
    letter = sd.book.letter(COVERAGE.name, "member_id")
    unread = sd.unreadable(COVERAGE.name, "member_id", rows_c)
    out.append(claim_findings(
        sd, has & mem_blank & ~unread, R.REQ_MEMBER_ID, "member_id",
        f"Claim {{claim_id}}: the Member ID for patient {{patient}} with payer {{payer}} is "
        f"empty in sheet '{cov_sheet}' cell {letter}{{_row}}.",
        sheet=cov_sheet, rows=rows_c, column=letter, value=np.full(len(c), "", object),
        patient=c["patient"].to_numpy(dtype=object), payer=c["payer_id"].to_numpy(dtype=object)))
    out.append(_member_format(sd, cm, has & ~mem_blank, mem, rows_c, cov_sheet, letter))
    return out


def _member_format(sd: ScrubData, cm: CoverageMatch, check_mask: np.ndarray, mem: np.ndarray,
                   rows_c: np.ndarray, cov_sheet: str, letter: str) -> pd.DataFrame:
    p = sd.payers
    custom = p["member_id_pattern"].to_numpy(dtype=object, na_value=None)
    filing = p["filing_indicator"].to_numpy(dtype=object, na_value=None)
    pattern = np.where(pd.isna(custom) | (custom == ""),
                       np.where(isin(filing, MEDICARE), MBI_PATTERN, None),
                       custom)
    bad = np.zeros(len(mem), bool)
    out = []
    bad_patterns: list[int] = []
    for pat in pd.unique(pattern[check_mask & ~pd.isna(pattern)]):
        sel = np.flatnonzero(check_mask & (pattern == pat))
        # each Coverage row once, however many claims use it
        _, first, inv = np.unique(cm.pos[sel], return_index=True, return_inverse=True)
        ids = pd.Series(mem[sel[first]], dtype=object).astype(str)
        try:
            ok = ids.str.fullmatch(pat).to_numpy(dtype=bool)
        except re.error:
            bad_patterns.append(int(sel[0]))
            continue
        bad[sel[~ok[inv.ravel()]]] = True
    def what(i: np.ndarray) -> list[str]:
        return ["is not a Medicare Beneficiary Identifier as claims carry it (11 characters, "
                "capitals, no dashes or spaces, such as 1EG4TE5MK73; no S, L, O, I, B or Z)"
                if p_ == MBI_PATTERN else
                f"does not match the payer's pattern {p_}" for p_ in pattern[i]]

    out.append(claim_findings(
        sd, bad, R.COV_MEMBER_FORMAT, "member_id",
        f"Claim {{claim_id}}: member id '{{value}}' for payer {{payer}} (sheet '{cov_sheet}' "
        f"cell {letter}{{_row}}) {{what}}.",
        sheet=cov_sheet, rows=rows_c, column=letter, value=mem,
        payer=sd.claims["payer_id"].to_numpy(dtype=object), what=what))
    psheet = sd.book.sheet(PAYERS.name)
    pletter = sd.book.letter(PAYERS.name, "member_id_pattern")
    for i in bad_patterns:
        out.append(F.one(
            R.COV_PATTERN_INVALID,
            f"The Member id pattern '{custom[i]}' of payer {sd.claims['payer_id'].iloc[i]} in "
            f"sheet '{psheet}' row {p['_row'].iloc[i]} is not a valid regular expression; "
            "member ids of this payer are not checked.",
            sheet=psheet, field="member_id_pattern", value=custom[i],
            row=int(p["_row"].iloc[i]), column=pletter))
    return F.concat(out)
