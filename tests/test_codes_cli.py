"""`claimbook codes`, `claimbook validate` and `claimbook rules` from the command line."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from claimbook.cli import app

runner = CliRunner()


def codes_json(*args: str) -> list[dict]:
    r = runner.invoke(app, ["codes", *args, "--json"])
    assert r.exit_code == 0, r.output
    return [json.loads(line) for line in r.output.splitlines() if line.strip()]


def test_icd10_lookup_json_keys_and_outcomes():
    out = codes_json("icd10", "E11.9", "E11", "e1165", "E11.99")
    assert [set(o) >= {"input", "normalized", "valid", "billable", "description", "reason"}
            for o in out] == [True] * 4
    e119, e11, e1165, e1199 = out
    assert (e119["valid"], e119["billable"]) == (True, True)
    assert e119["description"] == "Type 2 diabetes mellitus without complications"
    assert e11["billable"] is False and "header" in e11["reason"]
    assert e1165["normalized"] == "E11.65" and e1165["valid"] is True
    assert e1199["valid"] is False and "not an ICD-10-CM code" in e1199["reason"]


def test_icd10_lookup_by_date_of_service_across_october_first():
    before = codes_json("icd10", "E11.A", "--dos", "2025-09-30")[0]
    after = codes_json("icd10", "E11.A", "--dos", "2025-10-01")[0]
    assert before["valid"] is False and "FY2026" in before["reason"]
    assert after["valid"] is True


@pytest.mark.parametrize(("kind", "values", "valid"), [
    ("hcpcs", ["J1100", "J1101"], [True, False]),
    ("cpt", ["99213", "9921", "0001F"], [True, False, True]),
    ("modifier", ["LT", "Y9"], [True, False]),
    ("pos", ["11", "88"], [True, False]),
    ("npi", ["1234567893", "1234567890"], [True, False]),
    ("ndc", ["0002-1433-80", "12345"], [True, False]),
])
def test_each_kind(kind, values, valid):
    assert [o["valid"] for o in codes_json(kind, *values)] == valid


def test_hcpcs_by_date_and_ndc_normalisation():
    old = codes_json("hcpcs", "J1030", "--dos", "2025-06-02")[0]
    assert old["valid"] is False and "valid until 2024-03-31" in old["reason"]
    assert codes_json("ndc", "0002-1433-80")[0]["normalized"] == "00002143380"


def test_table_output_exit_codes_and_bad_input():
    r = runner.invoke(app, ["codes", "icd10", "E11.9"])
    assert r.exit_code == 0 and "E11.9" in r.output
    assert runner.invoke(app, ["codes", "icd10", "E11"]).exit_code == 1  # not all valid
    r = runner.invoke(app, ["codes", "snomed", "123"])
    assert r.exit_code == 2 and "Unknown kind" in r.output
    r = runner.invoke(app, ["codes", "icd10", "E11.9", "--dos", "yesterday"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output


def test_rules_catalogue_one_rule_and_docs(tmp_path):
    r = runner.invoke(app, ["rules", "HCPCS-DATE"])
    assert r.exit_code == 0 and "HCPCS-DATE" in r.output and "Fix:" in r.output
    assert runner.invoke(app, ["rules", "NO-SUCH-RULE"]).exit_code == 2
    doc = tmp_path / "rules.md"
    assert runner.invoke(app, ["rules", "--write-docs", str(doc)]).exit_code == 0
    text = doc.read_text()
    for rule in ("ICD-HEADER", "ICD-EXCLUDES1", "CPT-UNKNOWN", "HCPCS-DATE", "NDC-MISSING"):
        assert f"### {rule} " in text


def test_validate_json_on_the_demo_workbook(demo_small):
    r = runner.invoke(app, ["validate", str(demo_small.workbook), "--json"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.output.splitlines() if line.startswith("{")]
    assert rows and set(rows[0]) == {"claim_id", "line", "row", "rule", "severity", "field",
                                     "value", "message", "fix"}
    found = {(x["claim_id"], x["rule"]) for x in rows}
    key = pd.read_csv(demo_small.answer_key)
    seeded = key[key["rule"].isin(["ICD-HEADER", "ICD-UNKNOWN", "CPT-FORMAT", "NPI-INVALID",
                                   "MOD-UNKNOWN", "PTR-EMPTY"])]
    missed = [(c, rule) for c, rule in zip(seeded["claim_id"], seeded["rule"], strict=True)
              if (c, rule) not in found]
    assert len(seeded) and not missed
