"""Benchmark the Excel layer (prints its figures; no assertions).

1. CB_CHECK_CODES over a 50,000-row column exactly as xlwings hands it over (2-D list, floats,
   blanks, messy text), one DOS for all rows and one DOS per row. Target: <= 1 s of Python
   (process) time.
2. A job (Scrub claims) over a ~100k-line clinic held as the 2-D lists xlwings reads from the
   sheets, split into table read (sheet values -> normalised tables), engine (the pipeline
   stages) and table write (result sheets -> values, formats, fills, tables). The workbook is
   the synthetic demo clinic with its Claims tiled to the requested size (new claim ids); the
   xlwings Book is an in-memory stand-in, so the figures leave out Excel's own COM transfer.

    python benchmarks/bench_addin.py [--lines 100000] [--rows 50000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "addin")]

import claimbook_jobs as J
import claimbook_xl as X
import xl_writer as W

AS_OF = dt.date(2026, 11, 29)


def timed(fn, *args, **kw) -> tuple[Any, float, float]:
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args, **kw)
    return out, time.perf_counter() - w, time.process_time() - c


def bench_column(rows: int) -> None:
    from claimbook.codesets import icd_table

    rng = np.random.default_rng(1)
    t = icd_table()
    codes = np.array(list(t.index)[:: max(1, len(t.index) // 4000)], dtype=object)[:4000]
    picks = rng.choice(codes, rows)
    col: list[list[Any]] = []
    for i, c in enumerate(picks):
        k = i % 20
        if k == 0:
            col.append([None])
        elif k == 1:
            col.append([f" {c.lower()} "])
        elif k == 2:
            col.append([1234.0])
        else:
            col.append([c[:3] + "." + c[3:] if len(c) > 3 else c])
    dos = [[dt.datetime(2025, 10, 1) + dt.timedelta(days=int(d))]
           for d in rng.integers(0, 365, rows)]
    X.CB_CHECK_CODES(col[:100], "icd10", dos[:100])  # load the code set once
    out, wall, cpu = timed(X.CB_CHECK_CODES, col, "icd10", dt.datetime(2026, 3, 2))
    ok = sum(r[0] == "OK" for r in out)
    print(f"CB_CHECK_CODES, {rows:,} rows, {len(set(picks)):,} distinct codes, one DOS: "
          f"{cpu:.3f} s Python (process) time, {wall:.3f} s wall; {ok:,} OK")
    out, wall, cpu = timed(X.CB_CHECK_CODES, col, "icd10", dos)
    print(f"CB_CHECK_CODES, {rows:,} rows, a DOS per row (365 distinct):  "
          f"{cpu:.3f} s Python (process) time, {wall:.3f} s wall")
    npis = [[1234567893.0], ["1234567890"], [None], ["12345"]] * (rows // 4)
    _, wall, cpu = timed(X.CB_NPI, npis)
    print(f"CB_NPI, {rows:,} rows: {cpu:.3f} s Python time")
    when = [[dt.datetime(2026, 1, 1) + dt.timedelta(days=i % 300)] for i in range(rows)]
    _, wall, cpu = timed(X.CB_AGING_BUCKET, when, dt.datetime(2026, 11, 29))
    print(f"CB_AGING_BUCKET, {rows:,} rows: {cpu:.3f} s Python time")


# --- the job over a big workbook ----------------------------------------------------------------

class _Range:
    def __init__(self, sheet: _Sheet, r: int, c: int, r2: int | None = None,
                 c2: int | None = None) -> None:
        self.sheet, self.row, self.column = sheet, r, c
        self.r2, self.c2 = r2 or r, c2 or c

    def options(self, **_: Any) -> _Range:
        return self

    @property
    def value(self) -> Any:
        return [row[self.column - 1:self.c2] for row in self.sheet.rows[self.row - 1:self.r2]]

    @value.setter
    def value(self, v: Any) -> None:
        self.sheet.written += len(v) if isinstance(v, list) else 1

    @property
    def last_cell(self) -> _Range:
        return _Range(self.sheet, len(self.sheet.rows) or 1,
                      max((len(r) for r in self.sheet.rows), default=1))

    def __setattr__(self, k: str, v: Any) -> None:  # formats, colours, widths: accepted
        object.__setattr__(self, k, v)

    @property
    def font(self) -> _Range:
        return self


class _Sheet:
    def __init__(self, name: str, rows: list[list[Any]]) -> None:
        self.name, self.rows, self.written = name, rows, 0

    @property
    def used_range(self) -> _Range:
        return _Range(self, 1, 1)

    def range(self, a: Any, b: Any = None) -> _Range:
        if isinstance(a, tuple) and b is not None:
            return _Range(self, a[0], a[1], b[0], b[1])
        if isinstance(a, tuple):
            return _Range(self, a[0], a[1])
        return _Range(self, 1, 1)

    def delete(self) -> None:
        self.book.sheets.items.remove(self)

    def activate(self) -> None:
        pass

    class tables:
        @staticmethod
        def add(**_: Any) -> None:
            pass


class _Sheets:
    def __init__(self, book: _Book) -> None:
        self.book, self.items = book, []

    def __iter__(self):
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, k: int | str) -> _Sheet:
        return self.items[k] if isinstance(k, int) else next(
            s for s in self.items if s.name == k)

    def add(self, name: str, before: _Sheet | None = None, after: _Sheet | None = None
            ) -> _Sheet:
        s = _Sheet(name, [])
        s.book = self.book
        i = self.items.index(before) if before else len(self.items)
        self.items.insert(i, s)
        return s


class _Window:
    """Excel's ActiveWindow (Windows COM) as far as freeze panes go: accepts the settings."""

    FreezePanes = False
    SplitColumn = 0
    SplitRow = 0


