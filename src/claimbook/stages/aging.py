"""Stage `aging` (50): Aging, Aging Summary and (with AgingImport) Aging Reconciliation."""

from __future__ import annotations

from claimbook.aging import aging_detail, aging_sheets
from claimbook.ledger import Ledger
from claimbook.pipeline import RunContext, Stage
from claimbook.reconcile import postings
from claimbook.reconcile.aging_import import reconcile_aging
from claimbook.results import ResultSheet


def run(ctx: RunContext) -> None:
    r = ctx.state.get("reconciliation")
    if r is not None:
        p = r.postings
    else:
        if ctx.ledger is None:
            ctx.ledger = Ledger(":memory:")
        p = postings.load(ctx.ledger)
    basis = ctx.options.get("aging_from", "dos")
    bal = postings.claim_balances(ctx.book, p, ctx.as_of)
    detail = aging_detail(bal, ctx.as_of, basis)
    for sheet in aging_sheets(detail, ctx.as_of, basis):
        ctx.add_sheet(sheet)
    if ctx.book.has("AgingImport"):
        diff = reconcile_aging(ctx.book, detail)
        ctx.add_sheet(ResultSheet.single(
            "Aging Reconciliation", diff,
            intro=["Differences between the AgingImport sheet and ClaimBook's aging."]))
        ctx.summary["Aging differences"] = len(diff)
    ctx.state.update(postings=p, balances=bal, aging_detail=detail)
    ctx.summary["A/R total"] = float(round(detail["balance"].sum(), 2))


STAGE = Stage("aging", 50, run, "A/R aging by bucket, payer and patient.")
