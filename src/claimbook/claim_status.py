"""Which claims are ready to send: Ready / Needs attention / Blocked from all findings.

A claim is **Blocked** when any finding on it is an error, **Needs attention** when its worst
finding is a warning, **Ready** otherwise (info findings do not hold a claim). An error in the
Practice sheet (billing provider data every claim carries) blocks every claim. The clean-claim
rate is the share of claims with no error and no warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimbook import rules as rulebook
from claimbook.results import Chart, ResultSheet, Section

READY, ATTENTION, BLOCKED = "Ready", "Needs attention", "Blocked"
STATUS_COLUMNS = ["claim_id", "status", "errors", "warnings", "infos"]
PRACTICE_SHEETS = ("Practice",)


def _claim_ids(findings: pd.DataFrame) -> pd.Series:
    return findings["claim_id"].astype(object).where(findings["claim_id"].notna(), "").astype(
        str)


def global_counts(findings: pd.DataFrame, practice_sheet: str = "Practice") -> dict[str, int]:
    """Errors not tied to a claim but carried by every claim (the Practice sheet)."""
    if findings.empty:
        return {"error": 0}
    f = findings[_claim_ids(findings).eq("")
                 & findings["sheet"].isin({practice_sheet, *PRACTICE_SHEETS})]
    return {"error": int(f["severity"].eq("error").sum())}


def claims_overview(claims: pd.DataFrame) -> pd.DataFrame:
    """One row per claim (workbook order): claim_id, patient, payer_id, dos, lines, charge,
    _row (Excel row of its first line)."""
    if claims.empty:
        return pd.DataFrame({"claim_id": pd.Series(dtype=object),
                             "patient": pd.Series(dtype=object),
                             "payer_id": pd.Series(dtype=object),
                             "dos": pd.Series(dtype="datetime64[ns]"),
                             "lines": pd.Series(dtype="int64"),
                             "charge": pd.Series(dtype=float), "_row": pd.Series(dtype="int64")})
    c = claims.dropna(subset=["claim_id"])
    g = c.groupby(c["claim_id"].astype(str), sort=False)
    out = pd.DataFrame({
        "patient": g["patient"].first(), "payer_id": g["payer_id"].first(),
        "dos": g["dos_from"].min(), "lines": g.size(),
        "charge": g["charge"].sum(min_count=1).round(2), "_row": g["_row"].min()})
    out.index.name = "claim_id"
    return out.reset_index()


def claim_status(findings: pd.DataFrame, claims: pd.DataFrame,
                 practice_sheet: str = "Practice") -> pd.DataFrame:
    """claim_id, status, errors, warnings, infos for every claim of the Claims table.

    Errors in `practice_sheet` that belong to no claim count against every claim."""
    ids = pd.Index(pd.unique(claims["claim_id"].dropna().astype(str)), name="claim_id")
    counts = pd.DataFrame(0, index=ids, columns=["error", "warning", "info"], dtype="int64")
    if not findings.empty:
        cid = _claim_ids(findings)
        f = findings[cid.isin(ids)]
        if len(f):
            tab = f.groupby([_claim_ids(f), f["severity"]]).size().unstack(fill_value=0)
            tab = tab.reindex(columns=counts.columns, fill_value=0)
            counts.loc[tab.index, :] = tab.to_numpy()
    counts["error"] += global_counts(findings, practice_sheet)["error"]
    status = np.where(counts["error"] > 0, BLOCKED,
                      np.where(counts["warning"] > 0, ATTENTION, READY))
    return pd.DataFrame({"claim_id": ids.to_numpy(dtype=object), "status": status,
                         "errors": counts["error"].to_numpy(),
                         "warnings": counts["warning"].to_numpy(),
                         "infos": counts["info"].to_numpy()})


def clean_claim_rate(status: pd.DataFrame) -> float | None:
    """Claims with no error and no warning / all claims (None when there are no claims)."""
    if status.empty:
        return None
    return float(((status["errors"] == 0) & (status["warnings"] == 0)).mean())


def rule_summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings and claims affected per rule and severity, worst severity first."""
    cols = ["Rule", "Title", "Severity", "Findings", "Claims"]
    if findings.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    cat = rulebook.load_all()
    cid = _claim_ids(findings)
    g = findings.assign(_c=cid.where(cid.ne(""))).groupby(["rule", "severity"], sort=False)
    out = pd.DataFrame({"Findings": g.size(), "Claims": g["_c"].nunique()}).reset_index()
    out["Title"] = out["rule"].map(lambda r: cat[r].title if r in cat else "")
    out["_sev"] = out["severity"].map(rulebook.SEVERITY_ORDER)
    out = out.sort_values(["_sev", "Findings", "rule"], ascending=[True, False, True],
                          kind="stable")
    out = out.rename(columns={"rule": "Rule", "severity": "Severity"})
    return out[cols].reset_index(drop=True)


