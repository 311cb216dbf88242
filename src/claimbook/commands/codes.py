"""`claimbook codes KIND VALUE...`: a quick code lookup for a coordinator."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    @app.command()
    def codes(
        kind: str = typer.Argument(..., help="icd10, hcpcs, cpt, modifier, pos, npi or ndc."),
        values: list[str] = typer.Argument(..., help="One or more codes."),
        dos: str = typer.Option(None, "--dos", help="Date of service YYYY-MM-DD (ICD-10-CM "
                                "year; default today)."),
        json_out: bool = typer.Option(False, "--json", help="One JSON object per value."),
    ) -> None:
        """Look codes up: valid? billable? description and the reason."""
        from claimbook.codesets.lookup import KINDS, check

        if kind.lower() not in KINDS and kind.lower() not in ("icd", "icd10cm"):
            typer.echo(f"Unknown kind '{kind}': use one of {', '.join(KINDS)}.", err=True)
            raise typer.Exit(2)
        try:
            rows = [check(kind, v, dos) for v in values]
        except ValueError as exc:
            typer.echo(f"--dos '{dos}' is not a date ({exc}); use YYYY-MM-DD.", err=True)
            raise typer.Exit(2) from None
        if json_out:
            for r in rows:
                typer.echo(json.dumps(r))
            return
        t = Table()
        for h in ("Input", "Normalized", "Valid", "Billable", "Description", "Reason"):
            t.add_column(h)
        for r in rows:
            t.add_row(r["input"], r["normalized"], "yes" if r["valid"] else "NO",
                      {True: "yes", False: "no", None: ""}[r["billable"]], r["description"],
                      r["reason"])
        Console().print(t)
        if not all(r["valid"] for r in rows):
            raise typer.Exit(1)
