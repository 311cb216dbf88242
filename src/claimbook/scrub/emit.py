"""Findings for flagged lines or claims; only flagged rows are ever formatted."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.scrub.data import ScrubData

Extra = np.ndarray | pd.Series | Callable[[np.ndarray], object]


def _take(v: Extra, idx: np.ndarray) -> object:
    if callable(v):
        return v(idx)
    if isinstance(v, pd.Series):
        return v.iloc[idx].to_numpy(dtype=object)
    return np.asarray(v)[idx].astype(object)


def _extras(extra: dict[str, Extra], idx: np.ndarray) -> dict[str, pd.Series]:
    out = {}
    for k, v in extra.items():
        t = _take(v, idx)
        out[k] = pd.Series(t if isinstance(t, np.ndarray) else list(t))
    return out


def line_findings(sd: ScrubData, mask: np.ndarray, rule: str, field: str, message: str, *,
                  value: Extra | None = None, column: str | None = None,
                  fix: str | None = None, **extra: Extra) -> pd.DataFrame:
    """Findings on the Claims lines where `mask` is true.

    `message` is a template over claim_id, line_no, _row, value and the keyword `extra`
    values: full-length arrays, or callables given the flagged positions.
    """
    idx = np.flatnonzero(mask)
    if not len(idx):
        return F.empty()
    sub = pd.DataFrame({
        "claim_id": sd.lines["claim_id"].iloc[idx].to_numpy(dtype=object),
        "line_no": sd.lines["line_no"].iloc[idx].to_numpy(dtype=object),
        "_row": sd.lines["_row"].to_numpy()[idx]})
    vals = (_take(value, idx) if value is not None else
            sd.lines[field].iloc[idx].to_numpy(dtype=object) if field in sd.lines
            else [""] * len(idx))
    ex = _extras(extra, idx)
    return F.from_mask(sub, np.ones(len(idx), dtype=bool), rule, field, message,
                       value=pd.Series(list(vals)), sheet=sd.sheet,
                       column=column if column is not None else sd.letters.get(field, ""), fix=fix,
                       **ex)


def claim_findings(sd: ScrubData, mask: np.ndarray, rule: str, field: str, message: str, *,
                   value: Extra | None = None, sheet: str | None = None,
                   rows: Extra | None = None, column: str | None = None,
                   fix: str | None = None, **extra: Extra) -> pd.DataFrame:
    """Findings for whole claims (line blank) where `mask` (one per claim) is true.

    By default they point at the claim's first line in the Claims sheet; `sheet`, `rows` and
    `column` point them elsewhere (a Patients, Payers or Coverage cell).
    """
    idx = np.flatnonzero(mask)
    if not len(idx):
        return F.empty()
    c = sd.claims
    sub = pd.DataFrame({
        "claim_id": c["claim_id"].to_numpy(dtype=object)[idx],
        "line_no": pd.array([pd.NA] * len(idx), dtype="Int64"),
        "_row": (np.asarray(_take(rows, idx)) if rows is not None
                 else c["_row"].to_numpy()[idx])})
    vals = (_take(value, idx) if value is not None else
            c[field].iloc[idx].to_numpy(dtype=object) if field in c else [""] * len(idx))
    ex = _extras(extra, idx)
    return F.from_mask(sub, np.ones(len(idx), dtype=bool), rule, field, message,
                       value=pd.Series(list(vals)), sheet=sheet or sd.sheet,
                       column=column if column is not None else sd.letters.get(field, ""), fix=fix,
                       **ex)
