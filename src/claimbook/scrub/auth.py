"""Prior authorization: a line that needs one (FeeSchedule flag for the payer and code, or a
Coverage plan that requires it outside the office) on a claim with no authorization number."""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimbook.rules import scrub as R
from claimbook.scrub.coverage import CoverageMatch, match
from claimbook.scrub.data import SELF_PAY, ScrubData, encode, is_blank
from claimbook.scrub.emit import line_findings

OFFICE_POS = ("11", "02", "10")  # office and telehealth: not 'non-office services'


def fee_schedule_flags(sd: ScrubData) -> np.ndarray:
    """Per line: the FeeSchedule says this payer needs authorization for the code (the payer's
    own row wins over a '*' row)."""
    n = len(sd.code_code)
    need = np.full(n, np.nan)
    fee = sd.book.get("FeeSchedule")
    fee = fee[fee["prior_auth_required"].notna() & fee["code"].notna()]
    if fee.empty or not n:
        return np.zeros(n, bool)
    ncode = len(sd.code_vocab) + 1
    fcode = encode(fee["code"].to_numpy(dtype=object), sd.code_vocab)
    payer_txt = fee["payer_id"].to_numpy(dtype=object, na_value=None)
    star = (payer_txt == "*") | pd.isna(payer_txt)
    fpayer = np.where(star, len(sd.payer_vocab), encode(payer_txt, sd.payer_vocab))
    val = fee["prior_auth_required"].astype(bool).to_numpy(dtype=float)
    keys = fpayer * ncode + fcode
    usable = (fcode >= 0) & (fpayer >= 0)
    for line_payer in (sd.payer_code, np.full(n, len(sd.payer_vocab))):
        todo = np.isnan(need) & (sd.code_code >= 0) & (sd.payer_code >= 0)
        sel = usable & np.isin(fpayer, np.unique(line_payer))
        if not sel.any() or not todo.any():
            continue
        idx = pd.Index(keys[sel])
        first = ~idx.duplicated(keep="first")
        pos = pd.Index(idx[first]).get_indexer((line_payer * ncode + sd.code_code)[todo])
        hit = pos >= 0
        t = np.flatnonzero(todo)[hit]
        need[t] = val[sel][first][pos[hit]]
    return need == 1.0


def check(sd: ScrubData) -> list[pd.DataFrame]:
    if not len(sd.code_code):
        return []
    cm: CoverageMatch = sd.state.get("coverage") or match(sd)
    sd.state["coverage"] = cm
    L = sd.lines
    by_fee = fee_schedule_flags(sd)
    cov = sd.book.get("Coverage")
    plan = cov["prior_auth_required"].fillna(False).astype(bool).to_numpy()
    plan_c = np.where(cm.pos >= 0, plan[np.maximum(cm.pos, 0)] if len(plan) else False, False)
    by_plan = plan_c[sd.cc]
    if by_plan.any():
        at = np.flatnonzero(by_plan)
        pos = L["pos"].iloc[at]
        by_plan[at] = pos.notna().to_numpy() & ~pos.isin(OFFICE_POS).to_numpy()
    filing = sd.payers["filing_indicator"].to_numpy(dtype=object, na_value=None)
    insured = (sd.payers["_known"].to_numpy() & (filing != SELF_PAY))[sd.cc]
    need = insured & (by_fee | by_plan)
    flag = np.zeros(len(need), bool)
    if need.any():
        claims = np.unique(sd.cc[need])
        in_claims = np.flatnonzero(np.isin(sd.cc, claims))
        has = ~is_blank(L["prior_auth"].iloc[in_claims])
        claim_has = np.zeros(len(sd.claims), bool)
        claim_has[sd.cc[in_claims][has]] = True
        flag = need & ~claim_has[sd.cc]
    def why(i: np.ndarray) -> list[str]:
        return ["the FeeSchedule marks this code as needing authorization for this payer" if b
                else "the patient's plan (Coverage) requires authorization for services "
                "outside the office" for b in by_fee[i]]

    col = sd.letters.get("prior_auth", "")
    return [line_findings(
        sd, flag, R.AUTH_MISSING, "prior_auth",
        f"Claim {{claim_id}} line {{line_no}}: code {{code}} for payer {{payer}} has no prior "
        f"authorization number (sheet '{sd.sheet}' cell {col}{{_row}}); {{why}}.",
        code=L["code"], payer=sd.line_payer, why=why)]
