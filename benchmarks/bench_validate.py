"""Code validation benchmark (issue: all code checks over 1,000,000 lines in <= 3 s; >= 20x a
plain loop calling simple-icd-10-cm per code; import + first ICD lookup <= 0.3 s, <= 60 MB).

    python benchmarks/bench_validate.py [--lines 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd


def first_lookup() -> tuple[float, float]:
    code = ("import time, tracemalloc; tracemalloc.start(); t=time.perf_counter(); "
            "import claimbook; from claimbook.codesets.lookup import check_icd; "
            "check_icd('E11.9'); print(time.perf_counter()-t, tracemalloc.get_traced_memory()[1])")
    code_fast = ("import time; t=time.perf_counter(); import claimbook; "
                 "from claimbook.codesets.lookup import check_icd; check_icd('E11.9'); "
                 "print(time.perf_counter()-t)")
    secs = sorted(float(subprocess.run([sys.executable, "-c", code_fast], capture_output=True,
                                       text=True, check=True).stdout) for _ in range(3))
    peak = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split()[1])
    return secs[1], peak / 1e6


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    args = ap.parse_args()
    from claimbook.demo import build_tables
    from claimbook.io.reader import read_book_from_frames
    from claimbook.validate import validate_claims

    t, mb = first_lookup()
    print(f"import claimbook + first ICD lookup: {t:.3f} s (target <= 0.3 s), "
          f"{mb:.1f} MB traced (target <= 60 MB)")
    # a 2,000-claim demo clinic (seeded defects included), replicated to the line count
    tables, practice, _ = build_tables(claims=2000, seed=3, as_of=dt.date(2026, 11, 29))
    book = read_book_from_frames(tables, practice)
    claims = book.tables["Claims"]
    reps = max(1, round(args.lines / len(claims)))
    big = pd.concat([claims.assign(claim_id=claims["claim_id"] + f"-{i}") for i in range(reps)],
                    ignore_index=True)
    big["_row"] = np.arange(2, 2 + len(big))
    book.tables["Claims"] = big
    book.changes = pd.DataFrame()
    print(f"{len(big):,} service lines, {big['claim_id'].nunique():,} claims")
    validate_claims(book)  # warm-up (loads the code sets)
    t0, c0 = time.perf_counter(), time.process_time()
    f = validate_claims(book)
    sec, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"all code checks: {sec:.2f} s = {len(big) / sec:,.0f} lines/s (target <= 3 s for "
          f"1,000,000 lines); {len(f):,} findings")
    print(f"  CPU time of that run: {cpu:.2f} s (wall time also counts waiting for a core: "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    by_rule = f["rule"].value_counts()
    print("findings by rule: " + ", ".join(f"{r} {n:,}" for r, n in by_rule.items()))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process (table + validation): {rss:,.0f} MB")

    from claimbook.validate_hcpcs import hcpcs_findings

    t0 = time.perf_counter()
    hf = hcpcs_findings(big)
    print(f"of which HCPCS existence + DOS validity: {time.perf_counter() - t0:.2f} s, "
          f"{len(hf):,} findings")

    # the plain loop: simple-icd-10-cm per diagnosis code, on a sample, extrapolated
    dx_cols = [f"dx{i}" for i in range(1, 13)]
    codes = pd.Series(big[dx_cols].to_numpy().ravel()).dropna().astype(str).tolist()
    # both sides in CPU time of this process, so other work on the machine does not skew it
    t0 = time.process_time()
    import simple_icd_10_cm as icd

    load = time.process_time() - t0
    sample = codes[:20_000]

    def loop(questions) -> float:
        t0 = time.process_time()
        for c in sample:
            questions(c)
        return (time.process_time() - t0) / len(sample)

    def validity(c: str) -> None:
        _ = icd.is_valid_item(c) and icd.is_leaf(c)

    def same_questions(c: str) -> None:  # what the validator answers per code
        if icd.is_valid_item(c):
            _ = (icd.is_leaf(c), icd.get_description(c), icd.get_excludes1(c),
                 [icd.get_excludes1(a) for a in icd.get_ancestors(c)])

    # the same work on ClaimBook's side: its ICD-10-CM checks alone (validity by DOS, billable,
    # headers, 7th character, first-listed, age/sex, Excludes1 pairs, unused diagnoses)
    from claimbook import validate as V

    run = V._start(book)
    ptr = V._pointer_info(run)
    t0 = time.process_time()
    V._diagnoses(run, ptr)
    icd_sec = time.process_time() - t0
    print(f"ClaimBook's ICD-10-CM checks alone over the same lines: {icd_sec:.2f} s CPU")
    ratio = {}
    for label, fn in (("validity only", validity), (("valid, billable, description, Excludes1 "
                                                    "notes of the code and its ancestors"),
                                                    same_questions)):
        per_code = loop(fn)
        total = load + per_code * len(codes)
        ratio[label] = total / icd_sec
        print(f"plain loop with simple-icd-10-cm ({label}), CPU: import {load:.1f} s + "
              f"{per_code * 1e6:.1f} us per code x {len(codes):,} codes = {total:.1f} s "
              f"-> ClaimBook's ICD checks are {total / icd_sec:.1f}x faster (target >= 20x); "
              f"every ClaimBook check together is {total / cpu:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
