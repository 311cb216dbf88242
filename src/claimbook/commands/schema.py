"""`claimbook schema`: the workbook's tables and columns (and docs/workbook.md)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    @app.command()
    def schema(
        table: str = typer.Argument(None, help="One table (e.g. Claims); all when omitted."),
        write_docs: Path = typer.Option(None, "--write-docs",
                                        help="Write the Markdown reference to this file."),
    ) -> None:
        """Show the clinic workbook's tables, columns and header aliases."""
        from claimbook.schema_docs import workbook_markdown
        from claimbook.schemas import all_tables

        if write_docs:
            write_docs.write_text(workbook_markdown() + "\n")
            typer.echo(f"Wrote {write_docs}")
            return
        console = Console()
        for t in all_tables():
            if table and t.name.lower() != table.lower():
                continue
            tab = Table(title=f"{t.name}: {t.description}", show_lines=False)
            for h in ("Header", "Kind", "Req.", "Meaning"):
                tab.add_column(h)
            for c in t.columns:
                tab.add_row(c.header, c.kind, "yes" if c.required else "", c.description)
            console.print(tab)
