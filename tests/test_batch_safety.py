"""Batch safety: nothing goes out unchecked, Practice errors hold every claim, claim-level data
taken from any line, line-level provider checks on every line, one X12 character set."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from claimbook import batches as B
from claimbook import findings as F
from claimbook.claim_status import claim_status
from claimbook.ledger import Ledger
from claimbook.x12 import envelope as E
from claimbook.x12 import x837
from tests.x12_validate import x12_errors
from tests.x837_factory import SECOND_NPI, line, make_book

NOW = datetime(2026, 2, 1, 10, 30)
AS_OF = pd.Timestamp("2026-02-01")


def _ctx(book, tmp_path: Path):
    from claimbook.pipeline import RunContext

    return RunContext(book=book, as_of=AS_OF, ledger=Ledger(tmp_path / "l.sqlite"),
                      out_dir=tmp_path)


def _scrub_crashes(monkeypatch) -> None:
    from claimbook.stages import scrub as scrub_stage

    def boom(*_a, **_k):
        raise RuntimeError("scrubber broke")

    monkeypatch.setattr(scrub_stage, "scrub_claims", boom)


# -- 1. no claim goes out when validate or scrub failed or did not run ------------------------
def test_batch_stage_sends_nothing_when_scrub_crashed(tmp_path, monkeypatch):
    from claimbook.pipeline import run_stages

    _scrub_crashes(monkeypatch)
    ctx = _ctx(make_book([line("S1"), line("S2")]), tmp_path)
    run_stages(ctx, only={"validate", "scrub", "batch"})
    assert [s for s, _ in ctx.errors] == ["scrub", "batch"]
    problem = dict(ctx.errors)["batch"]
    assert "No claim was sent" in problem and "'scrub' step failed" in problem
    assert "scrubber broke" in problem
    assert "batch_result" not in ctx.state and not (tmp_path / "batches").exists()
    assert ctx.ledger.conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 0
    assert ctx.ledger.peek("x12.isa13") == 0


def test_batch_stage_sends_nothing_when_the_checks_did_not_run(tmp_path):
    from claimbook.pipeline import run_stages

    ctx = _ctx(make_book([line("S1")]), tmp_path)
    run_stages(ctx, only={"validate", "batch"})  # no scrub in this run
    assert "'scrub' step did not run" in dict(ctx.errors)["batch"]
    assert not (tmp_path / "batches").exists()


def test_batch_command_refuses_when_scrub_crashed(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from claimbook.cli import app
    from tests.x837_factory import write_workbook

    wb = write_workbook(tmp_path / "clinic.xlsx", [line("J1")])
    _scrub_crashes(monkeypatch)
    r = CliRunner().invoke(app, ["batch", str(wb), "--out", str(tmp_path / "out"), "--ledger",
                                 str(tmp_path / "l.sqlite"), "--as-of", "2026-02-01"])
    text = " ".join(r.output.split())
    assert r.exit_code == 2, r.output
    assert "No claim was sent" in text and "'scrub' step failed" in text
    assert "Traceback" not in r.output and not (tmp_path / "out").exists()


# -- 2. an error on the Practice sheet holds every claim, as on the Claim Status sheet -------
def test_practice_error_without_claim_id_holds_every_claim(tmp_path):
    from claimbook.validate import validate_claims

    book = make_book([line("P1A"), line("P1B")], practice={"billing_npi": "1234567890"})
    found = F.concat([book.findings, validate_claims(book)])
    assert (found["claim_id"].eq("") & found["sheet"].eq("Practice")).any()
    res = B.build(book, found, Ledger(tmp_path / "l.sqlite"), tmp_path / "out", now=NOW)
    assert res.files == [] and sorted(res.held["claim_id"]) == ["P1A", "P1B"]
    assert res.held["reason"].str.contains("The Practice sheet has 1 error").all()
    assert res.held["reason"].str.contains("NPI 1234567890").all()
    status = claim_status(found, book.get("Claims"))
    assert set(status["status"]) == {"Blocked"}  # the two sheets agree


def test_claim_status_and_selection_agree(tmp_path):
    book = make_book([line("Q1"), line("Q2"), line("Q3")])
    f = F.concat([F.one("NPI-INVALID", "x", sheet="Claims", claim_id="Q1"),
                  F.one("NPI-INVALID", "y", sheet="Claims", claim_id="Q2")])
    f["severity"] = ["error", "warning"]
    ids, held = B.select(book.get("Claims"), f, None)
    status = claim_status(f, book.get("Claims")).set_index("claim_id")["status"]
    assert list(ids) == list(status[status.eq("Ready")].index) == ["Q3"]
    assert set(held["claim_id"]) == {"Q1", "Q2"}


# -- 3. prior authorization from any line ------------------------------------------------------
def test_prior_auth_on_a_later_line_is_sent(tmp_path):
    book = make_book([line("PA1", line_no=1), line("PA1", line_no=2, code="36415",
                                                       charge=10.0, prior_auth="AUTH-2")])
    res = B.build(book, F.empty(), Ledger(tmp_path / "l.sqlite"), tmp_path / "out", now=NOW)
    (f,) = res.files
    assert "REF*G1*AUTH-2~" in Path(f.file).read_text()
    assert x12_errors(f.file) == []


def test_two_prior_auths_on_one_claim_hold_it(tmp_path):
    book = make_book([line("PA2", line_no=1, prior_auth="A1"),
                      line("PA2", line_no=2, code="36415", charge=10.0, prior_auth="B2"),
                      line("PA3", line_no=1, prior_auth="C3"),
                      line("PA3", line_no=2, code="36415", charge=10.0, prior_auth="c3")])
    res = B.build(book, F.empty(), Ledger(tmp_path / "l.sqlite"), tmp_path / "out", now=NOW)
    assert list(res.claim_batches["claim_id"]) == ["PA3"]
    (reason,) = res.held.loc[res.held["claim_id"].eq("PA2"), "reason"]
    assert "different prior authorization numbers (A1, B2)" in reason


# -- 5. a line's rendering NPI is checked on every line ---------------------------------------
def test_unknown_line_rendering_npi_far_down_holds_its_claim(tmp_path):
    unknown = "1588667638"
    book = make_book([line("R1"),
                      line("R2", line_no=1), line("R2", line_no=2, code="36415", charge=10.0),
                      line("R2", line_no=3, code="93000", charge=45.0, rendering_npi=unknown),
                      line("R3", line_no=1, rendering_npi=SECOND_NPI)])
    res = B.build(book, F.empty(), Ledger(tmp_path / "l.sqlite"), tmp_path / "out", now=NOW)
    assert sorted(res.claim_batches["claim_id"]) == ["R1", "R3"]
    (reason,) = res.held.loc[res.held["claim_id"].eq("R2"), "reason"]
    assert reason.startswith("Line 3 has a rendering NPI that is not in the Providers sheet")


# -- 6. one definition of the X12 basic character set ------------------------------------------
def test_writer_fast_path_follows_the_envelope_character_set():
    assert not hasattr(x837, "_BASIC")  # no copy of its own
    assert set(E.BASIC) == {c for c in map(chr, range(128)) if not E._NOT_BASIC.search(c)}
    for code in range(32, 256):
        value = f"A{chr(code)}B"
        assert x837._clean_distinct([value, "OK"], 35) == [E.clean_text(value, 35), "OK"], value
        if value.isascii():  # the fast check flags exactly what clean_text would change
            clean = E.clean_text(value, 35) == value.upper()
            assert (x837._DIRTY.search(value.upper()) is None) == clean, value


def test_clean_text_with_a_changed_basic_set_is_followed_by_the_writer(monkeypatch):
    import importlib
    import re

    monkeypatch.setattr(E, "BASIC", E.BASIC.replace("?", ""))
    monkeypatch.setattr(E, "_NOT_BASIC", re.compile(f"[^{re.escape(E.BASIC)}]"))
    fresh = importlib.reload(x837)
    try:
        assert fresh._clean_distinct(["WHY?"], 35) == ["WHY"] == [E.clean_text("WHY?", 35)]
    finally:
        monkeypatch.undo()
        importlib.reload(x837)


@pytest.mark.parametrize("value", ["o'brien ~*: café", "  x  y ", "A\tB"])
def test_clean_distinct_equals_clean_text(value):
    assert x837._clean_distinct([value], 10) == [E.clean_text(value, 10)]
