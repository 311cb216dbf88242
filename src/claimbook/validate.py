"""Validate code rows: every code on every service line against the real code sets.

`validate_claims(book)` returns findings (claimbook.findings columns) for the Claims table
(Patients for age/sex, Practice and Providers for NPIs and taxonomies, the optional CPTCodes
list for procedure-code existence). Everything is vectorized over the whole table; diagnosis
checks run once per claim and diagnosis slot, not once per line.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.book import Book
from claimbook.codesets import reference as ref
from claimbook.codesets.hcpcs import modifier_table, sex_of
from claimbook.codesets.icd import AGE_PROBES, YEARS, excludes1, icd_table
from claimbook.codesets.lookup import npi_valid
from claimbook.rules import codes as R
from claimbook.validate_hcpcs import hcpcs_findings

DX = [f"dx{i}" for i in range(1, 13)]
MODS = [f"mod{i}" for i in range(1, 5)]
PTR_RE = re.compile(r"\d{1,2}(,\d{1,2})*")


def _dot(code: str) -> str:
    return code[:3] + "." + code[3:] if len(code) > 3 else code


def per_unique(values: pd.Series, fn, fill=None) -> pd.Series:
    """`fn` applied to each distinct value of `values` (a Series of them), broadcast back.

    NA rows get `fill`. A million lines carry a few hundred distinct codes, so string and
    regex work runs on those instead of on every line.
    """
    codes, uniq = pd.factorize(values)
    res = np.asarray(fn(pd.Series(uniq, dtype=object)), dtype=object)
    out = np.full(len(values), fill, dtype=object)
    has = codes >= 0
    out[has] = res[codes[has]]
    return pd.Series(out, index=values.index)


def _match(values: pd.Series, pattern: str) -> pd.Series:
    """Boolean Series: value (as text) fully matches `pattern`; NA is False."""
    return per_unique(values, lambda u: u.astype(str).str.fullmatch(pattern).fillna(False)
                      .to_numpy(bool), fill=False).astype(bool)


def _groups(df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Distinct rows of `df` (NA kept) and, per row of `df`, the index of its distinct row.

    Checks that depend on a few columns run once per distinct combination (a million lines
    carry a few hundred distinct modifier or pointer combinations) and are broadcast back.
    """
    inv = df.groupby(list(df.columns), dropna=False, sort=False).ngroup().to_numpy()
    _, first = np.unique(inv, return_index=True)
    return df.iloc[first].reset_index(drop=True), inv


def _first_lines(claims: pd.DataFrame) -> np.ndarray:
    """Position of each claim's first line, in claim order (`_cid`)."""
    return np.unique(claims["_cid"].to_numpy(), return_index=True)[1]


def validate_claims(book: Book) -> pd.DataFrame:
    claims = book.get("Claims")
    if claims.empty:
        return F.empty()
    claims = claims.copy()
    claims["_cid"] = pd.factorize(claims["claim_id"])[0]  # claim number, factorized once
    claims.attrs["columns"] = dict(book.sources["Claims"].columns) if "Claims" in \
        book.sources else {}
    sheet = book.sheet("Claims")
    _POINTER_CACHE.clear()
    out = [
        _diagnoses(book, claims, sheet),
        _format_changes(book, claims, sheet),
        _pointers(claims, sheet),
        _procedures(book, claims, sheet),
        _modifiers(book, claims, sheet),
        _pos_units(claims, sheet),
        _npis(book, claims, sheet),
        _ndc(claims, sheet),
    ]
    _POINTER_CACHE.clear()
    return F.concat(out)


# ---------------------------------------------------------------------------------------------
# diagnoses


def _claim_dx(claims: pd.DataFrame) -> pd.DataFrame:
    """One row per claim and diagnosis slot, from the claim's first line."""
    first = claims.iloc[_first_lines(claims)]
    keep = ["claim_id", "_cid", "line_no", "_row", "patient", "dos_from"]
    parts = []
    for k, c in enumerate(DX, start=1):
        sub = first.loc[first[c].notna(), [*keep, c]].rename(columns={c: "code"})
        parts.append(sub.assign(slot=c, k=k))
    long = pd.concat(parts, ignore_index=True)
    long["nodot"] = per_unique(long["code"], lambda u: u.astype(str).str.replace(
        ".", "", regex=False).to_numpy(object), fill="")
    return long


