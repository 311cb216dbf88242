"""Payments, Provider Adjustments and Exceptions result sheets from a Reconciliation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimbook.reconcile import Reconciliation, codes
from claimbook.results import ResultSheet, Section
from claimbook.x12.x835 import CLAIM_STATUS, FORWARDED


def _d(c: pd.Series) -> pd.Series:
    return c.astype("float64") / 100


def import_summary(r: Reconciliation) -> list[str]:
    """Plain lines: what this import posted and what it skipped."""
    out = []
    posted = r.result.posted
    if len(posted):
        out.append(f"Posted {len(posted)} remittance(s): {r.result.claims_posted} claim "
                   f"payment(s), {r.result.lines_posted} service line(s), "
                   f"{posted['paid_cents'].sum() / 100:,.2f} paid.")
    dups = r.result.duplicates
    if len(dups) > 5:
        out.append(f"Skipped {len(dups)} remittances already posted (nothing posted twice).")
    else:
        for _, d in dups.iterrows():  # at most five
            out.append(f"Skipped {d['file']}: remittance {d['trace']} "
                       f"({d['paid_cents'] / 100:,.2f}) was already posted ({d['posted_at']}, "
                       f"file {d['posted_file']}).")
    if not out:
        out.append("No new remittance to post.")
    return out


def payments_sheet(r: Reconciliation) -> ResultSheet:
    c = r.postings.claims.sort_values("id")
    adj = r.postings.adjustments
    cat = adj.pivot_table(index="claim_payment_id", columns="category", values="amount_cents",
                          aggfunc="sum", fill_value=0)
    def part(name: str) -> pd.Series:
        return c["id"].map(cat[name]).fillna(0) if name in cat else pd.Series(0, index=c.index)
    note = np.select(
        [c["status"].eq("22"), c["reversed_by"].notna(), c["status"].isin(FORWARDED),
         c["claim_id"].isna()],
        ["reversal of an earlier payment", "reversed by a later remittance",
         "forwarded to the next payer: do not rebill", "matches no claim (see Exceptions)"], "")
    claims = pd.DataFrame({
        "payment_date": c["payment_date"], "payer": c["payer_name"], "trace": c["trace"],
        "claim": c["claim_id"], "remit_claim": c["remit_claim_id"],
        "status": c["status"] + " " + c["status"].map(CLAIM_STATUS).fillna(""),
        "matched_by": c["matched_by"], "charge": _d(c["charge_cents"]),
        "paid": _d(c["paid_cents"]), "writeoff": _d(part("writeoff")),
        "patient_resp": _d(c["patient_resp_cents"]), "denied": _d(part("denial")),
        "payer_claim_number": c["payer_claim_number"], "remarks": c["remarks"],
        "note": note, "file": c["file"]})
    ln = r.postings.lines.sort_values("id")
    lines = pd.DataFrame({
        "payment_date": ln["payment_date"], "payer": ln["payer_name"], "trace": ln["trace"],
        "claim": ln["claim_id"].fillna(ln["remit_claim_id"]), "line": ln["line_no"],
        "code": ln["code"], "modifiers": ln["modifiers"], "dos": ln["dos"],
        "charge": _d(ln["charge_cents"]), "allowed": _d(ln["allowed_cents"]),
        "paid": _d(ln["paid_cents"]), "contractual": _d(ln["contractual_cents"]),
        "deductible": _d(ln["deductible_cents"]), "coinsurance": _d(ln["coinsurance_cents"]),
        "copay": _d(ln["copay_cents"]), "other_pr": _d(ln["other_pr_cents"]),
        "other_adjustment": _d(ln["other_adj_cents"]), "carc": ln["carc"],
        "rarc": ln["rarc"], "matched_by": ln["matched_by"]})
    return ResultSheet("Payments", [
        Section(claims, "Claim payments", formats={"payment_date": "date"}),
        Section(lines, "Service line payments",
                formats={"payment_date": "date", "dos": "date", "line": "int"}),
    ], intro=import_summary(r))


def provider_adjustments_sheet(r: Reconciliation) -> ResultSheet:
    p = r.postings.plb.sort_values("id")
    frame = pd.DataFrame({
        "payment_date": p["payment_date"], "payer": p["payer_name"], "trace": p["trace"],
        "provider": p["provider_id"], "fiscal_period": p["fiscal_period"],
        "reason": p["reason"], "meaning": p["reason"].map(codes.PLB_REASONS).fillna("other"),
        "reference": p["reference"], "amount": _d(p["amount_cents"]), "file": p["file"]})
    return ResultSheet.single(
        "Provider Adjustments", frame, formats={"payment_date": "date", "fiscal_period": "date"},
        intro=[("Provider-level adjustments (PLB): a positive amount was taken from the payment "
               "(e.g. WO recoupment), a negative one added to it (e.g. L6 interest).")])


def exceptions_sheet(r: Reconciliation) -> ResultSheet:
    q = r.exceptions
    counts = q["type"].value_counts()
    intro = ["The coordinator's to-do list: one row per problem, with the next action."]
    if len(counts):
        intro.append("; ".join(f"{t}: {n}" for t, n in counts.items()))
    return ResultSheet.single("Exceptions", q, intro=intro,
                              formats={"amount": "money", "line": "int"})
