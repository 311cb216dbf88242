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
    for h in ("Where", "Claim", "Rule", "Severity", "Message", "How to fix"):
        t.add_column(h, overflow="fold")
    from claimbook.rules import SEVERITY_ORDER

    shown = findings.iloc[findings["severity"].map(SEVERITY_ORDER).argsort(kind="stable")]
    for r in shown.head(200).itertuples(index=False):  # errors first
        t.add_row(_where(r.sheet, r.column, r.row), str(r.claim_id or ""), r.rule, r.severity,
                  r.message, r.fix)
    console.print(t)
    if len(findings) > 200:
        console.print(f"... and {len(findings) - 200:,} more (use --json for all).")
    counts = findings["severity"].value_counts()
    console.print(", ".join(f"{counts.get(s, 0):,} {s}" for s in ("error", "warning", "info")))


def _where(sheet: object, column: object, row: object) -> str:
    """The cell a finding points at, as Excel writes it: Claims!J12 (or the sheet and row)."""
    sheet = str(sheet or "")
    row_txt = "" if row is None or pd.isna(row) else str(int(row))
    col = "" if column is None or pd.isna(column) else str(column)
    if col and row_txt:
        return f"{sheet}!{col}{row_txt}"
    return f"{sheet} row {row_txt}" if row_txt else sheet


def register(app: typer.Typer) -> None:
    @app.command()
    def validate(workbook: Path = typer.Argument(..., help="Clinic workbook."),
                 json_out: bool = typer.Option(False, "--json", help="One JSON object per "
                                               "finding, one per line."),
                 ledger: Path = typer.Option(None, "--ledger", help="Ledger file for the audit "
                                             "trail (default: claimbook-ledger.sqlite beside "
                                             "the workbook, or $CLAIMBOOK_LEDGER).")) -> None:
        """Check every code on every service line against the code sets."""
        from claimbook.commands.core import fail
        from claimbook.runner import run_workbook

        try:
            report = run_workbook(workbook, only={"validate"}, write=False, ledger=ledger,
                                  command="validate")
        except ClaimBookError as exc:
            fail(exc)
        emit_findings(report.findings, json_out, f"Code findings in {workbook.name}")
