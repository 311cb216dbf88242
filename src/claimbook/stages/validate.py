"""Stage 10: validate every code row against the code sets."""

from __future__ import annotations

from claimbook.pipeline import RunContext, Stage
from claimbook.validate import validate_claims


def run(ctx: RunContext) -> None:
    f = validate_claims(ctx.book)
    ctx.findings.append(f)
    ctx.summary["Code findings (errors)"] = int((f["severity"] == "error").sum())


STAGE = Stage("validate", 10, run, "Validate codes against ICD-10-CM, CPT/HCPCS, modifiers, "
              "POS, NPI and NDC")