def _fiscal_years(dos: pd.Series) -> np.ndarray:
    d = pd.to_datetime(dos)
    fy = (d.dt.year + (d.dt.month >= 10).astype(int)).fillna(YEARS[-1]).astype(int)
    return fy.to_numpy()


def _diagnoses(book: Book, claims: pd.DataFrame, sheet: str) -> pd.DataFrame:
    t = icd_table()
    finds = []
    letters = claims.attrs.get("columns", {})
    dx = _claim_dx(claims)
    # DX-NONE: claims whose lines have no diagnosis at all
    cid = claims["_cid"].to_numpy()
    first_idx = _first_lines(claims)
    has_dx = np.zeros(len(first_idx), dtype=bool)
    np.logical_or.at(has_dx, cid, claims[DX].notna().to_numpy().any(axis=1))
    none = claims.iloc[first_idx[~has_dx]]
    if len(none):
        finds.append(F.from_mask(none, np.ones(len(none), bool), R.DX_NONE, "dx1",
                                 "Claim {claim_id} has no diagnosis (row {_row}).",
                                 sheet=sheet, column=letters.get("dx1", "")))
    # DX-INCONSISTENT: a line whose Dx1-Dx12 differ from its claim's first line
    first_pos = first_idx[cid]
    diff = np.zeros(len(claims), dtype=bool)
    for c in DX:
        codes, _ = pd.factorize(claims[c])  # NA -> -1
        diff |= codes != codes[first_pos]
    if diff.any():
        shown = claims.loc[diff, DX].astype(object).where(claims.loc[diff, DX].notna(), "")
        key = pd.Series("", index=claims.index)
        key[diff] = shown.agg(" ".join, axis=1).str.split().str.join(" ")
        finds.append(F.from_mask(
            claims, diff, R.DX_INCONSISTENT, "dx1",
            "Line {line_no} of claim {claim_id} (row {_row}) lists other diagnoses than the "
            "claim's first line.", value=key, sheet=sheet, column=letters.get("dx1", "")))
    if dx.empty:
        return F.concat(finds)
    idx = t.pandas_index().get_indexer(dx["nodot"])
    fy = _fiscal_years(dx["dos_from"])
    col = np.clip(fy, YEARS[0], YEARS[-1])
    known = idx >= 0
    safe = np.where(known, idx, 0)
    bill = {y: np.frombuffer(bytes(t.billable[y]), dtype=np.uint8) for y in YEARS}
    billable_now = known & np.select([col == y for y in YEARS], [bill[y][safe] for y in YEARS]
                                     ).astype(bool)
    billable_any = known & np.logical_or.reduce([bill[y][safe].astype(bool) for y in YEARS])
    dx = dx.assign(_idx=idx, _fy=fy, _col=col)
    msg_rows = []
    # unknown, header, 7th character, wrong year
    bad = ~billable_now
    for i in np.flatnonzero(bad):
        r = dx.iloc[i]
        code = r["nodot"]
        shown = _dot(code)
        if not known[i]:
            if t.needs_seventh(code):
                msg_rows.append((i, R.ICD_7TH, (f"{shown} in {r['slot'].upper()} needs a 7th "
                                 f"character (e.g. {shown}A for the initial encounter).")))
            else:
                msg_rows.append((i, R.ICD_UNKNOWN, (f"{shown} in {r['slot'].upper()} is not an "
                                 "ICD-10-CM code.")))
        elif billable_any[i]:
            years = [f"FY{y}" for y in YEARS if bill[y][safe[i]]]
            under = [c for c in t.billable_under(code, int(r["_col"])) if c != code]
            now = (f" In FY{r['_fy']} it is a heading: use one of the {len(under)} codes "
                   f"under it (e.g. {_dot(under[0])})." if under else "")
            msg_rows.append((i, R.ICD_DATE, (f"{shown} in {r['slot'].upper()} is not valid on "
                             f"the date of service {pd.Timestamp(r['dos_from']).date()} "
                             f"(FY{r['_fy']}); it is valid in {', '.join(years)}.{now}")))
        elif t.needs_seventh(code):
            under = t.billable_under(code, int(r["_col"]))
            msg_rows.append((i, R.ICD_7TH, (f"{shown} in {r['slot'].upper()} needs a 7th "
                             f"character, e.g. {_dot(under[0]) if under else shown + 'A'}.")))
        else:
            under = t.billable_under(code, int(r["_col"]))
            ex = " and ".join(_dot(c) for c in under[:2])
            msg_rows.append((i, R.ICD_HEADER, (f"{shown} in {r['slot'].upper()} is a category "
                             f"header, not billable: {len(under)} billable codes sit under it "
                             f"(e.g. {ex}).")))
    finds.append(_rows_findings(dx, msg_rows, sheet, letters))
    ok = dx[billable_now].copy()
    finds.append(_first_listed(ok, t, sheet, letters))
    finds.append(_age_sex(book, ok, t, sheet, letters))
    finds.append(_excludes(ok, sheet, letters))
    finds.append(_unused(claims, dx, sheet, letters))
    return F.concat(finds)


