"""The findings table: one row per problem found, the product of every check.

Columns: claim_id, line, sheet, row (Excel row), column (Excel column letter), rule,
severity, field, value, message, fix. Checks build findings vectorized with `from_mask`:
a boolean mask over a table, the rule, the field and a message template.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from claimbook import rules as rulebook

COLUMNS = ["claim_id", "line", "sheet", "row", "column", "rule", "severity", "field", "value",
           "message", "fix"]


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})


def _fmt_value(v: object) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return ""
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def from_mask(
    table: pd.DataFrame,
    mask: pd.Series | np.ndarray,
    rule: str,
    field: str,
    message: str,
    *,
    value: pd.Series | None = None,
    sheet: str = "Claims",
    column: str | None = None,
    fix: str | None = None,
    **extra: pd.Series,
) -> pd.DataFrame:
    """Findings for the rows of `table` where `mask` is true.

    `message` is a format template; it may use {value}, {claim_id}, {line}, {row} and any
    column of `table` or keyword Series in `extra` (formatted only for flagged rows).
    `table` carries `_row` (Excel row) and, for claim tables, `claim_id`/`line_no`.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return empty()
    sub = table.loc[mask]
    vals = (value if value is not None else
            (table[field] if field in table.columns else pd.Series("", index=table.index)))
    vals = pd.Series(vals, index=table.index).loc[mask]
    val_txt = [_fmt_value(v) for v in vals]
    n = len(sub)
    claim = sub["claim_id"].astype("object").to_numpy() if "claim_id" in sub else [""] * n
    line = sub["line_no"].to_numpy() if "line_no" in sub else [None] * n
    rows = sub["_row"].to_numpy() if "_row" in sub else [None] * n
    names = [k for k in _template_names(message)]
    ctx_cols = {}
    for k in names:
        if k == "value":
            ctx_cols[k] = val_txt
        elif k in extra:
            ctx_cols[k] = [_fmt_value(v) for v in pd.Series(extra[k], index=table.index).loc[mask]]
        elif k in sub.columns:
            ctx_cols[k] = [_fmt_value(v) for v in sub[k]]
        else:
            raise KeyError(f"message template for {rule} uses unknown name {k!r}")
    if names:
        msgs = [message.format(**{k: ctx_cols[k][i] for k in names}) for i in range(n)]
    else:
        msgs = [message] * n
    r = rulebook.get(rule)
    columns_map = table.attrs.get("columns", {})
    return pd.DataFrame({
        "claim_id": claim,
        "line": line,
        "sheet": sheet,
        "row": rows,
        "column": column or columns_map.get(field, ""),
        "rule": rule,
        "severity": r.severity,
        "field": field,
        "value": val_txt,
        "message": msgs,
        "fix": fix or r.fix,
    })


def _template_names(template: str) -> list[str]:
    import string

    return sorted({f for _, f, _, _ in string.Formatter().parse(template) if f})


def one(rule: str, message: str, *, sheet: str, field: str = "", value: object = "",
        row: int | None = None, column: str = "", claim_id: str = "", line: int | None = None,
        fix: str | None = None) -> pd.DataFrame:
    """A single finding (for table-level or settings-level problems)."""
    r = rulebook.get(rule)
    return pd.DataFrame([{
        "claim_id": claim_id, "line": line, "sheet": sheet, "row": row, "column": column,
        "rule": rule, "severity": r.severity, "field": field, "value": _fmt_value(value),
        "message": message, "fix": fix or r.fix,
    }], columns=COLUMNS)


def concat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return empty()
    out = pd.concat(frames, ignore_index=True)
    return out[COLUMNS]


def apply_settings(findings: pd.DataFrame, settings: pd.DataFrame | None,
                   sheet: str = "RuleSettings") -> pd.DataFrame:
    """Apply the workbook's RuleSettings: drop disabled rules, override severities.

    A row naming an unknown rule is not applied and becomes an IO-RULE-SETTING warning (a
    typo would otherwise leave on a rule the clinic meant to switch off). A severity outside
    error/warning/info is already reported by the reader (IO-CHOICE) and read as blank.
    """
    if settings is None or settings.empty:
        return findings
    s = settings.dropna(subset=["rule"]).copy()
    s["rule"] = s["rule"].astype(str).str.strip().str.upper()
    unknown = ~s["rule"].isin(set(rulebook.load_all()))
    typos = from_mask(s, unknown, "IO-RULE-SETTING", "rule",
                      f"Rule '{{value}}' in sheet '{sheet}' row {{_row}} is not a ClaimBook "
                      "rule, so this row is ignored.", sheet=sheet)
    s = s[~unknown]
    out = findings
    if not out.empty and "enabled" in s:
        off = set(s.loc[s["enabled"].eq(False), "rule"])
        out = out[~out["rule"].isin(off)]
    if not out.empty and "severity" in s:
        sev = s.dropna(subset=["severity"]).set_index("rule")["severity"].astype(str).str.lower()
        sev = sev[sev.isin(list(rulebook.SEVERITY_ORDER))]
        if len(sev):
            mapped = out["rule"].map(sev[~sev.index.duplicated(keep="last")])
            out = out.assign(severity=mapped.fillna(out["severity"]).astype(object))
    return concat([out, typos]).reset_index(drop=True)


def sort(findings: pd.DataFrame) -> pd.DataFrame:
    """Stable order: by sheet, Excel row, severity, rule (identical for identical input)."""
    if findings.empty:
        return findings
    sev = findings["severity"].map(rulebook.SEVERITY_ORDER)
    order = findings.assign(_sev=sev, _r=pd.to_numeric(findings["row"], errors="coerce"))
    order = order.sort_values(["sheet", "_r", "claim_id", "_sev", "rule", "field", "value"],
                              kind="stable", na_position="first")
    return order.drop(columns=["_sev", "_r"]).reset_index(drop=True)


def worst_by_claim(findings: pd.DataFrame) -> pd.Series:
    """Worst severity per claim id ('error' < 'warning' < 'info'), as text."""
    f = findings[findings["claim_id"].astype(str).ne("")]
    if f.empty:
        return pd.Series(dtype=object)
    rank = f["severity"].map(rulebook.SEVERITY_ORDER)
    best = rank.groupby(f["claim_id"].astype(str)).min()
    inv = {v: k for k, v in rulebook.SEVERITY_ORDER.items()}
    return best.map(inv)
