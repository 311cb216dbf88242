"""One vectorized pass over the workbook that every scrub rule shares.

`prepare(book, as_of, ledger)` returns a `ScrubData`: the Claims lines with integer keys
(claim, patient, payer, code, modifiers, DOS as day numbers), one row per claim (its patient
and payer from the claim's first line, earliest DOS, sent or not), and the Payers, Patients
and ledger facts aligned to those claims. Rules read these arrays; none loops over rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from claimbook.book import Book
from claimbook.ledger import Ledger
from claimbook.scrub.ledger_data import LedgerData, load_ledger_data

NAT = np.iinfo(np.int64).min
SELF_PAY = "09"
MEDICARE = ("MB", "MA")


def day_numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 as int64 (NAT where the date is blank)."""
    arr = np.asarray(values, dtype="datetime64[ns]")
    return arr.astype("datetime64[D]").astype(np.int64)


def as_object(values: pd.Series) -> np.ndarray:
    """Values as an object array with None for blanks ('' counts as blank)."""
    arr = values.to_numpy(dtype=object, na_value=None)
    if len(arr):
        arr = arr.copy()
        arr[arr == ""] = None
    return arr


def isin(values: np.ndarray, choices: object) -> np.ndarray:
    """Hash-based membership for object arrays (np.isin sorts, which is slow on objects)."""
    return pd.Index(np.asarray(values, dtype=object)).isin(list(choices))


def _raw(values: pd.Series) -> np.ndarray:
    """Object values without a copy where possible (blanks may be None or NaN)."""
    return values.to_numpy() if values.dtype == object else values.to_numpy(dtype=object)


def _blank_none(arr: np.ndarray) -> np.ndarray:
    arr = arr.astype(object, copy=True)
    arr[pd.isna(arr)] = None
    return arr


def is_blank(values: pd.Series) -> np.ndarray:
    if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        return values.isna().to_numpy()
    return pd.isna(_raw(values))  # the reader turns empty text into None


def group_ids(*arrays: np.ndarray) -> np.ndarray:
    """One int64 group id per row for the combination of the given key arrays (equal ids =
    equal keys; ids are not dense)."""
    g: np.ndarray | None = None
    span_g = 1
    for a in arrays:
        codes = _dense(np.asarray(a))
        span = int(codes.max(initial=0)) + 1
        if g is None:
            g, span_g = codes, span
            continue
        if span_g * span >= 2 ** 62:
            g = pd.factorize(g)[0].astype(np.int64)
            span_g = int(g.max(initial=0)) + 1
        g = g * span + codes
        span_g *= span
    assert g is not None
    return g


def _dense(a: np.ndarray) -> np.ndarray:
    """Small non-negative int codes for a key array (ints of a small range are shifted, the
    rest factorized)."""
    if a.dtype.kind in "iu" and len(a):
        valid = a[a != NAT]
        lo = int(valid.min()) if len(valid) else 0
        hi = int(valid.max()) if len(valid) else 0
        if hi - lo <= 4 * len(a) + 1024:
            return np.where(a == NAT, hi - lo + 1, a - lo).astype(np.int64)
    return pd.factorize(a)[0].astype(np.int64)


def first_per_group(g: np.ndarray, n_groups: int | None = None) -> np.ndarray:
    """Position of the first row of each group (groups numbered 0..n-1)."""
    n_groups = int(g.max(initial=-1)) + 1 if n_groups is None else n_groups
    first = np.full(n_groups, -1, dtype=np.int64)
    pos = np.arange(len(g), dtype=np.int64)
    first[g[::-1]] = pos[::-1]
    return first


def first_of_group(g: np.ndarray) -> np.ndarray:
    """For each row, the position of the first row with the same group id."""
    dense = pd.factorize(g)[0] if len(g) and (g.max() >= 4 * len(g) + 1024 or g.min() < 0) \
        else g
    return first_per_group(dense)[dense]


def encode(values: np.ndarray, vocab: pd.Index) -> np.ndarray:
    """Position of each value in `vocab` (-1 when absent or blank)."""
    return vocab.get_indexer(pd.Index(values, dtype=object))


