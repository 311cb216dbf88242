"""Stage 35: after the batch stage, show each claim's batch and submission date on the
Claim Status sheet (the sheet is first built at stage 25, before anything is sent)."""

from __future__ import annotations

from claimbook.claim_status import claim_status_sheet
from claimbook.pipeline import RunContext, Stage


def run(ctx: RunContext) -> None:
    batches = ctx.state.get("claim_batches")
    if batches is None or "Claim Status" not in ctx.results:
        return
    ctx.add_sheet(claim_status_sheet(ctx.all_findings(), ctx.book.get("Claims"), batches,
                                     link_prefix=ctx.options.get("link_prefix", "#"),
                                     practice_sheet=ctx.book.sheet("Practice")))


STAGE = Stage("claim_batches", 35, run, "Batch and submission date on the Claim Status sheet.")
