"""`claimbook era FILE...`: an 835 summary without a workbook."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def era_summary(era) -> list[dict]:
    """One dict per transaction set (amounts in dollars) with its claims and imbalances."""
    t = era.transactions
    claims = era.claims.groupby("txn_key")
    imb = era.imbalances.groupby("txn_key")
    out = []
    for row in t.itertuples(index=False):  # one per transaction set: a handful
        c = claims.get_group(row.txn_key) if row.txn_key in claims.groups else era.claims[:0]
        problems = imb.get_group(row.txn_key)["message"].tolist() \
            if row.txn_key in imb.groups else []
        out.append({
            "file": row.file, "payer": row.payer_name, "payer_id": row.payer_id or None,
            "trace": row.trace, "payment_method": row.method,
            "payment_date": None if row.payment_date is None or str(row.payment_date) == "NaT"
            else row.payment_date.strftime("%Y-%m-%d"),
            "paid_total": row.paid_cents / 100, "plb_total": row.plb_cents / 100,
            "balanced": not problems, "imbalances": problems,
            "claims": [{
                "claim_id": x.remit_claim_id, "status": x.status,
                "charge": x.charge_cents / 100, "paid": x.paid_cents / 100,
                "patient_responsibility": x.patient_resp_cents / 100,
                "payer_claim_number": x.payer_claim_number or None,
            } for x in c.itertuples(index=False)],
        })
    return out


def register(app: typer.Typer) -> None:
    @app.command()
    def era(files: list[Path] = typer.Argument(..., help="835 remittance files."),
            as_json: bool = typer.Option(False, "--json", help="Print JSON: one object per "
                                         "transaction set.")) -> None:
        """Summarise 835 remittance files (no workbook needed)."""
        from rich.table import Table

        from claimbook.commands.core import console, err
        from claimbook.reconcile import read_remittances
        from claimbook.x12.x835 import CLAIM_STATUS

        parsed, _, errors = read_remittances(files)
        summary = era_summary(parsed) if parsed is not None else []
        if as_json:
            typer.echo(json.dumps(summary, indent=2))
        else:
            for s in summary:
                tb = Table(title=f"{s['file']}: {s['payer']} trace {s['trace']} paid "
                           f"{s['paid_total']:,.2f} (PLB {s['plb_total']:,.2f}) - "
                           f"{'balanced' if s['balanced'] else 'DOES NOT BALANCE'}")
                for col in ("Claim", "Status", "Charge", "Paid", "Patient", "Payer claim #"):
                    tb.add_column(col, justify="right" if col in ("Charge", "Paid",
                                                                    "Patient") else "left")
                for c in s["claims"]:
                    tb.add_row(c["claim_id"], f"{c['status']} {CLAIM_STATUS[c['status']]}",
                               f"{c['charge']:,.2f}", f"{c['paid']:,.2f}",
                               f"{c['patient_responsibility']:,.2f}",
                               c["payer_claim_number"] or "")
                console.print(tb)
                for m in s["imbalances"]:
                    err.print(f"[yellow]Imbalance:[/] {m}")
        for _, message in errors:
            err.print(f"[bold red]Error:[/] {message}")
        if errors:
            raise typer.Exit(2)
