"""Posting parsed remittances into the ledger, once.

A remittance (transaction set) is identified by payer + TRN02 trace + BPR02 amount; the ledger's
UNIQUE constraint makes a second posting impossible, and we check first so a re-import reports
when it was posted instead of failing. Everything of one import is written in one transaction
with `executemany` (ids assigned up front), so an import is all or nothing.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from claimbook.ledger import Ledger, current_user, now_iso
from claimbook.reconcile.postings import query
from claimbook.x12.x835 import Era


@dataclass
class PostResult:
    """What an import did: transactions posted and those skipped as already posted."""

    posted: pd.DataFrame  # era.transactions rows posted now, with remit_id
    duplicates: pd.DataFrame  # rows skipped: payer_key, trace, paid_cents, posted_at, file...
    claims_posted: int = 0
    lines_posted: int = 0


def _none(frame: pd.DataFrame) -> Iterator[tuple]:
    """Rows as tuples of plain Python values (NaN/NA/NaT -> None) for sqlite, made one at a
    time as executemany consumes them (no list of hundreds of thousands of tuples)."""
    cols = []
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):  # a few distinct dates: format each once
            codes, uniq = pd.factorize(s)
            text = np.append(uniq.strftime("%Y-%m-%d").to_numpy(dtype=object), None)
            cols.append(text[codes].tolist())  # code -1 (NaT) -> the None at the end
        elif isinstance(s.dtype, np.dtype) and s.dtype.kind in "iub":
            cols.append(s.tolist())
        else:
            v = s.to_numpy(dtype=object)
            missing = pd.isna(v)
            if missing.any():
                v = v.copy()
                v[missing] = None
            cols.append(v.tolist())
    return zip(*cols, strict=True) if cols else iter(())


def posted_remittances(ledger: Ledger) -> pd.DataFrame:
    return query(ledger, "SELECT remit_id, payer_key, payer_name, trace, paid_cents, file, "
                 "posted_at FROM remittances")


def find_duplicates(era: Era, ledger: Ledger) -> tuple[pd.Series, pd.DataFrame]:
    """(mask of transactions to post, report of those already posted or repeated in this import)."""
    t = era.transactions
    key = ["payer_key", "trace", "paid_cents"]
    done = posted_remittances(ledger)
    m = t[["txn_key", "file", *key]].merge(done.rename(columns={"file": "posted_file"}),
                                          on=key, how="left")
    in_ledger = m["remit_id"].notna().to_numpy()
    repeat = t.duplicated(key, keep="first").to_numpy() & ~in_ledger
    first = t.drop_duplicates(key)[["txn_key", "file", *key]].rename(
        columns={"file": "first_file", "txn_key": "first_txn"})
    rep = t[repeat].merge(first, on=key)
    report = pd.concat([
        pd.DataFrame({"txn_key": m.loc[in_ledger, "txn_key"], "file": m.loc[in_ledger, "file"],
                      "payer_key": m.loc[in_ledger, "payer_key"],
                      "trace": m.loc[in_ledger, "trace"],
                      "paid_cents": m.loc[in_ledger, "paid_cents"],
                      "posted_at": m.loc[in_ledger, "posted_at"],
                      "posted_file": m.loc[in_ledger, "posted_file"]}),
        pd.DataFrame({"txn_key": rep["txn_key"], "file": rep["file"],
                      "payer_key": rep["payer_key"], "trace": rep["trace"],
                      "paid_cents": rep["paid_cents"], "posted_at": "in this import",
                      "posted_file": rep["first_file"]}),
    ], ignore_index=True)
    return pd.Series(~(in_ledger | repeat), index=t.index), report


def _nothing_new(era: Era, todo: pd.Series, dups: pd.DataFrame) -> PostResult:
    txn = era.transactions[todo.to_numpy()]
    return PostResult(txn.assign(remit_id=pd.Series(dtype="int64")), dups)


def already_posted(era: Era, ledger: Ledger) -> PostResult | None:
    """The import's result when every remittance of `era` is posted already (else None), so
    that a re-import skips matching."""
    todo, dups = find_duplicates(era, ledger)
    return None if todo.any() else _nothing_new(era, todo, dups)


def _max_id(ledger: Ledger, table: str, col: str = "id") -> int:
    return int(ledger.conn.execute(f"SELECT COALESCE(MAX({col}), 0) FROM {table}").fetchone()[0])


BUCKETS = ("contractual", "deductible", "coinsurance", "copay", "other_pr", "other_adj")


def _group_sums(adj: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per key: contractual (CO), deductible (PR-1), coinsurance (PR-2), copay (PR-3),
    other PR, other adjustments (OA/PI/CR), and the CARC list 'CO-45,PR-3' (vectorized)."""
    g = adj["group"].to_numpy(dtype=object)
    r = adj["reason"].to_numpy(dtype=object)
    pr = g == "PR"
    code = np.select([g == "CO", pr & (r == "1"), pr & (r == "2"), pr & (r == "3"), pr], 
                     [0, 1, 2, 3, 4], 5)
    keys, pos = np.unique(adj[key].to_numpy(), return_inverse=True)
    sums = np.bincount(pos * 6 + code, weights=adj["amount_cents"].to_numpy(dtype="float64"),
                       minlength=len(keys) * 6).reshape(len(keys), 6)
    out = pd.DataFrame(sums.round().astype("int64"), index=keys, columns=list(BUCKETS))
    out["carc"] = _carc_lists(pos, len(keys), g, r)
    return out


