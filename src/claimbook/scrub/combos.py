"""Code combinations: NCCI PTP pairs and MUE limits (clinic-loaded tables), E/M with a
procedure without modifier 25, bilateral coding, add-on codes without a primary code.

An encounter is one patient, payer, DOS and rendering NPI (corrections, frequency 7/8, apart).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.rules import scrub as R
from claimbook.scrub.data import NAT, ScrubData, day_numbers, encode, group_ids
from claimbook.scrub.emit import line_findings

NCCI_BYPASS = ("59", "XE", "XS", "XP", "XU")
# modifiers that explain the same code twice on a day (distinct, repeat, anatomic)
REPEAT_OK = NCCI_BYPASS + ("76", "77", "91", "E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3",
                           "F4", "F5", "F6", "F7", "F8", "F9", "TA", "T1", "T2", "T3", "T4",
                           "T5", "T6", "T7", "T8", "T9", "LC", "LD", "LM", "RC", "RI")
EM_RANGE = (99202, 99499)
SIDED_RANGE = (10004, 79999)  # where two lines of one code on a day are checked for sides
# procedures that bundle a same-day E/M unless it carries 25: surgery (10004-69990),
# immunization administration (90460-90474), injections and infusions (96360-96549)
PROCEDURE_RANGES = ((10004, 69990), (90460, 90474), (96360, 96549))
# blood draws sit in the surgery range but never need 25 on the visit
NOT_PROCEDURES = ((36400, 36425), (36591, 36593))


def check(sd: ScrubData) -> list[pd.DataFrame]:
    if not len(sd.dos):
        return []
    enc = encounters(sd)
    return [ncci(sd, enc), mue(sd), em_without_25(sd, enc), *bilateral(sd), addon(sd)]


def valid_lines(sd: ScrubData) -> np.ndarray:
    return (sd.dos != NAT) & (sd.code_code >= 0) & (sd.patient_code >= 0)


def encounters(sd: ScrubData) -> np.ndarray:
    npi = pd.factorize(sd.lines["rendering_npi"].to_numpy(dtype=object, na_value=None))[0]
    return _dense_ids(group_ids(sd.patient_code, sd.payer_code, sd.dos, npi, sd.correction))


def same_service_day(sd: ScrubData) -> np.ndarray:
    """Group per patient, payer, DOS and code."""
    return _dense_ids(group_ids(sd.patient_code, sd.payer_code, sd.dos, sd.code_code,
                                sd.correction))


def _dense_ids(g: np.ndarray) -> np.ndarray:
    return pd.factorize(g)[0].astype(np.int64)


def _numeric(vocab: pd.Index) -> np.ndarray:
    s = pd.Series(vocab.to_numpy(dtype=object), dtype=object).astype(str)
    return pd.to_numeric(s.where(s.str.fullmatch(r"\d{5}"), None), errors="coerce").to_numpy()


def _flag_table(sd: ScrubData, table: str, column: str) -> np.ndarray | None:
    """Per code of the workbook: True when the clinic's CPTCodes table flags it (None when
    the table has no such flags)."""
    t = sd.book.get(table)
    if t.empty or column not in t or not t[column].fillna(False).astype(bool).any():
        return None
    yes = t.loc[t[column].fillna(False).astype(bool), "code"].dropna().astype(str)
    return np.isin(sd.code_vocab.to_numpy(dtype=object), yes.to_numpy(dtype=object))


def em_codes(sd: ScrubData) -> np.ndarray:
    """Per code of the workbook: is it E/M (CPTCodes' E/M column when loaded, else
    99202-99499)."""
    flags = _flag_table(sd, "CPTCodes", "em")
    if flags is not None:
        return flags
    num = _numeric(sd.code_vocab)
    return (num >= EM_RANGE[0]) & (num <= EM_RANGE[1])


def procedure_codes(sd: ScrubData) -> np.ndarray:
    num = _numeric(sd.code_vocab)
    out = np.zeros(len(num), bool)
    for lo, hi in PROCEDURE_RANGES:
        out |= (num >= lo) & (num <= hi)
    for lo, hi in NOT_PROCEDURES:
        out &= ~((num >= lo) & (num <= hi))
    return out


def sided_codes(sd: ScrubData) -> np.ndarray:
    """Codes that can be done on one side or both: surgery and radiology (10004-79999)."""
    num = _numeric(sd.code_vocab)
    return (num >= SIDED_RANGE[0]) & (num <= SIDED_RANGE[1])


def _per_line(vocab_flags: np.ndarray, sd: ScrubData) -> np.ndarray:
    ext = np.r_[vocab_flags, False]  # code -1 (blank) maps to the last slot
    return ext[sd.code_code]


def ncci(sd: ScrubData, enc: np.ndarray) -> pd.DataFrame:
    t = sd.book.get("NCCI")
    if t.empty:
        return F.empty()
    ind = t["modifier_indicator"].astype(object).astype(str).str.strip()
    edits = pd.DataFrame({
        "code_a": encode(t["column1"].to_numpy(dtype=object), sd.code_vocab),
        "code_b": encode(t["column2"].to_numpy(dtype=object), sd.code_vocab),
        "ind": ind.to_numpy(dtype=object), "eff": day_numbers(t["effective"]),
        "dele": day_numbers(t["deletion"])})
    edits = edits[(edits["code_a"] >= 0) & (edits["code_b"] >= 0) & edits["ind"].isin(["0", "1"])]
    if edits.empty:
        return F.empty()
    involved = valid_lines(sd) & np.isin(sd.code_code, np.r_[edits["code_a"], edits["code_b"]])
    idx = np.flatnonzero(involved)
    bypass = sd.mods.has(*NCCI_BYPASS)
    s = pd.DataFrame({"pos": idx, "g": enc[idx], "code": sd.code_code[idx],
                      "dos": sd.dos[idx], "byp": bypass[idx]})
    pairs = s.merge(s, on="g", suffixes=("_a", "_b"))
    pairs = pairs[pairs["pos_a"] != pairs["pos_b"]]
    hits = pairs.merge(edits, on=["code_a", "code_b"])
    d = hits["dos_b"].to_numpy()
    active = (((hits["eff"] == NAT) | (hits["eff"] <= d))
              & ((hits["dele"] == NAT) | (d < hits["dele"])))
    blocked = hits["ind"].eq("0") | (hits["ind"].eq("1") & ~(hits["byp_a"] | hits["byp_b"]))
    hits = hits[active & blocked].sort_values(["pos_b", "ind", "pos_a"], kind="stable")
    hits = hits.drop_duplicates("pos_b")
    n = len(sd.dos)
    flag = np.zeros(n, bool)
    other = np.full(n, -1, np.int64)
    kind = np.full(n, "", dtype=object)
    pb = hits["pos_b"].to_numpy()
    flag[pb] = True
    other[pb] = hits["pos_a"].to_numpy()
    kind[pb] = np.where(hits["ind"].eq("0"), "modifier indicator 0: never billed together",
                        "modifier indicator 1: only with 59/XE/XS/XP/XU when truly distinct")
    codes = sd.lines["code"].to_numpy(dtype=object)
    ln = sd.lines["line_no"].to_numpy(dtype=object)
    rows = sd.lines["_row"].to_numpy()
    return line_findings(
        sd, flag, R.NCCI_PTP, "code",
        f"Claim {{claim_id}} line {{line_no}} (sheet '{sd.sheet}' row {{_row}}): code "
        "{value} is bundled into {col1} (claim {oc} line {oline}, row {orow}) billed the same "
        "day by an NCCI edit ({kind}).",
        col1=lambda i: codes[other[i]], oline=lambda i: ln[other[i]],
        orow=lambda i: rows[other[i]], kind=kind,
        oc=lambda i: sd.lines["claim_id"].to_numpy(dtype=object)[other[i]])


def mue(sd: ScrubData) -> pd.DataFrame:
    t = sd.book.get("MUE")
    t = t[t["code"].notna() & t["max_units"].notna()]
    if t.empty:
        return F.empty()
    limit = np.full(len(sd.code_vocab) + 1, np.nan)
    ci = encode(t["code"].to_numpy(dtype=object), sd.code_vocab)
    ok = ci >= 0
    # the smallest limit when a code is listed twice
    lim = pd.Series(t["max_units"].to_numpy(dtype=float)[ok]).groupby(ci[ok]).min()
    limit[lim.index.to_numpy()] = lim.to_numpy()
    line_limit = limit[sd.code_code]
    cand = valid_lines(sd) & ~np.isnan(line_limit)
    g = same_service_day(sd)
    total = np.bincount(g, weights=np.where(cand, sd.units, 0.0))
    count = np.bincount(g, weights=cand.astype(float))
    flag = cand & (total[g] > line_limit)
    col = sd.letters.get("units", "")
    return line_findings(
        sd, flag, R.MUE_EXCEEDED, "units",
        f"Claim {{claim_id}} line {{line_no}}: {{units}} unit(s) of {{code}} (sheet "
        f"'{sd.sheet}' cell {col}{{_row}}); {{total}} unit(s) on {{count}} line(s) for this "
        "patient and DOS exceed the MUE limit of {limit}.",
        units=sd.units, code=sd.lines["code"], total=lambda i: total[g[i]],
        count=lambda i: count[g[i]].astype(int), limit=line_limit)


def _first_free_modifier(sd: ScrubData) -> np.ndarray:
    free = np.full(len(sd.dos), 5, np.int64)
    for j in range(4, 0, -1):
        blank = pd.isna(sd.lines[f"mod{j}"].to_numpy(dtype=object, na_value=None))
        free = np.where(blank, j, free)
    return free


def em_without_25(sd: ScrubData, enc: np.ndarray) -> pd.DataFrame:
    em = _per_line(em_codes(sd), sd) & valid_lines(sd)
    proc = _per_line(procedure_codes(sd), sd) & valid_lines(sd)
    if not em.any() or not proc.any():
        return F.empty()
    has_proc = np.bincount(enc, weights=proc.astype(float)) > 0
    flag = em & has_proc[enc] & ~sd.mods.has("25", "57")
    codes = sd.lines["code"].to_numpy(dtype=object)
    first_proc = np.full(int(enc.max()) + 1, -1, np.int64)
    pidx = np.flatnonzero(proc)
    first_proc[enc[pidx][::-1]] = pidx[::-1]
    free = _first_free_modifier(sd)
    out = []
    for j in range(1, 6):
        field = f"mod{min(j, 4)}"
        col = sd.letters.get(field, "")
        out.append(line_findings(
            sd, flag & (free == j), R.EM_NO_25, field,
            f"Claim {{claim_id}} line {{line_no}}: E/M {{code}} is billed on the same day as "
            f"procedure {{proc}} without modifier 25 (sheet '{sd.sheet}' cell {col}{{_row}}).",
            value=sd.lines[field], code=codes, proc=lambda i: codes[first_proc[enc[i]]]))
    return F.concat(out)


def bilateral(sd: ScrubData) -> list[pd.DataFrame]:
    n = len(sd.dos)
    m50 = sd.mods.has("50")
    side = sd.mods.has("LT", "RT")
    out = []
    # on one line: 50 with LT/RT, or 50 with more than one unit
    both = m50 & side
    many = m50 & (sd.units > 1)

    def why(i: np.ndarray) -> list[str]:
        return ["modifier 50 together with LT/RT and more than 1 unit" if b and m else
                "modifier 50 together with LT/RT" if b else "modifier 50 with more than 1 unit"
                for b, m in zip(both[i], many[i], strict=True)]

    done = ~(both | many)
    for j in range(1, 5):
        f = f"mod{j}"
        here = np.zeros(n, bool)
        todo = np.flatnonzero(~done)
        if len(todo):
            here[todo] = sd.lines[f].iloc[todo].to_numpy(dtype=object) == "50"
        done |= here
        col = sd.letters.get(f, "")
        out.append(line_findings(
            sd, here, R.BILATERAL, f,
            f"Claim {{claim_id}} line {{line_no}}: {{code}} has {{why}} (sheet '{sd.sheet}' "
            f"cell {col}{{_row}}); a bilateral procedure is one line with 50 and 1 unit (or "
            "LT and RT lines).", code=sd.lines["code"], why=why))
    # the same code on another line the same day as a 50 line, or sided and unsided lines,
    # among codes that have sides (surgery, radiology)
    sub = np.flatnonzero(valid_lines(sd) & _per_line(sided_codes(sd), sd))
    after50 = np.zeros(n, bool)
    unsided = np.zeros(n, bool)
    twice = np.zeros(n, bool)
    if len(sub):
        g = _dense_ids(group_ids(sd.patient_code[sub], sd.payer_code[sub], sd.dos[sub],
                                 sd.code_code[sub], sd.correction[sub]))
        s50, sside = m50[sub], side[sub]
        cnt50 = np.bincount(g, weights=s50.astype(float))
        cnt_side = np.bincount(g, weights=(sside & ~s50).astype(float))
        plain = ~s50 & ~sside
        a50 = ~s50 & (cnt50[g] > 0)
        uns = plain & (cnt_side[g] > 0) & ~a50
        # same code twice without side or repeat modifiers, with different modifiers
        bare = np.flatnonzero(plain & ~sd.mods.has(*REPEAT_OK)[sub] & ~a50 & ~uns)
        tw = np.zeros(len(sub), bool)
        if len(bare):
            gb = g[bare]
            firsts = np.full(int(g.max()) + 1, -1, np.int64)
            firsts[gb[::-1]] = bare[::-1]
            first = firsts[gb]
            key = sd.mods.key[sub]
            tw[bare] = (first != bare) & (key[bare] != key[first])
        after50[sub], unsided[sub], twice[sub] = a50, uns, tw

    def why2(i: np.ndarray) -> list[str]:
        return ["is also billed with modifier 50 on another line this day" if a else
                "is billed with LT/RT on another line this day but has no side modifier here"
                if u else "is billed twice this day without LT/RT, 50 or a repeat modifier"
                for a, u in zip(after50[i], unsided[i], strict=True)]

    col = sd.letters.get("code", "")
    out.append(line_findings(
        sd, after50 | unsided | twice, R.BILATERAL, "code",
        f"Claim {{claim_id}} line {{line_no}}: {{value}} {{why}} (sheet '{sd.sheet}' cell "
        f"{col}{{_row}}).", why=why2))
    return out


def addon(sd: ScrubData) -> pd.DataFrame:
    flags = _flag_table(sd, "CPTCodes", "addon")
    if flags is None:
        return F.empty()
    is_addon = _per_line(flags, sd)
    primary = (sd.code_code >= 0) & ~is_addon
    k = len(sd.claims)
    has_primary = np.bincount(sd.cc, weights=primary.astype(float), minlength=k) > 0
    flag = is_addon & ~has_primary[sd.cc]
    col = sd.letters.get("code", "")
    return line_findings(
        sd, flag, R.ADDON_NO_PRIMARY, "code",
        f"Claim {{claim_id}} line {{line_no}}: add-on code {{value}} (sheet '{sd.sheet}' cell "
        f"{col}{{_row}}) has no primary procedure on the claim.")
