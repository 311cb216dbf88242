"""Matching remittance claims and lines to our claims, with pandas merges (no row loops).

Claims: CLP01 = claim id; else CLP07 payer claim number (Claims.original_claim_number or an
earlier posting); else member id (Coverage) + date of service + charge.
Lines: REF*6R = the line control number the 837 writer recorded in the ledger; else code +
modifiers + DOS + charge; else code + DOS + charge (the payer dropped or changed a modifier).
SVC06 (the code as we billed it, when the payer changed it) is used for matching.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimbook.book import Book
from claimbook.x12.x835 import Era

BY_CLAIM_ID = "claim id (CLP01)"
BY_PAYER_NUMBER = "payer claim number (CLP07)"
BY_MEMBER = "member id + DOS + charge"
BY_LINE_CONTROL = "line control (REF*6R)"
BY_LINE_EXACT = "code + modifiers + DOS + charge"
BY_LINE_LOOSE = "code + DOS + charge (modifiers differ)"


def to_cents(values: pd.Series) -> pd.Series:
    """Dollar floats to integer cents (NaN -> 0)."""
    if not isinstance(values, pd.Series):
        values = pd.Series(values)
    v = pd.to_numeric(values, errors="coerce").fillna(0)
    return (v * 100).round().astype("int64")


def modifier_key(frame: pd.DataFrame) -> pd.Series:
    """mod1..mod4 joined as '25:59' (blank ones dropped), vectorized over object arrays."""
    cols = []
    for c in ("mod1", "mod2", "mod3", "mod4"):
        v = frame[c].to_numpy(dtype=object)
        v = np.where(pd.isna(v), "", v).astype(object)
        cols.append(v)
    out = cols[0].copy()
    for v in cols[1:]:
        has = v != ""
        if has.any():
            sep = np.where(out[has] == "", "", ":").astype(object)
            out[has] = out[has] + sep + v[has]
    return pd.Series(out, index=frame.index, dtype=object)


def known_claims(book: Book, ledger_submissions: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per claim we know: claim_id, patient, payer_id, dos, charge_cents, icn."""
    c = book.get("Claims")
    c = c[c["claim_id"].notna()]
    g = c.assign(_cents=to_cents(c["charge"])).groupby("claim_id", sort=False)
    out = pd.DataFrame({
        "patient": g["patient"].first(),
        "payer_id": g["payer_id"].first(),
        "dos": g["dos_from"].min(),
        "charge_cents": g["_cents"].sum(),
        "icn": g["original_claim_number"].first(),
        "submitted_on": g["submitted_on"].max(),
    }).reset_index()
    if ledger_submissions is not None and len(ledger_submissions):
        s = ledger_submissions[~ledger_submissions["claim_id"].isin(out["claim_id"])]
        s = s.drop_duplicates("claim_id", keep="last")
        extra = pd.DataFrame({
            "claim_id": s["claim_id"], "patient": s["patient"], "payer_id": s["payer_id"],
            "dos": pd.to_datetime(s["first_dos"], errors="coerce"),
            "charge_cents": s["total_charge_cents"].astype("int64"), "icn": None,
            "submitted_on": pd.to_datetime(s["submitted_at"], errors="coerce", utc=True)
            .dt.tz_localize(None).dt.normalize()})
        out = pd.concat([out, extra], ignore_index=True)
    return out


