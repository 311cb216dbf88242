"""Stage `findings` (order 25): the `Findings` and `Claim Status` sheets from the findings of
every earlier stage (reader, validate, scrub), with RuleSettings applied.

Leaves `ctx.state['claim_status']` (claim_id, status, errors, warnings, infos) and
`ctx.state['clean_claim_rate']` (0..1, None without claims) for later stages. Hyperlinks point
at the input workbook: targets are `{link_prefix}'Sheet'!F12` with
`ctx.options['link_prefix']` (default '#', a link inside the same file).
"""

from __future__ import annotations

import pandas as pd

from claimbook.claim_status import (
    ATTENTION,
    BLOCKED,
    READY,
    cell_links,
    claim_status,
    claim_status_sheet,
    clean_claim_rate,
)
from claimbook.pipeline import RunContext, Stage
from claimbook.results import ResultSheet, Section

HEADERS = {"claim_id": "Claim ID", "line": "Line", "sheet": "Sheet", "row": "Row",
           "cell": "Cell", "rule": "Rule", "severity": "Severity", "field": "Field",
           "value": "Value", "message": "Message", "fix": "How to fix"}


def findings_sheet(findings: pd.DataFrame, link_prefix: str = "#") -> ResultSheet:
    """One row per finding, the Cell column linking to the offending cell."""
    f = findings.reset_index(drop=True)
    row = pd.to_numeric(f["row"], errors="coerce")
    col = f["column"].fillna("").astype(str)
    cell = (col.replace("", "A") + row.fillna(0).astype("int64").astype(str)).where(
        row.notna() & row.gt(0), "")
    line = pd.to_numeric(f["line"], errors="coerce").astype("Int64")
    frame = pd.DataFrame({
        "Claim ID": f["claim_id"].fillna("").astype(str), "Line": line,
        "Sheet": f["sheet"].fillna("").astype(str), "Row": row.astype("Int64"),
        "Cell": cell.astype(object), "Rule": f["rule"], "Severity": f["severity"],
        "Field": f["field"].fillna(""), "Value": f["value"].fillna(""),
        "Message": f["message"], "How to fix": f["fix"]})
    links = {"Cell": cell_links(f["sheet"].fillna(""), col, row, link_prefix)}
    n = len(frame)
    counts = frame["Severity"].value_counts()
    intro = [(f"{n:,} findings: {int(counts.get('error', 0)):,} errors (block the claim), "
              f"{int(counts.get('warning', 0)):,} warnings, {int(counts.get('info', 0)):,} "
              "info. Click a Cell to open the offending cell; rules are explained by "
              "`claimbook rules RULE`.")]
    return ResultSheet("Findings", [Section(
        frame, title="Findings", formats={"Line": "int", "Row": "int"}, links=links,
        severity_column="Severity")], intro=intro)


def run(ctx: RunContext) -> None:
    f = ctx.all_findings()
    prefix = ctx.options.get("link_prefix", "#")
    claims = ctx.book.get("Claims")
    practice = ctx.book.sheet("Practice")
    ctx.add_sheet(findings_sheet(f, prefix))
    status = claim_status(f, claims, practice)
    rate = clean_claim_rate(status)
    ctx.state["claim_status"] = status
    ctx.state["clean_claim_rate"] = rate
    ctx.add_sheet(claim_status_sheet(f, claims, ctx.state.get("claim_batches"),
                                     link_prefix=prefix, practice_sheet=practice))
    for label, value in ((READY, "Claims ready"), (ATTENTION, "Claims needing attention"),
                         (BLOCKED, "Claims blocked")):
        ctx.summary[value] = int((status["status"] == label).sum())
    if rate is not None:
        ctx.summary["Clean-claim rate"] = f"{rate:.1%}"


STAGE = Stage("findings", 25, run, "Findings and Claim Status sheets.")
