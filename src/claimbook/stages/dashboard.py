"""Stage `dashboard` (60): KPIs with targets and formulas, and native charts."""

from __future__ import annotations

from claimbook.aging import aging_detail
from claimbook.dashboard import dashboard_sheet
from claimbook.kpis import all_kpis
from claimbook.ledger import Ledger
from claimbook.pipeline import RunContext, Stage
from claimbook.reconcile import postings


def run(ctx: RunContext) -> None:
    p = ctx.state.get("postings")
    bal = ctx.state.get("balances")
    detail = ctx.state.get("aging_detail")
    if p is None or bal is None or detail is None:
        if ctx.ledger is None:
            ctx.ledger = Ledger(":memory:")
        p = postings.load(ctx.ledger)
        bal = postings.claim_balances(ctx.book, p, ctx.as_of)
        detail = aging_detail(bal, ctx.as_of, ctx.options.get("aging_from", "dos"))
    kpis = all_kpis(bal, p, detail, ctx.as_of, ctx.book.get("Claims")["claim_id"],
                    ctx.all_findings(), ctx.state.get("clean_claim_rate"))
    ctx.add_sheet(dashboard_sheet(kpis, detail, p, ctx.book.get("PatientPayments"), ctx.as_of))
    for k in kpis:
        if k.name == "Clean claim rate" and "clean_claim_rate" in ctx.state:
            continue  # the scrubber already reports its own figure
        if k.value is None:
            continue
        if k.unit == "percent":  # the label says the unit: the summary holds plain numbers
            ctx.summary[f"{k.name} (%)"] = float(round(k.value * 100, 1))
        else:
            ctx.summary[k.name] = float(round(k.value, 1))


STAGE = Stage("dashboard", 60, run, "KPIs and charts.")