def known_lines(book: Book, ledger_lines: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per claim line we know: claim_id, line_no, code, modifiers, dos, charge_cents."""
    c = book.get("Claims")
    c = c[c["claim_id"].notna()]
    out = pd.DataFrame({
        "claim_id": c["claim_id"].astype(object), "line_no": c["line_no"].astype("Int64"),
        "code": c["code"].astype(object), "modifiers": modifier_key(c),
        "dos": c["dos_from"], "charge_cents": to_cents(c["charge"]),
        "line_control": None})
    if ledger_lines is not None and len(ledger_lines):
        ll = ledger_lines
        ctl = ll.set_index(["claim_id", "line_no"])["line_control"]
        key = pd.MultiIndex.from_frame(out[["claim_id", "line_no"]].astype(object))
        out["line_control"] = ctl.reindex(key).to_numpy()
        extra = ll[~ll["claim_id"].isin(out["claim_id"])]
        out = pd.concat([out, pd.DataFrame({
            "claim_id": extra["claim_id"], "line_no": extra["line_no"].astype("Int64"),
            "code": extra["code"], "modifiers": extra["modifiers"].fillna(""),
            "dos": pd.to_datetime(extra["dos"], errors="coerce"),
            "charge_cents": extra["charge_cents"].astype("int64"),
            "line_control": extra["line_control"]})], ignore_index=True)
    return out


def match_claims(era: Era, claims: pd.DataFrame, coverage: pd.DataFrame,
                 posted: pd.DataFrame | None = None) -> pd.DataFrame:
    """era.claims plus claim_id, payer_id, patient and matched_by (None when unmatched)."""
    rc = era.claims[["claim_key", "remit_claim_id", "payer_claim_number", "member_id",
                     "charge_cents", "statement_from"]].copy()
    rc["dos"] = rc["statement_from"]
    if len(era.lines):
        first_dos = era.lines.groupby("claim_key")["dos"].min()
        rc["dos"] = rc["dos"].fillna(rc["claim_key"].map(first_dos))
    rc["claim_id"] = pd.Series(None, index=rc.index, dtype=object)
    rc["matched_by"] = pd.Series(None, index=rc.index, dtype=object)

    hit = rc["remit_claim_id"].isin(claims["claim_id"])
    rc.loc[hit, "claim_id"] = rc.loc[hit, "remit_claim_id"]
    rc.loc[hit, "matched_by"] = BY_CLAIM_ID

    icn = claims.dropna(subset=["icn"])[["icn", "claim_id"]]
    if posted is not None and len(posted):
        icn = pd.concat([icn, posted.dropna(subset=["payer_claim_number", "claim_id"]).rename(
            columns={"payer_claim_number": "icn"})[["icn", "claim_id"]]])
    icn = icn.drop_duplicates().drop_duplicates("icn", keep=False).set_index("icn")["claim_id"]
    todo = rc["claim_id"].isna() & rc["payer_claim_number"].ne("")
    found = rc.loc[todo, "payer_claim_number"].map(icn)
    found = found[found.notna()]
    rc.loc[found.index, "claim_id"] = found
    rc.loc[found.index, "matched_by"] = BY_PAYER_NUMBER

    todo = rc["claim_id"].isna() & rc["member_id"].notna() & rc["dos"].notna()
    if todo.any() and len(coverage):
        cov = coverage.dropna(subset=["member_id", "patient"])[["member_id", "patient"]]
        cov = cov.assign(member_id=cov["member_id"].astype(str).str.upper()).drop_duplicates()
        cand = claims[["claim_id", "patient", "dos", "charge_cents"]]
        left = rc.loc[todo, ["claim_key", "member_id", "dos", "charge_cents"]].assign(
            member_id=lambda f: f["member_id"].astype(str).str.upper(),
            charge_cents=lambda f: f["charge_cents"].abs())
        m = left.merge(cov, on="member_id").merge(cand, on=["patient", "dos", "charge_cents"])
        m = m.drop_duplicates(["claim_key", "claim_id"]).drop_duplicates("claim_key", keep=False)
        found = rc["claim_key"].map(m.set_index("claim_key")["claim_id"])
        found = found[todo & found.notna()]
        rc.loc[found.index, "claim_id"] = found
        rc.loc[found.index, "matched_by"] = BY_MEMBER

    info = claims.drop_duplicates("claim_id").set_index("claim_id")
    rc["payer_id"] = rc["claim_id"].map(info["payer_id"])
    rc["patient"] = rc["claim_id"].map(info["patient"])
    return rc[["claim_key", "claim_id", "matched_by", "payer_id", "patient", "dos"]]


def match_lines(era: Era, claim_match: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """era.lines plus claim_id, line_no and matched_by (None when no claim line fits)."""
    rl = era.lines[["line_key", "claim_key", "code", "modifiers", "original_code",
                    "original_modifiers", "charge_cents", "dos", "line_control"]].copy()
    rl["claim_id"] = rl["claim_key"].map(claim_match.set_index("claim_key")["claim_id"])
    rl["dos"] = rl["dos"].fillna(rl["claim_key"].map(claim_match.set_index("claim_key")["dos"]))
    changed = rl["original_code"].notna() & rl["original_code"].ne("")
    rl["m_code"] = rl["code"].where(~changed, rl["original_code"])
    rl["m_mods"] = rl["modifiers"].where(~changed, rl["original_modifiers"]).fillna("")
    rl["m_charge"] = rl["charge_cents"].abs()
    rl["line_no"] = pd.array([pd.NA] * len(rl), dtype="Int64")
    rl["matched_by"] = pd.Series(None, index=rl.index, dtype=object)

    ctl = lines.dropna(subset=["line_control"])
    if len(ctl):
        key = ctl.drop_duplicates("line_control").set_index("line_control")
        has = rl["line_control"].notna() & rl["line_control"].isin(key.index)
        cid = rl.loc[has, "line_control"].map(key["claim_id"])
        ok = has.copy()
        ok[has] = cid.eq(rl.loc[has, "claim_id"]) | rl.loc[has, "claim_id"].isna()
        rl.loc[ok, "claim_id"] = rl.loc[ok, "line_control"].map(key["claim_id"])
        rl.loc[ok, "line_no"] = rl.loc[ok, "line_control"].map(key["line_no"]).astype("Int64")
        rl.loc[ok, "matched_by"] = BY_LINE_CONTROL

    # a reversal and its correction both point at the same claim line: match each remittance
    # claim on its own, so the ordinal counts per remittance claim, not per claim
    for keys, label in ((["code", "modifiers", "dos", "charge"], BY_LINE_EXACT),
                        (["code", "dos", "charge"], BY_LINE_LOOSE)):
        todo = rl["line_no"].isna() & rl["claim_id"].notna()
        if not todo.any():
            break
        left = rl.loc[todo, ["line_key", "claim_key", "claim_id", "m_code", "m_mods", "dos",
                             "m_charge"]].rename(columns={"m_code": "code", "m_mods": "modifiers",
                                                          "m_charge": "charge"})
        taken = rl.loc[rl["line_no"].notna(), ["claim_key", "claim_id", "line_no"]]
        right = lines[lines["claim_id"].isin(left["claim_id"])].rename(
            columns={"charge_cents": "charge"})[["claim_id", "line_no", "code", "modifiers",
                                                 "dos", "charge"]]
        left, right, taken = _coded([left, right, taken], ["claim_id", "code", "modifiers"])
        # per remittance claim: drop the claim lines already matched for it
        pairs = left[["claim_key", "claim_id"]].drop_duplicates().merge(right, on="claim_id")
        if len(taken):
            pairs = pairs.merge(taken.assign(_t=1), on=["claim_key", "claim_id", "line_no"],
                                how="left")
            pairs = pairs[pairs["_t"].isna()].drop(columns="_t")
        on = ["claim_key", "claim_id", *keys]
        left = left.assign(_k=left.groupby(on, sort=False).cumcount())
        pairs = pairs.assign(_k=pairs.groupby(on, sort=False).cumcount())
        m = left.merge(pairs[[*on, "_k", "line_no"]], on=[*on, "_k"])
        idx = rl.index[rl["line_key"].isin(m["line_key"])]
        rl.loc[idx, "line_no"] = rl.loc[idx, "line_key"].map(
            m.set_index("line_key")["line_no"]).astype("Int64")
        rl.loc[idx, "matched_by"] = label
    return rl[["line_key", "claim_key", "claim_id", "line_no", "matched_by"]]


def _coded(frames: list[pd.DataFrame], columns: list[str]) -> list[pd.DataFrame]:
    """`frames` with their text `columns` replaced by one shared integer code per distinct
    value (as float, NaN where missing): equal values get equal codes, so merges and groupbys
    give the same rows, without hashing the strings again for every key combination."""
    frames = list(frames)
    for c in columns:
        have = [i for i, f in enumerate(frames) if c in f.columns]
        parts = [frames[i][c].to_numpy(dtype=object) for i in have]
        codes, _ = pd.factorize(np.concatenate(parts) if parts else np.array([], object))
        codes = codes.astype("float64")
        codes[codes < 0] = np.nan
        start = 0
        for i, v in zip(have, parts, strict=True):
            frames[i] = frames[i].assign(**{c: codes[start:start + len(v)]})
            start += len(v)
    return frames


def fee_lookup(fees: pd.DataFrame, payer: pd.Series, code: pd.Series,
               modifier: pd.Series) -> pd.Series:
    """Contract allowed amount in cents per (payer, code, first modifier), NaN when none.

    Most specific first: payer + code + modifier, payer + code (blank modifier), then the
    same with payer '*'.
    """
    out = pd.Series(np.nan, index=payer.index)
    if fees is None or fees.empty:
        return out
    f = fees.dropna(subset=["code", "allowed"]).copy()
    f["modifier"] = f["modifier"].fillna("").astype(str)
    f["allowed_cents"] = to_cents(f["allowed"]).astype(float)
    q = pd.DataFrame({"payer_id": payer.astype(object), "code": code.astype(object),
                      "modifier": modifier.fillna("").astype(str)}, index=payer.index)
    for p_any in (False, True):
        for m_any in (False, True):
            todo = out.isna()
            if not todo.any():
                return out
            sub = f[f["payer_id"].eq("*")] if p_any else f[f["payer_id"].ne("*")]
            sub = sub[sub["modifier"].eq("")] if m_any else sub[sub["modifier"].ne("")]
            keys = ["code"] + ([] if p_any else ["payer_id"]) + ([] if m_any else ["modifier"])
            table = sub.drop_duplicates(keys, keep="last").set_index(keys)["allowed_cents"]
            qi = pd.MultiIndex.from_frame(q.loc[todo, keys]) if len(keys) > 1 else \
                pd.Index(q.loc[todo, keys[0]])
            out.loc[todo] = table.reindex(qi).to_numpy()
    return out
