"""Stage `statements` (80): patient statements after insurance.

Posts the PatientPayments, applies the Disputes, writes one PDF per patient plus one combined
print file into ctx.options['statements_dir'] (default <out_dir>/statements), records the run
in the ledger (statement_runs) and adds the Statements and Receipts sheets. A patient
keeping to a payment plan gets the plan's next installment instead of a dunning message. Options:
`statements_pdf` (default True) and `dry_run` (no ledger record).
"""

from __future__ import annotations

from pathlib import Path

from claimbook.patient_billing import plans, statement_pdf, statements
from claimbook.pipeline import RunContext, Stage


def run(ctx: RunContext) -> None:
    on_plan = None
    if ctx.book.has("PaymentPlans"):
        grace = int(ctx.options.get("plan_grace_days", plans.GRACE_DAYS))
        on_plan = plans.track(ctx.book, ctx.as_of, grace).plans
    r = statements.build(ctx.book, ctx.ledger, ctx.as_of, on_plan)
    ctx.findings.append(r.findings)
    record = ctx.ledger is not None and not ctx.options.get("dry_run") and len(r.statements)
    if record:
        statements.record(ctx.ledger, r, ctx.workbook_path)
    if ctx.options.get("statements_pdf", True) and len(r.statements):
        base = ctx.out_dir or (ctx.workbook_path.parent if ctx.workbook_path else Path.cwd())
        out = Path(ctx.options.get("statements_dir") or Path(base) / "statements")
        statement_pdf.render(r, ctx.book.practice, out)
        if record:
            statements.record_files(ctx.ledger, r)
    for sheet in statements.sheets(r):
        ctx.add_sheet(sheet)
    ctx.state["statement_run"] = r
    ctx.summary["Patient statements"] = len(r.statements)
    ctx.summary["Patient balance billed"] = round(r.total_due_c / 100, 2)
    ctx.summary["Claims waiting on insurance"] = int(r.claims["status"].isin(
        ["waiting", "secondary"]).sum())


STAGE = Stage("statements", 80, run, "Patient statements (PDF) after insurance; Statements "
              "and Receipts sheets.")
