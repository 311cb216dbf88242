"""Foundation benchmark: generate demo clinics, read them, run every stage.

    python benchmarks/bench_pipeline.py            # 10k and 100k service lines
    python benchmarks/bench_pipeline.py --million  # also 1M lines (fast pickle format)

Prints seconds and peak memory per stage, and reading 100k lines with python-calamine vs
openpyxl side by side. Peak memory is the growth of the process's peak RSS during the stage
(ru_maxrss), so a later stage that needs less than an earlier one shows 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import resource
import sys
import tempfile
import time
from pathlib import Path

AS_OF = dt.date(2026, 11, 29)
LINES_PER_CLAIM = 1.9  # the demo's average


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Stopwatch:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, float, float]] = []

    def measure(self, size: str, label: str, fn):
        gc.collect()
        before = rss_mb()
        t = time.perf_counter()
        out = fn()
        sec = time.perf_counter() - t
        self.rows.append((size, label, sec, max(0.0, rss_mb() - before)))
        print(f"  {size:>5} {label:<34} {sec:8.2f} s   peak +{self.rows[-1][3]:7.1f} MB",
              flush=True)
        return out


def read_with_openpyxl(path: Path):
    from openpyxl import load_workbook

    from claimbook.io.reader import read_book_from_values

    wb = load_workbook(path, read_only=True, data_only=True)
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}
    wb.close()
    return read_book_from_values(sheets)


def run_stages(book, sw: Stopwatch, size: str, folder: Path) -> None:
    from claimbook.ledger import Ledger
    from claimbook.pipeline import RunContext, run_stages as run, stages

    ledger = Ledger(folder / "bench-ledger.sqlite")
    ctx = RunContext(book=book, as_of=__import__("pandas").Timestamp(AS_OF), ledger=ledger,
                     workbook_path=folder / "clinic.xlsx", out_dir=folder,
                     options={"dry_run": True, "era_files": []})
    for st in stages():
        sw.measure(size, f"stage {st.name}", lambda st=st: run(ctx, only={st.name}))
    for name, problem in ctx.errors:
        print(f"  !! stage {name} failed: {problem}")
    ledger.close()
    return ctx


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--million", action="store_true", help="also 1,000,000 lines")
    ap.add_argument("--sizes", default="10000,100000")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    from claimbook.demo import generate
    from claimbook.io.reader import read_book, read_book_from_frames
    from claimbook.io.writer import write_results
    from claimbook.runner import ordered_sheets

    sw = Stopwatch()
    print(f"ClaimBook foundation benchmark ({sys.platform}, python {sys.version.split()[0]})")
    with tempfile.TemporaryDirectory() as tmp:
        for lines in sizes:
            size = f"{lines // 1000}k"
            folder = Path(tmp) / size
            claims = int(lines / LINES_PER_CLAIM)
            res = sw.measure(size, "generate demo + write xlsx", lambda: generate(
                folder, claims=claims, seed=1, as_of=AS_OF, remits=False))
            print(f"        ({res.lines:,} lines, {res.claims:,} claims, "
                  f"{res.workbook.stat().st_size / 1e6:.1f} MB xlsx)")
            book = sw.measure(size, "read (python-calamine)", lambda: read_book(res.workbook))
            if lines <= 100_000:
                sw.measure(size, "read (openpyxl read-only)",
                           lambda: read_with_openpyxl(res.workbook))
            ctx = run_stages(book, sw, size, folder)
            sw.measure(size, "write results workbook", lambda: write_results(
                folder / "results.xlsx", ordered_sheets(ctx.results)))
        if args.million:
            import pickle

            folder = Path(tmp) / "1M"
            res = sw.measure("1M", "generate demo (pickle)", lambda: generate(
                folder, claims=int(1_000_000 / LINES_PER_CLAIM), seed=1, as_of=AS_OF,
                remits=False, xlsx=False))
            data = pickle.loads(res.tables_pickle.read_bytes())
            book = sw.measure("1M", "normalise tables", lambda: read_book_from_frames(
                data["tables"], data["practice"]))
            run_stages(book, sw, "1M", folder)
    print()
    by = {(s, l): sec for s, l, sec, _ in sw.rows}
    for size in [f"{n // 1000}k" for n in sizes]:
        cal = by.get((size, "read (python-calamine)"))
        opx = by.get((size, "read (openpyxl read-only)"))
        if cal and opx:
            print(f"Reading {size} lines: calamine {cal:.2f} s vs openpyxl {opx:.2f} s "
                  f"({opx / cal:.1f}x faster with calamine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
