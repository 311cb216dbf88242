"""Cents and dollars, and the one allocation routine payments and plans share."""

from __future__ import annotations

import numpy as np
import pandas as pd


def cents(values: pd.Series | np.ndarray | float) -> np.ndarray:
    """Dollar amounts as integer cents (NaN as 0)."""
    return np.round(np.nan_to_num(np.asarray(values, dtype="float64")) * 100).astype("int64")


def dollars(c: pd.Series | np.ndarray) -> pd.Series | np.ndarray:
    """Integer cents as float dollars (exact to the cent for display)."""
    if isinstance(c, pd.Series):
        return (c.astype("int64") / 100.0).round(2)
    return np.round(np.asarray(c, dtype="int64") / 100.0, 2)


def fmt(c: int) -> str:
    """Cents as '$1,234.56' (negative as '-$12.00')."""
    c = int(c)
    sign = "-" if c < 0 else ""
    return f"{sign}${abs(c) // 100:,}.{abs(c) % 100:02d}"


def allocate(demand: pd.DataFrame, supply: pd.DataFrame, key: str = "key") -> pd.DataFrame:
    """Fill demands from supplies, both in the order given, within each `key`.

    `demand` has columns [key, 'd', 'cents'], `supply` [key, 's', 'cents'] (ids `d` and `s`
    any hashable). The first supply pays the first demand, and so on, like posting payments
    oldest first. Returns rows (key, d, s, cents) with cents > 0. Vectorized: each side is
    laid on one number line (one span per key) and the two partitions are intersected.
    """
    out_cols = [key, "d", "s", "cents"]
    dem = demand[demand["cents"] > 0]
    sup = supply[supply["cents"] > 0]
    if dem.empty or sup.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "cents" else object)
                             for c in out_cols})
    keys = pd.Index(pd.unique(pd.concat([dem[key], sup[key]], ignore_index=True)))
    dk = keys.get_indexer(dem[key])
    sk = keys.get_indexer(sup[key])
    dtot = np.bincount(dk, weights=dem["cents"].to_numpy(), minlength=len(keys)).astype("int64")
    stot = np.bincount(sk, weights=sup["cents"].to_numpy(), minlength=len(keys)).astype("int64")
    span = np.maximum(dtot, stot)
    base = np.cumsum(span) - span

    def lay(frame: pd.DataFrame, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        order = np.argsort(k, kind="stable")
        c = frame["cents"].to_numpy(dtype="int64")[order]
        kk = k[order]
        cum = np.cumsum(c)
        first = np.r_[0, np.flatnonzero(np.diff(kk)) + 1]
        start_of_key = np.repeat(cum[first] - c[first], np.diff(np.r_[first, len(kk)]))
        end = base[kk] + cum - start_of_key
        return order, end - c, end

    d_order, d_start, d_end = lay(dem, dk)
    s_order, s_start, s_end = lay(sup, sk)
    points = np.unique(np.concatenate([d_start, d_end, s_start, s_end]))
    lo, hi = points[:-1], points[1:]
    di = np.searchsorted(d_start, lo, side="right") - 1
    si = np.searchsorted(s_start, lo, side="right") - 1
    ok = (di >= 0) & (si >= 0)
    ok &= (lo < d_end[np.clip(di, 0, None)]) & (lo < s_end[np.clip(si, 0, None)])
    di, si, amt = di[ok], si[ok], (hi - lo)[ok]
    d_rows = dem.iloc[d_order[di]]
    s_rows = sup.iloc[s_order[si]]
    res = pd.DataFrame({key: d_rows[key].to_numpy(), "d": d_rows["d"].to_numpy(),
                        "s": s_rows["s"].to_numpy(), "cents": amt.astype("int64")})
    return (res.groupby([key, "d", "s"], sort=False, as_index=False)["cents"].sum()
            .astype({"cents": "int64"}))
