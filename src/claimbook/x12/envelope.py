"""Helpers for writing X12: delimiters, clean element values, and the ISA/GS/ST envelopes.

Values are cleaned a whole column at a time (each distinct value once): accents dropped
(É -> E), upper case, only the X12 basic character set (A-Z, 0-9, space and
``! " & ' ( ) + , - . / ; ? =``), the delimiters removed (so they never occur in the data),
runs of spaces collapsed and the value cut to the element's maximum length. Amounts and
quantities are written without trailing zeros.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from claimbook.x12.tokens import Delimiters

# The writer's delimiters; none of them is in the cleaned data (they are removed from it).
DELIMS = Delimiters(element="*", component=":", repetition="^", segment="~")

# Characters kept in data: the X12 basic character set minus our delimiters (* and :).
# Defined once here; the 837P writer's fast checks (x837._DIRTY, _DROP_BASIC) derive from it.
BASIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"&'()+,-./;?="
_NOT_BASIC = re.compile(f"[^{re.escape(BASIC)}]")

# Maximum lengths of the elements the 837P writer fills with free text.
MAX = {
    "org_name": 60,  # NM103
    "last_name": 60,  # NM103 (person)
    "first_name": 35,  # NM104
    "id": 80,  # NM109
    "address": 55,  # N301
    "city": 30,  # N401
    "contact": 60,  # PER02
    "claim_id": 38,  # CLM01
    "ref": 50,  # REF02
    "group": 50,  # SBR03
    "isa_id": 15,  # ISA06/ISA08
    "gs_id": 15,  # GS02/GS03
}


def map_unique(values, fn, missing: object = "") -> np.ndarray:
    """`fn` applied once per distinct value (codes, names and dates repeat a lot), as an
    object array; missing values become `missing`."""
    if not isinstance(values, pd.Series | np.ndarray):
        values = np.asarray(values, dtype=object)
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniq) + 1, dtype=object)
    mapped[:-1] = [fn(v) for v in (uniq.tolist() if hasattr(uniq, "tolist") else uniq)]
    mapped[-1] = missing
    return mapped[codes]


def clean_text(value: object, max_len: int) -> str:
    """One value as X12 text (see `clean`)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    v = str(value)
    if not v.isascii():  # é -> E, ü -> U: accents dropped, not the letter
        v = unicodedata.normalize("NFKD", v).encode("ascii", "ignore").decode()
    v = " ".join(_NOT_BASIC.sub("", " ".join(v.upper().split())).split())
    return v[:max_len].rstrip()


def clean_array(values, max_len: int) -> np.ndarray:
    """`clean` as an object array (the writer's fast path)."""
    return map_unique(values, lambda v: clean_text(v, max_len))


def clean(values: pd.Series | list | np.ndarray, max_len: int) -> pd.Series:
    """Element values as X12 text: upper case, basic character set, cut to `max_len`.

    Blank and missing values become "". Works on a whole column at once (each distinct
    value is cleaned once).
    """
    index = values.index if isinstance(values, pd.Series) else None
    return pd.Series(clean_array(values, max_len), index=index, dtype=object)


def clean_one(value: object, max_len: int) -> str:
    """`clean` for a single value (settings, envelope ids)."""
    return clean_text(value, max_len)


def digits(values: pd.Series) -> pd.Series:
    """Only the digits of each value ("" when missing)."""
    return pd.Series(map_unique(values, lambda v: re.sub(r"\D", "", str(v))),
                     index=values.index, dtype=object)


def _amount(c: int) -> str:
    sign, c = ("-", -c) if c < 0 else ("", c)
    whole, frac = divmod(c, 100)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac // 10}" if frac % 10 == 0 else f"{sign}{whole}.{frac:02d}"


def amounts(cents: np.ndarray | pd.Series) -> pd.Series:
    """Integer cents as X12 decimals with no trailing zeros: 12550 -> '125.5', 10000 -> '100'."""
    c = np.asarray(cents, dtype="int64")
    return pd.Series(map_unique(c, lambda v: _amount(int(v))), dtype=object)


