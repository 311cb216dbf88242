"""`claimbook statements WORKBOOK [--out DIR]`: patient statements as PDF."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def statements(
        workbook: Path = typer.Argument(..., help="The clinic workbook (.xlsx/.xlsm)."),
        out: Path = typer.Option(None, "--out", help="Folder for the statement PDFs "
                                 "(default: a 'statements' folder beside the workbook)."),
        results: Path = typer.Option(None, "--results", help="Results workbook with the "
                                     "Statements and Receipts sheets (default: "
                                     "<workbook>-statements.xlsx)."),
        as_of: str = typer.Option(None, "--as-of", help="Statement date YYYY-MM-DD "
                                  "(default today)."),
        ledger: Path = typer.Option(None, "--ledger", help="Ledger file."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Write the PDFs without "
                                     "recording the run in the ledger."),
    ) -> None:
        """Itemized patient statements after insurance: one PDF per patient and one print file.

        Balances come from the remittances posted in the ledger (run `claimbook run` or the
        reconcile job first) minus the PatientPayments; claims waiting on insurance, under
        dispute or with no balance get no statement.
        """
        from rich.table import Table

        from claimbook.commands.core import console, err, fail
        from claimbook.errors import ClaimBookError
        from claimbook.runner import run_workbook

        pdf_dir = out or workbook.resolve().parent / "statements"
        try:
            report = run_workbook(
                workbook, out=results or workbook.with_name(f"{workbook.stem}-statements.xlsx"),
                as_of=as_of, ledger=ledger, only={"statements"},
                options={"statements_dir": str(pdf_dir), "dry_run": dry_run},
                command="statements")
        except ClaimBookError as exc:
            fail(exc)
        for stage, problem in report.ctx.errors:
            err.print(f"[bold red]Error in {stage}:[/] {problem}")
        r = report.ctx.state.get("statement_run")
        if r is None:
            raise typer.Exit(2)
        t = Table(title=f"Patient statements as of {report.as_of.date()}")
        t.add_column("Item")
        t.add_column("Value", justify="right")
        t.add_row("Statements", f"{len(r.statements):,}")
        t.add_row("Total due", f"{r.total_due_c / 100:,.2f}")
        for reason, n in r.skipped["reason"].str.split(":").str[0].value_counts().items():
            t.add_row(f"Claims not billed: {reason}", f"{n:,}")
        t.add_row("Patient payments posted", f"{len(r.receipts):,}")
        console.print(t)
        if r.files:
            console.print(f"Print file: [bold]{r.files[0]}[/] ({len(r.files) - 1:,} patient "
                          "files beside it)")
        console.print(f"Results workbook: [bold]{report.output}[/]")
