"""`claimbook scrub WORKBOOK`: validate and scrub the claims; list the findings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import typer

from claimbook.errors import ClaimBookError

JSON_KEYS = ["claim_id", "line", "row", "rule", "severity", "field", "value", "message", "fix"]


def scrub_workbook(workbook: Path, *, as_of: str | None = None, ledger: Path | None = None,
                   results: Path | None = None):
    """Read the workbook and run the validate, scrub (and findings) stages.

    Returns the RunContext. The ledger is read when one exists (or `ledger` is given) so
    claims already sent are recognised; nothing is written to it.
    """
    from claimbook import ledger as L
    from claimbook.io.reader import read_book
    from claimbook.pipeline import RunContext, run_stages
    from claimbook.runner import as_of_ts

    book = read_book(workbook)
    path = L.resolve_path(workbook, ledger)
    led = L.Ledger(path) if (ledger is not None or path.exists()) else None
    try:
        opts = {}
        if results is not None:
            import os

            rel = os.path.relpath(Path(workbook).resolve(), Path(results).resolve().parent)
            opts["link_prefix"] = f"{Path(rel).as_posix()}#"
        ctx = RunContext(book=book, as_of=as_of_ts(as_of), ledger=led,
                         workbook_path=Path(workbook), options=opts)
        only = {"validate", "scrub"} | ({"findings"} if results is not None else set())
        run_stages(ctx, only=only)
        if results is not None:
            from claimbook.io.writer import write_results

            write_results(results, [ctx.results[n] for n in ("Claim Status", "Findings")
                                    if n in ctx.results], protect=[workbook])
        return ctx
    finally:
        if led is not None:
            led.close()


def json_lines(findings: pd.DataFrame) -> list[str]:
    """One JSON object per finding with the keys of `claimbook validate --json`."""
    out = []
    for rec in findings[[k for k in JSON_KEYS]].to_dict("records"):
        for k in ("line", "row"):
            v = rec[k]
            rec[k] = None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) \
                else int(v)
        rec["claim_id"] = rec["claim_id"] or None
        out.append(json.dumps(rec, ensure_ascii=False))
    return out


def register(app: typer.Typer) -> None:
    @app.command()
    def scrub(
        workbook: Path = typer.Argument(..., help="The clinic workbook (.xlsx/.xlsm)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object per "
                                     "finding (claim_id, line, row, rule, severity, field, "
                                     "value, message, fix)."),
        as_of: str = typer.Option(None, "--as-of", help="As-of date YYYY-MM-DD for future "
                                  "dates and timely filing (default today)."),
        ledger: Path = typer.Option(None, "--ledger", help="Ledger file with the claims "
                                    "already sent (default: $CLAIMBOOK_LEDGER or "
                                    "claimbook-ledger.sqlite beside the workbook, if it "
                                    "exists)."),
        results: Path = typer.Option(None, "--results", help="Also write the Findings and "
                                     "Claim Status sheets to this workbook (.xlsx)."),
    ) -> None:
        """Check every claim for what a payer would reject: codes, required data, coverage,
        dates, timely filing, duplicates, charges, code pairs, authorization."""
        from claimbook.claim_status import ATTENTION, BLOCKED, READY, claim_status, clean_claim_rate
        from claimbook.commands.core import console, err, fail

        try:
            ctx = scrub_workbook(workbook, as_of=as_of, ledger=ledger, results=results)
        except ClaimBookError as exc:
            fail(exc)
        for stage, problem in ctx.errors:
            err.print(f"[yellow]Step '{stage}' could not finish:[/] {problem}")
        f = ctx.all_findings()
        if as_json:
            for line in json_lines(f):
                typer.echo(line)
            return
        for r in f.itertuples(index=False):
            where = f"{r.sheet}!{r.column}{'' if pd.isna(r.row) else int(r.row)}"
            console.print(f"{r.severity.upper():<7} {r.rule:<18} {where:<16} {r.message}",
                          soft_wrap=True, markup=False, highlight=False)
        status = claim_status(f, ctx.book.get("Claims"), ctx.book.sheet("Practice"))
        rate = clean_claim_rate(status)
        counts = status["status"].value_counts()
        sev = f["severity"].value_counts()
        console.print(
            f"{len(f):,} findings ({int(sev.get('error', 0)):,} errors, "
            f"{int(sev.get('warning', 0)):,} warnings, {int(sev.get('info', 0)):,} info). "
            f"Claims: {int(counts.get(READY, 0)):,} ready, {int(counts.get(ATTENTION, 0)):,} "
            f"need attention, {int(counts.get(BLOCKED, 0)):,} blocked"
            + (f"; clean-claim rate {rate:.1%}." if rate is not None else "."),
            soft_wrap=True, markup=False, highlight=False)
        if results is not None:
            console.print(f"Findings and Claim Status written to {results}", soft_wrap=True)
