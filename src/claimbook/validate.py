"""Validate code rows: every code on every service line against the real code sets.

`validate_claims(book)` returns findings (claimbook.findings columns) for the Claims table
(Patients for age/sex, Practice and Providers for NPIs and taxonomies, the optional CPTCodes
list for procedure-code existence). Everything is vectorized over the whole table; diagnosis
checks run once per claim and diagnosis slot (from the claim's first line), code checks once
per distinct code, and Excludes1 once per distinct diagnosis list and code pair.

Performance notes (1,000,000 lines in a few seconds): the working Claims frame keeps no
`attrs` (pandas deep-copies them on every operation; the column letters travel in `_Run`),
object columns stay object (no `.astype(str)`, whose python-backed str dtype is slow), and
each column is factorized at most once per run. Dx1-Dx12 are factorized together into one
int matrix, so line-vs-claim comparisons and per-claim lookups run on integers, and patient
ages are worked out only for entries whose code has an age or sex edit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.book import Book
from claimbook.codesets import reference as ref
from claimbook.codesets.hcpcs import modifier_table, sex_of
from claimbook.codesets.icd import AGE_PROBES, YEARS, excludes1_pair, icd_table
from claimbook.codesets.lookup import npi_valid
from claimbook.rules import codes as R
from claimbook.validate_hcpcs import code_text, full_match, hcpcs_findings
from claimbook.validate_modifier_count import modifier_count_findings

DX = [f"dx{i}" for i in range(1, 13)]
MODS = [f"mod{i}" for i in range(1, 5)]
PTR_RE = re.compile(r"\d{1,2}(,\d{1,2})*")
_SLOT_BITS = 1 << np.arange(len(DX), dtype=np.int64)


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


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """Position of the first row of each code, for codes numbered in order of first
    appearance (pd.factorize with sort=False); positions come in code order."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    seen = np.maximum.accumulate(codes)
    return np.flatnonzero(np.r_[True, seen[1:] > seen[:-1]])


