"""HCPCS Level II codes, modifiers and ICD-10-CM sex edits from the shipped CMS-derived files.

Files (built by `scripts/build_codesets.py hcpcs` and `... sex`, provenance in each file's first
line and in data/codesets/SOURCES.json):
- hcpcs.tsv.gz: HCPCS Level II code, valid_from, valid_to (blank = open), CMS short description,
  from the CMS Integrated Outpatient Code Editor (I/OCE) quarterly data packaged in pyoce.
- modifiers.tsv.gz: modifier, valid_from, valid_to, source (ioce = I/OCE modifier table,
  cpt = CPT Level I modifier code, listed without AMA text).
- icd10cm_sex.tsv.gz: ICD-10-CM codes for one sex only (CMS Medicare Code Editor FY2024).

Scalar checks use plain Python; the vectorized helpers take pandas Series (pandas is imported
only when they are called).
"""

from __future__ import annotations

import datetime as dt
import gzip
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

OPEN_START = "0001-01-01"
OPEN_END = "9999-12-31"


def _read(name: str) -> list[list[str]]:
    """Rows of a shipped gzip'd TSV, without its '#' provenance line and header."""
    path = resources.files("claimbook") / "data" / "codesets" / name
    with resources.as_file(path) as p, gzip.open(p, "rt", encoding="utf-8") as f:
        lines = [ln.rstrip("\n") for ln in f if not ln.startswith("#")]
    return [ln.split("\t") for ln in lines[1:] if ln]


@dataclass(frozen=True)
class Spans:
    """Validity intervals per code: {code: [(from, to), ...]} as ISO dates (open = extremes)."""

    spans: dict[str, list[tuple[str, str]]]
    desc: dict[str, str]
    source: dict[str, str]

    def known(self, code: str) -> bool:
        return code in self.spans

    def valid_on(self, code: str, day: dt.date) -> bool:
        iso = day.isoformat()
        return any(a <= iso <= b for a, b in self.spans.get(code, ()))

    def window(self, code: str) -> str:
        """Plain words for a code's validity, e.g. 'valid from 2024-04-01'."""
        parts = []
        for a, b in self.spans.get(code, ()):
            if a == OPEN_START and b == OPEN_END:
                parts.append("valid throughout the CMS data")
            elif a == OPEN_START:
                parts.append(f"valid until {b}")
            elif b == OPEN_END:
                parts.append(f"valid from {a}")
            else:
                parts.append(f"valid {a} to {b}")
        return "; ".join(parts)


def _spans(name: str, with_desc: bool) -> Spans:
    spans: dict[str, list[tuple[str, str]]] = {}
    desc: dict[str, str] = {}
    source: dict[str, str] = {}
    for row in _read(name):
        code, a, b = row[0], row[1] or OPEN_START, row[2] or OPEN_END
        spans.setdefault(code, []).append((a, b))
        if with_desc:
            desc[code] = row[3] if len(row) > 3 else ""
        elif len(row) > 3:
            source[code] = row[3]
    return Spans(spans, desc, source)


@lru_cache(maxsize=1)
def hcpcs_table() -> Spans:
    """HCPCS Level II codes with validity intervals and CMS short descriptions."""
    return _spans("hcpcs.tsv.gz", with_desc=True)


@lru_cache(maxsize=1)
def modifier_table() -> Spans:
    """CPT and HCPCS modifiers with validity intervals (source: ioce or cpt)."""
    return _spans("modifiers.tsv.gz", with_desc=False)


@lru_cache(maxsize=1)
def icd_sex() -> dict[str, str]:
    """ICD-10-CM code (no dot) -> 'M' or 'F' for codes meant for one sex only."""
    return {code: sex for code, sex in _read("icd10cm_sex.tsv.gz")}


def _day(dos: Any) -> dt.date:
    if dos is None or dos == "":
        return dt.date.today()
    if isinstance(dos, dt.datetime):
        return dos.date()
    if isinstance(dos, dt.date):
        return dos
    return dt.date.fromisoformat(str(dos)[:10])


