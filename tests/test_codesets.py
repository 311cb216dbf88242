"""HCPCS Level II, modifier and ICD-10-CM sex data shipped from CMS sources (issue 3)."""

from __future__ import annotations

import gzip
from importlib import resources

import pandas as pd
import pytest

from claimbook import rules
from claimbook.codesets.hcpcs import (
    check_hcpcs,
    hcpcs_status,
    icd_sex,
    modifier_status,
    modifier_table,
    sex_of,
)


@pytest.mark.parametrize(("code", "dos", "valid", "billable"), [
    ("J1100", "2026-03-02", True, True),  # dexamethasone, valid throughout
    ("J1101", "2026-03-02", False, None),  # HCPCS format, no such code
    ("J1030", "2024-03-01", True, True),  # methylprednisolone 40 mg, deleted 2024-04-01
    ("J1030", "2025-01-02", False, False),
    ("J1010", "2024-03-01", False, False),  # its replacement, added 2024-04-01
    ("J1010", "2025-01-02", True, True),
    ("G2211", "2020-12-31", False, False),  # complex E/M add-on, from 2021-01-01
    ("G2211", "2021-01-01", True, True),
    ("Q4236", "2022-06-01", False, False),  # inactive between two validity intervals
    ("Q4236", "2023-06-01", True, True),
])
def test_hcpcs_codes_by_date_of_service(code, dos, valid, billable):
    r = check_hcpcs(code, dos)
    assert (r["valid"], r["billable"]) == (valid, billable), r["reason"]


def test_hcpcs_messages_say_what_and_when():
    assert check_hcpcs("j1100")["description"] == "Dexamethasone sodium phos"
    assert "not in the CMS HCPCS file" in check_hcpcs("J1101")["reason"]
    assert "valid until 2024-03-31" in check_hcpcs("J1030", "2025-01-02")["reason"]
    assert "valid from 2024-04-01" in check_hcpcs("J1010", "2024-03-01")["reason"]
    assert "not a HCPCS Level II code" in check_hcpcs("99213")["reason"]


def test_hcpcs_status_is_vectorized_per_line_dos():
    codes = pd.Series(["J1100", "J1101", "J1030", "J1030", None, "Q4236"], index=list("abcdef"))
    dos = pd.Series(pd.to_datetime(["2026-03-02", "2026-03-02", "2024-03-01", "2025-01-02",
                                    "2026-01-01", "2022-06-01"]), index=codes.index)
    st = hcpcs_status(codes, dos)
    assert st["known"].tolist() == [True, False, True, True, False, True]
    assert st["valid"].tolist() == [True, False, True, False, False, False]
    assert list(st.index) == list("abcdef")


def test_modifiers_from_cms_and_cpt_codes():
    st = modifier_status(pd.Series(["LT", "RT", "25", "59", "XU", "8P", "Y9", "ZZ", None]))
    assert st["known"].tolist() == [True] * 6 + [False] * 3
    t = modifier_table()
    assert t.source["LT"] == "ioce" and t.source["25"] in ("ioce", "cpt")
    assert {"P1", "P6", "XE", "GT", "95", "JZ"} <= set(t.spans)
    assert len(t.spans) > 400


def test_icd_sex_edits_from_the_code_editor():
    assert sex_of(pd.Series(["O210", "N400", "C61", "E119", "Z3800", "N952", "O26641",
                             "C50011", "C50021"])).tolist() == [
        "F", "M", "M", "", "", "F", "F", "F", "M"]
    sexes = icd_sex()
    assert 3000 < len(sexes) < 6000
    assert all(code.startswith("O") for code, s in sexes.items() if code[0] == "O")


def test_shipped_files_carry_provenance():
    base = resources.files("claimbook") / "data" / "codesets"
    for name in ("hcpcs.tsv.gz", "modifiers.tsv.gz", "icd10cm_sex.tsv.gz"):
        with resources.as_file(base / name) as p, gzip.open(p, "rt") as f:
            first = f.readline()
        assert first.startswith("# ") and "scripts/build_codesets.py" in first, name


def _lines(*rows: tuple[str | None, str]) -> pd.DataFrame:
    return pd.DataFrame({"claim_id": [f"C{i}" for i in range(len(rows))],
                         "line_no": [1] * len(rows), "_row": range(2, len(rows) + 2),
                         "code": [r[0] for r in rows],
                         "dos_from": pd.to_datetime([r[1] for r in rows])})


def test_hcpcs_findings_on_claim_lines():
    from claimbook.validate_hcpcs import hcpcs_findings

    f = hcpcs_findings(_lines(("J1100", "2026-03-02"), ("J1101", "2026-03-02"),
                              ("J1030", "2025-06-01"), ("J1030", "2024-03-01"),
                              ("J1010", "2025-06-01"), ("99213", "2026-03-02"),
                              ("9921", "2026-03-02"), (None, "2026-03-02")))
    got = sorted(zip(f["claim_id"], f["rule"], f["row"], strict=True))
    assert got == [("C1", "CPT-UNKNOWN", 3), ("C2", "HCPCS-DATE", 4)]
    msg = f.set_index("rule")["message"]
    assert "not in the CMS HCPCS file" in msg["CPT-UNKNOWN"]
    assert "2025-06-01" in msg["HCPCS-DATE"] and "valid until 2024-03-31" in msg["HCPCS-DATE"]
    assert rules.get("HCPCS-DATE").severity == "error"