def _quantity(v: float) -> str:
    m = round(v * 1000)
    whole, frac = divmod(m, 1000)
    return str(whole) if frac == 0 else f"{whole}.{frac:03d}".rstrip("0")


def quantities(values: pd.Series | np.ndarray) -> pd.Series:
    """Quantities (units) with up to 3 decimals and no trailing zeros: 1.0 -> '1'."""
    v = np.asarray(values, dtype="float64")
    return pd.Series(map_unique(v, lambda x: _quantity(float(x))), dtype=object)


def to_cents(values: pd.Series | np.ndarray) -> np.ndarray:
    """Dollar amounts (float) as integer cents, NaN as 0."""
    return np.round(np.nan_to_num(np.asarray(values, dtype="float64")) * 100).astype("int64")


def d8(values: pd.Series) -> pd.Series:
    """Dates as CCYYMMDD ("" for NaT)."""
    v = pd.Series(pd.to_datetime(values))
    return pd.Series(map_unique(v, lambda d: d.strftime("%Y%m%d")),
                     index=v.index, dtype=object)


@dataclass(frozen=True)
class Envelope:
    """What the ISA and GS headers need (ids already cleaned by `Envelope.make`)."""

    sender_id: str
    receiver_id: str
    usage: str  # T or P
    isa13: int
    gs06: int
    created: datetime
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    functional_id: str = "HC"
    version: str = "005010X222A1"
    ack_requested: str = "0"

    @classmethod
    def make(cls, sender_id: object, receiver_id: object, usage: str, isa13: int, gs06: int,
             created: datetime, **kw) -> Envelope:
        return cls(clean_one(sender_id, MAX["isa_id"]), clean_one(receiver_id, MAX["isa_id"]),
                   "P" if str(usage).upper() == "P" else "T", int(isa13), int(gs06), created, **kw)


def isa(env: Envelope, d: Delimiters = DELIMS) -> str:
    """The fixed-width ISA segment (106 characters with its terminator)."""
    if not 0 < env.isa13 <= 999_999_999:
        raise ValueError(f"ISA13 must be 1..999999999, got {env.isa13}")
    e = d.element
    parts = ["ISA", "00", " " * 10, "00", " " * 10,
             env.sender_qualifier, env.sender_id.ljust(15)[:15],
             env.receiver_qualifier, env.receiver_id.ljust(15)[:15],
             env.created.strftime("%y%m%d"), env.created.strftime("%H%M"),
             d.repetition, "00501", f"{env.isa13:09d}", env.ack_requested, env.usage,
             d.component]
    return e.join(parts) + d.segment


def gs(env: Envelope, d: Delimiters = DELIMS) -> str:
    e = d.element
    return e.join(["GS", env.functional_id, env.sender_id[:15], env.receiver_id[:15],
                   env.created.strftime("%Y%m%d"), env.created.strftime("%H%M"), str(env.gs06),
                   "X", env.version]) + d.segment


def st(st02: str, code: str = "837", version: str = "005010X222A1",
       d: Delimiters = DELIMS) -> str:
    return d.element.join(["ST", code, st02, version]) + d.segment


def se(segment_count: int, st02: str, d: Delimiters = DELIMS) -> str:
    """SE with the number of segments from ST to SE, both included."""
    return d.element.join(["SE", str(segment_count), st02]) + d.segment


def ge(transaction_sets: int, env: Envelope, d: Delimiters = DELIMS) -> str:
    return d.element.join(["GE", str(transaction_sets), str(env.gs06)]) + d.segment


def iea(groups: int, env: Envelope, d: Delimiters = DELIMS) -> str:
    return d.element.join(["IEA", str(groups), f"{env.isa13:09d}"]) + d.segment


def st_control(n: int) -> str:
    """ST02 / BHT03 text of a transaction set control number (at least 4 digits)."""
    return f"{n:04d}"


def segment(*elements: object, d: Delimiters = DELIMS) -> str:
    """One segment from its id and elements; trailing empty elements are dropped."""
    parts = ["" if v is None else str(v) for v in elements]
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return d.element.join(parts) + d.segment
