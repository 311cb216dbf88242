"""`claimbook reconcile WORKBOOK --era FILE...`: post 835s and list the exceptions."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def reconcile(
        workbook: Path = typer.Argument(..., help="The clinic workbook (.xlsx/.xlsm)."),
        era: list[Path] = typer.Option(None, "--era", help="835 file(s) to post (default: "
                                       "the *.835 files in <workbook folder>/remits)."),
        out: Path = typer.Option(None, "--out", help="Results workbook (default "
                                 "<workbook>-results.xlsx)."),
        ledger: Path = typer.Option(None, "--ledger", help="Ledger file."),
        as_of: str = typer.Option(None, "--as-of", help="As-of date YYYY-MM-DD."),
        as_json: bool = typer.Option(False, "--json", help="Print what was posted, skipped "
                                     "and the exceptions as JSON."),
    ) -> None:
        """Post remittances (each only once) and write Payments and Exceptions sheets."""
        from claimbook.commands.core import console, err, fail
        from claimbook.errors import ClaimBookError
        from claimbook.runner import run_workbook

        missing = [p for p in era or [] if not p.is_file()]
        if missing:
            fail(ClaimBookError(f"835 file not found: {missing[0]}.",
                                "Check the path given after --era."))
        options = {"era_files": [str(p) for p in era]} if era else {}
        try:
            report = run_workbook(workbook, out=out, as_of=as_of, ledger=ledger,
                                  only={"reconcile"}, options=options, command="reconcile")
        except ClaimBookError as exc:
            fail(exc)
        for stage, problem in report.ctx.errors:
            err.print(f"[bold red]Error in {stage}:[/] {problem}")
        r = report.ctx.state.get("reconciliation")
        if r is None:
            raise typer.Exit(2)
        res = r.result
        if as_json:
            ex = r.exceptions.astype(object).where(r.exceptions.notna(), None)
            typer.echo(json.dumps({
                "posted": [{"file": x.file, "payer": x.payer_name, "trace": x.trace,
                            "paid_total": x.paid_cents / 100}
                           for x in res.posted.itertuples(index=False)] if len(res.posted)
                else [],
                "already_posted": [{"file": x.file, "trace": x.trace,
                                    "paid_total": x.paid_cents / 100,
                                    "posted_at": x.posted_at, "posted_file": x.posted_file}
                                   for x in res.duplicates.itertuples(index=False)],
                "claims_posted": res.claims_posted, "lines_posted": res.lines_posted,
                "exceptions": ex.to_dict(orient="records"),
                "results": str(report.output) if report.output else None,
            }, indent=2, default=str))
            return
        from claimbook.reconcile.sheets import import_summary

        for line in import_summary(r):
            console.print(line)
        counts = r.exceptions["type"].value_counts()
        for t, n in counts.items():
            console.print(f"  {t}: {n}")
        console.print(f"Results workbook: [bold]{report.output}[/]")
