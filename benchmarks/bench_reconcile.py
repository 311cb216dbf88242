"""Benchmark: parse, match and post 100,000 claim payments (target <= 5 s).

Builds a synthetic book (100k claims, 150k lines) and 835 files answering every claim (paid
with CO-45 and PR-2/PR-3, some denials, a PLB per file), then times `read_remittances` (parse),
matching and posting into a fresh ledger file (one transaction, executemany), and the exceptions
queue. Prints claims/s and peak memory. Optional: `--compare` also times oxedi and x12sdk on
the same text when they are installed (they are not project dependencies).

Run: .venv/bin/python benchmarks/bench_reconcile.py [--claims 100000] [--compare]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from claimbook.book import Book, PracticeSettings
from claimbook.ledger import Ledger

TARGET_S = 5.0


def make_book(n: int, rng: np.random.Generator) -> Book:
    two = rng.random(n) < 0.5
    claim_idx = np.repeat(np.arange(n), np.where(two, 2, 1))
    line_no = pd.Series(claim_idx).groupby(claim_idx).cumcount().to_numpy() + 1
    codes = np.where(line_no == 1, "99213", "85025")
    charge = np.where(line_no == 1, 120.0, 80.0)
    dos = pd.Timestamp("2026-01-02") + pd.to_timedelta(claim_idx % 60, unit="D")
    ids = np.char.add("C", claim_idx.astype(str))
    claims = pd.DataFrame({
        "claim_id": ids, "line_no": pd.array(line_no, dtype="Int64"),
        "patient": np.char.add("P", (claim_idx % 20000).astype(str)), "payer_id": "ACME",
        "dos_from": dos, "code": codes, "mod1": np.where(line_no == 1, "25", None),
        "mod2": None, "mod3": None, "mod4": None, "charge": charge, "units": 1.0,
        "original_claim_number": None, "submitted_on": dos + pd.Timedelta(days=1),
        "_row": np.arange(2, 2 + len(claim_idx))})
    fees = pd.DataFrame({"payer_id": ["ACME", "ACME"], "code": ["99213", "85025"],
                         "modifier": [None, None], "allowed": [100.0, 60.0], "_row": [2, 3]})
    return Book(tables={"Claims": claims, "FeeSchedule": fees}, practice=PracticeSettings())


def make_835(book: Book, files: int) -> list[str]:
    """Plain string building (not timed)."""
    c = book.tables["Claims"]
    texts = []
    groups = np.array_split(c["claim_id"].unique(), files)
    by_claim = {k: g for k, g in c.groupby("claim_id", sort=False)}
    for f, ids in enumerate(groups):
        seg = []
        total = 0
        for i, cid in enumerate(ids):
            lines = by_claim[cid]
            deny = i % 20 == 0
            svc, paid_sum, pr_sum, charge_sum = [], 0, 0, 0
            for ln in lines.itertuples(index=False):
                ch = round(ln.charge * 100)
                charge_sum += ch
                mods = ":25" if ln.line_no == 1 else ""
                dos = ln.dos_from.strftime("%Y%m%d")
                if deny:
                    svc += [f"SVC*HC:{ln.code}{mods}*{ch / 100:.2f}*0**1", f"DTM*472*{dos}",
                            f"CAS*CO*16*{ch / 100:.2f}", f"REF*6R*{cid}-{ln.line_no}"]
                    continue
                allowed = 10000 if ln.code == "99213" else 6000
                pr = 2000 if ln.line_no == 1 else 1200
                paid = allowed - pr
                paid_sum += paid
                pr_sum += pr
                grp = "3" if ln.line_no == 1 else "2"
                svc += [f"SVC*HC:{ln.code}{mods}*{ch / 100:.2f}*{paid / 100:.2f}**1",
                        f"DTM*472*{dos}", f"CAS*CO*45*{(ch - allowed) / 100:.2f}",
                        f"CAS*PR*{grp}*{pr / 100:.2f}", f"REF*6R*{cid}-{ln.line_no}",
                        f"AMT*B6*{allowed / 100:.2f}"]
            status = "4" if deny else "1"
            seg.append(f"CLP*{cid}*{status}*{charge_sum / 100:.2f}*{paid_sum / 100:.2f}*"
                       f"{pr_sum / 100:.2f}*12*ICN{cid}")
            seg.append(f"NM1*QC*1*PATIENT*TEST****MI*M{cid}")
            seg += svc
            total += paid_sum
        total -= 2500
        head = [f"ST*835*{f + 1:04d}",
                (f"BPR*I*{total / 100:.2f}*C*ACH*CCP*01*999999999*DA*1*1512345678**01*9*DA*9*"
                "20260301"), f"TRN*1*BENCH{f:04d}*1512345678", "N1*PR*ACME HEALTH*XV*ACME", "N3*PO BOX 1000", "N4*HARTFORD*CT*06101",
                "N1*PE*BENCH CLINIC*XX*1234567893", "LX*1"]
        body = head + seg + ["PLB*1234567893*20261231*WO:R1*25.00"]
        body.append(f"SE*{len(body) + 1}*{f + 1:04d}")
        isa = (f"ISA*00*          *00*          *ZZ*{'PAYER':<15}*ZZ*{'CLINIC':<15}*260301*1200*"
               f"^*00501*{f + 1:09d}*0*T*:")
        texts.append("~\n".join([isa, f"GS*HP*PAYER*CLINIC*20260301*1200*{f + 1}*X*005010X221A1",
                                 *body, f"GE*1*{f + 1}", f"IEA*1*{f + 1:09d}"]) + "~\n")
    return texts


def compare(text: str, claims: int) -> None:
    """Time third-party 835 parsers on the same text, when installed (not dependencies)."""
    from claimbook.x12.x835 import parse_text

    t = time.perf_counter()
    parse_text(text, "bench.835")
    print(f"claimbook x835 ({claims:,} claims -> 6 DataFrames): {time.perf_counter() - t:.2f} s")
    try:
        import oxedi

        t = time.perf_counter()
        res = oxedi.parse(text.encode("latin-1"))
        t_parse = time.perf_counter() - t
        names = list(res.tables.keys())
        print(f"oxedi {oxedi.__version__}: parse {t_parse:.2f} s into {len(names)} tables "
              f"({', '.join(names[:8])}...)")
        try:
            t = time.perf_counter()
            res.tables.to_pandas()
            print(f"oxedi to_pandas: {time.perf_counter() - t:.2f} s")
        except ImportError as exc:
            print(f"oxedi to_pandas: not measured ({exc})")
    except Exception as exc:  # noqa: BLE001 - optional comparison only
        print(f"oxedi: not measured ({type(exc).__name__}: {exc})")
    try:
        from x12sdk.io import X12ModelReader

        t = time.perf_counter()
        with X12ModelReader(text) as r:
            models = list(r.models())
        print(f"x12sdk: {time.perf_counter() - t:.2f} s ({len(models)} pydantic models)")
    except Exception as exc:  # noqa: BLE001
        print(f"x12sdk: not measured ({type(exc).__name__}: {exc})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--compare", action="store_true", help="Only compare parsers on one "
                    "file (needs oxedi / x12sdk installed).")
    a = ap.parse_args()
    rng = np.random.default_rng(1)
    book = make_book(a.claims, rng)
    texts = make_835(book, a.files)
    if a.compare:
        compare(texts[0], a.claims // a.files)
        return 0
    tmp = Path(tempfile.mkdtemp())
    paths = []
    for i, t in enumerate(texts):
        p = tmp / f"bench_{i}.835"
        p.write_text(t)
        paths.append(p)
    print(f"{a.claims:,} claims, {len(book.tables['Claims']):,} lines, {len(paths)} files, "
          f"{sum(len(t) for t in texts) / 1e6:.1f} MB of 835")

    from claimbook.reconcile import import_era, read_remittances, reconcile

    ledger = Ledger(tmp / "ledger.sqlite")
    c0, t0 = time.process_time(), time.perf_counter()
    era, raw, errors = read_remittances(paths)
    c1, t1 = time.process_time(), time.perf_counter()
    result = import_era(book, era, ledger, raw)
    c2, t2 = time.process_time(), time.perf_counter()
    assert not errors and era.imbalances.empty, errors
    assert result.claims_posted == a.claims
    total = t2 - t0
    print(f"parse: {t1 - t0:.2f} s   match + post: {t2 - t1:.2f} s   total: {total:.2f} s "
          f"({a.claims / total:,.0f} claims/s)   target <= {TARGET_S:.1f} s: "
          f"{'met' if total <= TARGET_S else 'NOT met'}")
    print(f"CPU time (this process; the machine is shared): parse {c1 - c0:.2f} s, match + "
          f"post {c2 - c1:.2f} s, total {c2 - c0:.2f} s")
    c3, t3 = time.process_time(), time.perf_counter()
    r = reconcile(book, None, ledger, pd.Timestamp("2026-04-15"))
    c4, t4 = time.process_time(), time.perf_counter()
    print(f"balances + exceptions queue over the ledger: {t4 - t3:.2f} s (CPU {c4 - c3:.2f} s, "
          f"{len(r.exceptions):,} exception rows)")
    c5, t5 = time.process_time(), time.perf_counter()
    again = import_era(book, era, ledger, raw)
    print(f"re-import (all duplicates, nothing posted): {time.perf_counter() - t5:.2f} s "
          f"(CPU {time.process_time() - c5:.2f} s), {len(again.duplicates)} remittances "
          "reported as already posted")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:,.0f} MB; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    return 0 if total <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
