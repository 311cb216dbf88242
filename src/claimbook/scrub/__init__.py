"""The claim scrubber: what a payer would reject or underpay, as findings.

`scrub_claims(book, as_of, ledger=None)` runs every rule of `claimbook.rules.scrub` over the
whole workbook, vectorized, and returns one findings table (see claimbook.findings) in stable
order. Rule areas live in their own modules: required, coverage, dates, duplicates, money,
combos, auth. RuleSettings are applied by the caller (`findings.apply_settings`, done by
`RunContext.all_findings` and the `scrub` command).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from claimbook import findings as F
from claimbook.book import Book, as_date
from claimbook.ledger import Ledger
from claimbook.scrub import auth, combos, coverage, dates, duplicates, money, required
from claimbook.scrub.data import prepare

AREAS = (required, coverage, dates, duplicates, money, combos, auth)


def scrub_claims(book: Book, as_of: date | str | pd.Timestamp | None = None,
                 ledger: Ledger | None = None) -> pd.DataFrame:
    """Findings of every scrub rule for the workbook's claims as of `as_of` (default today)."""
    if book.get("Claims").empty:
        return F.empty()
    sd = prepare(book, as_of_day := as_date(as_of), ledger)
    del as_of_day
    frames: list[pd.DataFrame] = []
    for area in AREAS:
        frames += area.check(sd)
    return F.sort(F.concat(frames))


__all__ = ["scrub_claims"]
