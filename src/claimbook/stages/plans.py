"""Stage `plans` (85): payment plan schedules and their tracking.

Adds the Plan Schedule sheet (plans, schedule, missed installments), PLAN-* findings and the
missed installments as exceptions-queue rows in ctx.state['plan_exceptions'] (reconcile's
queue columns); when the Exceptions sheet exists they are added to it as a 'Payment Plans'
section.
"""

from __future__ import annotations

from claimbook.patient_billing import plans
from claimbook.pipeline import RunContext, Stage
from claimbook.results import Section


def run(ctx: RunContext) -> None:
    if not ctx.book.has("PaymentPlans"):
        return
    r = plans.track(ctx.book, ctx.as_of, int(ctx.options.get("plan_grace_days",
                                                              plans.GRACE_DAYS)))
    ctx.findings.append(r.findings)
    ctx.add_sheet(plans.sheet(r))
    ctx.state["plan_exceptions"] = r.missed
    ctx.state["plan_run"] = r
    exc = ctx.results.get("Exceptions")
    if exc is not None and len(r.missed):
        exc.sections.append(Section(r.missed.rename(columns=str.capitalize),
                                    title="Payment Plans"))
    ctx.summary["Payment plans"] = len(r.plans)
    ctx.summary["Missed plan installments"] = len(r.missed)


STAGE = Stage("plans", 85, run, "Payment plan schedules; missed installments.")