def unique_index(frame: pd.DataFrame, key: str) -> tuple[pd.Index, np.ndarray]:
    """(Index of the distinct non-blank keys, frame positions of their first rows)."""
    keys = frame[key].to_numpy(dtype=object, na_value=None)
    ok = ~pd.isna(keys)
    pos = np.flatnonzero(ok)
    k = pd.Index(keys[ok], dtype=object)
    dup = k.duplicated(keep="first")
    return k[~dup], pos[~dup]


@dataclass
class ModifierKeys:
    """Modifiers of each line as sorted integer codes (order-insensitive comparison)."""

    vocab: pd.Index  # modifier text per code
    sorted_codes: np.ndarray  # (n, 4) int, missing = len(vocab)
    key: np.ndarray  # int64 key of the sorted modifier set
    dense: np.ndarray  # the same key numbered 0..k-1 (for grouping)

    def has(self, *mods: str) -> np.ndarray:
        want = [self.vocab.get_loc(m) for m in mods if m in self.vocab]
        if not want:
            return np.zeros(len(self.key), dtype=bool)
        return np.isin(self.sorted_codes, want).any(axis=1)

    def key_of(self, text: str) -> int | None:
        """Key for a modifier list written as text ('25,59', '25:59', '2559'); None if a
        modifier is unknown to the workbook (it cannot match any line then)."""
        mods = parse_modifiers(text)
        missing = len(self.vocab)
        codes = []
        for m in mods:
            if m not in self.vocab:
                return None
            codes.append(self.vocab.get_loc(m))
        codes = sorted(codes)[:4] + [missing] * (4 - min(len(codes), 4))
        base = missing + 1
        k = 0
        for c in codes:
            k = k * base + c
        return k


def parse_modifiers(text: object) -> list[str]:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    s = str(text).strip().upper()
    parts = [p for p in "".join(c if c.isalnum() else " " for c in s).split() if p]
    out: list[str] = []
    for p in parts:
        out += [p[i:i + 2] for i in range(0, len(p), 2)] if len(p) > 2 else [p]
    return out


def modifier_keys(lines: pd.DataFrame) -> ModifierKeys:
    cols = [_raw(lines[f"mod{i}"]) for i in range(1, 5)]
    factor = [_sparse_factorize(c) for c in cols]
    vocab = pd.Index(sorted({str(u) for _, uniq in factor for u in uniq if u not in (None, "")}),
                     dtype=object)
    missing = len(vocab)
    stacked = np.empty((len(lines), 4), dtype=np.int64)
    for j, (codes, uniq) in enumerate(factor):
        look = vocab.get_indexer(pd.Index(uniq, dtype=object))
        look = np.where(look < 0, missing, look)
        stacked[:, j] = np.where(codes >= 0, look[np.maximum(codes, 0)] if len(look) else missing,
                                 missing)
    some = np.flatnonzero((stacked != missing).any(axis=1))
    if len(some):
        part = stacked[some]
        part.sort(axis=1)
        stacked[some] = part
    base = missing + 1
    key = ((stacked[:, 0] * base + stacked[:, 1]) * base + stacked[:, 2]) * base + stacked[:, 3]
    return ModifierKeys(vocab, stacked, key, pd.factorize(key)[0].astype(np.int64))


