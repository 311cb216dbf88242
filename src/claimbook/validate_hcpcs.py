"""HCPCS Level II existence and date checks against the shipped CMS file (issue 3).

`hcpcs_findings(claims)` flags, on the Claims table, HCPCS-format codes that are not in the CMS
HCPCS file (CPT-UNKNOWN) and codes that exist but are not valid on the line's date of service
(HCPCS-DATE). CPT codes (AMA) are not touched here. Vectorized: each distinct code is looked
up once, dates are compared with numpy.
"""

from __future__ import annotations

import pandas as pd

from claimbook import findings as F
from claimbook.codesets.hcpcs import hcpcs_status, hcpcs_table
from claimbook.codesets.reference import HCPCS_PATTERN
from claimbook.rules import codes as R


def hcpcs_findings(claims: pd.DataFrame, sheet: str = "Claims",
                   letters: dict[str, str] | None = None) -> pd.DataFrame:
    """Findings for HCPCS Level II codes unknown to CMS or not valid on the DOS."""
    if claims.empty:
        return F.empty()
    letters = letters if letters is not None else claims.attrs.get("columns", {})
    code = claims["code"].astype(object).where(claims["code"].notna(), "").astype(str)
    codes, uniq = pd.factorize(code)
    is_hcpcs = pd.Series(pd.Series(uniq, dtype=object).str.fullmatch(HCPCS_PATTERN)
                         .to_numpy(bool)[codes], index=code.index)
    st = hcpcs_status(code.where(is_hcpcs), claims["dos_from"])
    unknown = is_hcpcs & ~st["known"]
    outdated = is_hcpcs & st["known"] & ~st["valid"] & claims["dos_from"].notna()
    t = hcpcs_table()
    flagged = code[outdated].unique()
    window = code.map({c: t.window(c) for c in flagged}).astype(object).fillna("")
    desc = code.map({c: t.desc.get(c, "") for c in flagged}).astype(object).fillna("")
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