def _rows_findings(dx: pd.DataFrame, rows: list[tuple[int, str, str]], sheet: str,
                   letters: dict[str, str]) -> pd.DataFrame:
    if not rows:
        return F.empty()
    frames = []
    for rule in sorted({r for _, r, _ in rows}):
        sel = [(i, m) for i, r, m in rows if r == rule]
        sub = dx.iloc[[i for i, _ in sel]].copy()
        sub["_msg"] = [m for _, m in sel]
        frames.append(pd.DataFrame({
            "claim_id": sub["claim_id"].to_numpy(), "line": sub["line_no"].to_numpy(),
            "sheet": sheet, "row": sub["_row"].to_numpy(),
            "column": sub["slot"].map(lambda s: letters.get(s, "")).to_numpy(),
            "rule": rule, "severity": F.rulebook.get(rule).severity,
            "field": sub["slot"].to_numpy(), "value": sub["code"].to_numpy(),
            "message": sub["_msg"].to_numpy(), "fix": F.rulebook.get(rule).fix}))
    return F.concat(frames)


def _first_listed(ok: pd.DataFrame, t, sheet: str, letters: dict[str, str]) -> pd.DataFrame:
    first = ok[ok["k"] == 1]
    if first.empty:
        return F.empty()
    man = np.frombuffer(bytes(t.manifestation), dtype=np.uint8)[first["_idx"].to_numpy()]
    ext = _match(first["nodot"], r"[VWXY].*").to_numpy()
    pos = np.flatnonzero(ok["k"].to_numpy() == 1)  # positions of `first` rows within `ok`
    codes = first["code"].to_numpy()
    rows = [(int(pos[j]), R.ICD_MANIFESTATION_FIRST,
             (f"{codes[j]} in DX1 is a manifestation code ('code first' the underlying "
             "condition); it may not be listed first.")) for j in np.flatnonzero(man)]
    rows += [(int(pos[j]), R.ICD_EXTERNAL_FIRST,
              (f"{codes[j]} in DX1 is an external-cause code (V00-Y99); it may never be the "
              "first-listed diagnosis.")) for j in np.flatnonzero(ext)]
    return _rows_findings(ok, rows, sheet, letters)


