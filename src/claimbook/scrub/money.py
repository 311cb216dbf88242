"""Charges: zero or negative, different from the fee schedule, claim total != sum of lines."""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimbook.rules import scrub as R
from claimbook.scrub.data import ScrubData, encode, money
from claimbook.scrub.emit import line_findings

CENT = 0.005


def check(sd: ScrubData) -> list[pd.DataFrame]:
    col = sd.letters.get("charge", "")
    ch = sd.charge
    out = [line_findings(
        sd, ~np.isnan(ch) & (ch <= 0), R.MONEY_NONPOSITIVE, "charge",
        f"Claim {{claim_id}} line {{line_no}}: charge {{value}} in sheet '{sd.sheet}' cell "
        f"{col}{{_row}} is not a positive amount.")]
    out.append(fee_schedule(sd))
    out.append(claim_total(sd))
    return out


def standard_charges(sd: ScrubData) -> tuple[np.ndarray, np.ndarray]:
    """(standard charge per line (NaN: none on file), FeeSchedule Excel row).

    The most specific FeeSchedule row with a standard charge wins: this payer and one of
    the line's modifiers, this payer with no modifier, every payer (*) and a modifier, * with
    no modifier.
    """
    n = len(sd.charge)
    std = np.full(n, np.nan)
    where = np.full(n, -1, np.int64)
    fee = sd.book.get("FeeSchedule")
    fee = fee[fee["standard_charge"].notna() & fee["code"].notna()]
    if fee.empty or not n:
        return std, where
    ncode = len(sd.code_vocab) + 1
    nmod = len(sd.mods.vocab) + 1
    fcode = encode(fee["code"].to_numpy(dtype=object), sd.code_vocab)
    fpayer_txt = fee["payer_id"].to_numpy(dtype=object, na_value=None)
    star = (fpayer_txt == "*") | pd.isna(fpayer_txt)
    fpayer = encode(fpayer_txt, sd.payer_vocab)
    fmod_txt = fee["modifier"].to_numpy(dtype=object, na_value=None)
    fmod_blank = pd.isna(fmod_txt) | (fmod_txt == "")
    fmod = encode(fmod_txt, sd.mods.vocab)
    fval = fee["standard_charge"].to_numpy(dtype=float)
    frow = fee["_row"].to_numpy()
    usable = fcode >= 0
    line_ok = (sd.code_code >= 0) & (sd.payer_code >= 0)

    def lookup(sel: np.ndarray, fkeys: np.ndarray, lkeys: np.ndarray, todo: np.ndarray) -> None:
        if not sel.any() or not todo.any():
            return
        keys = pd.Index(fkeys[sel])
        first = ~keys.duplicated(keep="first")
        idx = pd.Index(keys[first])
        pos = idx.get_indexer(lkeys[todo])
        vals, rows = fval[sel][first], frow[sel][first]
        hit = pos >= 0
        t = np.flatnonzero(todo)[hit]
        std[t], where[t] = vals[pos[hit]], rows[pos[hit]]

    star_payer = len(sd.payer_vocab)  # code for '*'
    for payer_sel, payer_key, line_payer in (
            (usable & ~star & (fpayer >= 0), fpayer, sd.payer_code),
            (usable & star, np.full(len(fee), star_payer), np.full(n, star_payer))):
        fbase = payer_key * ncode + fcode
        lbase = line_payer * ncode + sd.code_code
        for j in range(4):  # a modifier-specific price
            sel = payer_sel & ~fmod_blank & (fmod >= 0)
            lmod = sd.mods.sorted_codes[:, j]
            lookup(sel, fbase * nmod + fmod, lbase * nmod + lmod,
                   line_ok & np.isnan(std) & (lmod < len(sd.mods.vocab)))
        lookup(payer_sel & fmod_blank, fbase, lbase, line_ok & np.isnan(std))
    return std, where


def fee_schedule(sd: ScrubData) -> pd.DataFrame:
    std, frow = standard_charges(sd)
    ch, units = sd.charge, sd.units
    per_unit = np.abs(ch - np.round(std * units, 2)) <= CENT
    flat = np.abs(ch - std) <= CENT
    flag = ~np.isnan(std) & ~np.isnan(ch) & (ch > 0) & ~per_unit & ~flat
    col = sd.letters.get("charge", "")
    fsheet = sd.book.sheet("FeeSchedule")
    return line_findings(
        sd, flag, R.MONEY_FEE, "charge",
        f"Claim {{claim_id}} line {{line_no}}: charge {{charge}} (sheet '{sd.sheet}' cell "
        f"{col}{{_row}}) for code {{code}} differs from the standard charge {{std}} per unit "
        f"x {{units}} unit(s) = {{expected}} (sheet '{fsheet}' row {{frow}}).",
        charge=lambda i: money(ch[i]), std=lambda i: money(std[i]), units=units,
        expected=lambda i: money(np.round(std[i] * units[i], 2)), frow=frow,
        code=sd.lines["code"])


def claim_total(sd: ScrubData) -> pd.DataFrame:
    total = sd.lines["claim_total"].to_numpy(dtype=float, na_value=np.nan)
    k = len(sd.claims)
    if not k or np.isnan(total).all():
        return line_findings(sd, np.zeros(len(total), bool), R.MONEY_TOTAL, "claim_total", "")
    ch = sd.charge
    sums = np.round(np.bincount(sd.cc, weights=np.nan_to_num(ch), minlength=k), 2)
    blanks = np.bincount(sd.cc, weights=np.isnan(ch).astype(float), minlength=k) > 0
    line_sum = sums[sd.cc]
    flag = ~np.isnan(total) & ~blanks[sd.cc] & (np.abs(total - line_sum) > CENT)
    col = sd.letters.get("claim_total", "")
    return line_findings(
        sd, flag, R.MONEY_TOTAL, "claim_total",
        f"Claim {{claim_id}} line {{line_no}}: claim total {{total}} (sheet '{sd.sheet}' cell "
        f"{col}{{_row}}) differs from the sum of the claim's {{lines}} line charge(s), "
        "{sum}.", total=lambda i: money(total[i]), sum=lambda i: money(line_sum[i]),
        lines=lambda i: sd.claims["lines"].to_numpy()[sd.cc[i]])
