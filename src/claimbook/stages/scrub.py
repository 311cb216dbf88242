"""Stage `scrub` (order 20): the claim scrubber's findings (see claimbook.scrub)."""

from __future__ import annotations

from claimbook.pipeline import RunContext, Stage
from claimbook.scrub import scrub_claims


def run(ctx: RunContext) -> None:
    f = scrub_claims(ctx.book, ctx.as_of, ctx.ledger)
    ctx.findings.append(f)
    ctx.summary["Scrub findings"] = len(f)


STAGE = Stage("scrub", 20, run, "Scrub claims: required data, coverage, dates, timely filing, "
              "duplicates, charges, code combinations, prior authorization.")
