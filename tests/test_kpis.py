"""Every KPI on a small hand-computed case (see the comments for the arithmetic)."""

from __future__ import annotations

import pandas as pd
import pytest

from claimbook.aging import aging_detail
from claimbook.dashboard import dashboard_sheet, denials_by_reason, payments_by_month
from claimbook.kpis import (
    all_kpis,
    ar_over_90,
    clean_claim_rate,
    days_in_ar,
    denial_rate,
    first_pass_rate,
    gross_collection_rate,
    kpi_frame,
    net_collection_rate,
)
from claimbook.ledger import Ledger
from claimbook.reconcile import postings, reconcile
from claimbook.x12.x835 import parse_text
from tests.test_reconcile_support import denied_c2, era_text, paid_c1, small_book

AS_OF = pd.Timestamp("2026-03-01")


@pytest.fixture
def case():
    """C1 paid 140 (write-off 40, copay 20), C2 denied CO-16 (150), C3 (90) and C4 (100)
    unanswered; PLB WO recoupment 10.00. All four claims were sent; charges 540."""
    book = small_book(PatientPayments=pd.DataFrame({
        "patient": ["P1"], "date": pd.to_datetime(["2026-02-10"]), "amount": [5.0],
        "claim_id": ["C1"], "_row": [2]}))
    lg = Ledger(":memory:")
    reconcile(book, parse_text(era_text([paid_c1(), denied_c2()], plb=[("WO", "R", 1000)])),
              lg, AS_OF)
    p = postings.load(lg)
    bal = postings.claim_balances(book, p, AS_OF)
    return book, p, bal, aging_detail(bal, AS_OF)


def test_days_in_ar(case):
    _, _, bal, _ = case
    # A/R = C1 15 (copay 20 - 5 paid) + C2 150 + C3 90 + C4 100 = 355
    # charges with DOS in the 90 days to 2026-03-01: C1 200 + C2 150 + C3 90 = 440
    k = days_in_ar(bal, AS_OF, 90)
    assert k.value == pytest.approx(355 / (440 / 90))
    assert k.good is False


def test_gross_and_net_collection_rate(case):
    _, p, bal, _ = case
    # claims with a remittance: C1, C2 -> charges 350; payments 140 + 5 (patient)
    assert gross_collection_rate(bal).value == pytest.approx(145 / 350)
    # net: (145 - 10 refund (PLB WO)) / (350 - 40 contractual)
    k = net_collection_rate(bal, p)
    assert k.value == pytest.approx(135 / 310)
    assert (k.numerator, k.denominator) == (pytest.approx(135.0), pytest.approx(310.0))


def test_denial_rate_count_and_dollars(case):
    _, p, bal, _ = case
    by_count, by_dollars = denial_rate(bal, p)
    # answered: C1 (200) and C2 (150, denied); C3 and C4 have no remittance yet
    assert (by_count.numerator, by_count.denominator) == (1, 2)
    assert by_count.value == pytest.approx(1 / 2)
    assert by_dollars.value == pytest.approx(150 / 350)


def test_clean_claim_rate_from_findings_or_state():
    ids = pd.Series(["C1", "C1", "C2", "C3", "C4"])
    f = pd.DataFrame({"claim_id": ["C2", "C3", "C4"],
                      "severity": ["error", "warning", "info"]})
    assert clean_claim_rate(ids, f).value == pytest.approx(2 / 4)  # C1 and C4 (info only)
    assert clean_claim_rate(ids, None).value == 1.0
    assert clean_claim_rate(ids, f, given=0.97).value == 0.97


def test_first_pass_resolution(case):
    _, p, bal, _ = case
    # C1 paid on its first answer, C2 denied; C3 and C4 not answered yet
    assert first_pass_rate(bal, p).value == pytest.approx(1 / 2)


def test_ar_over_90(case):
    *_, detail = case
    assert ar_over_90(detail).value == pytest.approx(100 / 355)  # C4, 151 days


def test_empty_book_gives_blank_kpis_not_errors():
    book = small_book()
    book.tables["Claims"] = book.tables["Claims"].iloc[0:0]
    p = postings.load(Ledger(":memory:"))
    bal = postings.claim_balances(book, p, AS_OF)
    kpis = all_kpis(bal, p, aging_detail(bal, AS_OF), AS_OF, pd.Series(dtype=object), None)
    assert all(k.value is None for k in kpis)


def test_dashboard_sections_and_charts(case):
    book, p, bal, detail = case
    kpis = all_kpis(bal, p, detail, AS_OF, book.get("Claims")["claim_id"], None)
    frame = kpi_frame(kpis)
    assert frame["formula"].str.len().gt(10).all() and frame["target"].ne("").all()
    sheet = dashboard_sheet(kpis, detail, p, book.get("PatientPayments"), AS_OF)
    titles = [s.title for s in sheet.sections]
    assert titles == ["Rates", "Days in A/R", "A/R by payer and bucket", "Denials by reason",
                      "Payments by month"]
    charts = [c for s in sheet.sections for c in s.charts]
    assert [c.title for c in charts] == ["A/R by payer and bucket", "Denied dollars by reason",
                                         "Payments by month"]
    for s in sheet.sections:
        for c in s.charts:
            assert c.category in s.frame.columns and set(c.values) <= set(s.frame.columns)
    d = denials_by_reason(p)
    assert d[["reason", "count", "amount"]].values.tolist() == [["CO-16", 1, 150.0]]
    m = payments_by_month(p, book.get("PatientPayments"))
    assert m.values.tolist() == [["2026-01", 140.0, 0.0], ["2026-02", 0.0, 5.0]]


def test_rates_are_written_as_percentages_excel_shows(case, tmp_path):
    """A percent cell holds the fraction Excel formats as %: 54% is 0.54, shown '0.0%'."""
    from openpyxl import load_workbook

    from claimbook.aging import aging_sheets
    from claimbook.io.writer import write_results

    book, p, bal, detail = case
    kpis = all_kpis(bal, p, detail, AS_OF, book.get("Claims")["claim_id"], None)
    out = write_results(tmp_path / "r.xlsx", [dashboard_sheet(kpis, detail, p, None, AS_OF),
                                              *aging_sheets(detail, AS_OF, "dos")])
    wb = load_workbook(out)
    cells = {str(r[0].value): r[1] for r in wb["Dashboard"].iter_rows() if r[0].value}
    fp = cells["First-pass resolution rate"]
    assert fp.value == pytest.approx(0.5) and fp.number_format == "0.0%"
    rows = [[c.value for c in r] for r in wb["Aging Summary"].iter_rows()]
    header = next(r for r in rows if r[0] == "Bucket")
    # engine column names are written as words a coordinator reads
    assert header[:6] == ["Bucket", "Claims", "Insurance balance", "Patient balance", "Balance",
                          "Share"]
    share = next(r for r in rows if r[0] == "120+")[[str(h).lower() for h in header].index(
        "share")]
    assert share == pytest.approx(100 / 355)  # 120+ holds C4's 100 of the 355 balance
