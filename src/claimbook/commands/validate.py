"""`claimbook validate WORKBOOK [--json]`: code findings for every service line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from claimbook.errors import ClaimBookError

JSON_KEYS = ["claim_id", "line", "row", "rule", "severity", "field", "value", "message", "fix"]


def emit_findings(findings: pd.DataFrame, as_json: bool, title: str) -> None:
    """Print findings as JSON lines (one object per finding) or as a table."""
    if as_json:
        for rec in findings[JSON_KEYS].itertuples(index=False):
            d = dict(zip(JSON_KEYS, rec, strict=True))
            d["line"] = None if pd.isna(d["line"]) else int(d["line"])
            d["row"] = None if pd.isna(d["row"]) else int(d["row"])
            typer.echo(json.dumps(d, default=str))
        return
    console = Console()
    t = Table(title=title)
    for h in ("Claim", "Line", "Row", "Rule", "Severity", "Message"):
        t.add_column(h)
    for r in findings.head(200).itertuples(index=False):
        t.add_row(str(r.claim_id or ""), "" if pd.isna(r.line) else str(int(r.line)),
                  "" if pd.isna(r.row) else str(int(r.row)), r.rule, r.severity, r.message)
    console.print(t)
    if len(findings) > 200:
        console.print(f"... and {len(findings) - 200:,} more (use --json for all).")
    counts = findings["severity"].value_counts()
    console.print(", ".join(f"{counts.get(s, 0):,} {s}" for s in ("error", "warning", "info")))


def register(app: typer.Typer) -> None:
    @app.command()
    def validate(workbook: Path = typer.Argument(..., help="Clinic workbook."),
                 json_out: bool = typer.Option(False, "--json", help="One JSON object per "
                                               "finding, one per line.")) -> None:
        """Check every code on every service line against the code sets."""
        from claimbook.commands.core import fail
        from claimbook.runner import run_workbook

        try:
            report = run_workbook(workbook, only={"validate"}, write=False, command="validate")
        except ClaimBookError as exc:
            fail(exc)
        emit_findings(report.findings, json_out, f"Code findings in {workbook.name}")
