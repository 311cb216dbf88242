"""`claimbook eligibility WORKBOOK [--270 DIR] [--271 FILE...]`: insurance verification."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def eligibility(
        workbook: Path = typer.Argument(..., help="The clinic workbook (.xlsx/.xlsm)."),
        x270: Path = typer.Option(None, "--270", help="Write 270 eligibility requests "
                                  "(005010X279A1), one file per payer, into this folder."),
        x271: list[Path] = typer.Option(None, "--271", help="271 response file(s) to read "
                                        "(repeat the option for several)."),
        results: Path = typer.Option(None, "--results", help="Results workbook with the "
                                     "Eligibility sheet (default: "
                                     "<workbook>-eligibility.xlsx)."),
        ledger: Path = typer.Option(None, "--ledger", help="Ledger file (270 control "
                                    "numbers)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Number the 270 files without "
                                     "reserving control numbers in the ledger (test files)."),
    ) -> None:
        """Coverage on each appointment's date, estimated patient share, prior-auth flags."""
        from rich.table import Table

        from claimbook.commands.core import console, err, fail
        from claimbook.errors import ClaimBookError
        from claimbook.runner import run_workbook

        for f in x271 or []:
            if not f.exists():
                fail(ClaimBookError(f"The 271 file {f} does not exist.",
                                    "Check the file name and folder."))
        opts = {"responses_271": [str(f) for f in x271 or []], "dry_run": dry_run}
        if x270:
            opts["x270_dir"] = str(x270)
        try:
            report = run_workbook(
                workbook, out=results or workbook.with_name(f"{workbook.stem}-eligibility.xlsx"),
                ledger=ledger, only={"eligibility"}, options=opts, command="eligibility")
        except ClaimBookError as exc:
            fail(exc)
        for stage, problem in report.ctx.errors:
            err.print(f"[bold red]Problem in {stage}:[/] {problem}")
        v = report.ctx.state.get("eligibility")
        if v is None:
            err.print("The workbook has no Appointments sheet; nothing to verify.")
            raise typer.Exit(2)
        a = v.appointments
        t = Table(title="Insurance verification")
        t.add_column("Item")
        t.add_column("Appointments", justify="right")
        t.add_row("Verified", f"{len(a):,}")
        t.add_row("Coverage active", f"{int(a['active'].eq('yes').sum()):,}")
        t.add_row("No coverage on file", f"{int(a['active'].eq('none').sum()):,}")
        t.add_row("Coverage not active on the date", f"{int(a['active'].eq('no').sum()):,}")
        t.add_row("Prior authorization missing", f"{int(a['auth_missing'].sum()):,}")
        t.add_row("Checked against a 271", f"{int(a['source'].eq('271').sum()):,}")
        console.print(t)
        for p in report.ctx.state.get("x270_files", []):
            console.print(f"270 request: [bold]{p}[/]")
        console.print(f"Results workbook: [bold]{report.output}[/]")
