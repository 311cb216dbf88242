"""Reconciling 835 remittances: match, post once, and list every problem.

`reconcile(book, era, ledger)` matches the parsed remittances to the workbook's claims, posts
what was not posted before into the ledger, and returns the ledger-wide postings, claim
balances and the exceptions queue. See docs/reconciliation.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from claimbook.book import Book
from claimbook.errors import X12Error
from claimbook.ledger import Ledger
from claimbook.reconcile import exceptions as X
from claimbook.reconcile import match, postings
from claimbook.reconcile.post import PostResult, already_posted, post
from claimbook.x12.x835 import Era, parse_texts


@dataclass
class Reconciliation:
    result: PostResult
    postings: postings.Postings
    balances: pd.DataFrame
    exceptions: pd.DataFrame
    era: Era | None = None


def self_pay_payers(book: Book) -> set[str]:
    """Payers with filing indicator 09 (self-pay): they never send a remittance."""
    p = book.get("Payers")
    return set(p.loc[p["filing_indicator"].eq("09"), "payer_id"].dropna())


def import_era(book: Book, era: Era, ledger: Ledger,
               texts: dict[str, str] | None = None) -> PostResult:
    """Match and post `era` (only what is not posted yet)."""
    done = already_posted(era, ledger)
    if done is not None:  # a re-import: nothing to match or post
        return done
    before = postings.load_light(ledger)
    claims = match.known_claims(book, before["submissions"])
    lines = match.known_lines(book, before["submitted_lines"])
    cm = match.match_claims(era, claims, book.get("Coverage"), before["claim_payments"])
    lm = match.match_lines(era, cm, lines)
    return post(era, cm, lm, ledger, texts)


def reconcile(book: Book, era: Era | None, ledger: Ledger, as_of: pd.Timestamp,
              texts: dict[str, str] | None = None) -> Reconciliation:
    """Import `era` (may be None), then compute balances and the exceptions queue."""
    if era is not None:
        result = import_era(book, era, ledger, texts)
    else:
        result = PostResult(pd.DataFrame(), pd.DataFrame())
    p = postings.load(ledger)
    bal = postings.claim_balances(book, p)
    parts = [
        X.imbalances(p, era),
        X.unmatched(p), X.orphan_reversals(p),
        X.line_problems(book, p, book.practice), X.balances(bal),
        X.no_remittance(bal, as_of, book.practice.no_remit_days, self_pay_payers(book)),
        X.deposits(book, p),
        X.duplicates(result.duplicates) if len(result.duplicates) else None,
    ]
    return Reconciliation(result, p, bal, X.queue(parts), era)


def _failure(name: str, exc: Exception) -> str:
    """One file's failure as a message: an X12Error as worded, anything else named plainly."""
    if isinstance(exc, X12Error):
        return str(exc)
    return (f"{name}: could not be read as an 835 remittance ({type(exc).__name__}: {exc}); "
            "nothing in it was posted. Ask the payer or clearinghouse to resend it; if it "
            "looks right, report it with the file to ClaimBook support.")


def read_remittances(paths: list) -> tuple[Era | None, dict[str, str], list[tuple[str, str]]]:
    """Parse 835 files; a file that fails for any reason is reported (file, message) and the
    others are still read.

    Returns (era of the readable files or None, {file name: text}, [(file, error)]).
    """
    items, errors = [], []
    for p in paths:
        name = Path(p).name
        try:
            items.append((name, Path(p).read_text(encoding="latin-1")))
        except OSError as exc:
            errors.append((name, f"{name}: cannot be read ({exc.strerror})."))
    try:
        era = parse_texts(items) if items else None
    except Exception:  # noqa: BLE001 - find the failing file(s); the others are still read
        good = []
        for name, text in items:
            try:
                parse_texts([(name, text)])
                good.append((name, text))
            except Exception as exc:  # noqa: BLE001 - one bad file never stops the others
                errors.append((name, _failure(name, exc)))
        items = good
        era = parse_texts(items) if items else None
    return era, dict(items), errors
