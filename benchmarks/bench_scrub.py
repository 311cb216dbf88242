"""Benchmark: every scrub rule over a synthetic 1,000,000-line workbook.

Builds the Book directly with numpy (synthetic patients only; no workbook file), with every
optional table loaded (FeeSchedule, CPTCodes with add-on and E/M flags, 200,000 NCCI pairs,
MUE), secondary coverage and a share of seeded problems, then times `scrub_claims`.
Prints rows/s and the process's peak memory against the issue's targets
(<= 10 s, <= 3 GB). Usage: python benchmarks/bench_scrub.py [LINES]
"""

from __future__ import annotations

import os
import resource
import sys
import time

import numpy as np
import pandas as pd

from claimbook.book import Book, PracticeSettings, TableSource
from claimbook.schemas import table

TARGET_SECONDS = 10.0
TARGET_GB = 3.0
AS_OF = pd.Timestamp("2026-11-29")


def _frame(name: str, cols: dict) -> pd.DataFrame:
    schema = table(name)
    n = len(next(iter(cols.values())))
    out = {"_row": np.arange(2, n + 2)}
    for c in schema.columns:
        if c.name in cols:
            out[c.name] = cols[c.name]
        elif c.kind == "date":
            out[c.name] = np.full(n, np.datetime64("NaT"), "datetime64[ns]")
        elif c.kind in ("money", "number", "percent"):
            out[c.name] = np.full(n, np.nan)
        elif c.kind == "int":
            out[c.name] = pd.array([pd.NA] * n, dtype="Int64")
        elif c.kind == "bool":
            out[c.name] = pd.array([pd.NA] * n, dtype="boolean")
        else:
            out[c.name] = np.full(n, None, dtype=object)
    df = pd.DataFrame(out)
    from openpyxl.utils import get_column_letter

    df.attrs["columns"] = {c.name: get_column_letter(i + 1) for i, c in enumerate(schema.columns)}
    df.attrs["sheet"] = name
    return df


