"""`claimbook aging WORKBOOK [--as-of DATE] [--from dos|submitted]`."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def aging(
        workbook: Path = typer.Argument(..., help="The clinic workbook (.xlsx/.xlsm)."),
        as_of: str = typer.Option(None, "--as-of", help="Age as of YYYY-MM-DD (default "
                                  "today)."),
        basis: str = typer.Option("dos", "--from", help="Age from the date of service (dos) "
                                  "or the submission date (submitted)."),
        out: Path = typer.Option(None, "--out", help="Results workbook."),
        ledger: Path = typer.Option(None, "--ledger", help="Ledger file."),
    ) -> None:
        """A/R aging by bucket, payer and patient (Aging and Aging Summary sheets)."""
        from rich.table import Table

        from claimbook.aging import by_bucket
        from claimbook.commands.core import console, err, fail
        from claimbook.errors import ClaimBookError
        from claimbook.runner import run_workbook

        if basis not in ("dos", "submitted"):
            fail(ClaimBookError(f"--from '{basis}' is not known.", "Use --from dos or "
                                "--from submitted."))
        try:
            report = run_workbook(workbook, out=out, as_of=as_of, ledger=ledger,
                                  only={"aging"}, options={"aging_from": basis},
                                  command="aging")
        except ClaimBookError as exc:
            fail(exc)
        for stage, problem in report.ctx.errors:
            err.print(f"[bold red]Error in {stage}:[/] {problem}")
        detail = report.ctx.state.get("aging_detail")
        if detail is None:
            raise typer.Exit(2)
        t = Table(title=f"A/R aging as of {report.as_of.date()} (from "
                  f"{'date of service' if basis == 'dos' else 'submission'})")
        for c in ("Bucket", "Claims", "Insurance", "Patient", "Total", "Share"):
            t.add_column(c, justify="left" if c == "Bucket" else "right")
        for r in by_bucket(detail).itertuples(index=False):
            t.add_row(r.bucket, f"{r.claims:,}", f"{r.insurance_balance:,.2f}",
                      f"{r.patient_balance:,.2f}", f"{r.balance:,.2f}", f"{r.share:.1%}")
        console.print(t)
        console.print(f"Results workbook: [bold]{report.output}[/]")