def _age_sex(book: Book, ok: pd.DataFrame, t, sheet: str, letters: dict[str, str]
             ) -> pd.DataFrame:
    pats = book.get("Patients")
    if ok.empty or pats.empty:
        return F.empty()
    p = pats.drop_duplicates("account").set_index("account")
    dob = pd.to_datetime(ok["patient"].map(p["dob"]))
    sex = ok["patient"].map(p["sex"])
    dos = pd.to_datetime(ok["dos_from"])
    age = (dos.dt.year - dob.dt.year - ((dos.dt.month * 100 + dos.dt.day)
                                        < (dob.dt.month * 100 + dob.dt.day)).astype(int))
    has_age = age.notna() & (age >= 0)
    a = age.fillna(0).clip(lower=0).astype(int).to_numpy()
    bins = np.searchsorted(np.array(AGE_PROBES), a, side="right") - 1
    mask = np.frombuffer(t.age_mask.tobytes(), dtype=np.uint16)[ok["_idx"].to_numpy()]
    # mask 0: no age data (codes valid only in an earlier year): no age edit
    allowed = ((mask >> bins) & 1).astype(bool) | (mask == 0)
    maternity = _match(ok["nodot"], r"O.*").to_numpy()
    mat_bad = maternity & ((a < 12) | (a > 55))
    age_bad = has_age.to_numpy() & (~allowed | mat_bad)
    rows = []
    for i in np.flatnonzero(age_bad):
        r = ok.iloc[i]
        why = ("maternity codes apply to ages 12-55" if mat_bad[i]
               else "the code's age range (CMS Medicare Code Editor) excludes this age")
        rows.append((i, R.ICD_AGE, (f"{r['code']} in {r['slot'].upper()} conflicts with the "
                     f"patient's age {a[i]} on the date of service: {why}.")))
    one_sex = per_unique(ok["nodot"], sex_of, fill="").to_numpy()  # CMS MCE + chapter 15
    female = one_sex == "F"
    male = one_sex == "M"
    s = sex.to_numpy()
    sex_bad = (female & (s == "M")) | (male & (s == "F"))
    for i in np.flatnonzero(sex_bad):
        r = ok.iloc[i]
        rows.append((i, R.ICD_SEX, (f"{r['code']} in {r['slot'].upper()} is a "
                     f"{'female' if female[i] else 'male'}-only diagnosis but the patient's sex "
                     f"is {'M' if s[i] == 'M' else 'F'} (Patients sheet).")))
    return _rows_findings(ok, rows, sheet, letters)


def _excludes(ok: pd.DataFrame, sheet: str, letters: dict[str, str]) -> pd.DataFrame:
    """ICD-EXCLUDES1, computed on one claim per distinct diagnosis list and copied to the
    claims with the same list."""
    cids = ok["_cid"].to_numpy(dtype=np.int64)
    multi_all = ok[np.bincount(cids)[cids] > 1] if len(cids) else ok
    if multi_all.empty:
        return F.empty()
    wide = multi_all.pivot(index="claim_id", columns="k", values="nodot")
    combo = wide.groupby(list(wide.columns), dropna=False, sort=False).ngroup()
    reps = combo.reset_index().drop_duplicates(0)
    rep_of = combo.map(reps.set_index(0)["claim_id"])  # claim -> representative claim
    multi = multi_all[multi_all["claim_id"].isin(set(reps["claim_id"]))]
    ex = pd.DataFrame(excludes1(), columns=["prefix", "lo", "hi"])
    a = multi[["claim_id", "k", "nodot", "code"]]
    # every ancestor prefix of code A (3..7 characters) that carries Excludes1 notes
    parts = []
    for n in range(3, 8):
        part = a[a["nodot"].str.len() >= n].assign(prefix=lambda d, n=n: d["nodot"].str[:n])
        parts.append(part)
    anc = pd.concat(parts, ignore_index=True).merge(ex, on="prefix")
    if anc.empty:
        return F.empty()
    pairs = anc.merge(a, on="claim_id", suffixes=("", "_b"))
    pairs = pairs[pairs["k"] != pairs["k_b"]]
    lo_len = pairs["lo"].str.len()
    b_lo = pd.Series([b[:n] for b, n in zip(pairs["nodot_b"], lo_len, strict=True)],
                     index=pairs.index)
    b_hi = pd.Series([b[:len(h)] for b, h in zip(pairs["nodot_b"], pairs["hi"], strict=True)],
                     index=pairs.index)
    hit = pairs[(b_lo >= pairs["lo"]) & (b_hi <= pairs["hi"])]
    if hit.empty:
        return F.empty()
    # report each unordered pair once, on the later slot
    hit = hit.assign(first=np.minimum(hit["k"], hit["k_b"]), second=np.maximum(hit["k"],
                                                                               hit["k_b"]))
    hit = hit.drop_duplicates(["claim_id", "first", "second"])
    # copy each representative's pairs to every claim with the same diagnosis list
    members = rep_of.rename("rep").reset_index()
    hit = hit[["claim_id", "first", "second"]].rename(columns={"claim_id": "rep"}).merge(
        members, on="rep")
    rows = []
    okk = ok.reset_index(drop=True)
    sub = okk[okk["claim_id"].isin(set(hit["claim_id"]))]
    pos = {(c, k): i for i, c, k in zip(sub.index, sub["claim_id"], sub["k"], strict=True)}
    for h in hit.itertuples(index=False):
        i = pos[(h.claim_id, h.second)]
        other = okk.loc[pos[(h.claim_id, h.first)], "code"]
        rows.append((i, R.ICD_EXCLUDES1, (f"{okk.loc[i, 'code']} (DX{h.second}) and {other} "
                     f"(DX{h.first}) form an Excludes1 pair: they may not be reported together.")))
    return _rows_findings(okk, rows, sheet, letters)