def build(n_lines: int, seed: int = 1) -> Book:
    rng = np.random.default_rng(seed)
    n_claims = n_lines * 2 // 5
    n_pat = max(1000, n_claims // 3)
    # visit templates (codes, modifiers, units) like a family practice's, 1-4 lines each
    tpl = [
        [("99213", None, 1)],
        [("99214", None, 1), ("36415", None, 1), ("80053", None, 1), ("85025", None, 1)],
        [("99213", "25", 1), ("96372", None, 1), ("J1100", None, 4)],
        [("99214", "25", 1), ("20610", "RT", 1)],
        [("99213", "25", 1), ("93000", None, 1)],
        [("17000", None, 1), ("17003", None, 3)],
        [("90686", None, 1), ("90471", None, 1)],
        [("RARE", None, 1)],
    ]
    weights = np.array([30, 20, 10, 8, 8, 6, 8, 10], float)
    width = 4
    t_code = np.array([[x[0] for x in t] + [None] * (width - len(t)) for t in tpl], dtype=object)
    t_mod = np.array([[x[1] for x in t] + [None] * (width - len(t)) for t in tpl], dtype=object)
    t_units = np.array([[x[2] for x in t] + [1] * (width - len(t)) for t in tpl], dtype=float)
    t_size = np.array([len(t) for t in tpl])
    mean = float((t_size * weights).sum() / weights.sum())
    n_claims = int(n_lines / mean * 1.05) + 10
    c_tpl = rng.choice(len(tpl), n_claims, p=weights / weights.sum())
    sizes = t_size[c_tpl]
    keep = np.cumsum(sizes) <= n_lines
    c_tpl, sizes = c_tpl[keep], sizes[keep]
    if sizes.sum() < n_lines:  # top up with one-line visits
        extra = n_lines - int(sizes.sum())
        c_tpl = np.r_[c_tpl, np.zeros(extra, dtype=c_tpl.dtype)]
        sizes = np.r_[sizes, np.ones(extra, dtype=sizes.dtype)]
    n_claims = len(sizes)
    n_pat = max(1000, n_claims // 3)
    cc = np.repeat(np.arange(n_claims), sizes)
    j = np.arange(n_lines) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    line_no = j + 1
    claim_ids = np.array([f"C{i:07d}" for i in range(n_claims)], dtype=object)
    pats = np.array([f"P{i:06d}" for i in range(n_pat)], dtype=object)
    c_pat = rng.integers(0, n_pat, n_claims)
    payers = np.array(["MCR", "MCAID", "SUMMT", "BLUER", "HARBR", "SELF"], dtype=object)
    p_payer = rng.choice(6, n_pat, p=[0.3, 0.15, 0.2, 0.15, 0.15, 0.05])
    c_payer = p_payer[c_pat]
    back = rng.integers(1, 400, n_claims)
    c_dos = (AS_OF - pd.to_timedelta(back, unit="D")).to_numpy()
    common = sorted({x[0] for t in tpl for x in t if x[0] != "RARE"})
    rare = [str(x) for x in rng.choice(np.arange(10000, 99999), 3000, replace=False)
            if str(x) not in common]
    vocab = np.array(common + rare, dtype=object)
    code = t_code[c_tpl[cc], j]
    is_rare = code == "RARE"
    code[is_rare] = np.array(rare, dtype=object)[rng.integers(0, len(rare), int(is_rare.sum()))]
    mod1 = t_mod[c_tpl[cc], j]
    units = t_units[c_tpl[cc], j]
    fee = dict(zip(vocab, np.round(rng.uniform(10, 400, len(vocab)), 2), strict=True))
    charge = np.round(np.vectorize(fee.get, otypes=[float])(code) * units, 2)
    # seeded problems, about 1 line in 100
    u = rng.random(n_lines)
    charge[u < 0.001] = 0.0
    mod1[(u >= 0.001) & (u < 0.004) & (mod1 == "25")] = None  # E/M without 25
    fifty = (u >= 0.004) & (u < 0.006) & (mod1 == "RT")
    mod1[fifty], units[fifty] = "50", 2.0
    dup = (u >= 0.006) & (u < 0.009) & (j > 0)
    code[dup], mod1[dup] = code[np.flatnonzero(dup) - 1], mod1[np.flatnonzero(dup) - 1]
    charge[(u >= 0.009) & (u < 0.010)] += 20.0
    pos = np.full(n_lines, "11", dtype=object)
    pos[(u >= 0.010) & (u < 0.011)] = None
    npis = np.array(["1234567893", "1245319599", "1326041295", "1417950317"], dtype=object)
    dos = c_dos[cc]
    submitted = np.where(back[cc] > 21, dos + np.timedelta64(3, "D"),
                         np.datetime64("NaT")).astype("datetime64[ns]")
    claims = _frame("Claims", {
        "claim_id": claim_ids[cc], "line_no": pd.array(line_no, dtype="Int64"),
        "patient": pats[c_pat][cc], "payer_id": payers[c_payer][cc],
        "rendering_npi": npis[rng.integers(0, 4, n_claims)][cc],
        "pos": pos, "dos_from": dos,
        "dx1": np.full(n_lines, "I10", dtype=object), "code": code, "mod1": mod1,
        "pointers": np.full(n_lines, "1", dtype=object), "units": units, "charge": charge,
        "claim_total": np.round(np.bincount(cc, weights=charge)[cc], 2),
        "frequency": np.full(n_lines, "1", dtype=object), "submitted_on": submitted,
        "prior_auth": np.where(rng.random(n_lines) < 0.5, "AUTH1", None).astype(object)})
    patients = _frame("Patients", {
        "account": pats, "last_name": np.full(n_pat, "Synthetic", dtype=object),
        "first_name": np.full(n_pat, "Pat", dtype=object),
        "dob": (AS_OF - pd.to_timedelta(rng.integers(365, 90 * 365, n_pat), unit="D")
                ).to_numpy(),
        "sex": np.where(rng.random(n_pat) < 0.5, "F", "M").astype(object),
        "address": np.full(n_pat, "1 Main St", dtype=object),
        "city": np.full(n_pat, "Springfield", dtype=object),
        "state": np.full(n_pat, "MA", dtype=object), "zip": np.full(n_pat, "01103", dtype=object)})
    insured = np.flatnonzero(payers[p_payer] != "SELF")
    sec = insured[rng.random(len(insured)) < 0.2]
    cov_pat = np.r_[insured, sec]
    cov_payer = np.r_[payers[p_payer[insured]], np.full(len(sec), "BLUER", dtype=object)]
    member = np.array([f"M{i:09d}" for i in range(len(cov_pat))], dtype=object)
    member[cov_payer == "MCR"] = "1EG4TE5MK73"
    coverage = _frame("Coverage", {
        "patient": pats[cov_pat], "payer_id": cov_payer.astype(object), "member_id": member,
        "priority": np.r_[np.full(len(insured), "primary", dtype=object),
                          np.full(len(sec), "secondary", dtype=object)],
        "effective_from": np.full(len(cov_pat), np.datetime64("2023-01-01"),
                                  "datetime64[ns]")})
    payer_t = _frame("Payers", {
        "payer_id": payers, "name": payers.copy(),
        "filing_indicator": np.array(["MB", "MC", "CI", "BL", "CI", "09"], dtype=object),
        "timely_filing_days": pd.array([365, 365, 90, 180, 120, None], dtype="Int64")})
    fees = _frame("FeeSchedule", {
        "payer_id": np.full(len(vocab), "*", dtype=object), "code": vocab,
        "standard_charge": np.array([fee[c] for c in vocab]),
        "prior_auth_required": pd.array(np.r_[np.zeros(len(vocab) - 50, bool),
                                              np.ones(50, bool)], dtype="boolean")})
    cpt = _frame("CPTCodes", {
        "code": vocab, "addon": pd.array(np.isin(vocab, ["17003", "90472"]), dtype="boolean"),
        "em": pd.array(np.isin(vocab, ["99213", "99214"]), dtype="boolean")})
    pairs = rng.choice(np.arange(len(common), len(vocab)), (200_000, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    c1 = np.r_[vocab[pairs[:, 0]], ["93000", "20610"]].astype(object)
    c2 = np.r_[vocab[pairs[:, 1]], ["93010", "20605"]].astype(object)
    ncci = _frame("NCCI", {
        "column1": c1, "column2": c2,
        "modifier_indicator": np.r_[rng.choice(np.array(["0", "1", "9"], dtype=object),
                                               len(pairs)), ["0", "1"]].astype(object)})
    mue = _frame("MUE", {"code": vocab,
                         "max_units": np.where(vocab == "36415", 1.0, 4.0)})
    tables = {"Claims": claims, "Patients": patients, "Coverage": coverage, "Payers": payer_t,
              "FeeSchedule": fees, "CPTCodes": cpt, "NCCI": ncci, "MUE": mue}
    sources = {n: TableSource(n, 1, dict(t.attrs["columns"])) for n, t in tables.items()}
    practice = PracticeSettings(billing_name="Bench Clinic", billing_npi="1234567893",
                                billing_ein="043219876", billing_taxonomy="207Q00000X",
                                billing_address="1 Main St", billing_city="Springfield",
                                billing_state="MA", billing_zip="011031234")
    return Book(tables=tables, practice=practice, sources=sources)


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    t = time.perf_counter()
    book = build(n)
    built = time.perf_counter() - t
    base = peak_gb()
    from claimbook.scrub import scrub_claims

    scrub_claims(book, AS_OF)  # warm-up on nothing costly: import-time work out of the timing
    cpu0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    t = time.perf_counter()
    f = scrub_claims(book, AS_OF)
    secs = time.perf_counter() - t
    cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu0
    peak = peak_gb()
    claims = book.tables["Claims"]["claim_id"].nunique()
    print(f"synthetic book: {n:,} lines, {claims:,} claims (built in {built:.1f} s, "
          f"{base:.2f} GB resident after building)")
    print(f"scrub_claims: {secs:.2f} s wall = {n / secs:,.0f} lines/s ({cpu:.2f} s CPU; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores); "
          f"findings {len(f):,}")
    print(f"peak memory (process, incl. the book): {peak:.2f} GB")
    print(f"targets: <= {TARGET_SECONDS:.0f} s -> {'OK' if secs <= TARGET_SECONDS else 'MISSED'}; "
          f"<= {TARGET_GB:.0f} GB -> {'OK' if peak <= TARGET_GB else 'MISSED'}")
    print(f.groupby(["rule", "severity"]).size().to_string())


if __name__ == "__main__":
    main()
