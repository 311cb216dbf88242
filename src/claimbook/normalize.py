"""Vectorized cleaning of messy cell values, one function per kind of column.

Each normaliser takes a Series of raw cells (str, float, int, datetime, bool or None, as a
spreadsheet reader returns them) and returns `(values, bad)`: the normalised Series and a
boolean mask of non-blank cells that could not be used. Only unambiguous repairs are made
(`e1165` -> `E11.65`, `1234567893.0` -> `1234567893`, `2134` ZIP -> `02134`,
`1.234,50` -> 1234.5); everything else is reported by the caller as a finding.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_BLANKS = {"", "nan", "none", "null", "n/a", "na", "-", "--"}
_BLANK_VARIANTS = sorted(
    {v for b in _BLANKS for v in (b, b.upper(), b.title())}
    | {" " * n for n in range(1, 9)} | {"\t", "\n", " \n", "N/a", "NaN", "#N/A"})


def _fm(s: pd.Series, pattern: str) -> pd.Series:
    """Boolean mask: the text of each cell fully matches `pattern` (NA -> False)."""
    if not s.notna().any():
        return pd.Series(False, index=s.index)
    return s.astype(object).where(s.notna(), "").astype(str).str.fullmatch(pattern).astype(bool)


def blank_mask(raw: pd.Series) -> pd.Series:
    """True where the cell is empty (None, NaN, empty or whitespace text, 'N/A', '-')."""
    isna = raw.isna()
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        return isna | raw.isin(_BLANK_VARIANTS)  # one hash lookup per cell
    return isna


def _as_text(raw: pd.Series) -> pd.Series:
    """Text of each cell: floats that are whole numbers lose their '.0'; None stays None."""
    out = pd.Series(np.full(len(raw), None, dtype=object), index=raw.index)
    blank = blank_mask(raw)
    if pd.api.types.is_float_dtype(raw.dtype) or pd.api.types.is_integer_dtype(raw.dtype):
        num = pd.to_numeric(raw, errors="coerce")
        whole = num.notna() & (num == np.floor(num))
        out[whole & ~blank] = num[whole & ~blank].astype("int64").astype(str)
        rest = ~whole & ~blank
        out[rest] = num[rest].astype(str)
        return out
    vals = raw[~blank]
    if len(vals):
        inferred = pd.api.types.infer_dtype(vals, skipna=True)
        if inferred == "string":
            txt = vals.astype(str).str.strip()
            out[~blank] = txt.where(txt.ne(""), None)
            return out
        if inferred in ("floating", "integer", "mixed-integer-float"):
            num = pd.to_numeric(vals, errors="coerce").astype("float64")
            whole = num == np.floor(num)
            txt = num.astype(str)
            txt[whole] = num[whole].astype("int64").astype(str)
            out[~blank] = txt
            return out
        is_float = vals.map(lambda v: isinstance(v, float | np.floating))
        txt = vals.astype(str)
        if is_float.any():
            f = vals[is_float].astype(float)
            whole = f[f == np.floor(f)]
            txt[whole.index] = whole.astype("int64").astype(str)
        is_dt = vals.map(lambda v: isinstance(v, dt.datetime | dt.date))
        if is_dt.any():
            txt[is_dt] = pd.to_datetime(vals[is_dt]).dt.strftime("%Y-%m-%d")
        txt = txt.str.strip()
        out[~blank] = txt.where(txt.ne(""), None)
    return out


_POINT_ZERO = r"(\d+)\.0+"


def _point_zero(t: pd.Series) -> pd.Series:
    """True where the text is all digits plus a trailing '.0' ('99213.0'): a number that
    went through text in an export."""
    dotted = t.str.endswith(".0").fillna(False).astype(bool)
    if dotted.any():
        dotted[dotted] = t[dotted].str.fullmatch(_POINT_ZERO).to_numpy(bool)
    return dotted


def _id_text(raw: pd.Series) -> pd.Series:
    """`_as_text` for identifier and code columns, with '1234567893.0' -> '1234567893'.
    Not for ICD codes, where a dot is meaningful."""
    t = _as_text(raw)
    return _drop_point_zero(t, _point_zero(t))


def _drop_point_zero(t: pd.Series, pz: pd.Series) -> pd.Series:
    if not pz.any():
        return t
    t = t.copy()
    t[pz] = t[pz].str.replace(r"\.0+$", "", regex=True)
    return t


def text(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    t = _as_text(raw)
    t = t.where(t.isna(), t.str.replace(r"\s+", " ", regex=True))
    return t, pd.Series(False, index=raw.index)


def ident(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Identifiers: stripped text; all-digit text such as '1001.0' becomes '1001'."""
    return _id_text(raw), pd.Series(False, index=raw.index)


