"""Quick lookups for a coordinator: one code or a list, with a plain-words reason."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from claimbook.codesets import reference as ref
from claimbook.codesets.hcpcs import check_hcpcs, modifier_table
from claimbook.codesets.icd import fiscal_year, icd_table, year_column

KINDS = ("icd10", "hcpcs", "cpt", "modifier", "pos", "npi", "ndc")


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if v.is_integer():
            return str(int(v))
    return str(v).strip()


def _as_date(dos: Any) -> dt.date | None:
    if dos is None or dos == "":
        return None
    if isinstance(dos, dt.datetime):
        return dos.date()
    if isinstance(dos, dt.date):
        return dos
    if isinstance(dos, int | float):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(dos))
    return dt.date.fromisoformat(str(dos)[:10])


def check_icd(value: Any, dos: Any = None) -> dict[str, Any]:
    """One ICD-10-CM code: valid/billable on the DOS (today when none), description, reason."""
    raw = _text(value)
    code = re.sub(r"[\s.]", "", raw.upper())
    norm = code[:3] + "." + code[3:] if len(code) > 3 else code
    day = _as_date(dos) or dt.date.today()
    fy = fiscal_year(day)
    col = year_column(fy)
    t = icd_table()
    out = {"input": raw, "normalized": norm, "valid": False, "billable": None,
           "description": "", "reason": ""}
    if not code:
        out["reason"] = "Empty: type an ICD-10-CM code such as E11.9."
        return out
    i = t.index.get(code, -1)
    if i < 0:
        if t.needs_seventh(code):
            out["reason"] = (f"{norm} needs a 7th character (e.g. {norm}A for the initial "
                             "encounter).")
        else:
            out["reason"] = f"{norm} is not an ICD-10-CM code."
        return out
    out["description"] = t.desc[i]
    if t.billable[col][i]:
        out.update(valid=True, billable=True,
                   reason=f"Billable on {day.isoformat()} (FY{fy}).")
        return out
    if any(t.billable[y][i] for y in t.billable):
        years = [f"FY{y}" for y in sorted(t.billable) if t.billable[y][i]]
        out.update(billable=False, reason=f"{norm} is not valid on {day.isoformat()} (FY{fy}); "
                   f"it is valid in {', '.join(years)}.")
        return out
    under = t.billable_under(code, fy)
    if t.needs_seventh(code):
        out.update(billable=False, reason=f"{norm} needs a 7th character, e.g. "
                   f"{_dot(under[0]) if under else norm + 'A'}.")
    else:
        ex = ", ".join(_dot(c) for c in under[:2])
        out.update(billable=False, reason=f"{norm} is a category header, not billable: "
                   f"{len(under)} billable codes sit under it (e.g. {ex}).")
    return out


def _dot(code: str) -> str:
    return code[:3] + "." + code[3:] if len(code) > 3 else code


def check_procedure(value: Any, kind: str = "cpt", code_list: set[str] | None = None,
                    dos: Any = None) -> dict[str, Any]:
    """CPT: format (existence when `code_list` is given); HCPCS Level II: the CMS file."""
    raw = _text(value)
    code = re.sub(r"[\s.]", "", raw.upper())
    found = ref.procedure_kind(code)
    out = {"input": raw, "normalized": code, "valid": False, "billable": None,
           "description": "", "reason": ""}
    if found is None:
        out["reason"] = (f"'{raw}' is not a CPT (5 digits, or 4 digits + F/T/U) or HCPCS "
                         "(letter A-V + 4 digits) code.")
        return out
    if kind == "hcpcs" and found != "HCPCS Level II":
        out["reason"] = f"{code} is a {found} code, not HCPCS Level II."
        return out
    if kind == "cpt" and found == "HCPCS Level II":
        out["reason"] = f"{code} is a HCPCS Level II code, not CPT."
        return out
    if found == "HCPCS Level II":
        return {**check_hcpcs(code, _as_date(dos)), "input": raw}
    if code_list is not None:
        ok = code in code_list
        out.update(valid=ok, billable=ok if ok else None,
                   reason=f"{found} code {'found' if ok else 'not found'} in your code list.")
        return out
    out.update(valid=True, reason=f"{found} format is valid; existence not checked (CPT is "
               "AMA-licensed: load your code list into the CPTCodes sheet to check existence).")
    return out


def check_modifier(value: Any, dos: Any = None) -> dict[str, Any]:
    """A CPT or HCPCS modifier against the shipped list (CMS I/OCE + CPT modifier codes)."""
    raw = _text(value)
    m = raw.upper()
    t = modifier_table()
    day = _as_date(dos) or dt.date.today()
    ok = t.known(m) and t.valid_on(m, day)
    if ok:
        reason = "Known modifier" + (" (CPT)." if t.source.get(m) == "cpt" else " (HCPCS/CMS).")
    elif t.known(m):
        reason = f"{m} is not valid on {day.isoformat()}: it is {t.window(m)}."
    else:
        reason = f"'{raw}' is not a CPT or HCPCS modifier."
    return {"input": raw, "normalized": m, "valid": ok, "billable": None, "description": "",
            "reason": reason}


def check_pos(value: Any) -> dict[str, Any]:
    raw = _text(value)
    p = raw.zfill(2) if raw.isdigit() and len(raw) == 1 else raw
    name = ref.POS_CODES.get(p, "")
    return {"input": raw, "normalized": p, "valid": bool(name), "billable": None,
            "description": name, "reason": name and f"Place of service {p}: {name}." or
            f"'{raw}' is not a CMS place-of-service code."}


def check_npi(value: Any) -> dict[str, Any]:
    raw = _text(value)
    n = re.sub(r"[\s\-]", "", raw)
    ok = ref.luhn_npi_ok(n)
    if ok:
        reason = "Valid NPI check digit."
    elif not re.fullmatch(r"\d{10}", n):
        reason = f"'{raw}' is not 10 digits."
    elif n[0] not in "12":
        reason = "An NPI starts with 1 or 2."
    else:
        reason = "The check digit (last digit) is wrong: look for swapped or mistyped digits."
    return {"input": raw, "normalized": n, "valid": ok, "billable": None, "description": "",
            "reason": reason}


def check_ndc(value: Any) -> dict[str, Any]:
    raw = _text(value)
    n = ref.ndc11(raw)
    return {"input": raw, "normalized": n or "", "valid": n is not None, "billable": None,
            "description": "",
            "reason": f"11-digit 5-4-2 form: {n}." if n else
            f"'{raw}' is not an NDC: use the 10-digit label with hyphens (4-4-2, 5-3-2, 5-4-1) "
            "or 11 digits."}


def check(kind: str, value: Any, dos: Any = None,
          code_list: set[str] | None = None) -> dict[str, Any]:
    kind = kind.lower().replace("-", "").replace("_", "")
    if kind in ("icd10", "icd", "icd10cm", "dx"):
        return check_icd(value, dos)
    if kind in ("cpt", "hcpcs"):
        return check_procedure(value, kind, code_list, dos)
    if kind in ("modifier", "mod"):
        return check_modifier(value, dos)
    if kind == "pos":
        return check_pos(value)
    if kind == "npi":
        return check_npi(value)
    if kind == "ndc":
        return check_ndc(value)
    raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")


def lookup(kind: str, values: list, dos: Any = None):
    """Check several values of one kind: DataFrame of input, normalized, valid, billable,
    description, reason (one row per value, in order)."""
    import pandas as pd

    rows = [check(kind, v, dos) for v in values]
    return pd.DataFrame(rows, columns=["input", "normalized", "valid", "billable",
                                       "description", "reason"])


def npi_valid(series):
    """Vectorized NPI check digit over a Series of 10-digit strings (NA -> False).

    Each distinct value is checked once (a year of claims has a few dozen NPIs).
    """
    import numpy as np
    import pandas as pd

    s = pd.Series(series, dtype=object)
    codes, uniq = pd.factorize(s)
    res = _npi_valid_unique(pd.Series(uniq, dtype=object)).to_numpy(dtype=bool)
    out = np.zeros(len(s), dtype=bool)
    has = codes >= 0
    out[has] = res[codes[has]]
    return pd.Series(out, index=s.index)


def _npi_valid_unique(series):
    import numpy as np
    import pandas as pd

    s = pd.Series(series, dtype=object).map(lambda v: _text(v).replace(" ", ""))
    ok_shape = s.str.fullmatch(r"[12]\d{9}").fillna(False).astype(bool)
    out = pd.Series(False, index=s.index)
    if not ok_shape.any():
        return out
    digits = np.array([list(x[:9]) for x in s[ok_shape]], dtype=np.int64)
    # Luhn over 80840 + 9 digits: positions from the right (check digit excluded) doubled at
    # odd offsets; the prefix 80840 contributes a constant 24.
    dbl = digits[:, ::-1][:, ::2] * 2
    dbl = np.where(dbl > 9, dbl - 9, dbl)
    plain = digits[:, ::-1][:, 1::2]
    total = dbl.sum(axis=1) + plain.sum(axis=1) + 24
    check = (10 - total % 10) % 10
    last = np.array([int(x[9]) for x in s[ok_shape]])
    out[ok_shape] = check == last
    return out