def _row_groups(columns: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of integer code columns (-1 allowed): per row its group number (in
    order of first appearance) and the position of each group's first row."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    bound = 1  # key < bound: columns are packed into one int64 until it would overflow
    for col, size in zip(columns, sizes, strict=True):
        if not size:  # a column that is NA throughout splits nothing
            continue
        if bound * (size + 1) >= 1 << 62:
            key = pd.factorize(key)[0]
            bound = int(key.max(initial=0)) + 1
        key = key * (size + 1) + col + 1
        bound *= size + 1
    key = pd.factorize(key)[0]
    return key, _first_rows(key)


@dataclass
class _Run:
    """One validation run: the working Claims frame and the arrays several checks share."""

    book: Book
    claims: pd.DataFrame  # no attrs: pandas would deep-copy them on every operation
    sheet: str
    letters: dict[str, str]  # field -> Excel column letter
    cid: np.ndarray  # claim number per line, in order of first appearance
    first: np.ndarray  # position of each claim's first line, in claim order
    dx_na: np.ndarray  # lines x 12: the Dx slot is empty
    code: np.ndarray  # procedure code per line: index into code_text (NA -> its last item)
    code_text: np.ndarray  # distinct procedure codes as text, then "" (for NA)

    def col(self, field: str) -> str:
        return self.letters.get(field, "")

    @cached_property
    def contiguous(self) -> bool:
        """Every claim's lines are consecutive (the usual layout)."""
        return bool(len(self.cid)) and bool((np.diff(self.cid) >= 0).all())


def _start(book: Book) -> _Run:
    claims = book.get("Claims").copy(deep=False)
    claims.attrs = {}
    cid = pd.factorize(claims["claim_id"], use_na_sentinel=False)[0]
    code, text = code_text(claims["code"])
    letters = dict(book.sources["Claims"].columns) if "Claims" in book.sources else {}
    return _Run(book=book, claims=claims, sheet=book.sheet("Claims"), letters=letters,
                cid=cid, first=_first_rows(cid),
                dx_na=np.column_stack([pd.isna(claims[c].to_numpy()) for c in DX]),
                code=code, code_text=text)


def validate_claims(book: Book) -> pd.DataFrame:
    """All code findings for the book's Claims table (empty when there are no lines)."""
    if book.get("Claims").empty:
        return F.empty()
    run = _start(book)
    ptr = _pointer_info(run)
    out = [
        _diagnoses(run, ptr),
        _format_changes(run),
        _pointers(run, ptr),
        _procedures(run),
        _modifiers(run),
        _pos_units(run),
        _npis(run),
        _ndc(run),
        modifier_count_findings(book),
    ]
    return F.concat(out)


# ---------------------------------------------------------------------------------------------
# diagnoses


@dataclass
class _Dx:
    """The filled Dx slots of every claim's first line, slot-major (all Dx1, then Dx2, ...)."""

    claim: np.ndarray  # claim number
    k: np.ndarray  # slot 1-12
    code: np.ndarray  # index into the distinct codes below
    uniq: np.ndarray  # distinct codes of the table as entered (object)
    nodot: np.ndarray  # distinct codes as text without dots
    idx: np.ndarray  # distinct codes: row in the ICD table, -1 when unknown

    def value(self, i: np.ndarray | int) -> np.ndarray | object:
        """The code of Dx entry (or entries) `i` as entered."""
        return self.uniq[self.code[i]]


@dataclass
class _Cells:
    """The Dx cells of every line, numbered by one factorize over all filled cells."""

    slots: np.ndarray  # the Dx slots (0-based) filled on some line
    codes: np.ndarray  # those slots x lines, int32: index into uniq, -1 for an empty cell
    uniq: np.ndarray  # the distinct codes as entered (object)


def _dx_cells(run: _Run) -> _Cells:
    """Dx1-Dx12 of every line as integer codes (compared and looked up as ints from here on)."""
    slots = np.array([j for j in range(len(DX)) if not run.dx_na[:, j].all()], dtype=np.int64)
    filled = np.ascontiguousarray(~run.dx_na[:, slots].T)
    values = np.concatenate([np.zeros(0, dtype=object)]
                            + [run.claims[DX[j]].to_numpy(object)[f]
                               for j, f in zip(slots, filled, strict=True)])
    found, uniq = pd.factorize(values)
    codes = np.full(filled.shape, -1, dtype=np.int32)
    codes[filled] = found
    return _Cells(slots=slots, codes=codes, uniq=np.asarray(uniq, dtype=object))


def _per_claim(run: _Run, ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
    """`ufunc` reduced over each claim's lines (reduceat when every claim's lines are
    consecutive, the usual layout; ufunc.at otherwise)."""
    if run.contiguous:
        return ufunc.reduceat(values, run.first)
    out = np.zeros(len(run.first), dtype=values.dtype)
    ufunc.at(out, run.cid, values)
    return out


def _claim_dx(run: _Run, cells: _Cells) -> _Dx:
    """The Dx entries, each distinct code looked up in the ICD table once."""
    at_first = cells.codes[:, run.first]
    row, claim = np.nonzero(at_first >= 0)
    nodot = np.array([str(u).replace(".", "") for u in cells.uniq], dtype=object)
    idx = icd_table().pandas_index().get_indexer(nodot) if len(nodot) else np.zeros(0, int)
    return _Dx(claim=claim, k=cells.slots[row] + 1, code=at_first[row, claim],
               uniq=cells.uniq, nodot=nodot, idx=idx)


def _claim_dos(run: _Run) -> np.ndarray:
    """Each claim's date of service (its first line's DOS) as datetime64, NaT when unknown."""
    return pd.to_datetime(run.claims["dos_from"].iloc[run.first]).to_numpy()


def _fiscal_years(dos: np.ndarray) -> np.ndarray:
    """The fiscal year of each DOS (FY n starts on Oct 1 of year n - 1, and Oct 1 + 92 days is
    Jan 1), the latest year when unknown."""
    year = pd.DatetimeIndex(dos + np.timedelta64(92, "D")).year.to_numpy()
    return np.where(np.isnat(dos), YEARS[-1], year).astype(int)


def _dx_none(run: _Run, ptr: dict[str, np.ndarray]) -> pd.DataFrame:
    """DX-NONE: claims whose lines have no diagnosis at all."""
    has_dx = _per_claim(run, np.logical_or, ptr["has_dx"])
    none = run.first[~has_dx]
    if not len(none):
        return F.empty()
    return _line_findings(run, none, R.DX_NONE, "dx1", "Claim {claim_id} has no diagnosis "
                          "(row {_row}).")


def _line_findings(run: _Run, lines: np.ndarray, rule: str, field: str, message: str,
                   value: list | None = None) -> pd.DataFrame:
    """`F.from_mask` on just the flagged lines (no pass over the whole table)."""
    sub = run.claims.iloc[lines]
    return F.from_mask(sub, np.ones(len(sub), bool), rule, field, message,
                       value=None if value is None else pd.Series(value, index=sub.index),
                       sheet=run.sheet, column=run.col(field))


def _dx_inconsistent(run: _Run, cells: _Cells) -> pd.DataFrame:
    """DX-INCONSISTENT: a line whose Dx1-Dx12 differ from its claim's first line."""
    first_pos = run.first[run.cid]
    diff = np.zeros(len(first_pos), dtype=bool)
    for slot in cells.codes:  # an empty cell (-1) equals only another empty one
        diff |= slot != slot[first_pos]
    lines = np.flatnonzero(diff)
    if not len(lines):
        return F.empty()
    shown = np.append(cells.uniq, "")[cells.codes[:, lines]]  # -1 -> ""
    key = [" ".join(" ".join(row).split()) for row in shown.T]
    return _line_findings(
        run, lines, R.DX_INCONSISTENT, "dx1",
        "Line {line_no} of claim {claim_id} (row {_row}) lists other diagnoses than the "
        "claim's first line.", value=key)


def _diagnoses(run: _Run, ptr: dict[str, np.ndarray]) -> pd.DataFrame:
    cells = _dx_cells(run)
    finds = [_dx_none(run, ptr), _dx_inconsistent(run, cells)]
    dx = _claim_dx(run, cells)
    if not len(dx.claim):
        return F.concat(finds)
    dos = _claim_dos(run)
    validity, ok = _icd_validity(run, dx, _fiscal_years(dos), dos)
    finds.append(validity)
    finds.append(_first_listed(run, dx, ok))
    finds.append(_age_sex(run, dx, ok, dos))
    finds.append(_excludes(run, dx, ok))
    finds.append(_unused(run, dx, ptr))
    return F.concat(finds)


def _dx_findings(run: _Run, dx: _Dx, rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    """Findings for (Dx entry, rule, message) rows, grouped by rule."""
    if not rows:
        return F.empty()
    frames = []
    for rule in sorted({r for _, r, _ in rows}):
        sel = np.array([i for i, r, _ in rows if r == rule], dtype=np.int64)
        lines = run.first[dx.claim[sel]]
        slots = [DX[k - 1] for k in dx.k[sel]]
        frames.append(pd.DataFrame({
            "claim_id": run.claims["claim_id"].iloc[lines].to_numpy(),
            "line": run.claims["line_no"].iloc[lines].to_numpy(),
            "sheet": run.sheet, "row": run.claims["_row"].iloc[lines].to_numpy(),
            "column": np.array([run.col(s) for s in slots], dtype=object),
            "rule": rule, "severity": F.rulebook.get(rule).severity,
            "field": np.array(slots, dtype=object), "value": dx.value(sel),
            "message": np.array([m for _, r, m in rows if r == rule], dtype=object),
            "fix": F.rulebook.get(rule).fix}))
    return F.concat(frames)


def _icd_validity(run: _Run, dx: _Dx, fy_claim: np.ndarray, dos: np.ndarray
                  ) -> tuple[pd.DataFrame, np.ndarray]:
    """ICD-UNKNOWN, ICD-7TH, ICD-DATE, ICD-HEADER; and per entry: billable on its DOS."""
    t = icd_table()
    known_u = dx.idx >= 0
    safe_u = np.where(known_u, dx.idx, 0)
    bill_u = np.stack([np.frombuffer(bytes(t.billable[y]), dtype=np.uint8)[safe_u]
                       for y in YEARS]).astype(bool) & known_u  # years x distinct codes
    fy = fy_claim
    col = np.clip(fy, YEARS[0], YEARS[-1])  # per claim: the year with validity data used
    billable_now = bill_u[np.searchsorted(YEARS, col)[dx.claim], dx.code]
    under_of = _memo(t.billable_under)
    seventh = _memo(t.needs_seventh)
    rows = []
    for i in np.flatnonzero(~billable_now):
        u, c = dx.code[i], dx.claim[i]
        code = dx.nodot[u]
        shown = _dot(code)
        slot = DX[dx.k[i] - 1].upper()
        if not known_u[u]:
            if seventh(code):
                rows.append((i, R.ICD_7TH, (f"{shown} in {slot} needs a 7th character (e.g. "
                             f"{shown}A for the initial encounter).")))
            else:
                rows.append((i, R.ICD_UNKNOWN, f"{shown} in {slot} is not an ICD-10-CM code."))
        elif bill_u[:, u].any():
            years = [f"FY{y}" for y, b in zip(YEARS, bill_u[:, u], strict=True) if b]
            under = [c for c in under_of(code, int(col[c])) if c != code]
            now = (f" In FY{fy[c]} it is a heading: use one of the {len(under)} codes "
                   f"under it (e.g. {_dot(under[0])})." if under else "")
            rows.append((i, R.ICD_DATE, (f"{shown} in {slot} is not valid on the date of "
                         f"service {pd.Timestamp(dos[c]).date()} (FY{fy[c]}); it is "
                         f"valid in {', '.join(years)}.{now}")))
        elif seventh(code):
            under = under_of(code, int(col[c]))
            rows.append((i, R.ICD_7TH, (f"{shown} in {slot} needs a 7th character, e.g. "
                         f"{_dot(under[0]) if under else shown + 'A'}.")))
        else:
            under = under_of(code, int(col[c]))
            ex = " and ".join(_dot(c) for c in under[:2])
            rows.append((i, R.ICD_HEADER, (f"{shown} in {slot} is a category header, not "
                         f"billable: {len(under)} billable codes sit under it (e.g. {ex}).")))
    return _dx_findings(run, dx, rows), billable_now


def _memo(fn: Callable) -> Callable:
    """`fn` with its results kept per argument tuple (for the flagged codes of one run)."""
    seen: dict = {}

    def call(*args):
        if args not in seen:
            seen[args] = fn(*args)
        return seen[args]
    return call


def _first_listed(run: _Run, dx: _Dx, ok: np.ndarray) -> pd.DataFrame:
    """ICD-CODEFIRST and ICD-EXTERNAL-FIRST on Dx1."""
    t = icd_table()
    man_u = np.frombuffer(bytes(t.manifestation), dtype=np.uint8)[np.maximum(dx.idx, 0)]
    ext_u = full_match(dx.nodot, r"[VWXY].*")
    first = np.flatnonzero(ok & (dx.k == 1))
    rows = [(int(i), R.ICD_MANIFESTATION_FIRST,
             (f"{dx.value(i)} in DX1 is a manifestation code ('code first' the underlying "
              "condition); it may not be listed first.")) for i in first[man_u[dx.code[first]]
                                                                         .astype(bool)]]
    rows += [(int(i), R.ICD_EXTERNAL_FIRST,
              (f"{dx.value(i)} in DX1 is an external-cause code (V00-Y99); it may never be the "
               "first-listed diagnosis.")) for i in first[ext_u[dx.code[first]]]]
    return _dx_findings(run, dx, rows)


def _patient_ages(run: _Run, p: pd.DataFrame, claim: np.ndarray, dos: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per claim in `claim`: has an age, the age on the DOS (0 when unknown) and the
    patient's sex (object: "M", "F", other or NaN)."""
    patient = run.claims["patient"].to_numpy(object)[run.first[claim]]
    pat, uniq = pd.factorize(patient, use_na_sentinel=False)
    u = pd.Series(uniq, dtype=object)
    dob = pd.Series(pd.to_datetime(u.map(p["dob"])).to_numpy()[pat])
    sex = u.map(p["sex"]).to_numpy()[pat]
    d = pd.Series(dos[claim])
    age = (d.dt.year - dob.dt.year - ((d.dt.month * 100 + d.dt.day)
                                      < (dob.dt.month * 100 + dob.dt.day)).astype(int))
    has_age = (age.notna() & (age >= 0)).to_numpy()
    return has_age, age.fillna(0).clip(lower=0).astype(int).to_numpy(), sex


def _age_sex_codes(dx: _Dx) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct code: its MCE age mask (bit per AGE_PROBES bin, 0 = no age data), a
    maternity code, and its sex ("M", "F" or "")."""
    mask = np.frombuffer(icd_table().age_mask.tobytes(), dtype=np.uint16)[np.maximum(dx.idx, 0)]
    one_sex = sex_of(pd.Series(dx.nodot, dtype=object)).to_numpy()  # CMS MCE + ch. 15
    return mask, full_match(dx.nodot, r"O.*"), one_sex


def _age_sex(run: _Run, dx: _Dx, ok: np.ndarray, dos: np.ndarray) -> pd.DataFrame:
    """ICD-AGE (CMS Medicare Code Editor ages, maternity 12-55) and ICD-SEX, for the billable
    entries whose code has an age or sex edit (the patient is looked up for those only)."""
    pats = run.book.get("Patients")
    if not ok.any() or pats.empty:
        return F.empty()
    mask_u, mat_u, sex_u = _age_sex_codes(dx)
    every_age = (1 << len(AGE_PROBES)) - 1
    edited_u = ((mask_u != 0) & ((mask_u & every_age) != every_age)) | mat_u \
        | (sex_u == "F") | (sex_u == "M")
    sel = np.flatnonzero(ok & edited_u[dx.code])
    if not len(sel):
        return F.empty()
    claim, code = dx.claim[sel], dx.code[sel]
    has_age, a, sex = _patient_ages(run, pats.drop_duplicates("account").set_index("account"),
                                    claim, dos)
    bins = np.searchsorted(np.array(AGE_PROBES), a, side="right") - 1
    mask = mask_u[code]
    # mask 0: no age data (codes valid only in an earlier year): no age edit
    allowed = ((mask >> bins) & 1).astype(bool) | (mask == 0)
    mat_bad = mat_u[code] & ((a < 12) | (a > 55))
    age_bad = has_age & (~allowed | mat_bad)
    rows = []
    for j in np.flatnonzero(age_bad):
        i = sel[j]
        why = ("maternity codes apply to ages 12-55" if mat_bad[j]
               else "the code's age range (CMS Medicare Code Editor) excludes this age")
        rows.append((i, R.ICD_AGE, (f"{dx.value(i)} in {DX[dx.k[i] - 1].upper()} conflicts "
                     f"with the patient's age {a[j]} on the date of service: {why}.")))
    female, male = (sex_u == "F")[code], (sex_u == "M")[code]
    s_male, s_female = sex == "M", sex == "F"
    sex_bad = (female & s_male) | (male & s_female)
    for j in np.flatnonzero(sex_bad):
        i = sel[j]
        rows.append((i, R.ICD_SEX, (f"{dx.value(i)} in {DX[dx.k[i] - 1].upper()} is a "
                     f"{'female' if female[j] else 'male'}-only diagnosis but the patient's "
                     f"sex is {'M' if s_male[j] else 'F'} (Patients sheet).")))
    return _dx_findings(run, dx, rows)


def _billable_lists(run: _Run, dx: _Dx, ok: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The claims with 2+ billable Dx entries, the slots (0-based) those entries use, and their
    codes as a slots x claims int32 matrix (-1: slot empty or not billable)."""
    per_claim = np.bincount(dx.claim[ok], minlength=len(run.first))
    is_multi = per_claim > 1
    sel = np.flatnonzero(ok & is_multi[dx.claim])
    multi = np.flatnonzero(is_multi)
    row = (np.cumsum(is_multi) - 1)[dx.claim[sel]]  # position in multi
    slot = dx.k[sel] - 1
    slots = np.flatnonzero(np.bincount(slot, minlength=len(DX)))
    codes = np.full((len(slots), len(multi)), -1, dtype=np.int32)
    codes[np.searchsorted(slots, slot), row] = dx.code[sel]
    return multi, slots, codes


def _excludes(run: _Run, dx: _Dx, ok: np.ndarray) -> pd.DataFrame:
    """ICD-EXCLUDES1: computed once per distinct diagnosis list (billable codes by slot) and
    distinct code pair, then copied to the claims with that list."""
    multi, slots, codes = _billable_lists(run, dx, ok)
    if not len(multi):
        return F.empty()
    group, reps = _row_groups(list(codes), [len(dx.nodot)] * len(slots))
    lists = np.full((len(reps), len(DX)), -1, dtype=np.int64)
    lists[:, slots] = codes[:, reps].T
    hits = _excludes_hits(lists, dx.nodot)  # (list, first slot, second slot), 0-based
    if not len(hits):
        return F.empty()
    pairs: dict[int, list[tuple[int, int]]] = {}
    for g, a, b in hits:
        pairs.setdefault(g, []).append((a, b))
    hit_group = np.zeros(len(reps), dtype=bool)
    hit_group[list(pairs)] = True
    # Dx entries come slot-major, claims ascending: entry of (slot, claim) by binary search
    members = np.flatnonzero(hit_group[group])
    key = (dx.k - 1) * len(run.first) + dx.claim
    entries = key.searchsorted(np.arange(len(DX)) * len(run.first) + multi[members, None])
    rows = []
    for m, entry in zip(members, entries, strict=True):
        for a, b in pairs[group[m]]:
            i, other = entry[b], dx.value(entry[a])
            rows.append((int(i), R.ICD_EXCLUDES1, (f"{dx.value(i)} (DX{b + 1}) and {other} "
                         f"(DX{a + 1}) form an Excludes1 pair: they may not be reported "
                         "together.")))
    rows.sort()  # in Dx entry order, like the other diagnosis findings
    return _dx_findings(run, dx, rows)


def _excludes_hits(lists: np.ndarray, nodot: np.ndarray) -> list[tuple[int, int, int]]:
    """(list, slot a, slot b) for each pair of slots a < b whose codes form an Excludes1
    pair (either way round); each distinct code pair is looked up once."""
    n = len(nodot)
    found: dict[int, bool] = {}
    hits = []
    filled = [j for j in range(lists.shape[1]) if (lists[:, j] >= 0).any()]
    for x, a in enumerate(filled):
        for b in filled[x + 1:]:
            both = np.flatnonzero((lists[:, a] >= 0) & (lists[:, b] >= 0))
            pairs, inv = np.unique(lists[both, a] * n + lists[both, b], return_inverse=True)
            for p in pairs:
                if p not in found:
                    ca, cb = nodot[p // n], nodot[p % n]
                    found[p] = excludes1_pair(ca, cb) or excludes1_pair(cb, ca)
            hit = np.array([found[p] for p in pairs], dtype=bool)[inv]
            hits += [(int(g), a, b) for g in both[hit]]
    return hits


def _unused(run: _Run, dx: _Dx, ptr: dict[str, np.ndarray]) -> pd.DataFrame:
    """DX-UNUSED: a diagnosis slot no line of its claim points to (claims with readable
    pointers only; a claim without any is PTR-NONE)."""
    used = _per_claim(run, np.bitwise_or, np.where(ptr["readable"], ptr["used"], 0))
    has_ptr = _per_claim(run, np.logical_or, ptr["readable"])
    unused = has_ptr[dx.claim] & ((used[dx.claim] >> (dx.k - 1)) & 1 == 0)
    claim_id = run.claims["claim_id"].to_numpy()
    rows = [(i, R.DX_UNUSED, (f"{dx.value(i)} in {DX[dx.k[i] - 1].upper()} of claim "
             f"{claim_id[run.first[dx.claim[i]]]} is not pointed to by any service line."))
            for i in np.flatnonzero(unused)]
    return _dx_findings(run, dx, rows)


def _format_changes(run: _Run) -> pd.DataFrame:
    ch = run.book.changes
    if ch is None or ch.empty:
        return F.empty()
    ch = ch[(ch["table"] == "Claims") & ch["field"].isin(DX)]
    if ch.empty:
        return F.empty()
    rows = run.claims[["_row", "claim_id", "line_no"]].set_index("_row")
    ch = ch[ch["row"].isin(rows.index)]
    # one info per claim and slot (the diagnosis repeats on every line)
    ch = ch.assign(claim_id=ch["row"].map(rows["claim_id"]),
                   line=ch["row"].map(rows["line_no"]))
    ch = ch.drop_duplicates(["claim_id", "field"])
    rule = F.rulebook.get(R.ICD_FORMAT)
    return pd.DataFrame({
        "claim_id": ch["claim_id"].to_numpy(), "line": ch["line"].to_numpy(),
        "sheet": run.sheet, "row": ch["row"].to_numpy(), "column": ch["column"].to_numpy(),
        "rule": R.ICD_FORMAT, "severity": rule.severity, "field": ch["field"].to_numpy(),
        "value": ch["raw"].to_numpy(),
        "message": [f"'{r}' was read as {v}." for r, v in zip(ch["raw"], ch["value"],
                                                               strict=True)],
        "fix": rule.fix})


# ---------------------------------------------------------------------------------------------
# pointers, procedures, modifiers, POS, units, NPIs, NDC


def _pointer_info(run: _Run) -> dict[str, np.ndarray]:
    """Per line: pointers blank / readable, how many, which point to empty slots, and the
    bitmask of the Dx slots they point to. Computed once per distinct (pointers, filled Dx
    slots) combination."""
    bits = (~run.dx_na).astype(np.int64) @ _SLOT_BITS
    ptr, uniq = pd.factorize(run.claims["pointers"].to_numpy(object))
    combo, keys = pd.factorize((ptr + 1).astype(np.int64) << len(DX) | bits)
    blank, readable, n, missing, used = [], [], [], [], []
    for key in keys:
        p, fb = int(key >> len(DX)) - 1, int(key & ((1 << len(DX)) - 1))
        is_blank = p < 0
        text = "" if is_blank else str(uniq[p])
        ok = (not is_blank) and PTR_RE.fullmatch(text) is not None
        nums = [int(v) for v in text.split(",") if v] if ok else []
        blank.append(is_blank)
        readable.append(ok)
        n.append(len(nums))
        missing.append(",".join(str(v) for v in nums if v < 1 or v > 12
                                or not (fb >> (v - 1)) & 1))
        used.append(sum(1 << (v - 1) for v in set(nums) if 1 <= v <= 12))
    return {"blank": np.array(blank, bool)[combo], "readable": np.array(readable, bool)[combo],
            "n": np.array(n, np.int64)[combo], "missing": np.array(missing, object)[combo],
            "used": np.array(used, np.int64)[combo], "has_dx": bits > 0}


def _pointers(run: _Run, info: dict[str, np.ndarray]) -> pd.DataFrame:
    claims, sheet, col = run.claims, run.sheet, run.col("pointers")
    blank, readable = info["blank"], info["readable"]
    n = pd.Series(info["n"], index=claims.index)
    empty = pd.Series(info["missing"], index=claims.index, dtype=object)
    return F.concat([
        F.from_mask(claims, blank & info["has_dx"], R.PTR_NONE, "pointers",
                    "Line {line_no} of claim {claim_id} (row {_row}) has no diagnosis pointer.",
                    sheet=sheet, column=col),
        F.from_mask(claims, ~blank & ~readable, R.PTR_NONE, "pointers",
                    "Dx pointers '{value}' on row {_row} cannot be read: use numbers 1-12 "
                    "(e.g. 1,2) or letters A-L.", sheet=sheet, column=col),
        F.from_mask(claims, info["n"] > 4, R.PTR_TOO_MANY, "pointers",
                    "Line {line_no} of claim {claim_id} (row {_row}) has {n} diagnosis "
                    "pointers; at most 4 are sent.", sheet=sheet, column=col, n=n),
        F.from_mask(claims, info["missing"] != "", R.PTR_EMPTY, "pointers",
                    "Pointer {missing} on row {_row} points to an empty diagnosis slot "
                    "(claim {claim_id}).", sheet=sheet, column=col, missing=empty),
    ])


def _code_list(book: Book) -> set[str] | None:
    lst = book.get("CPTCodes")
    if lst.empty:
        return None
    return set(lst["code"].dropna().astype(str))


def _procedures(run: _Run) -> pd.DataFrame:
    text, col = run.code_text, run.col("code")
    is_cpt = full_match(text, ref.CPT_REGEX)
    bad = (text != "") & ~is_cpt & ~full_match(text, ref.HCPCS_PATTERN)
    finds = [F.from_mask(run.claims, bad[run.code], R.CPT_FORMAT, "code",
                         "Procedure code '{value}' on row {_row} is neither CPT (5 digits, or 4 "
                         "digits + F, T or U) nor HCPCS Level II (a letter A-V + 4 digits).",
                         sheet=run.sheet, column=col)]
    # HCPCS Level II: existence and validity on the DOS against the shipped CMS file
    finds.append(hcpcs_findings(run.claims, run.sheet, run.letters,
                                coded=(run.code, run.code_text)))
    # CPT (AMA): existence only against the clinic's CPTCodes list, format otherwise
    lst = _code_list(run.book)
    if lst:
        unknown_cpt = is_cpt & ~np.array([c in lst for c in text], dtype=bool)
        finds.append(F.from_mask(run.claims, unknown_cpt[run.code], R.CPT_UNKNOWN, "code",
                                 "CPT code {value} on row {_row} is not in your CPTCodes list "
                                 "(existence checked against that list).",
                                 sheet=run.sheet, column=col))
    return F.concat(finds)


def _em_codes(book: Book, text: np.ndarray) -> np.ndarray:
    """Per distinct procedure code (as text): an E/M code (99202-99499 or flagged E/M in the
    CPTCodes list)."""
    lst = book.get("CPTCodes")
    em = full_match(text, r"99[2-4]\d\d") & (text >= "99202") & (text <= "99499")
    if not lst.empty and "em" in lst and lst["em"].fillna(False).astype(bool).any():
        em_codes = set(lst.loc[lst["em"].fillna(False).astype(bool), "code"].astype(str))
        em = em | np.array([c in em_codes for c in text], dtype=bool)
    return em


def _modifier_combos(claims: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Distinct Mod1-Mod4 combinations (object, None for blank) and, per line, its combo."""
    coded = [pd.factorize(claims[m].to_numpy(object)) for m in MODS]
    inv, reps = _row_groups([c for c, _ in coded], [len(u) for _, u in coded])
    uniq = pd.DataFrame({m: np.append(u.astype(object), None)[c[reps]]
                         for m, (c, u) in zip(MODS, coded, strict=True)}, dtype=object)
    return uniq, inv


def _modifiers(run: _Run) -> pd.DataFrame:
    claims, sheet = run.claims, run.sheet
    # every modifier check runs once per distinct Mod1-Mod4 combination
    uniq, inv = _modifier_combos(claims)
    finds = []
    known = set(modifier_table().spans)
    for m in MODS:
        unknown_u = uniq[m].map(lambda v: v is not None and v not in known).to_numpy(bool)
        finds.append(F.from_mask(claims, unknown_u[inv], R.MOD_UNKNOWN, m,
                                 f"Modifier '{{value}}' in {m.title()} on row {{_row}} is not a "
                                 "CPT or HCPCS modifier.", sheet=sheet, column=run.col(m)))
    for a in range(4):
        for b in range(a + 1, 4):
            dup_u = (uniq[MODS[a]].notna() & uniq[MODS[a]].eq(uniq[MODS[b]])).to_numpy(bool)
            finds.append(F.from_mask(claims, dup_u[inv], R.MOD_DUPLICATE, MODS[b],
                                     f"Modifier {{value}} appears twice on row {{_row}} "
                                     f"({MODS[a].title()} and {MODS[b].title()}).", sheet=sheet,
                                     column=run.col(MODS[b])))
    sets_u = [frozenset(v for v in row if v) for row in uniq.itertuples(index=False)]
    shown_u = np.array([",".join(v for v in row if v) for row in uniq.itertuples(index=False)],
                       dtype=object)
    shown = pd.Series(shown_u[inv], index=claims.index, dtype=object)
    for pair, words in ref.CONFLICTS:
        both_u = np.array([pair <= m for m in sets_u], dtype=bool)
        finds.append(F.from_mask(claims, both_u[inv], R.MOD_CONFLICT, "mod1",
                                 f"Row {{_row}} has both {words}; they contradict each other.",
                                 value=shown, sheet=sheet, column=run.col("mod1")))
    x59_u = np.array([("59" in m) and bool(m & ref.X_MODIFIERS) for m in sets_u], dtype=bool)
    finds.append(F.from_mask(claims, x59_u[inv], R.MOD_CONFLICT, "mod1",
                             "Row {_row} has modifier 59 together with XE/XS/XP/XU; use one or "
                             "the other.", value=shown, sheet=sheet, column=run.col("mod1")))
    has25 = np.array(["25" in m for m in sets_u], dtype=bool)[inv]
    if has25.any():
        not_em = has25 & ~_em_codes(run.book, run.code_text)[run.code]
        finds.append(F.from_mask(claims, not_em, R.MOD_25_NOT_EM, "mod1",
                                 "Modifier 25 on row {_row} is on {code}, which is not an E/M "
                                 "code (99202-99499).", value=shown, sheet=sheet,
                                 column=run.col("mod1")))
    return F.concat(finds)


def _pos_units(run: _Run) -> pd.DataFrame:
    claims = run.claims
    pos = claims["pos"]
    bad_pos = pos.notna() & ~pos.isin(list(ref.POS_CODES))
    units = pd.to_numeric(claims["units"], errors="coerce")
    bad_units = units.notna() & (units <= 0)
    return F.concat([
        F.from_mask(claims, bad_pos, R.POS_INVALID, "pos",
                    "Place of service '{value}' on row {_row} is not a CMS place-of-service "
                    "code.", sheet=run.sheet, column=run.col("pos")),
        F.from_mask(claims, bad_units, R.UNITS_INVALID, "units",
                    "Units '{value}' on row {_row} must be a positive number.", sheet=run.sheet,
                    column=run.col("units")),
    ])


def _npis(run: _Run) -> pd.DataFrame:
    book, claims, sheet = run.book, run.claims, run.sheet
    finds = []
    for field, label in (("rendering_npi", "Rendering NPI"), ("referring_npi", "Referring NPI")):
        codes, uniq = pd.factorize(claims[field].to_numpy(object))  # check each NPI once
        bad = np.append(~npi_valid(pd.Series(uniq, dtype=object)).to_numpy(bool), False)[codes]
        finds.append(F.from_mask(claims, bad, R.NPI_INVALID, field,
                                 f"{label} {{value}} on row {{_row}} fails the NPI check digit.",
                                 sheet=sheet, column=run.col(field)))
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


def _ndc_distinct(raw: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NDCs factorized: per line the index of its distinct value (NA -> the last item), the
    11-digit form per distinct value (None when unreadable) and whether it is already so."""
    codes, uniq = pd.factorize(raw.to_numpy(object))
    text = [str(u) for u in uniq]
    norm = np.array([*(ref.ndc11(t) for t in text), None], dtype=object)
    same = np.array([*(ref.ndc11(t.strip()) == t.strip() for t in text), False], dtype=bool)
    return codes, norm, same


def _ndc(run: _Run) -> pd.DataFrame:
    claims, col = run.claims, run.col("ndc")
    codes, norm_u, same_u = _ndc_distinct(claims["ndc"])
    present = codes >= 0
    norm = pd.Series(norm_u[codes], index=claims.index, dtype=object)
    has_norm = pd.notna(norm_u)[codes]
    drug = full_match(run.code_text, r"J\d{4}")[run.code]
    return F.concat([
        F.from_mask(claims, present & ~has_norm, R.NDC_INVALID, "ndc",
                    "NDC '{value}' on row {_row} cannot be read: use the label's 10 digits with "
                    "hyphens (4-4-2, 5-3-2 or 5-4-1) or 11 digits.", sheet=run.sheet, column=col),
        F.from_mask(claims, present & has_norm & ~same_u[codes], R.NDC_FORMAT, "ndc",
                    "NDC '{value}' on row {_row} is sent as {ndc11} (11-digit 5-4-2).",
                    sheet=run.sheet, column=col, ndc11=norm),
        F.from_mask(claims, drug & ~present, R.NDC_MISSING, "ndc",
                    "Drug line {code} on row {_row} (claim {claim_id}) has no NDC.",
                    sheet=run.sheet, column=col),
    ])


def normalized_ndc(claims: pd.DataFrame) -> pd.Series:
    """The 11-digit NDC of each line (None when absent or unreadable), for the 837 writer."""
    codes, norm, _ = _ndc_distinct(claims["ndc"])
    return pd.Series(norm[codes], index=claims.index, dtype=object)