def _digits_fixed(raw: pd.Series, sizes: tuple[int, ...], pad_to: int | None = None
                  ) -> tuple[pd.Series, pd.Series]:
    t = _id_text(raw)
    present = t.notna()
    digits = t.where(~present, t.str.replace(r"[\s\-().]", "", regex=True))
    if pad_to:
        short = present & _fm(digits, r"\d+") & (
            digits.str.len() < pad_to) & (digits.str.len() >= pad_to - 2)
        digits = digits.where(~short, digits.str.zfill(pad_to))
    ok = _fm(digits, r"\d+") & digits.str.len().isin(sizes)
    bad = present & ~ok
    return digits.where(ok, t), bad


def npi(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """10 digits (check digit verified by the validator, not here)."""
    return _digits_fixed(raw, (10,))


def ein(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """9 digits; '12-3456789' -> '123456789'; a number that lost leading zeros is padded."""
    return _digits_fixed(raw, (9,), pad_to=9)


def zip_code(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """5 or 9 digits; ZIPs that became numbers get their leading zeros back."""
    t = _id_text(raw)
    present = t.notna()
    d = t.where(~present, t.str.replace(r"[\s\-]", "", regex=True))
    isnum = _fm(d, r"\d+")
    n = d.str.len()
    d = d.where(~(isnum & n.between(3, 4)), d.str.zfill(5))
    d = d.where(~(isnum & n.between(7, 8)), d.str.zfill(9))
    ok = _fm(d, r"\d{5}|\d{9}")
    return d.where(ok, t), present & ~ok


def phone(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    t = _id_text(raw)
    present = t.notna()
    d = t.where(~present, t.str.replace(r"\D", "", regex=True))
    d = d.where(~(d.str.len().eq(11) & d.str.startswith("1")), d.str[1:])
    ok = _fm(d, r"\d{10}")
    return d.where(ok, t), present & ~ok


def state(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    t = _as_text(raw)
    u = t.where(t.isna(), t.str.upper().str.replace(".", "", regex=False))
    ok = _fm(u, r"[A-Z]{2}")
    return u.where(ok, t), t.notna() & ~ok


def taxonomy(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Upper-cased; the format itself is a validator rule (TAXONOMY-INVALID)."""
    t = _as_text(raw)
    return t.where(t.isna(), t.str.upper().str.replace(" ", "", regex=False)), \
        pd.Series(False, index=raw.index)


def code(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Procedure codes: upper case, no spaces/dots ('99213.0' -> '99213'); numeric CPT that
    lost zeros padded to 5."""
    t = _as_text(raw)
    was_text_number = _point_zero(t)
    t = _drop_point_zero(t, was_text_number)
    u = t.where(t.isna(), t.str.upper().str.replace(r"[\s.]", "", regex=True))
    # only a cell stored as a number (or as its text, '100.0') can have lost its leading
    # zeros ("9921" typed as text is a wrong code, not 09921)
    was_number = _numeric_cells(raw) | was_text_number
    short_num = was_number & _fm(u, r"\d{3,4}")
    u = u.where(~short_num, u.str.zfill(5))
    return u, pd.Series(False, index=raw.index)


def _numeric_cells(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return raw.notna()
    inferred = pd.api.types.infer_dtype(raw, skipna=True)
    if inferred == "string" or inferred == "empty":
        return pd.Series(False, index=raw.index)
    return raw.map(lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool)
                   and v == v)


MODIFIER_SEPARATORS = r"[\s,;:/|+]+"


def modifier(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Upper case; a cell holding several modifiers ('25, 59', '25 59', '25:59') becomes
    '25,59' (the reader spreads them over Mod1-Mod4); '5' -> '05'."""
    t = _id_text(raw)
    u = t.where(t.isna(), t.str.upper().str.replace(MODIFIER_SEPARATORS, ",", regex=True)
                .str.strip(","))
    one_digit = _fm(u, r"\d")
    u = u.where(~one_digit, u.str.zfill(2))
    return u.where(u.ne(""), None), pd.Series(False, index=raw.index)


def pos(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    t = _id_text(raw)
    u = t.where(t.isna(), t.str.strip())
    one = _fm(u, r"\d")
    u = u.where(~one, u.str.zfill(2))
    return u, pd.Series(False, index=raw.index)


def icd(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """ICD-10-CM: upper case, spaces removed, dot after the 3rd character when longer."""
    t = _as_text(raw)
    u = t.where(t.isna(), t.str.upper().str.replace(r"[\s.]", "", regex=True))
    long = u.str.len().gt(3).fillna(False)
    u = u.where(~long, u.str[:3] + "." + u.str[3:])
    return u, pd.Series(False, index=raw.index)


_LETTERS = {chr(ord("A") + i): str(i + 1) for i in range(12)}


def pointers(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'1,2' / '1 2' / '12' (digits) / 'AB' / 'A:B' -> '1,2'; unreadable text kept as is."""
    t = _as_text(raw)
    present = t.notna()
    out = pd.Series(np.full(len(t), None, dtype=object), index=t.index)
    if not present.any():
        return out, pd.Series(False, index=raw.index)
    s = t[present].str.upper().str.strip()
    sep = s.str.replace(r"[\s,;:/\-]+", ",", regex=True).str.strip(",")
    letters = _fm(sep, r"[A-L](,?[A-L])*")
    digits_sep = _fm(sep, r"\d{1,2}(,\d{1,2})*") & sep.str.contains(",")
    digits_run = _fm(sep, r"[1-9]{1,4}")
    res = s.copy()
    if letters.any():
        res[letters] = sep[letters].str.replace(",", "").map(
            lambda x: ",".join(_LETTERS[c] for c in x))
    res[digits_sep] = sep[digits_sep].map(lambda x: ",".join(str(int(p)) for p in x.split(",")))
    res[digits_run & ~digits_sep] = sep[digits_run & ~digits_sep].map(lambda x: ",".join(x))
    out[present] = res
    return out, pd.Series(False, index=raw.index)


_SEX = {"M": "M", "MALE": "M", "F": "F", "FEMALE": "F", "U": "U", "UNKNOWN": "U", "X": "U"}


def sex(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    t = _as_text(raw)
    m = t.str.upper().str.strip().map(_SEX)
    return m.where(m.notna(), None), t.notna() & m.isna()


_TRUE = {"y", "yes", "true", "t", "1", "x", "required", "✓"}
_FALSE = {"n", "no", "false", "f", "0", "not required"}


def boolean(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    t = _as_text(raw)
    if raw.dtype == bool:
        return raw.astype("boolean"), pd.Series(False, index=raw.index)
    low = t.str.lower().str.strip()
    out = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    out[low.isin(_TRUE).fillna(False)] = True
    out[low.isin(_FALSE).fillna(False)] = False
    isbool = raw.map(lambda v: isinstance(v, bool | np.bool_))
    if isbool.any():
        out[isbool] = raw[isbool].astype(bool)
    bad = t.notna() & out.isna()
    return out, bad


def choice(raw: pd.Series, choices: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """A value from a fixed list, matched case-insensitively; returned in the list's spelling."""
    t = _as_text(raw)
    lookup = {c.lower(): c for c in choices}
    m = t.str.strip().str.lower().map(lookup)
    return m.where(m.notna(), None), t.notna() & m.isna()


def number(raw: pd.Series, decimals: int | None = None) -> tuple[pd.Series, pd.Series]:
    """Numbers, including text like '$1,234.50', '(12.00)' (negative) and '20%'."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        out = raw.astype("float64")
        bad = pd.Series(False, index=raw.index)
    else:
        blank = blank_mask(raw)
        direct = pd.to_numeric(raw.where(~blank), errors="coerce")
        need = direct.isna() & ~blank
        if need.any():
            s = raw[need].astype(str).str.strip()
            neg = s.str.fullmatch(r"\(.*\)")
            val = pd.to_numeric(_number_text(s.str.replace(r"[$\s()%]", "", regex=True)),
                                errors="coerce")
            val[neg.fillna(False)] = -val[neg.fillna(False)]
            direct[need] = val
        out = direct.astype("float64")
        bad = need & out.isna()
    if decimals is not None:
        out = out.round(decimals)
    return out, bad


_US = r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?"  # 1,234.50 / 1,234,567
# European, unambiguous only: 1.234,50 / 1.234.567 (two dots) / 12,50 (a comma before 1-2
# digits is never a US thousands separator). '1,234' and '1.234' stay US readings.
_EU = (r"[+-]?\d{1,3}(\.\d{3})+,\d+|[+-]?\d{1,3}(\.\d{3}){2,}|[+-]?\d+,\d{1,2}")


def _number_text(s: pd.Series) -> pd.Series:
    """Text without currency signs as plain number text ('1,234.50' -> '1234.50',
    '1.234,50' -> '1234.50'); any other use of ',' becomes unreadable (None), never a
    silent misreading."""
    odd = s.str.contains(",", regex=False) | s.str.contains(r"\..*\.", regex=True)
    if not odd.any():
        return s
    sub = s[odd]
    us = sub.str.fullmatch(_US)
    eu = ~us & sub.str.fullmatch(_EU)
    fixed = pd.Series(None, index=sub.index, dtype=object)
    fixed[us] = sub[us].str.replace(",", "", regex=False)
    fixed[eu] = sub[eu].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    out = s.copy()
    out[odd] = fixed
    return out


def money(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Amounts rounded to cents; '1,234.50' and '1.234,50' are both 1234.5. A single dot is
    always the decimal point ('1.234' -> 1.23), as a single ',ddd' is a US thousands group."""
    return number(raw, 2)


def integer(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    n, bad = number(raw)
    frac = n.notna() & (n != np.floor(n.fillna(0)))
    return n.where(~frac).round().astype("Int64"), bad | frac


def percent(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """20, '20%' and 0.2 all mean 20 %; returned as 0..100."""
    n, bad = number(raw)
    frac = n.notna() & n.between(0, 1, inclusive="right") & ~_has_percent_sign(raw)
    n = n.where(~frac, n * 100)
    out_of_range = n.notna() & ~n.between(0, 100)
    return n.round(4), bad | out_of_range


def _has_percent_sign(raw: pd.Series) -> pd.Series:
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        return raw.astype(str).str.contains("%", regex=False).fillna(False)
    return pd.Series(False, index=raw.index)


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y%m%d", "%m-%d-%Y", "%Y/%m/%d",
                 "%d-%b-%Y", "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%Y-%m-%d %H:%M:%S",
                 "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p")


# an ISO date followed by a time ('2026-03-15T00:00:00', '2026-03-15 08:30:00.000Z'): the day
_ISO_TIME = r"^(\d{4}-\d{2}-\d{2})[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"


def date(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Datetimes, Excel serial numbers and text dates (ISO, US m/d/Y, YYYYMMDD, ...)."""
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return pd.to_datetime(raw).dt.tz_localize(None).dt.normalize().astype(
            "datetime64[ns]"), pd.Series(False, index=raw.index)
    blank = blank_mask(raw)
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        num = raw.astype("float64")
        yyyymmdd = num.between(19000101, 21001231)
        serial = num.between(1, 109574) & ~yyyymmdd  # up to 2199-12-31
        out[serial] = EXCEL_EPOCH + pd.to_timedelta(np.floor(num[serial]), unit="D")
        out[yyyymmdd] = pd.to_datetime(num[yyyymmdd].astype("int64").astype(str),
                                       format="%Y%m%d", errors="coerce")
        bad = ~blank & out.isna()
        return out, bad
    inferred = pd.api.types.infer_dtype(raw[~blank], skipna=True)
    if inferred in ("floating", "integer", "mixed-integer-float"):
        sub_out, _ = date(pd.to_numeric(raw.where(~blank), errors="coerce").astype("float64"))
        return sub_out, ~blank & sub_out.isna()
    if inferred in ("datetime", "datetime64", "date"):
        out[~blank] = pd.to_datetime(raw[~blank]).dt.normalize()
        return out, ~blank & out.isna()
    if inferred == "string":
        is_dt = pd.Series(False, index=raw.index)
        is_num = pd.Series(False, index=raw.index)
    else:
        is_dt = raw.map(lambda v: isinstance(v, dt.datetime | dt.date)) & ~blank
        is_num = raw.map(lambda v: isinstance(v, int | float | np.number)
                         and not isinstance(v, bool)) & ~blank & ~is_dt
    if is_dt.any():
        out[is_dt] = pd.to_datetime(raw[is_dt].map(
            lambda v: v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day))
        ).dt.normalize()
    if is_num.any():
        sub_out, _ = date(raw[is_num].astype("float64"))
        out[is_num] = sub_out
    is_txt = ~blank & ~is_dt & ~is_num
    if is_txt.any():
        s = raw[is_txt].astype(str).str.strip()
        num_txt = s.str.fullmatch(r"\d{5}(\.\d+)?")
        if num_txt.any():
            sub_out, _ = date(s[num_txt].astype(float))
            out[sub_out.index] = sub_out
        rest = s[~num_txt].str.replace(_ISO_TIME, r"\1", regex=True)
        found = pd.Series(pd.NaT, index=rest.index, dtype="datetime64[ns]")
        for fmt in _DATE_FORMATS:
            todo = found.isna()
            if not todo.any():
                break
            found[todo] = pd.to_datetime(rest[todo], format=fmt, errors="coerce")
        out[found.index] = found.dt.normalize()
    bad = ~blank & out.isna()
    return out, bad


def by_kind(kind: str, raw: pd.Series, choices: tuple[str, ...] = ()
            ) -> tuple[pd.Series, pd.Series]:
    """Dispatch on a schema column kind."""
    if kind == "enum":
        return choice(raw, choices)
    fn = _KINDS.get(kind)
    if fn is None:
        raise KeyError(kind)
    return fn(raw)


_KINDS = {
    "text": text, "id": ident, "code": code, "icd": icd, "modifier": modifier, "pos": pos,
    "npi": npi, "ein": ein, "taxonomy": taxonomy, "zip": zip_code, "phone": phone,
    "state": state, "ndc": ident, "pointers": pointers, "sex": sex, "date": date,
    "money": money, "number": number, "int": integer, "percent": percent, "bool": boolean,
}


def ndc11(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """NDC to 11 digits (5-4-2): hyphenated 4-4-2, 5-3-2, 5-4-1 are padded in the right place;
    10 plain digits are ambiguous and marked bad; 11 plain digits kept."""
    t = _as_text(raw)
    present = t.notna()
    s = t.where(~present, t.str.strip().str.replace(" ", "", regex=False))
    out = pd.Series(np.full(len(s), None, dtype=object), index=s.index)
    parts = s.str.extract(r"^(\d{4,5})-(\d{3,4})-(\d{1,2})$")
    hy = parts[0].notna()
    if hy.any():
        out[hy] = (parts.loc[hy, 0].str.zfill(5) + parts.loc[hy, 1].str.zfill(4)
                   + parts.loc[hy, 2].str.zfill(2))
        seg = parts.loc[hy, 0].str.len() + parts.loc[hy, 1].str.len() + parts.loc[hy, 2].str.len()
        out[hy & ~(seg.reindex(s.index, fill_value=0) == 10)
            & ~(seg.reindex(s.index, fill_value=0) == 11)] = None
    plain11 = _fm(s, r"\d{11}")
    out[plain11] = s[plain11]
    bad = present & out.isna()
    return out, bad
