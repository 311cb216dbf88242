"""Stage `batch` (order 30): write 837P files for the ready claims and the `Batches` sheet.

Refuses to send anything unless the validate and scrub stages finished in this context
(`require_checks`). Reads readiness from every finding so far (`ctx.all_findings()`) as the
Claim Status sheet does, writes the files to
`ctx.out_dir / "batches"`, records them in the ledger (unless `ctx.options["dry_run"]`), and
leaves the batch id and submitted date of every claim in `ctx.state["claim_batches"]`
(claim_id, batch_id, submitted) for the Claim Status sheet.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from claimbook import batches as B
from claimbook.errors import ClaimBookError
from claimbook.pipeline import RunContext, Stage
from claimbook.results import ResultSheet, Section


def batch_dir(ctx: RunContext) -> Path:
    if ctx.options.get("batch_dir"):
        return Path(ctx.options["batch_dir"])
    base = ctx.out_dir or (ctx.workbook_path.parent if ctx.workbook_path else Path.cwd())
    return Path(base) / "batches"


def options(ctx: RunContext) -> B.BatchOptions:
    o = ctx.options
    return B.BatchOptions(include_warnings=bool(o.get("include_warnings", False)),
                          dry_run=bool(o.get("dry_run", False)),
                          max_claims_per_st=int(o.get("max_claims_per_st") or 5000))


def sheet(result: B.BatchResult) -> ResultSheet:
    """The `Batches` sheet: one row per file, then the claims held back and why."""
    b = result.batches.rename(columns={
        "batch_id": "Batch ID", "payer_id": "Payer ID", "payer": "Payer", "claims": "Claims",
        "lines": "Lines", "total_charge": "Total charge", "file": "File name",
        "isa13": "ISA13", "created": "Created"})
    b = b.astype({"Claims": "int64", "Lines": "int64", "Total charge": "float64"})
    held = result.held.rename(columns={"claim_id": "Claim ID", "payer_id": "Payer ID",
                                       "reason": "Why it was not sent"})
    if result.dry_run:
        where = (f"Dry run: files written to {result.out_dir} for review; nothing was "
                 "recorded in the ledger.") if result.out_dir else "Dry run: nothing to send."
    else:
        where = (f"Files written to {result.out_dir}." if result.out_dir else
                 "No claim was ready to send.")
    intro = [f"{len(b)} claim file(s), {int(b['Claims'].sum()) if len(b) else 0} claim(s). "
             + where]
    return ResultSheet("Batches", [
        Section(b, title="837P files",
                formats={"Total charge": "money", "Created": "datetime", "Claims": "int",
                         "Lines": "int"}),
        Section(held, title="Claims not sent"),
    ], intro=intro)


# The checks that must have finished in this run before any claim is sent.
CHECKS = ("validate", "scrub")


def require_checks(ctx: RunContext) -> None:
    """Raise when the validate or scrub step failed or did not run in this context: their
    findings are what keeps claims with errors from going out."""
    failed = dict(ctx.errors)
    for name in CHECKS:
        if name in failed:
            why = f"the '{name}' step failed ({failed[name]})"
            fix = (f"Fix what the '{name}' step reports (Summary sheet, 'Steps that could not "
                   "finish') and run the batch again.")
        elif name not in ctx.finished:
            why = f"the '{name}' step did not run"
            fix = ("Run the validate and scrub steps before the batch in the same run "
                   "(claimbook batch and claimbook run do).")
        else:
            continue
        raise ClaimBookError(
            f"No claim was sent and no claim file was written: {why}, so claims with errors "
            "could not be told apart from ready ones.", fix)


def run(ctx: RunContext) -> None:
    opts = options(ctx)
    try:
        require_checks(ctx)
        result = B.build(ctx.book, ctx.all_findings(), ctx.ledger, batch_dir(ctx), opts)
    except ClaimBookError as exc:
        ctx.state["batch_error"] = exc  # `claimbook batch` shows it with its fix
        raise
    ctx.add_sheet(sheet(result))
    claims = ctx.book.get("Claims")["claim_id"].dropna().astype(str)
    history = B.claim_batches_from_ledger(ctx.ledger, claims)
    if result.dry_run:
        cb = history
    else:
        cb = pd.concat([history[~history["claim_id"].isin(result.claim_batches["claim_id"])],
                        result.claim_batches], ignore_index=True)
    ctx.state["claim_batches"] = cb.reset_index(drop=True)
    ctx.state["batch_result"] = result
    ctx.summary["Claim files written" + (" (dry run)" if opts.dry_run else "")] = len(
        result.batches)
    ctx.summary["Claims sent" + (" (dry run)" if opts.dry_run else "")] = int(
        result.batches["claims"].sum()) if len(result.batches) else 0


STAGE = Stage("batch", 30, run, "Write 837P claim files for the ready claims")