class _App:
    def __init__(self) -> None:
        self.api = type("Api", (), {"ActiveWindow": _Window()})()

    def alert(self, *_: Any, **__: Any) -> None:
        pass


class _Book:
    """In-memory stand-in for an xlwings Book whose sheets hold 2-D value lists."""

    name = "clinic.xlsx"
    fullname = ""

    def __init__(self, sheets: dict[str, list[list[Any]]]) -> None:
        self.app = _App()
        self.sheets = _Sheets(self)
        for n, rows in sheets.items():
            s = _Sheet(n, rows)
            s.book = self
            self.sheets.items.append(s)


def _cells(frame: pd.DataFrame, columns: list) -> list[list[Any]]:
    rows = [[c.header for c in columns]]
    cols = []
    for c in columns:
        s = frame[c.name] if c.name in frame else pd.Series([None] * len(frame))
        vals = s.astype(object).where(s.notna(), None).tolist()
        cols.append([v.to_pydatetime() if isinstance(v, pd.Timestamp) else
                     float(v) if isinstance(v, int | np.integer) and not isinstance(v, bool)
                     else v for v in vals])
    rows += [list(r) for r in zip(*cols, strict=True)]
    return rows


def clinic_values(lines: int) -> dict[str, list[list[Any]]]:
    from claimbook.demo import build_tables
    from claimbook.schemas import PRACTICE, all_tables

    tables, practice, _ = build_tables(800, seed=3, as_of=AS_OF, defects=True)
    claims = tables["Claims"]
    copies = max(1, -(-lines // len(claims)))
    parts = []
    for k in range(copies):
        c = claims.copy()
        c["claim_id"] = c["claim_id"].astype(str) + (f"-{k}" if k else "")
        parts.append(c)
    tables["Claims"] = pd.concat(parts, ignore_index=True).iloc[:lines]
    sheets = {"Practice": [["Setting", "Value"]] + [[c.header, practice.get(c.name)]
                                                    for c in PRACTICE.columns]}
    for schema in all_tables():
        if schema.key_value:
            continue
        frame = tables.get(schema.name, pd.DataFrame())
        sheets[schema.name] = _cells(frame, list(schema.columns))
    return sheets


def bench_job(lines: int) -> None:
    t = time.perf_counter()
    values = clinic_values(lines)
    n = len(values["Claims"]) - 1
    print(f"\nclinic of {n:,} service lines prepared in {time.perf_counter() - t:.1f} s "
          "(not part of the job)")
    for key in ("scrub_claims", "aging_report"):
        book = _Book(values)
        r, wall, cpu = timed(J.run_job, key, book, as_of=AS_OF.isoformat(), quiet=True)
        if not r.ok:
            print(r.message)
        s = r.seconds
        read = s.get("read sheets", 0) + s.get("read tables", 0)
        write = s.get("write sheets", 0)
        print(f"{J.JOBS[key].name:>15}: table read {read:6.2f} s | engine "
              f"{s.get('engine', 0):6.2f} s | table write {write:6.2f} s | total {wall:6.2f} s"
              f" wall, {cpu:6.2f} s CPU; sheets {', '.join(r.sheets)}")
    # the write step on its own: ResultSheet -> plan (values, formats, fills)
    book = _Book(values)
    J.run_job("validate_codes", book, as_of=AS_OF.isoformat(), quiet=True)
    from claimbook.io.reader import read_book_from_values
    from claimbook.pipeline import run_stages
    from claimbook.runner import make_context

    ctx = make_context(read_book_from_values(values), workbook=None, as_of=AS_OF.isoformat(),
                       ledger=None, out_dir=None, options={"link_prefix": "#"})
    run_stages(ctx, only={"validate", "scrub", "findings"})
    for name, sheet in ctx.results.items():
        p, wall, _ = timed(W.plan, sheet)
        cells = sum(len(b.values) * len(b.values[0]) for b in p.blocks if b.values)
        print(f"  plan '{name}': {cells:,} cells, {len(p.formats)} format ranges, "
              f"{sum(len(v) for v in p.fills.values())} colour ranges in {wall:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--lines", type=int, default=100_000)
    a = ap.parse_args()
    bench_column(a.rows)
    bench_job(a.lines)


if __name__ == "__main__":
    main()
