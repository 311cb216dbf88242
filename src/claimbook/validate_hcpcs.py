"""HCPCS Level II existence and date checks against the shipped CMS file (issue 3).

`hcpcs_findings(claims)` flags, on the Claims table, HCPCS-format codes that are not in the CMS
HCPCS file (CPT-UNKNOWN) and codes that exist but are not valid on the line's date of service
(HCPCS-DATE). CPT codes (AMA) are not touched here. Vectorized: each distinct code is looked
up once, dates are compared with numpy.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.codesets.hcpcs import hcpcs_status, hcpcs_table
from claimbook.codesets.reference import HCPCS_PATTERN
from claimbook.rules import codes as R


def code_text(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes factorized: per row the index of its distinct value, and the distinct values as
    text followed by "" (NA rows point to that last item, index -1)."""
    codes, uniq = pd.factorize(np.asarray(values, dtype=object))
    return codes, np.array([*(str(u) for u in uniq), ""], dtype=object)


def full_match(text: np.ndarray, pattern: str) -> np.ndarray:
    """Boolean array: each text fully matches the regular expression `pattern`."""
    rx = re.compile(pattern)
    return np.array([rx.fullmatch(t) is not None for t in text], dtype=bool)


def _per_line(per_code: list[str], codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Per-code texts broadcast to the lines (object dtype: no 1M-row str conversion)."""
    return pd.Series(np.array(per_code, dtype=object)[codes], index=index, dtype=object)


def hcpcs_findings(claims: pd.DataFrame, sheet: str = "Claims",
                   letters: dict[str, str] | None = None,
                   coded: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """Findings for HCPCS Level II codes unknown to CMS or not valid on the DOS.

    `coded` is `code_text(claims["code"])` when the caller has it already.
    """
    if claims.empty:
        return F.empty()
    letters = letters if letters is not None else claims.attrs.get("columns", {})
    codes, text = coded if coded is not None else code_text(claims["code"])
    hcpcs_u = full_match(text, HCPCS_PATTERN)
    is_hcpcs = hcpcs_u[codes]
    st = hcpcs_status(pd.Series(np.where(hcpcs_u, text, None)[codes], index=claims.index,
                                dtype=object), claims["dos_from"])
    known, valid = st["known"].to_numpy(), st["valid"].to_numpy()
    unknown = is_hcpcs & ~known
    outdated = is_hcpcs & known & ~valid & claims["dos_from"].notna().to_numpy()
    t = hcpcs_table()
    flagged = np.zeros(len(text), dtype=bool)
    flagged[codes[outdated]] = True
    window = _per_line([t.window(c) if f else "" for c, f in zip(text, flagged, strict=True)],
                       codes, claims.index)
    desc = _per_line([t.desc.get(c, "") if f else "" for c, f in zip(text, flagged, strict=True)],
                     codes, claims.index)
    col = letters.get("code", "")
    return F.concat([
        F.from_mask(claims, unknown, R.CPT_UNKNOWN, "code",
                    "HCPCS code {value} on row {_row} (claim {claim_id}) has the Level II "
                    "format but is not in the CMS HCPCS file: existence checked against the "
                    "CMS file.", sheet=sheet, column=col),
        F.from_mask(claims, outdated, R.HCPCS_DATE, "code",
                    "HCPCS code {value} ({desc}) on row {_row} (claim {claim_id}) is not valid "
                    "on the date of service {dos_from}: it is {window}.", sheet=sheet,
                    column=col, window=window, desc=desc),
    ])