def _carc_lists(pos: np.ndarray, n_keys: int, g: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Per key (`pos` of each row): its distinct 'group-reason' codes in first-seen order,
    joined 'CO-45,PR-3' (None for a key without rows). Codes are compared as integers and
    spelled once per distinct code."""
    gi, gu = pd.factorize(g)
    ri, ru = pd.factorize(r)
    pair = gi.astype(np.int64) * len(ru) + ri
    first = ~pd.Series(pos.astype(np.int64) * (len(gu) * len(ru)) + pair).duplicated().to_numpy()
    k_all, p_first = pos[first], pair[first]
    distinct, which = np.unique(p_first, return_inverse=True)
    spelled = (gu[distinct // len(ru)].astype(object) + "-"
               + ru[distinct % len(ru)].astype(object))[which]
    rank = pd.Series(k_all).groupby(k_all).cumcount().to_numpy()
    joined = np.full(n_keys, None, dtype=object)
    for n in range(int(rank.max()) + 1 if len(rank) else 0):  # a handful of codes per line
        sel = rank == n
        k, c = k_all[sel], spelled[sel]
        joined[k] = c if n == 0 else joined[k] + "," + c
    return joined


def post(era: Era, claims: pd.DataFrame, lines: pd.DataFrame, ledger: Ledger,
         texts: dict[str, str] | None = None) -> PostResult:
    """Post the transactions of `era` not already in the ledger.

    `claims` / `lines` are the outputs of match_claims / match_lines (claim_id, matched_by...).
    """
    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of row tuples: no cyclic garbage is made here
    fk = ledger.conn.execute("PRAGMA foreign_keys").fetchone()[0]
    # every id is assigned here, in this transaction, from the rows it inserts: the per-row
    # foreign key lookups (about a fifth of the insert time) can be skipped safely
    ledger.conn.execute("PRAGMA foreign_keys = OFF")
    try:
        return _post(era, claims, lines, ledger, texts)
    finally:
        ledger.conn.execute(f"PRAGMA foreign_keys = {'ON' if fk else 'OFF'}")
        if collecting:
            gc.enable()


def _post(era: Era, claims: pd.DataFrame, lines: pd.DataFrame, ledger: Ledger,
          texts: dict[str, str] | None) -> PostResult:
    todo, dups = find_duplicates(era, ledger)
    if not todo.any():
        return _nothing_new(era, todo, dups)
    txn = era.transactions[todo.to_numpy()]
    keys = set(txn["txn_key"])
    rc = era.claims[era.claims["txn_key"].isin(keys)].merge(claims, on="claim_key", how="left")
    rl = era.lines[era.lines["txn_key"].isin(keys)].merge(
        lines[["line_key", "line_no", "matched_by"]], on="line_key", how="left")
    rl["claim_id"] = rl["claim_key"].map(rc.set_index("claim_key")["claim_id"])
    adj = era.adjustments[era.adjustments["txn_key"].isin(keys)]
    plb = era.plb[era.plb["txn_key"].isin(keys)]
    at, by = now_iso(), current_user()
    sha = {f: hashlib.sha256(t.encode("latin-1", "replace")).hexdigest()
           for f, t in (texts or {}).items()}
    conn = ledger.conn
    with ledger.transaction():
        r0 = _max_id(ledger, "remittances", "remit_id")
        c0, l0, a0 = (_max_id(ledger, "claim_payments"), _max_id(ledger, "line_payments"),
                      _max_id(ledger, "payment_adjustments"))
        txn = txn.assign(remit_id=np.arange(r0 + 1, r0 + 1 + len(txn)))
        remit_of = txn.set_index("txn_key")["remit_id"]
        conn.executemany(
            "INSERT INTO remittances(remit_id, payer_key, payer_name, trace, paid_cents, "
            "payment_method, payment_date, file, file_sha256, posted_at, posted_by) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            _none(pd.DataFrame({
                "remit_id": txn["remit_id"], "payer_key": txn["payer_key"],
                "payer_name": txn["payer_name"], "trace": txn["trace"],
                "paid": txn["paid_cents"], "method": txn["method"],
                "date": txn["payment_date"], "file": txn["file"],
                "sha": txn["file"].map(sha), "at": at, "by": by})))
        rc = rc.assign(id=np.arange(c0 + 1, c0 + 1 + len(rc)))
        cp_of = rc.set_index("claim_key")["id"]
        conn.executemany(
            "INSERT INTO claim_payments(id, remit_id, claim_id, remit_claim_id, status, "
            "payer_claim_number, charge_cents, paid_cents, patient_resp_cents, matched_by, "
            "posted_at, payer_id, remarks) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            _none(pd.DataFrame({
                "id": rc["id"], "remit": rc["txn_key"].map(remit_of), "cid": rc["claim_id"],
                "rcid": rc["remit_claim_id"], "st": rc["status"],
                "icn": rc["payer_claim_number"], "ch": rc["charge_cents"],
                "pd": rc["paid_cents"], "pr": rc["patient_resp_cents"],
                "by": rc["matched_by"], "at": at, "payer": rc["payer_id"],
                "rm": rc["remarks"].replace("", None)})))
        rl = rl.assign(id=np.arange(l0 + 1, l0 + 1 + len(rl)))
        line_adj = adj[adj["line_key"].to_numpy() >= 0]
        sums = _group_sums(line_adj, "line_key") if len(line_adj) else pd.DataFrame()
        def col(name: str, default: object = 0) -> pd.Series:
            if name in sums:
                return rl["line_key"].map(sums[name]).fillna(default)
            return pd.Series(default, index=rl.index)
        conn.executemany(
            "INSERT INTO line_payments(id, claim_payment_id, claim_id, line_no, line_control, "
            "code, modifiers, dos, charge_cents, allowed_cents, paid_cents, contractual_cents, "
            "deductible_cents, coinsurance_cents, copay_cents, other_pr_cents, other_adj_cents, "
            "carc, rarc, matched_by, units) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            _none(pd.DataFrame({
                "id": rl["id"], "cp": rl["claim_key"].map(cp_of), "cid": rl["claim_id"],
                "ln": rl["line_no"], "ctl": rl["line_control"], "code": rl["code"],
                "mods": rl["modifiers"], "dos": rl["dos"], "ch": rl["charge_cents"],
                "al": rl["allowed_cents"], "pd": rl["paid_cents"],
                "co": col("contractual").astype("int64"), "de": col("deductible").astype("int64"),
                "ci": col("coinsurance").astype("int64"), "cp2": col("copay").astype("int64"),
                "opr": col("other_pr").astype("int64"), "oa": col("other_adj").astype("int64"),
                "carc": col("carc", None), "rarc": rl["remarks"].replace("", None),
                "by": rl["matched_by"], "units": rl["units"]})))
        lp_of = rl.set_index("line_key")["id"]
        conn.executemany(
            "INSERT INTO payment_adjustments(id, claim_payment_id, line_payment_id, group_code, "
            "reason, amount_cents, quantity) VALUES (?,?,?,?,?,?,?)",
            _none(pd.DataFrame({
                "id": np.arange(a0 + 1, a0 + 1 + len(adj)), "cp": adj["claim_key"].map(cp_of),
                "lp": adj["line_key"].map(lp_of).astype("Int64"), "g": adj["group"],
                "r": adj["reason"], "a": adj["amount_cents"], "q": adj["quantity"]})))
        conn.executemany(
            "INSERT INTO provider_adjustments(remit_id, provider_id, fiscal_period, reason, "
            "reference, amount_cents) VALUES (?,?,?,?,?,?)",
            _none(pd.DataFrame({
                "remit": plb["txn_key"].map(remit_of), "prov": plb["provider_id"],
                "fp": plb["fiscal_period"], "r": plb["reason"], "ref": plb["reference"],
                "a": plb["amount_cents"]})))
        _insert_imbalances(ledger, era.imbalances[era.imbalances["txn_key"].isin(keys)],
                           remit_of, cp_of, lp_of)
        _link_reversals(ledger, rc[rc["status"].eq("22") & rc["claim_id"].notna()])
    return PostResult(txn, dups, len(rc), len(rl))


def _insert_imbalances(ledger: Ledger, imb: pd.DataFrame, remit_of: pd.Series,
                       cp_of: pd.Series, lp_of: pd.Series) -> None:
    """Keep each imbalance with its remittance, so the queue lists it on every later run."""
    ledger.conn.executemany(
        "INSERT INTO remittance_imbalances(remit_id, level, claim_payment_id, line_payment_id, "
        "segment, expected_cents, found_cents, message) VALUES (?,?,?,?,?,?,?,?)",
        _none(pd.DataFrame({
            "remit": imb["txn_key"].map(remit_of), "level": imb["level"],
            "cp": imb["claim_key"].map(cp_of).astype("Int64"),
            "lp": imb["line_key"].map(lp_of).astype("Int64"),
            "seg": imb["segment"], "exp": imb["expected_cents"], "found": imb["found_cents"],
            "msg": imb["message"]})))


def _link_reversals(ledger: Ledger, reversals: pd.DataFrame) -> None:
    """Mark the earlier posting each reversal (CLP02=22) undoes: reversed_by = reversal id.

    The original is the latest earlier posting of the same claim that is not itself a reversal
    and not already reversed. A reversal with no original is left unlinked (an exception).
    """
    if reversals.empty:
        return
    ids = list(dict.fromkeys(reversals["claim_id"]))
    marks = ",".join("?" * len(ids))
    cand = pd.read_sql_query(
        f"SELECT id AS orig_id, claim_id FROM claim_payments WHERE status <> '22' "
        f"AND reversed_by IS NULL AND claim_id IN ({marks})", ledger.conn, params=ids)
    m = reversals[["id", "claim_id"]].merge(cand, on="claim_id")
    m = m[m["orig_id"] < m["id"]].sort_values(["id", "orig_id"])
    m = m.drop_duplicates("id", keep="last").drop_duplicates("orig_id", keep="first")
    ledger.conn.executemany("UPDATE claim_payments SET reversed_by = ? WHERE id = ?",
                            list(zip(m["id"].tolist(), m["orig_id"].tolist(), strict=True)))
