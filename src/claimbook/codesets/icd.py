"""ICD-10-CM tables by fiscal year, loaded once from data/codesets/icd10cm.tsv.gz.

Scalar lookups use plain Python structures (no pandas import: the first lookup after
`import claimbook` stays well under 0.3 s); the validator builds a pandas Index on demand.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gzip
from array import array
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

YEARS = (2025, 2026, 2027)  # fiscal years with validity data (CMS Medicare Code Editor)
AGE_PROBES = (0, 1, 11, 12, 14, 15, 17, 18, 55, 56, 64, 65, 124)


def fiscal_year(day: dt.date) -> int:
    """ICD-10-CM fiscal year of a date: FY2026 = 2025-10-01 .. 2026-09-30."""
    return day.year + (1 if day.month >= 10 else 0)


def year_column(fy: int) -> int:
    """The shipped year used for a fiscal year (older DOS use the oldest, newer the newest)."""
    return min(max(fy, YEARS[0]), YEARS[-1])


@dataclass
class IcdTable:
    codes: list[str]  # sorted, without dots
    index: dict[str, int]
    billable: dict[int, bytearray]  # fiscal year -> 1 when billable and valid that year
    manifestation: bytearray
    age_mask: array
    desc: list[str]

    def find(self, code: str) -> int:
        return self.index.get(code.replace(".", "").upper().strip(), -1)

    def descendants(self, code: str) -> range:
        """Index range of the codes that start with `code` (itself included)."""
        c = code.replace(".", "")
        lo = bisect.bisect_left(self.codes, c)
        hi = bisect.bisect_left(self.codes, c + "\x7f")
        return range(lo, hi)

    def billable_under(self, code: str, fy: int) -> list[str]:
        col = self.billable[year_column(fy)]
        return [self.codes[i] for i in self.descendants(code) if col[i]]

    def needs_seventh(self, code: str) -> bool:
        """True when billable codes exist that are `code` plus one more (7th) character."""
        c = code.replace(".", "")
        if len(c) != 6:
            return False
        return any(len(self.codes[i]) == 7 and any(self.billable[y][i] for y in YEARS)
                   for i in self.descendants(c))

    def pandas_index(self):
        return _pandas_index(id(self))


@lru_cache(maxsize=1)
def icd_table() -> IcdTable:
    """Load the shipped table (sorted by code, as scripts/build_codesets.py writes it)."""
    path = resources.files("claimbook") / "data" / "codesets" / "icd10cm.tsv.gz"
    codes: list[str] = []
    b25, b26, b27, man = bytearray(), bytearray(), bytearray(), bytearray()
    ages = array("H")
    desc: list[str] = []
    with resources.as_file(path) as p, gzip.open(p, "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            code, _item, f25, f26, f27, mf, mask, text = line[:-1].split("\t", 7)
            codes.append(code)
            b25.append(f25 == "1")
            b26.append(f26 == "1")
            b27.append(f27 == "1")
            man.append(mf == "1")
            ages.append(int(mask))
            desc.append(text)
    return IcdTable(codes, dict(zip(codes, range(len(codes)), strict=True)),
                    {2025: b25, 2026: b26, 2027: b27}, man, ages, desc)


_INDEX_CACHE: dict[int, object] = {}


def _pandas_index(key: int):
    import pandas as pd

    if key not in _INDEX_CACHE:
        _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = pd.Index(icd_table().codes)
    return _INDEX_CACHE[key]


@lru_cache(maxsize=1)
def excludes1() -> list[tuple[str, str, str]]:
    """(code, lo, hi) without dots: codes lo..hi are Excludes1 for `code` and its children."""
    path = resources.files("claimbook") / "data" / "codesets" / "icd10cm_excludes1.tsv.gz"
    with resources.as_file(path) as p, gzip.open(p, "rt", encoding="utf-8") as f:
        next(f)
        return [tuple(line.rstrip("\n").split("\t")) for line in f]  # type: ignore[misc]


def age_bin(age: int) -> int:
    """Index of the age probe that stands for `age` (the largest probe <= age)."""
    return max(bisect.bisect_right(AGE_PROBES, max(age, 0)) - 1, 0)


@lru_cache(maxsize=1)
def excludes1_index() -> dict[str, list[tuple[str, str]]]:
    """Code (no dot) -> its Excludes1 ranges (lo, hi), from `excludes1()`."""
    out: dict[str, list[tuple[str, str]]] = {}
    for code, lo, hi in excludes1():
        out.setdefault(code, []).append((lo, hi))
    return out


def excludes1_pair(a: str, b: str) -> bool:
    """True when an Excludes1 note of code `a` or of an ancestor (its 3-7 character prefixes)
    covers code `b` (both without dots): b, cut to the range's lengths, lies in lo..hi."""
    ex = excludes1_index()
    return any(b[:len(lo)] >= lo and b[:len(hi)] <= hi
               for n in range(3, min(len(a), 7) + 1) for lo, hi in ex.get(a[:n], ()))
