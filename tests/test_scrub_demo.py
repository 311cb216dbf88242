"""The scrubber against the demo generator's answer key: every seeded defect found (recall
100%), nothing else flagged (precision 100%), and no error on a clinic without defects.

A key row with a blank line is a claim-level defect: any finding of that rule on that claim
matches it. A key row with a line matches findings on that line only.

The generator gives a patient at most one visit per day, so the only same-day claims are the
seeded ones.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from claimbook import rules as rulebook
from claimbook.io.reader import read_book
from claimbook.rules import scrub as RS
from claimbook.scrub import scrub_claims

SCRUB_AREAS = {RS.REQ, RS.COV, RS.DATES, RS.DUP, RS.MONEY, RS.COMBO, RS.AUTH}


def scrub_rule_ids() -> set[str]:
    return {r.id for r in rulebook.load_all().values() if r.area in SCRUB_AREAS}


def _key(demo) -> pd.DataFrame:
    k = pd.read_csv(demo.answer_key, dtype={"claim_id": str, "field": str})
    k["claim_id"] = k["claim_id"].fillna("")
    return k


def _matches(f: pd.DataFrame, key: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(per finding: matched by a key row, per key row: found by a finding)."""
    f = f.reset_index(drop=True).assign(_f=lambda d: range(len(d)))
    k = key.reset_index(drop=True).assign(_k=lambda d: range(len(d)))
    m = f.merge(k, on=["claim_id", "rule"], suffixes=("", "_key"))
    line_ok = m["line_key"].isna() | (pd.to_numeric(m["line"], errors="coerce")
                                      == pd.to_numeric(m["line_key"], errors="coerce"))
    m = m[line_ok]
    return (pd.Series(range(len(f))).isin(m["_f"]), pd.Series(range(len(k))).isin(m["_k"]))


@pytest.fixture(scope="module")
def seeded(demo_default):
    return read_book(demo_default.workbook), _key(demo_default), demo_default.as_of


def test_every_seeded_scrub_defect_is_found(seeded):
    book, key, as_of = seeded
    f = scrub_claims(book, as_of)
    k = key[key["rule"].isin(scrub_rule_ids())]
    assert len(k) >= 30 and k["rule"].nunique() >= 25
    _, found = _matches(f, k)
    missed = k[~found.to_numpy()]
    assert missed.empty, missed.to_string()


def test_nothing_else_is_flagged(seeded):
    book, key, as_of = seeded
    f = scrub_claims(book, as_of)
    ok, _ = _matches(f, key)
    extra = f[~ok.to_numpy()]
    assert extra.empty, extra[["claim_id", "line", "rule", "message"]].to_string()


def test_pipeline_errors_are_all_seeded(seeded):
    """validate (when present) + scrub through the stages, RuleSettings applied: every error
    is in the key, and every key row of the rules that ran is found."""
    from claimbook.pipeline import RunContext, run_stages, stages

    book, key, as_of = seeded
    ctx = run_stages(RunContext(book=book, as_of=pd.Timestamp(as_of)),
                     only={"validate", "scrub"})
    assert not ctx.errors, ctx.errors
    f = ctx.all_findings()
    errors = f[f["severity"].eq("error")]
    ok, _ = _matches(errors, key)
    assert ok.all(), errors[~ok.to_numpy()][["claim_id", "line", "rule", "message"]].to_string()
    ran = scrub_rule_ids() | {r for r in key["rule"] if r.startswith("IO-")}
    if "validate" in {s.name for s in stages()}:
        ran |= set(key["rule"])
    k = key[key["rule"].isin(ran)]
    _, found = _matches(f, k)
    assert found.all(), k[~found.to_numpy()].to_string()


def test_clean_demo_has_no_scrub_findings(demo_clean):
    book = read_book(demo_clean.workbook)
    f = scrub_claims(book, demo_clean.as_of)
    assert f.empty, f[["claim_id", "line", "rule", "message"]].to_string()


def test_clean_demo_has_no_error_at_all(demo_clean):
    """validate + scrub through the stages: a demo without seeded defects has zero errors."""
    from claimbook.pipeline import RunContext, run_stages

    book = read_book(demo_clean.workbook)
    ctx = run_stages(RunContext(book=book, as_of=pd.Timestamp(demo_clean.as_of)),
                     only={"validate", "scrub"})
    f = ctx.all_findings()
    errors = f[f["severity"].eq("error")]
    assert errors.empty, errors[["claim_id", "line", "rule", "message"]].to_string()


def test_raw_demo_matches_key(demo_default):
    book = read_book(demo_default.workbook)
    f = scrub_claims(book, demo_default.as_of)
    ok, _ = _matches(f, _key(demo_default))
    assert ok.all(), f[~ok.to_numpy()][["claim_id", "line", "rule"]].to_string()


# Rules of the validator and scrubber the demo cannot seed on a claim line, and why.
NOT_SEEDED = {
    "DUP-SENT": "needs a ledger of claims sent in earlier runs",
    "REQ-BILLING": "a Practice setting: it would block every claim of the demo",
    "COV-PATTERN-INVALID": "a Payers-sheet regular expression, not claim data",
    "IO-SETTING": "a Practice-sheet typo, not claim data",
    "IO-RULE-SETTING": "a RuleSettings-sheet typo, not claim data",
}


def engine_rule_ids() -> set[str]:
    """Every error/warning rule of the reader, the validator and the scrubber."""
    from claimbook.rules import codes as RC
    from claimbook.rules import io as RI

    areas = SCRUB_AREAS | {RC.ICD, RC.PROC, RC.LINE, RI.AREA}
    return {r.id for r in rulebook.load_all().values()
            if r.area in areas and r.severity in ("error", "warning")}


def test_answer_key_seeds_every_kind_of_defect(demo_default):
    seeded = set(_key(demo_default)["rule"])
    assert {"HCPCS-DATE", "MOD-TOO-MANY", "IO-REQUIRED"} <= seeded
    missing = engine_rule_ids() - seeded - set(NOT_SEEDED)
    assert not missing, sorted(missing)


def _plain(output: str) -> str:
    """CLI output without rich's boxes and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


@pytest.mark.parametrize("args,words", [
    (["--claims", "0"], "--claims"), (["--claims", "-5"], "--claims"),
    (["--seed", "-1"], "--seed"), (["--out", "{file}"], "is a file, not a folder"),
    (["--out", "{file}/sub"], "is a file, not a folder"),
    (["--as-of", "2026-13-01"], "is not a date"),
])
def test_demo_bad_arguments_give_a_message_not_a_traceback(tmp_path, args, words):
    from typer.testing import CliRunner

    from claimbook.cli import app

    blocker = tmp_path / "clinic.xlsx"
    blocker.write_text("not a folder")
    args = [a.replace("{file}", str(blocker)) for a in args]
    r = CliRunner().invoke(app, ["demo", *args])
    assert r.exit_code == 2 and isinstance(r.exception, SystemExit), r.output
    assert words in _plain(r.output), r.output
    assert blocker.read_text() == "not a folder"


def test_demo_help_says_it_is_deterministic_for_a_seed_and_date():
    from typer.testing import CliRunner

    from claimbook.cli import app

    out = _plain(CliRunner().invoke(app, ["demo", "--help"]).output)
    assert "deterministic for a seed and as-of date" in out
