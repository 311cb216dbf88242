"""`claimbook batch WORKBOOK`: validate, scrub and write 837P files for the ready claims."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer

from claimbook.errors import ClaimBookError


def register(app: typer.Typer) -> None:
    @app.command()
    def batch(
        workbook: Path = typer.Argument(..., help="The clinic workbook (.xlsx/.xlsm)."),
        out: Path = typer.Option(None, "--out", help="Folder for the files (default: "
                                 "'batches' beside the workbook)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Write the files to a temporary "
                                     "folder and record nothing in the ledger."),
        include_warnings: bool = typer.Option(False, "--include-warnings", help="Also send "
                                              "claims whose worst finding is a warning."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON list with one object "
                                     "per file (file, payer_id, claims, lines, total_charge, "
                                     "isa13)."),
        max_per_st: int = typer.Option(5000, "--max-claims-per-st", min=1, max=5000,
                                       help="Most claims in one transaction set (ST)."),
        ledger: Path = typer.Option(None, "--ledger", help="Ledger file (default: "
                                    "$CLAIMBOOK_LEDGER or claimbook-ledger.sqlite beside the "
                                    "workbook)."),
        results: Path = typer.Option(None, "--results", help="Also write the Batches sheet "
                                     "to this results workbook (.xlsx)."),
        as_of: str = typer.Option(None, "--as-of", help="As-of date YYYY-MM-DD for the "
                                  "checks (default today)."),
    ) -> None:
        """Write X12 837P claim files (one per payer) for the claims that are ready."""
        from claimbook.commands.core import console, err, fail

        try:
            if as_of:
                try:
                    pd.Timestamp(as_of)
                except ValueError:
                    raise ClaimBookError(f"--as-of '{as_of}' is not a date.",
                                         "Use YYYY-MM-DD.") from None
            report = run_batch(workbook, out=out, dry_run=dry_run,
                               include_warnings=include_warnings, max_per_st=max_per_st,
                               ledger=ledger, results=results, as_of=as_of)
        except ClaimBookError as exc:
            fail(exc)
        result, errors = report
        for stage, problem in errors:
            err.print(f"[yellow]Step '{stage}' could not finish:[/] {problem}")
        if as_json:
            typer.echo(json.dumps([f.model_dump() for f in result.files], indent=2))
            return
        if not result.files:
            console.print("No claim file written: no claim is ready to send.", soft_wrap=True)
        for f in result.files:
            console.print(f"{f.file}: payer {f.payer_id}, {f.claims} claims, {f.lines} lines, "
                          f"${f.total_charge:,.2f}, ISA13 {f.isa13}", soft_wrap=True)
        if result.dry_run and result.files:
            console.print("Dry run: nothing was recorded in the ledger.", soft_wrap=True)
        if len(result.held):
            console.print(f"{len(result.held)} claim(s) not sent; reasons:", soft_wrap=True)
            counts = result.held["reason"].str.replace(r"\d{4}-\d{2}-\d{2}", "<date>",
                                                       regex=True).str.replace(
                r"batch \S+", "batch <id>", regex=True).value_counts()
            for reason, n in counts.head(10).items():
                console.print(f"  {n:>6}  {reason}", soft_wrap=True)


def run_batch(workbook: Path, *, out: Path | None = None, dry_run: bool = False,
              include_warnings: bool = False, max_per_st: int = 5000,
              ledger: Path | None = None, results: Path | None = None,
              as_of: str | None = None):
    """Read the workbook, run validate/scrub/batch; return (BatchResult, stage errors)."""
    from claimbook import ledger as L
    from claimbook.io.reader import read_book
    from claimbook.pipeline import RunContext, run_stages

    book = read_book(workbook, check_lock=False)
    led = L.open_ledger(workbook, ledger)
    try:
        ctx = RunContext(book=book, as_of=pd.Timestamp(as_of or pd.Timestamp.today().date()),
                         ledger=led, workbook_path=Path(workbook),
                         options={"dry_run": dry_run, "include_warnings": include_warnings,
                                  "max_claims_per_st": max_per_st,
                                  "batch_dir": out})  # --out names the batches folder
        run_stages(ctx, only={"validate", "scrub", "batch"})
        result = ctx.state.get("batch_result")
        if ctx.state.get("batch_error") is not None:
            raise ctx.state["batch_error"]
        if result is None:
            problem = dict(ctx.errors).get("batch", "the batch step did not run")
            raise ClaimBookError(f"No claim file was written: {problem}",
                                 "Fix what the message says and run the batch again.")
        if not dry_run:
            led.audit("batch", workbook, {"files": len(result.files),
                                          "claims": int(result.batches["claims"].sum())
                                          if len(result.batches) else 0})
        if results is not None:
            from claimbook.io.writer import write_results

            write_results(results, [ctx.results["Batches"]], protect=[workbook])
        return result, [e for e in ctx.errors if e[0] != "batch"]
    finally:
        led.close()
