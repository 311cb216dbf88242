"""Stage `reconcile` (40): post the 835 files and add Payments, Provider Adjustments and
Exceptions sheets.

Files: ctx.options['era_files'], else every *.835 in <workbook folder>/remits/. Without a ledger
in the context the postings live in memory for this run only.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from claimbook.ledger import Ledger
from claimbook.pipeline import RunContext, Stage
from claimbook.reconcile import exceptions as X
from claimbook.reconcile import read_remittances, reconcile
from claimbook.reconcile.sheets import exceptions_sheet, payments_sheet, provider_adjustments_sheet


def era_files(ctx: RunContext) -> list[Path]:
    given = ctx.options.get("era_files")
    if given is not None:
        return [Path(p) for p in given]
    base = ctx.workbook_path.parent if ctx.workbook_path else None
    if base is None and ctx.book.path is not None:
        base = Path(ctx.book.path).parent
    if base is None or not (base / "remits").is_dir():
        return []
    return sorted((base / "remits").glob("*.835"))


def run(ctx: RunContext) -> None:
    files = era_files(ctx)
    era, texts, errors = read_remittances(files)
    if ctx.ledger is None:
        ctx.ledger = Ledger(":memory:")
    r = reconcile(ctx.book, era, ctx.ledger, ctx.as_of, texts)
    if errors:
        bad = pd.DataFrame({
            "type": "Unreadable remittance", "claim": None, "line": None, "payer": None,
            "amount": float("nan"), "reason": [m for _, m in errors],
            "next_action": "Ask the payer or clearinghouse to resend the file; nothing in it "
                           "was posted.", "source": [f for f, _ in errors]})
        r.exceptions = X.queue([bad, r.exceptions])
    ctx.state["reconciliation"] = r
    ctx.add_sheet(payments_sheet(r))
    ctx.add_sheet(provider_adjustments_sheet(r))
    ctx.add_sheet(exceptions_sheet(r))
    ctx.summary["Remittance files read"] = len(files) - len(errors)
    ctx.summary["Remittances posted"] = len(r.result.posted)
    ctx.summary["Remittances already posted"] = len(r.result.duplicates)
    ctx.summary["Exceptions"] = len(r.exceptions)


STAGE = Stage("reconcile", 40, run, "Post 835 remittances; Payments and Exceptions sheets.")
