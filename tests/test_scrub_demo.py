"""The scrubber against the demo generator's answer key: every seeded defect found (recall
100%), nothing else flagged (precision 100%), and no error on a clinic without defects.

A key row with a blank line is a claim-level defect: any finding of that rule on that claim
matches it. A key row with a line matches findings on that line only.

The generator gives a patient at most one visit per day, so the only same-day claims are the
seeded ones.
"""

from __future__ import annotations

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