def _unused(claims: pd.DataFrame, dx: pd.DataFrame, sheet: str, letters: dict[str, str]
            ) -> pd.DataFrame:
    """DX-UNUSED: a diagnosis slot no line of its claim points to (claims with readable
    pointers only; a claim without any is PTR-NONE)."""
    info = _pointer_info(claims)
    cid = claims["_cid"].to_numpy()
    n_claims = int(cid.max()) + 1 if len(cid) else 0
    used = np.zeros(n_claims, dtype=np.int64)
    np.bitwise_or.at(used, cid, np.where(info["readable"], info["used"], 0))
    has_ptr = np.zeros(n_claims, dtype=bool)
    np.logical_or.at(has_ptr, cid, info["readable"])
    at = dx["_cid"].to_numpy()
    k = dx["k"].to_numpy(np.int64)
    unused = has_ptr[at] & ((used[at] >> (k - 1)) & 1 == 0)
    rows = [(i, R.DX_UNUSED, (f"{dx.iloc[i]['code']} in {dx.iloc[i]['slot'].upper()} of claim "
             f"{dx.iloc[i]['claim_id']} is not pointed to by any service line."))
            for i in np.flatnonzero(unused)]
    return _rows_findings(dx, rows, sheet, letters)


def _format_changes(book: Book, claims: pd.DataFrame, sheet: str) -> pd.DataFrame:
    ch = book.changes
    if ch is None or ch.empty:
        return F.empty()
    ch = ch[(ch["table"] == "Claims") & ch["field"].isin(DX)]
    if ch.empty:
        return F.empty()
    rows = claims.set_index("_row")
    ch = ch[ch["row"].isin(rows.index)]
    # one info per claim and slot (the diagnosis repeats on every line)
    ch = ch.assign(claim_id=ch["row"].map(rows["claim_id"]),
                   line=ch["row"].map(rows["line_no"]))
    ch = ch.drop_duplicates(["claim_id", "field"])
    rule = F.rulebook.get(R.ICD_FORMAT)
    return pd.DataFrame({
        "claim_id": ch["claim_id"].to_numpy(), "line": ch["line"].to_numpy(), "sheet": sheet,
        "row": ch["row"].to_numpy(), "column": ch["column"].to_numpy(), "rule": R.ICD_FORMAT,
        "severity": rule.severity, "field": ch["field"].to_numpy(),
        "value": ch["raw"].to_numpy(),
        "message": [f"'{r}' was read as {v}." for r, v in zip(ch["raw"], ch["value"],
                                                               strict=True)],
        "fix": rule.fix})


# ---------------------------------------------------------------------------------------------
# pointers, procedures, modifiers, POS, units, NPIs, NDC