def cell_links(sheet: pd.Series | str, column: pd.Series | str, row: pd.Series,
               prefix: str) -> pd.Series:
    """Hyperlink targets such as `#'Claims'!F12` (prefix '#') or `clinic.xlsx#'Claims'!F12`;
    empty where the row is unknown."""
    row = pd.to_numeric(pd.Series(row), errors="coerce")
    idx = row.index
    sheet = pd.Series(sheet, index=idx) if isinstance(sheet, str) else sheet
    column = pd.Series(column, index=idx) if isinstance(column, str) else column
    col = column.fillna("").astype(str).replace("", "A")
    rtxt = row.fillna(0).astype("int64").astype(str)
    target = (prefix + "'" + sheet.fillna("").astype(str).str.replace("'", "''") + "'!" + col
              + rtxt)
    return target.where(row.notna() & row.gt(0), "").astype(object)


def claim_status_sheet(findings: pd.DataFrame, claims: pd.DataFrame,
                       batches: pd.DataFrame | None = None, *,
                       link_prefix: str | None = "#",
                       practice_sheet: str = "Practice") -> ResultSheet:
    """The `Claim Status` sheet: every claim with its status and counts, then claims by
    status, then findings by rule and severity; the clean-claim rate on top.

    `batches` (claim_id, batch_id, submitted) adds the batch each claim went out in.
    """
    status = claim_status(findings, claims, practice_sheet)
    over = claims_overview(claims)
    top = _first_problem(findings)
    t = over.merge(status, on="claim_id", how="left").merge(top, on="claim_id", how="left")
    frame = pd.DataFrame({
        "Claim ID": t["claim_id"], "Account #": t["patient"], "Payer": t["payer_id"],
        "DOS": t["dos"], "Lines": t["lines"].astype("int64"), "Charge": t["charge"],
        "Status": t["status"], "Errors": t["errors"].astype("int64"),
        "Warnings": t["warnings"].astype("int64"), "Info": t["infos"].astype("int64"),
        "First problem": t["problem"].fillna("")})
    formats = {"DOS": "date", "Lines": "int", "Charge": "money", "Errors": "int",
               "Warnings": "int", "Info": "int"}
    if batches is not None and len(batches):
        b = batches.drop_duplicates("claim_id", keep="last").set_index("claim_id")
        frame["Batch"] = t["claim_id"].map(b["batch_id"]).fillna("")
        frame["Submitted"] = pd.to_datetime(t["claim_id"].map(b["submitted"]), errors="coerce")
        formats["Submitted"] = "date"
    links = {}
    if link_prefix is not None and len(t):
        letter = claims.attrs.get("columns", {}).get("claim_id", "A")
        links["Claim ID"] = cell_links(claims.attrs.get("sheet", "Claims"), letter, t["_row"],
                                       link_prefix)
    n = len(frame)
    by_status = pd.DataFrame({"Status": [READY, ATTENTION, BLOCKED]})
    by_status["Claims"] = by_status["Status"].map(frame["Status"].value_counts()).fillna(
        0).astype("int64")
    by_status["Share"] = (by_status["Claims"] / n * 100).round(1) if n else 0.0
    rate = clean_claim_rate(status)
    clean = int(((status["errors"] == 0) & (status["warnings"] == 0)).sum())
    intro = [
        f"Clean-claim rate: {rate:.1%} ({clean:,} of {n:,} claims have no error and no "
        "warning; target 95% or more)." if rate is not None else "No claims in the workbook.",
        ("Ready: nothing above info. Needs attention: the worst finding is a warning. "
         "Blocked: at least one error; the claim is not sent until it is fixed."),
        "Details of each problem are in the Findings sheet.",
    ]
    summary = rule_summary(findings)
    sections = [
        Section(frame, title="Claims", formats=formats, links=links, status_column="Status"),
        Section(by_status, title="Claims by status", formats={"Claims": "int",
                                                              "Share": "percent"},
                status_column="Status",
                charts=[Chart("pie", "Claims by status", "Status", ["Claims"])] if n else []),
        Section(summary, title="Findings by rule and severity",
                formats={"Findings": "int", "Claims": "int"}, severity_column="Severity",
                charts=[Chart("bar", "Findings by rule", "Rule", ["Findings"])]
                if len(summary) else []),
    ]
    return ResultSheet("Claim Status", sections, intro=intro)


def _first_problem(findings: pd.DataFrame) -> pd.DataFrame:
    """The worst (then first in sheet order) finding of each claim, as 'RULE: message'."""
    if findings.empty:
        return pd.DataFrame({"claim_id": pd.Series(dtype=object),
                             "problem": pd.Series(dtype=object)})
    cid = _claim_ids(findings)
    f = findings[cid.ne("") & findings["severity"].isin(["error", "warning"])]
    if f.empty:
        return pd.DataFrame({"claim_id": pd.Series(dtype=object),
                             "problem": pd.Series(dtype=object)})
    f = f.assign(_c=_claim_ids(f), _s=f["severity"].map(rulebook.SEVERITY_ORDER),
                 _r=pd.to_numeric(f["row"], errors="coerce"))
    f = f.sort_values(["_c", "_s", "_r"], kind="stable").drop_duplicates("_c")
    return pd.DataFrame({"claim_id": f["_c"].to_numpy(),
                         "problem": (f["rule"] + ": " + f["message"]).to_numpy()})
