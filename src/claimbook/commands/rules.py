"""`claimbook rules [RULE]`: the rule catalogue."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    @app.command()
    def rules(rule: str = typer.Argument(None, help="One rule id, e.g. ICD-HEADER."),
              write_docs: Path = typer.Option(None, "--write-docs",
                                              help="Write the catalogue as Markdown here.")
              ) -> None:
        """List every rule: id, severity, what it means, why payers reject it, how to fix it."""
        from claimbook.rules import catalogue_markdown, load_all

        cat = load_all()
        if write_docs:
            write_docs.write_text(catalogue_markdown() + "\n")
            typer.echo(f"Wrote {write_docs}")
            return
        console = Console()
        if rule:
            r = cat.get(rule.upper())
            if r is None:
                typer.echo(f"No rule '{rule}'. Run `claimbook rules` for the list.", err=True)
                raise typer.Exit(2)
            console.print(f"[bold]{r.id}[/] ({r.severity}, {r.area}): {r.title}")
            console.print(f"[bold]Why:[/] {r.why}")
            console.print(f"[bold]Fix:[/] {r.fix}")
            return
        t = Table(title=f"ClaimBook rules ({len(cat)})")
        for h in ("Rule", "Severity", "Area", "What it means"):
            t.add_column(h)
        for r in sorted(cat.values(), key=lambda r: (r.area, r.id)):
            t.add_row(r.id, r.severity, r.area, r.title)
        console.print(t)
