"""Stage `eligibility` (70): insurance verification for the Appointments table.

Reads 271 responses from ctx.options['responses_271'] (paths) and, when
ctx.options['x270_dir'] is set, writes 270 requests there (control numbers from the ledger,
unless `dry_run`). Adds the Eligibility sheet and ELIG-* findings.
"""

from __future__ import annotations

from claimbook.eligibility import verify, x270, x271
from claimbook.pipeline import RunContext, Stage


def run(ctx: RunContext) -> None:
    if not ctx.book.has("Appointments"):
        return
    responses, errors = x271.read_files(ctx.options.get("responses_271") or [])
    for name, msg in errors:
        ctx.errors.append(("eligibility", f"271 file {name}: {msg}"))
    v = verify.verify(ctx.book, responses if len(responses) else None)
    ctx.findings.append(v.findings)
    ctx.add_sheet(verify.sheet(v))
    ctx.state["eligibility"] = v
    out = ctx.options.get("x270_dir")
    if out:
        req = verify.requests(ctx.book, v)
        if len(req):
            ledger = None if ctx.options.get("dry_run") else ctx.ledger
            files = x270.write(x270.build(req, ctx.book.practice, ledger=ledger), out)
            ctx.state["x270_files"] = files
            ctx.summary["270 requests written"] = len(req)
    a = v.appointments
    ctx.summary["Appointments verified"] = len(a)
    ctx.summary["Appointments without active coverage"] = int(a["active"].ne("yes").sum())
    ctx.summary["Appointments missing prior auth"] = int(a["auth_missing"].sum())


STAGE = Stage("eligibility", 70, run, "Insurance verification of appointments; 270/271.")