def check_hcpcs(value: Any, dos: Any = None) -> dict[str, Any]:
    """One HCPCS Level II code against the CMS file, on the DOS (today when none).

    Same keys as `claimbook.codesets.lookup`: input, normalized, valid, billable, description,
    reason.
    """
    raw = "" if value is None else str(value).strip()
    code = raw.upper().replace(" ", "").replace(".", "")
    day = _day(dos)
    t = hcpcs_table()
    out: dict[str, Any] = {"input": raw, "normalized": code, "valid": False, "billable": None,
                           "description": t.desc.get(code, ""), "reason": ""}
    if not t.known(code):
        out["reason"] = (f"{code} has the HCPCS Level II format but is not in the CMS HCPCS "
                         "file: check the code."
                         if code[:1] in "ABCDEFGHIJKLMNOPQRSTUV" and len(code) == 5
                         and code[1:].isdigit() and code[:1]
                         else f"'{raw}' is not a HCPCS Level II code (a letter A-V + 4 digits).")
        return out
    if t.valid_on(code, day):
        out.update(valid=True, billable=True,
                   reason=f"HCPCS Level II code valid on {day.isoformat()} (CMS file).")
    else:
        out.update(billable=False, reason=f"{code} is not valid on {day.isoformat()}: it is "
                   f"{t.window(code)}.")
    return out


def _dates(dos: Any, index: Any) -> Any:
    import pandas as pd

    if dos is None:
        return pd.Series(pd.Timestamp(dt.date.today()), index=index)
    d = pd.to_datetime(pd.Series(dos, index=index), errors="coerce")
    return d.fillna(pd.Timestamp(dt.date.today()))


def span_status(values: Any, dos: Any, spans: Spans) -> Any:
    """Vectorized: DataFrame (index of `values`) with columns known and valid (on the DOS).

    `values` are upper-case codes (NA allowed: known=False); `dos` a Series of dates, a
    single date or None (today). Codes are looked up once each; the date test is numpy.
    """
    import numpy as np
    import pandas as pd

    s = pd.Series(values, dtype=object)
    pos, uniq = pd.factorize(s.to_numpy())  # NA -> -1: the last item, "" (never a code)
    texts = [*(str(u) for u in uniq), ""]
    k = max((len(v) for v in spans.spans.values()), default=1)
    lo = np.full((len(texts), k), np.datetime64("NaT"), dtype="datetime64[D]")
    hi = lo.copy()
    for i, c in enumerate(texts):
        for j, (a, b) in enumerate(spans.spans.get(c, ())):
            lo[i, j] = np.datetime64(a)
            hi[i, j] = np.datetime64(b)
    known = np.array([c in spans.spans for c in texts], dtype=bool)[pos]
    d = _dates(dos, s.index).to_numpy().astype("datetime64[D]")[:, None]
    inside = (lo[pos] <= d) & (d <= hi[pos])  # NaT compares False
    return pd.DataFrame({"known": known, "valid": inside.any(axis=1)}, index=s.index)


def hcpcs_status(codes: Any, dos: Any = None) -> Any:
    """Vectorized HCPCS Level II check: DataFrame with known and valid (on each DOS)."""
    return span_status(codes, dos, hcpcs_table())


def modifier_status(mods: Any, dos: Any = None) -> Any:
    """Vectorized modifier check: DataFrame with known and valid (on each DOS)."""
    return span_status(mods, dos, modifier_table())


def sex_of(nodot_codes: Any) -> Any:
    """Vectorized: 'M', 'F' or '' per ICD-10-CM code (without dot), from the MCE sex edits.

    Chapter 15 (O00-O9A, pregnancy and childbirth) is for maternal records only, so every O
    code counts as female even when it is too new for the FY2024 editor.
    """
    import pandas as pd

    s = pd.Series(nodot_codes, dtype=object)
    out = s.map(icd_sex()).fillna("").astype(str)
    return out.mask(s.astype(str).str.startswith("O"), "F")