def _sparse_factorize(col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """pd.factorize for a mostly blank column: only the filled cells are hashed."""
    filled = np.flatnonzero(~pd.isna(col))
    codes = np.full(len(col), -1, dtype=np.int64)
    if not len(filled):
        return codes, np.array([], dtype=object)
    sub, uniq = pd.factorize(col[filled])
    codes[filled] = sub
    return codes, np.asarray(uniq, dtype=object)


@dataclass
class ScrubData:
    """Everything the scrub rules read, aligned by line (`L`) or by claim (`C`)."""

    book: Book
    as_of: pd.Timestamp
    lines: pd.DataFrame  # the Claims table as read
    sheet: str  # the Claims sheet's name
    letters: dict[str, str]  # Claims field -> Excel column letter
    cc: np.ndarray  # claim number (0..k-1) of each line
    claims: pd.DataFrame  # one row per claim, see prepare()
    line_patient: np.ndarray  # claim's patient (object) per line
    line_payer: np.ndarray  # claim's payer (object) per line
    patient_code: np.ndarray  # int per line, -1 blank
    payer_code: np.ndarray  # int per line
    payer_vocab: pd.Index
    patient_vocab: pd.Index
    claim_patient_code: np.ndarray  # int per claim, -1 blank
    claim_payer_code: np.ndarray  # int per claim, -1 blank
    code_code: np.ndarray  # int per line, -1 blank
    code_vocab: pd.Index
    dos: np.ndarray  # day numbers of dos_from per line (NAT blank)
    dos_to: np.ndarray  # day numbers of dos_to, dos_from when blank
    units: np.ndarray  # float, 1 where blank
    charge: np.ndarray  # float, NaN blank
    mods: ModifierKeys
    correction: np.ndarray  # 0 for original claims, claim number + 1 for frequency 7/8
    payers: pd.DataFrame  # Payers row per claim (NaN when unknown), column _known
    patients: pd.DataFrame  # per claim: _known, _pos (Patients position), _row, dob
    ledger: LedgerData = field(default_factory=LedgerData)
    state: dict = field(default_factory=dict)  # facts one rule module passes to another

    def unreadable(self, table: str, field_name: str, rows: np.ndarray) -> np.ndarray:
        """True where the reader already reported the cell (so 'missing' is not repeated)."""
        f = self.book.findings
        if f is None or f.empty:
            return np.zeros(len(rows), dtype=bool)
        hit = f.loc[f["sheet"].eq(self.book.sheet(table)) & f["field"].eq(field_name), "row"]
        if hit.empty:
            return np.zeros(len(rows), dtype=bool)
        return np.isin(rows, pd.to_numeric(hit, errors="coerce").dropna().astype(np.int64))

    def claim_frame(self, mask: np.ndarray | None = None) -> pd.DataFrame:
        """Claims as a table for findings: claim_id, line_no (blank), _row (first line)."""
        c = self.claims if mask is None else self.claims.loc[mask]
        out = pd.DataFrame({"claim_id": c["claim_id"].to_numpy(),
                            "line_no": pd.array([pd.NA] * len(c), dtype="Int64"),
                            "_row": c["_row"].to_numpy()}, index=c.index)
        for k in c.columns:
            if k not in out:
                out[k] = c[k]
        out.attrs["columns"] = self.letters
        return out


def prepare(book: Book, as_of: pd.Timestamp, ledger: Ledger | None = None) -> ScrubData:
    lines = book.get("Claims")
    n = len(lines)
    letters = dict(book.sources["Claims"].columns) if "Claims" in book.sources else dict(
        lines.attrs.get("columns", {}))
    cc, claim_ids = pd.factorize(_raw(lines["claim_id"]))
    cc = cc.astype(np.int64)
    k = len(claim_ids)
    first = first_per_group(cc, k)

    c_patient = _blank_none(_raw(lines["patient"])[first]) if k else np.array([], object)
    c_payer = _blank_none(_raw(lines["payer_id"])[first]) if k else np.array([], object)
    line_patient = c_patient[cc] if n else np.array([], dtype=object)
    line_payer = c_payer[cc] if n else np.array([], dtype=object)

    dos = day_numbers(lines["dos_from"])
    dos_to_raw = day_numbers(lines["dos_to"])
    dos_to = np.where(dos_to_raw == NAT, dos, dos_to_raw)
    dos_valid = np.where(dos == NAT, np.iinfo(np.int64).max, dos)
    c_dos = (pd.Series(dos_valid).groupby(cc).min().to_numpy() if n
             else np.array([], dtype=np.int64))
    c_dos = np.where(c_dos == np.iinfo(np.int64).max, NAT, c_dos)
    # the first line with the claim's earliest DOS (where claim-level date findings point)
    earliest = first.copy()
    if n:
        at = np.flatnonzero(dos == c_dos[cc])
        earliest[cc[at][::-1]] = at[::-1]

    submitted = lines["submitted_on"].notna().to_numpy()
    c_submitted = (pd.Series(submitted).groupby(cc).any().to_numpy() if n
                   else np.array([], dtype=bool))
    ld = load_ledger_data(ledger)
    in_ledger = isin(claim_ids, ld.sent_claims) if (k and len(ld.sent_claims)) else \
        np.zeros(k, bool)
    freq = _raw(lines["frequency"])[first] if k else np.array([], dtype=object)
    c_freq = np.where(pd.isna(freq), "1", freq).astype(object)
    n_lines = np.bincount(cc, minlength=k) if n else np.array([], dtype=np.int64)
    rows = lines["_row"].to_numpy()

    claims = pd.DataFrame({
        "claim_id": claim_ids.astype(object), "patient": c_patient, "payer_id": c_payer,
        "first": first, "_row": rows[first] if k else np.array([], dtype=np.int64),
        "earliest": earliest, "dos": c_dos,
        "sent": c_submitted | in_ledger, "frequency": c_freq, "lines": n_lines,
    })

    correction = np.where(isin(c_freq, ["7", "8"]), np.arange(k) + 1, 0)[cc] if n else \
        np.array([], dtype=np.int64)
    code_codes, code_vocab = pd.factorize(_raw(lines["code"]))
    units = lines["units"].to_numpy(dtype=float, na_value=np.nan)
    units = np.where(np.isnan(units), 1.0, units)

    c_pcode, patient_vocab = pd.factorize(c_patient)
    c_paycode, payer_vocab = pd.factorize(c_payer)
    payers_t = book.get("Payers")
    p_keys, p_pos = unique_index(payers_t, "payer_id")
    pi = encode(np.asarray(payer_vocab, dtype=object), p_keys)[c_paycode] if k else \
        np.array([], dtype=np.int64)
    pi = np.where(c_paycode < 0, -1, pi)
    payer_rows = payers_t.iloc[p_pos[np.maximum(pi, 0)]].reset_index(drop=True) if (
        k and len(p_pos)) else payers_t.reindex(range(k)).reset_index(drop=True)
    payer_rows = _blank_unknown(payer_rows, pi >= 0)

    pats_t = book.get("Patients")
    a_keys, a_pos = unique_index(pats_t, "account")
    ai = encode(np.asarray(patient_vocab, dtype=object), a_keys)[c_pcode] if k else \
        np.array([], dtype=np.int64)
    pat_pos = np.where(ai >= 0, a_pos[np.maximum(ai, 0)] if len(a_pos) else -1, -1)
    known = pat_pos >= 0
    safe = np.maximum(pat_pos, 0)
    dob = pats_t["dob"].to_numpy(dtype="datetime64[ns]")
    prow = pats_t["_row"].to_numpy()
    pat_rows = pd.DataFrame({
        "_known": known, "_pos": pat_pos,
        "_row": np.where(known, prow[safe] if len(prow) else 0, 0),
        "dob": np.where(known, dob[safe] if len(dob) else np.datetime64("NaT"),
                        np.datetime64("NaT")).astype("datetime64[ns]")})

    return ScrubData(
        book=book, as_of=pd.Timestamp(as_of).normalize(), lines=lines,
        sheet=book.sheet("Claims"), letters=letters, cc=cc, claims=claims,
        line_patient=line_patient, line_payer=line_payer,
        patient_code=c_pcode.astype(np.int64)[cc] if n else np.array([], np.int64),
        payer_code=c_paycode.astype(np.int64)[cc] if n else np.array([], np.int64),
        payer_vocab=pd.Index(payer_vocab, dtype=object),
        patient_vocab=pd.Index(patient_vocab, dtype=object),
        claim_patient_code=c_pcode.astype(np.int64),
        claim_payer_code=c_paycode.astype(np.int64),
        code_code=code_codes.astype(np.int64), code_vocab=pd.Index(code_vocab, dtype=object),
        dos=dos, dos_to=dos_to, units=units,
        charge=lines["charge"].to_numpy(dtype=float, na_value=np.nan),
        mods=modifier_keys(lines), correction=correction,
        payers=payer_rows, patients=pat_rows, ledger=ld)


def _blank_unknown(rows: pd.DataFrame, known: np.ndarray) -> pd.DataFrame:
    """Rows looked up by key: NA everywhere the key was not found; `_known` says which."""
    if len(rows) and not known.all():
        rows = rows.where(np.broadcast_to(known[:, None], rows.shape))
    rows["_known"] = known
    return rows


def day_text(days: np.ndarray | int) -> np.ndarray | str:
    """Day numbers as YYYY-MM-DD text."""
    if np.isscalar(days):
        return "" if days == NAT else str(np.datetime64(int(days), "D"))
    arr = np.asarray(days)
    out = np.datetime_as_string(arr.astype("datetime64[D]"), unit="D").astype(object)
    out[arr == NAT] = ""
    return out


def money(values: np.ndarray | pd.Series) -> list[str]:
    return ["" if np.isnan(v) else f"${v:,.2f}" for v in np.asarray(values, dtype=float)]
