"""`claimbook scrub WORKBOOK [--json] [--as-of]` on real workbook files."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from claimbook.cli import app
from claimbook.template import build_template
from tests.test_scrub_support import COVERAGE, FEES, PATIENT, PAYERS, PRACTICE, line

KEYS = ["claim_id", "line", "row", "rule", "severity", "field", "value", "message", "fix"]
runner = CliRunner()


def _workbook(tmp_path, claims, **tables) -> str:
    data = {"Claims": pd.DataFrame(claims), "Patients": pd.DataFrame([PATIENT]),
            "Payers": pd.DataFrame(PAYERS), "Coverage": pd.DataFrame(COVERAGE),
            "FeeSchedule": pd.DataFrame(FEES)}
    data.update({k: pd.DataFrame(v) for k, v in tables.items()})
    path = tmp_path / "clinic.xlsx"
    build_template(path, data, PRACTICE)
    return str(path)


def _json(args: list[str]) -> list[dict]:
    res = runner.invoke(app, ["scrub", *args, "--json"])
    assert res.exit_code == 0, res.output
    return [json.loads(x) for x in res.stdout.splitlines() if x.strip()]


def test_json_findings_with_validate_keys(tmp_path):
    wb = _workbook(tmp_path, [line(charge=0.0),
                              line(claim_id="C2", dos_from=pd.Timestamp("2026-12-05"))])
    rows = _json([wb, "--as-of", "2026-11-29"])
    got = {(r["claim_id"], r["rule"]) for r in rows}
    assert {("C1", "MONEY-NONPOSITIVE"), ("C2", "DATE-FUTURE")} <= got
    fut = next(r for r in rows if r["rule"] == "DATE-FUTURE")
    assert list(fut) == KEYS
    assert (fut["line"], fut["row"], fut["severity"], fut["value"]) == (1, 3, "error",
                                                                        "2026-12-05")
    # with a later as-of date the service is no longer in the future
    later = _json([wb, "--as-of", "2026-12-06"])
    assert "DATE-FUTURE" not in {r["rule"] for r in later}


def test_rule_settings_in_the_workbook(tmp_path):
    settings = [{"rule": "MONEY-NONPOSITIVE", "enabled": "N"},
                {"rule": "DATE-FUTURE", "severity": "warning"}]
    wb = _workbook(tmp_path, [line(charge=0.0),
                              line(claim_id="C2", dos_from=pd.Timestamp("2026-12-05"))],
                   RuleSettings=settings)
    rows = _json([wb, "--as-of", "2026-11-29"])
    rules = {r["rule"]: r["severity"] for r in rows}
    assert "MONEY-NONPOSITIVE" not in rules
    assert rules["DATE-FUTURE"] == "warning"


def test_a_misspelled_rule_setting_is_reported_not_ignored(tmp_path):
    settings = [{"rule": "MONEY-NONPOSITVE", "enabled": "N"},  # typo
                {"rule": "DATE-FUTURE", "severity": "urgent"}]
    wb = _workbook(tmp_path, [line(charge=0.0),
                              line(claim_id="C2", dos_from=pd.Timestamp("2026-12-05"))],
                   RuleSettings=settings)
    rows = _json([wb, "--as-of", "2026-11-29"])
    rules = {(r["rule"], r["field"]): r for r in rows}
    # the typo did not switch the rule off, and the bad severity kept the default
    assert rules[("MONEY-NONPOSITIVE", "charge")]["severity"] == "error"
    assert rules[("DATE-FUTURE", "dos_from")]["severity"] == "error"
    typo = rules[("IO-RULE-SETTING", "rule")]
    assert (typo["severity"], typo["row"], typo["value"]) == ("warning", 2, "MONEY-NONPOSITVE")
    assert "RuleSettings" in typo["message"] and "not a ClaimBook rule" in typo["message"]
    sev = rules[("IO-CHOICE", "severity")]  # the reader reports a severity it cannot use
    assert (sev["row"], sev["value"]) == (3, "urgent")


def test_rerun_gives_identical_output_and_text_summary(tmp_path):
    wb = _workbook(tmp_path, [line(charge=0.0), line(claim_id="C2", line_no=1),
                              line(claim_id="C3", code="36415", charge=15.0)])
    a = runner.invoke(app, ["scrub", wb, "--json", "--as-of", "2026-11-29"]).stdout
    b = runner.invoke(app, ["scrub", wb, "--json", "--as-of", "2026-11-29"]).stdout
    assert a == b and a
    text = runner.invoke(app, ["scrub", wb, "--as-of", "2026-11-29"])
    assert text.exit_code == 0
    assert "Claims: 1 ready, 0 need attention, 2 blocked; clean-claim rate 33.3%." in \
        " ".join(text.stdout.split())


def test_missing_workbook_is_a_plain_message(tmp_path):
    res = runner.invoke(app, ["scrub", str(tmp_path / "nope.xlsx")])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "does not exist" in text and "Traceback" not in text


def test_results_workbook_has_findings_and_claim_status(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = _workbook(tmp_path, [line(charge=0.0)])
    out = tmp_path / "results.xlsx"
    res = runner.invoke(app, ["scrub", wb, "--as-of", "2026-11-29", "--results", str(out)])
    assert res.exit_code == 0, res.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Claim Status", "Findings"]
    ws = book["Findings"]
    links = [c.hyperlink for row in ws.iter_rows() for c in row if c.hyperlink]
    assert links and links[0].target == "clinic.xlsx" and links[0].location == "'Claims'!AC2"
