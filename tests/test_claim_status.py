"""Claim Status: Ready / Needs attention / Blocked per claim, rule summary, clean-claim rate,
the Findings and Claim Status sheets and the `findings` stage."""

from __future__ import annotations

import pandas as pd

from claimbook import findings as F
from claimbook.claim_status import claim_status, claim_status_sheet, clean_claim_rate, rule_summary
from claimbook.pipeline import RunContext, run_stages
from claimbook.stages.findings_sheet import findings_sheet
from tests.test_scrub_support import AS_OF, PRACTICE, line, make_book

D = pd.Timestamp("2026-11-02")


def _claims() -> pd.DataFrame:
    book = make_book([line(claim_id="C1"), line(claim_id="C1", line_no=2, code="36415",
                                                charge=15.0),
                      line(claim_id="C2"), line(claim_id="C3"), line(claim_id="C4")])
    return book.tables["Claims"]


def _f(claim: str, rule: str, row: int = 2) -> pd.DataFrame:
    return F.one(rule, f"{rule} on {claim}", sheet="Claims", row=row, column="C", claim_id=claim,
                 line=1)


FINDINGS = F.concat([_f("C1", "MONEY-NONPOSITIVE"), _f("C1", "MONEY-FEE"),
                     _f("C2", "MONEY-FEE", 4), _f("C3", "ICD-FORMAT", 5),
                     _f("C2", "DATE-SPAN", 4)])


def test_status_per_claim_with_counts():
    s = claim_status(FINDINGS, _claims()).set_index("claim_id")
    assert s.loc["C1"].tolist() == ["Blocked", 1, 1, 0]
    assert s.loc["C2"].tolist() == ["Needs attention", 0, 2, 0]
    assert s.loc["C3"].tolist() == ["Ready", 0, 0, 1]  # info does not hold a claim
    assert s.loc["C4"].tolist() == ["Ready", 0, 0, 0]
    assert clean_claim_rate(s.reset_index()) == 0.5


def test_practice_error_blocks_every_claim():
    billing = F.one("REQ-BILLING", "no NPI", sheet="Practice", row=3, field="billing_npi")
    s = claim_status(F.concat([billing]), _claims())
    assert (s["status"] == "Blocked").all() and s["errors"].tolist() == [1, 1, 1, 1]
    warn = F.one("IO-SETTING", "unknown setting", sheet="Practice", row=9)
    assert (claim_status(warn, _claims())["status"] == "Ready").all()


def test_rule_summary_by_rule_and_severity():
    r = rule_summary(FINDINGS)
    assert r.iloc[0][["Rule", "Severity", "Findings", "Claims"]].tolist() == [
        "MONEY-NONPOSITIVE", "error", 1, 1]
    fee = r[r["Rule"] == "MONEY-FEE"].iloc[0]
    assert (fee["Findings"], fee["Claims"], fee["Title"]) == (2, 2,
                                                            "Charge differs from the fee schedule")
    assert r["Severity"].tolist() == ["error", "warning", "warning", "info"]


def test_claim_status_sheet_sections_links_and_batches():
    claims = _claims()
    batches = pd.DataFrame({"claim_id": ["C3"], "batch_id": ["B7"],
                            "submitted": [pd.Timestamp("2026-11-20")]})
    sheet = claim_status_sheet(FINDINGS, claims, batches, link_prefix="clinic.xlsx#")
    assert sheet.name == "Claim Status"
    assert "Clean-claim rate: 50.0% (2 of 4 claims" in sheet.intro[0]
    claims_sec, by_status, by_rule = sheet.sections
    t = claims_sec.frame.set_index("Claim ID")
    assert t.loc["C1", "Status"] == "Blocked" and t.loc["C1", "Lines"] == 2
    assert t.loc["C1", "Charge"] == 150.0
    assert t.loc["C1", "First problem"] == "MONEY-NONPOSITIVE: MONEY-NONPOSITIVE on C1"
    assert t.loc["C3", "Batch"] == "B7" and t.loc["C4", "Batch"] == ""
    assert claims_sec.status_column == "Status"
    assert claims_sec.links["Claim ID"].tolist()[:2] == ["clinic.xlsx#'Claims'!A2",
                                                        "clinic.xlsx#'Claims'!A4"]
    assert by_status.frame["Claims"].tolist() == [2, 1, 1]
    assert by_rule.severity_column == "Severity" and len(by_rule.frame) == 4


def test_findings_sheet_links_to_the_offending_cell():
    f = F.concat([_f("C1", "MONEY-FEE", 12),
                  F.one("REQ-BILLING", "x", sheet="Practice's", row=None, field="billing_npi")])
    sheet = findings_sheet(f, "#")
    sec = sheet.sections[0]
    assert sec.frame["Cell"].tolist() == ["C12", ""]
    assert sec.links["Cell"].tolist() == ["#'Claims'!C12", ""]
    assert sec.severity_column == "Severity"
    assert list(sec.frame.columns) == ["Claim ID", "Line", "Sheet", "Row", "Cell", "Rule",
                                       "Severity", "Field", "Value", "Message", "How to fix"]


def test_findings_stage_applies_rule_settings_and_fills_state():
    claims = [line(claim_id="C1", charge=155.0),  # MONEY-FEE warning
              line(claim_id="C2", dos_from=AS_OF + pd.Timedelta(days=2)),  # DATE-FUTURE
              line(claim_id="C3", code="36415", charge=15.0)]
    settings = [{"rule": "MONEY-FEE", "enabled": False},
                {"rule": "DATE-FUTURE", "severity": "warning"}]
    book = make_book(claims, RuleSettings=settings)
    ctx = RunContext(book=book, as_of=AS_OF, options={"link_prefix": "in.xlsx#"})
    run_stages(ctx, only={"scrub", "findings"})
    assert not ctx.errors, ctx.errors
    f = ctx.results["Findings"].frame
    assert f["Rule"].tolist() == ["DATE-FUTURE"] and f["Severity"].tolist() == ["warning"]
    assert ctx.results["Findings"].sections[0].links["Cell"].iloc[0] == "in.xlsx#'Claims'!H3"
    st = ctx.state["claim_status"].set_index("claim_id")["status"]
    assert st.to_dict() == {"C1": "Ready", "C2": "Needs attention", "C3": "Ready"}
    assert abs(ctx.state["clean_claim_rate"] - 2 / 3) < 1e-9
    assert ctx.summary["Claims needing attention"] == 1
    assert "Claim Status" in ctx.results


def test_practice_sheet_alias_still_blocks(tmp_path):
    book = make_book([line()], practice=dict(PRACTICE, billing_ein=None))
    book.sources["Practice"] = type(book.sources["Claims"])("Settings", 1, {})
    ctx = run_stages(RunContext(book=book, as_of=AS_OF), only={"scrub", "findings"})
    assert ctx.state["claim_status"]["status"].tolist() == ["Blocked"]
