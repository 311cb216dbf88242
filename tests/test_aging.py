"""Aging buckets at their edges, balances, summary and the AgingImport reconciliation."""

from __future__ import annotations

import pandas as pd
import pytest

from claimbook.aging import aging_detail, aging_sheets, bucket, by_bucket, over_90_share
from claimbook.ledger import Ledger
from claimbook.reconcile import postings, reconcile
from claimbook.reconcile.aging_import import normalize_bucket, reconcile_aging
from claimbook.x12.x835 import parse_text
from tests.test_reconcile_support import era_text, paid_c1, small_book

AS_OF = pd.Timestamp("2026-03-01")


@pytest.mark.parametrize("days, expected", [
    (0, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"), (90, "61-90"),
    (91, "91-120"), (120, "91-120"), (121, "120+"), (400, "120+"), (-3, "0-30")])
def test_bucket_edges(days, expected):
    assert bucket(pd.Series([days])).tolist() == [expected]


def _balances(book, as_of=AS_OF, text=None):
    lg = Ledger(":memory:")
    if text:
        reconcile(book, parse_text(text), lg, as_of)
    return postings.claim_balances(book, postings.load(lg), as_of)


def test_detail_from_dos_and_from_submission():
    book = small_book()
    bal = _balances(book, text=era_text([paid_c1()]))
    d = aging_detail(bal, AS_OF, "dos").set_index("claim")
    # C1 paid: only the 20.00 copay is left, a patient balance
    assert (d.loc["C1", "insurance_balance"], d.loc["C1", "patient_balance"]) == (0.0, 20.0)
    # C4: DOS 2025-10-01 -> 151 days; sent 2025-10-02 -> 150 days
    assert (d.loc["C4", "age_days"], d.loc["C4", "bucket"]) == (151, "120+")
    assert d.loc["C4", "insurance_balance"] == 100.0 and d.loc["C4", "status"] == \
        "sent, no remittance"
    s = aging_detail(bal, AS_OF, "submitted").set_index("claim")
    assert s.loc["C4", "age_days"] == 150
    # C2: DOS 2026-01-05 -> 55 days (31-60); sent 2026-01-06 -> 54 days
    assert (d.loc["C2", "bucket"], s.loc["C2", "age_days"]) == ("31-60", 54)


def test_unsent_claim_counts_at_full_charge_aged_from_dos():
    book = small_book()
    book.tables["Claims"].loc[book.tables["Claims"]["claim_id"].eq("C2"), "submitted_on"] = \
        pd.NaT
    d = aging_detail(_balances(book), AS_OF, "submitted").set_index("claim")
    assert d.loc["C2", "insurance_balance"] == 150.0 and d.loc["C2", "status"] == "not sent"
    assert d.loc["C2", "age_days"] == 55


def test_payments_after_as_of_are_left_out():
    book = small_book()
    text = era_text([paid_c1()])  # paid 2026-01-05
    early = aging_detail(_balances(book, pd.Timestamp("2026-01-04"), text),
                         pd.Timestamp("2026-01-04")).set_index("claim")
    assert early.loc["C1", "insurance_balance"] == 200.0


def test_summary_by_bucket_and_share_over_90():
    book = small_book()
    d = aging_detail(_balances(book), AS_OF)
    s = by_bucket(d).set_index("bucket")
    # C1 200 (58 days), C2 150 (55), C3 90 (53) in 31-60; C4 100 in 120+
    assert s.loc["31-60", "balance"] == 440.0 and s.loc["120+", "balance"] == 100.0
    assert s.loc["0-30", "claims"] == 0 and list(s.index) == ["0-30", "31-60", "61-90",
                                                              "91-120", "120+"]
    assert over_90_share(d) == pytest.approx(100 / 540)
    sheets = aging_sheets(d, AS_OF, "dos")
    assert [x.name for x in sheets] == ["Aging", "Aging Summary"]
    by_payer = sheets[1].sections[1].frame.set_index("payer")
    assert by_payer.loc["ACME", "31-60"] == 440.0 and by_payer.loc["BETA", "total"] == 100.0


def test_normalize_bucket_labels():
    got = normalize_bucket(pd.Series(["31 - 60", "120+", "Over 120", "current", "91-120 days"]))
    assert got.tolist() == ["31-60", "120+", "120+", "0-30", "91-120"]


def test_aging_import_differences():
    imp = pd.DataFrame({
        "claim_id": ["C1", "C2", "C4", "C9", None],
        "patient": [None, None, None, None, "P3"],
        "payer_id": [None, None, None, None, "ACME"],
        "balance": [200.0, 150.0, 90.0, 40.0, 90.0],
        "bucket": ["31-60", "61-90", "120+", "0-30", None], "_row": [2, 3, 4, 5, 6]})
    book = small_book(AgingImport=imp)
    d = aging_detail(_balances(book), AS_OF)
    diff = reconcile_aging(book, d).set_index("claim")
    assert diff.loc["C2", "issue"] == "bucket differs"  # theirs 61-90, ours 31-60
    assert (diff.loc["C4", "issue"], diff.loc["C4", "difference"]) == ("balance differs", -10.0)
    assert diff.loc["C9", "issue"] == "missing in ClaimBook"
    assert diff.loc["C3", "issue"] == "missing in the import"
    assert "C1" not in diff.index  # same balance, same bucket
    assert diff.loc["C4", "sheet_row"] == "AgingImport row 4"