def _pointer_info(claims: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per line: pointers blank / readable, how many, which point to empty slots, and the
    bitmask of the Dx slots they point to. Computed once per distinct (pointers, filled Dx
    slots) combination, and once per validation run."""
    key = id(claims)
    if key not in _POINTER_CACHE:
        _POINTER_CACHE.clear()
        _POINTER_CACHE[key] = _compute_pointer_info(claims)
    return _POINTER_CACHE[key]


_POINTER_CACHE: dict[int, dict[str, np.ndarray]] = {}


def _compute_pointer_info(claims: pd.DataFrame) -> dict[str, np.ndarray]:
    filled = claims[DX].notna().to_numpy()
    bits = filled.astype(np.int64) @ (1 << np.arange(12, dtype=np.int64))
    p = claims["pointers"].astype(object)
    uniq, inv = _groups(pd.DataFrame({"p": p.where(p.notna(), None), "bits": bits}))
    blank, readable, n, missing, used = [], [], [], [], []
    for ptr, fb in zip(uniq["p"], uniq["bits"], strict=True):
        is_blank = ptr is None or bool(pd.isna(ptr))
        text = "" if is_blank else str(ptr)
        ok = (not is_blank) and PTR_RE.fullmatch(text) is not None
        nums = [int(v) for v in text.split(",") if v] if ok else []
        blank.append(is_blank)
        readable.append(ok)
        n.append(len(nums))
        missing.append(",".join(str(v) for v in nums if v < 1 or v > 12
                                or not (int(fb) >> (v - 1)) & 1))
        used.append(sum(1 << (v - 1) for v in set(nums) if 1 <= v <= 12))
    return {"blank": np.array(blank, bool)[inv], "readable": np.array(readable, bool)[inv],
            "n": np.array(n, np.int64)[inv], "missing": np.array(missing, object)[inv],
            "used": np.array(used, np.int64)[inv], "has_dx": bits > 0}


def _pointers(claims: pd.DataFrame, sheet: str) -> pd.DataFrame:
    letters = claims.attrs.get("columns", {})
    col = letters.get("pointers", "")
    info = _pointer_info(claims)
    blank, readable = info["blank"], info["readable"]
    n = pd.Series(info["n"], index=claims.index)
    empty = pd.Series(info["missing"], index=claims.index)
    return F.concat([
        F.from_mask(claims, blank & info["has_dx"], R.PTR_NONE, "pointers",
                    "Line {line_no} of claim {claim_id} (row {_row}) has no diagnosis pointer.",
                    sheet=sheet, column=col),
        F.from_mask(claims, ~blank & ~readable, R.PTR_NONE, "pointers",
                    "Dx pointers '{value}' on row {_row} cannot be read: use numbers 1-12 "
                    "(e.g. 1,2) or letters A-L.", sheet=sheet, column=col),
        F.from_mask(claims, (n > 4).to_numpy(), R.PTR_TOO_MANY, "pointers",
                    "Line {line_no} of claim {claim_id} (row {_row}) has {n} diagnosis "
                    "pointers; at most 4 are sent.", sheet=sheet, column=col, n=n),
        F.from_mask(claims, empty.ne("").to_numpy(), R.PTR_EMPTY, "pointers",
                    "Pointer {missing} on row {_row} points to an empty diagnosis slot "
                    "(claim {claim_id}).", sheet=sheet, column=col, missing=empty),
    ])


def _code_list(book: Book) -> set[str] | None:
    lst = book.get("CPTCodes")
    if lst.empty:
        return None
    return set(lst["code"].dropna().astype(str))


def _procedures(book: Book, claims: pd.DataFrame, sheet: str) -> pd.DataFrame:
    letters = claims.attrs.get("columns", {})
    code = claims["code"].astype(object).where(claims["code"].notna(), "").astype(str)
    present = code.ne("")
    is_cpt = _match(code, ref.CPT_REGEX)
    is_hcpcs = _match(code, ref.HCPCS_PATTERN)
    bad = present & ~is_cpt & ~is_hcpcs
    finds = [F.from_mask(claims, bad, R.CPT_FORMAT, "code",
                         "Procedure code '{value}' on row {_row} is neither CPT (5 digits, or 4 "
                         "digits + F, T or U) nor HCPCS Level II (a letter A-V + 4 digits).",
                         sheet=sheet, column=letters.get("code", ""))]
    # HCPCS Level II: existence and validity on the DOS against the shipped CMS file
    finds.append(hcpcs_findings(claims, sheet, letters))
    # CPT (AMA): existence only against the clinic's CPTCodes list, format otherwise
    lst = _code_list(book)
    if lst:
        unknown_cpt = is_cpt & ~code.isin(lst)
        finds.append(F.from_mask(claims, unknown_cpt, R.CPT_UNKNOWN, "code",
                                 "CPT code {value} on row {_row} is not in your CPTCodes list "
                                 "(existence checked against that list).",
                                 sheet=sheet, column=letters.get("code", "")))
    return F.concat(finds)


def _em_mask(book: Book, code: pd.Series) -> pd.Series:
    lst = book.get("CPTCodes")
    em = _match(code, r"99[2-4]\d\d") & code.between("99202", "99499")
    if not lst.empty and "em" in lst and lst["em"].fillna(False).astype(bool).any():
        em_codes = set(lst.loc[lst["em"].fillna(False).astype(bool), "code"].astype(str))
        em = em | code.isin(em_codes)
    return em


def _modifiers(book: Book, claims: pd.DataFrame, sheet: str) -> pd.DataFrame:
    letters = claims.attrs.get("columns", {})
    mods = claims[MODS].astype(object)
    # every modifier check runs once per distinct Mod1-Mod4 combination
    uniq, inv = _groups(mods)
    uniq = uniq.astype(object).where(uniq.notna(), None)
    finds = []
    known = set(modifier_table().spans)
    for m in MODS:
        unknown_u = uniq[m].map(lambda v: v is not None and v not in known).to_numpy(bool)
        finds.append(F.from_mask(claims, unknown_u[inv], R.MOD_UNKNOWN, m,
                                 f"Modifier '{{value}}' in {m.title()} on row {{_row}} is not a "
                                 "CPT or HCPCS modifier.", sheet=sheet,
                                 column=letters.get(m, "")))
    for a in range(4):
        for b in range(a + 1, 4):
            dup_u = (uniq[MODS[a]].notna() & uniq[MODS[a]].eq(uniq[MODS[b]])).to_numpy(bool)
            finds.append(F.from_mask(claims, dup_u[inv], R.MOD_DUPLICATE, MODS[b],
                                     f"Modifier {{value}} appears twice on row {{_row}} "
                                     f"({MODS[a].title()} and {MODS[b].title()}).", sheet=sheet,
                                     column=letters.get(MODS[b], "")))
    sets_u = [frozenset(v for v in row if v) for row in uniq.itertuples(index=False)]
    shown_u = np.array([",".join(v for v in row if v) for row in uniq.itertuples(index=False)],
                       dtype=object)
    shown = pd.Series(shown_u[inv], index=claims.index)
    for pair, words in ref.CONFLICTS:
        both_u = np.array([pair <= m for m in sets_u], dtype=bool)
        finds.append(F.from_mask(claims, both_u[inv], R.MOD_CONFLICT, "mod1",
                                 f"Row {{_row}} has both {words}; they contradict each other.",
                                 value=shown, sheet=sheet, column=letters.get("mod1", "")))
    x59_u = np.array([("59" in m) and bool(m & ref.X_MODIFIERS) for m in sets_u], dtype=bool)
    finds.append(F.from_mask(claims, x59_u[inv], R.MOD_CONFLICT, "mod1",
                             "Row {_row} has modifier 59 together with XE/XS/XP/XU; use one or "
                             "the other.", value=shown, sheet=sheet,
                             column=letters.get("mod1", "")))
    has25 = np.array(["25" in m for m in sets_u], dtype=bool)[inv]
    if has25.any():
        code = claims["code"].astype(object).where(claims["code"].notna(), "").astype(str)
        not_em = has25 & ~_em_mask(book, code).to_numpy(bool)
        finds.append(F.from_mask(claims, not_em, R.MOD_25_NOT_EM, "mod1",
                                 "Modifier 25 on row {_row} is on {code}, which is not an E/M "
                                 "code (99202-99499).", value=shown, sheet=sheet,
                                 column=letters.get("mod1", "")))
    return F.concat(finds)


def _pos_units(claims: pd.DataFrame, sheet: str) -> pd.DataFrame:
    letters = claims.attrs.get("columns", {})
    pos = claims["pos"]
    bad_pos = pos.notna() & ~pos.isin(list(ref.POS_CODES))
    units = pd.to_numeric(claims["units"], errors="coerce")
    bad_units = units.notna() & (units <= 0)
    return F.concat([
        F.from_mask(claims, bad_pos, R.POS_INVALID, "pos",
                    "Place of service '{value}' on row {_row} is not a CMS place-of-service "
                    "code.", sheet=sheet, column=letters.get("pos", "")),
        F.from_mask(claims, bad_units, R.UNITS_INVALID, "units",
                    "Units '{value}' on row {_row} must be a positive number.", sheet=sheet,
                    column=letters.get("units", "")),
    ])


def _npis(book: Book, claims: pd.DataFrame, sheet: str) -> pd.DataFrame:
    letters = claims.attrs.get("columns", {})
    finds = []
    for field, label in (("rendering_npi", "Rendering NPI"), ("referring_npi", "Referring NPI")):
        v = claims[field]
        bad = v.notna() & ~npi_valid(v).to_numpy()
        finds.append(F.from_mask(claims, bad, R.NPI_INVALID, field,
                                 f"{label} {{value}} on row {{_row}} fails the NPI check digit.",
                                 sheet=sheet, column=letters.get(field, "")))
    p = book.practice
    psheet, prow = book.practice_cell("billing_npi")
    if p.billing_npi and not ref.luhn_npi_ok(p.billing_npi):
        finds.append(F.one(R.NPI_INVALID, f"Billing provider NPI {p.billing_npi} (sheet "
                           f"'{psheet}' row {prow}) fails the NPI check digit.", sheet=psheet,
                           field="billing_npi", value=p.billing_npi, row=prow, column="B"))
    tsheet, trow = book.practice_cell("billing_taxonomy")
    if p.billing_taxonomy and not pd.Series([p.billing_taxonomy]).str.fullmatch(
            ref.TAXONOMY_REGEX).iloc[0]:
        finds.append(F.one(R.TAXONOMY_INVALID, f"Billing taxonomy '{p.billing_taxonomy}' "
                           f"(sheet '{tsheet}' row {trow}) is not a 10-character taxonomy code "
                           "ending in X.", sheet=tsheet, field="billing_taxonomy",
                           value=p.billing_taxonomy, row=trow, column="B"))
    prov = book.get("Providers")
    if not prov.empty:
        psh = book.sheet("Providers")
        plet = book.sources["Providers"].columns if "Providers" in book.sources else {}
        bad = prov["npi"].notna() & ~npi_valid(prov["npi"]).to_numpy()
        finds.append(F.from_mask(prov, bad, R.NPI_INVALID, "npi",
                                 f"NPI {{value}} in sheet '{psh}' row {{_row}} fails the NPI "
                                 "check digit.", sheet=psh, column=plet.get("npi", "")))
        tax = prov["taxonomy"]
        badt = tax.notna() & ~_match(tax, ref.TAXONOMY_REGEX)
        finds.append(F.from_mask(prov, badt, R.TAXONOMY_INVALID, "taxonomy",
                                 f"Taxonomy '{{value}}' in sheet '{psh}' row {{_row}} is not a "
                                 "10-character taxonomy code ending in X (e.g. 207Q00000X).",
                                 sheet=psh, column=plet.get("taxonomy", "")))
    return F.concat(finds)


def _ndc(claims: pd.DataFrame, sheet: str) -> pd.DataFrame:
    letters = claims.attrs.get("columns", {})
    col = letters.get("ndc", "")
    raw = claims["ndc"]
    present = raw.notna()
    norm = normalized_ndc(claims)
    invalid = present & norm.isna()
    same = per_unique(raw, lambda u: (u.astype(str).str.strip().map(ref.ndc11)
                                      == u.astype(str).str.strip()).to_numpy(bool), fill=False)
    rewritten = present & norm.notna() & ~same.astype(bool)
    code = claims["code"].astype(object).where(claims["code"].notna(), "").astype(str)
    drug = _match(code, r"J\d{4}")
    return F.concat([
        F.from_mask(claims, invalid, R.NDC_INVALID, "ndc",
                    "NDC '{value}' on row {_row} cannot be read: use the label's 10 digits with "
                    "hyphens (4-4-2, 5-3-2 or 5-4-1) or 11 digits.", sheet=sheet, column=col),
        F.from_mask(claims, rewritten, R.NDC_FORMAT, "ndc",
                    "NDC '{value}' on row {_row} is sent as {ndc11} (11-digit 5-4-2).",
                    sheet=sheet, column=col, ndc11=norm),
        F.from_mask(claims, drug & ~present, R.NDC_MISSING, "ndc",
                    "Drug line {code} on row {_row} (claim {claim_id}) has no NDC.",
                    sheet=sheet, column=col),
    ])


def normalized_ndc(claims: pd.DataFrame) -> pd.Series:
    """The 11-digit NDC of each line (None when absent or unreadable), for the 837 writer."""
    return per_unique(claims["ndc"], lambda u: u.astype(str).map(ref.ndc11).to_numpy(object))
