"""`claimbook plans WORKBOOK`: payment plan schedules and missed installments."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def plans(
        workbook: Path = typer.Argument(..., help="The clinic workbook (.xlsx/.xlsm)."),
        results: Path = typer.Option(None, "--results", help="Results workbook with the Plan "
                                     "Schedule sheet (default: <workbook>-plans.xlsx)."),
        as_of: str = typer.Option(None, "--as-of", help="Track as of YYYY-MM-DD (default "
                                  "today)."),
        grace: int = typer.Option(10, "--grace-days", help="Days after the due date before an "
                                  "unpaid installment counts as missed."),
        ledger: Path = typer.Option(None, "--ledger", help="Ledger file."),
    ) -> None:
        """Schedules for the PaymentPlans sheet (to the cent), paid / late / missed."""
        from rich.table import Table

        from claimbook.commands.core import console, err, fail
        from claimbook.errors import ClaimBookError
        from claimbook.runner import run_workbook

        try:
            report = run_workbook(
                workbook, out=results or workbook.with_name(f"{workbook.stem}-plans.xlsx"),
                as_of=as_of, ledger=ledger, only={"plans"},
                options={"plan_grace_days": grace}, command="plans")
        except ClaimBookError as exc:
            fail(exc)
        for stage, problem in report.ctx.errors:
            err.print(f"[bold red]Error in {stage}:[/] {problem}")
        r = report.ctx.state.get("plan_run")
        if r is None:
            err.print("The workbook has no PaymentPlans sheet; nothing to schedule.")
            raise typer.Exit(2)
        t = Table(title=f"Payment plans as of {report.as_of.date()}")
        for c in ("Status", "Plans", "Remaining"):
            t.add_column(c, justify="left" if c == "Status" else "right")
        for state, g in r.plans.groupby("state"):
            t.add_row(str(state), f"{len(g):,}", f"{g['remaining_c'].sum() / 100:,.2f}")
        console.print(t)
        console.print(f"Missed installments: {len(r.missed):,}")
        for f in report.findings.query("rule == 'PLAN-INVALID'").itertuples():
            err.print(f"[yellow]{f.sheet} row {f.row}:[/] {f.message} {f.fix}")
        console.print(f"Results workbook: [bold]{report.output}[/]")
