"""Import 837P files into a workbook; import then batch reproduces the same claims."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from claimbook import batches as B
from claimbook import findings as F
from claimbook.commands.import837 import import_837
from claimbook.errors import X12Error
from claimbook.io.reader import read_book
from claimbook.ledger import Ledger
from claimbook.template import build_template
from claimbook.x12.read837 import read_837
from tests.test_x837 import NOW, edge_claims
from tests.x12_validate import x12_errors
from tests.x837_factory import (
    COVERAGE_ROWS,
    PATIENT_ROWS,
    PAYER_ROWS,
    PRACTICE_VALUES,
    PROVIDER_ROWS,
    line,
    make_book,
)

ENVELOPE = ("ISA", "GS", "ST", "SE", "GE", "IEA", "BHT", "REF*6R")
COMPARED = ["claim_id", "line_no", "code", "mod1", "mod2", "mod3", "mod4", "charge", "units",
            "pointers", "pos", "dos_from", "dos_to", "rendering_npi", "referring_npi",
            "frequency", "original_claim_number", "prior_auth", "ndc", "ndc_units",
            "ndc_unit", *[f"dx{i}" for i in range(1, 13)]]


def _files(book, folder: Path) -> list[str]:
    res = B.build(book, F.empty(), Ledger(folder / "ledger.sqlite"), folder / "out", now=NOW)
    assert res.held.empty, res.held.to_dict("records")
    return sorted(f.file for f in res.files)


def _body(path: str) -> list[str]:
    """Segments that describe claims (control numbers and REF*6R left out)."""
    return [s for s in Path(path).read_text().split("~") if s and not s.startswith(ENVELOPE)]


def _claims_of(files: list[str]) -> pd.DataFrame:
    frames = [read_837(Path(f).read_text()).tables["Claims"] for f in files]
    c = pd.concat(frames, ignore_index=True)[COMPARED].astype(object)
    return c.where(c.notna(), None).sort_values(["claim_id", "line_no"]).reset_index(drop=True)


def test_import_then_batch_reproduces_the_claims(tmp_path):
    original = _files(make_book(edge_claims()), tmp_path / "a")
    wb = tmp_path / "imported.xlsx"
    report = import_837([Path(f) for f in original], wb)
    assert report.created and report.added["Claims"] == 8
    book = read_book(wb)
    assert book.findings.empty
    again = _files(book, tmp_path / "b")
    assert len(again) == len(original)
    for a, b in zip(original, again):
        assert x12_errors(b) == []
        assert _body(a) == _body(b)
    before, after = _claims_of(original), _claims_of(again)
    pd.testing.assert_frame_equal(before, after)
    row = before[before["claim_id"] == "CMODS"].iloc[1]
    assert (row["code"], row["mod1"], row["mod4"], row["charge"], row["pos"]) == (
        "20610", "59", "76", 210.5, "22")
    assert book.practice.billing_npi == PRACTICE_VALUES["billing_npi"]
    assert book.practice.receiver_id == "CLEARHOUSE"


def test_import_into_an_existing_workbook_appends_with_a_backup(tmp_path):
    wb = tmp_path / "clinic.xlsx"
    build_template(wb, {"Payers": pd.DataFrame(PAYER_ROWS[:1]),
                        "Patients": pd.DataFrame(PATIENT_ROWS[:1]),
                        "Coverage": pd.DataFrame(COVERAGE_ROWS[:1]),
                        "Providers": pd.DataFrame(PROVIDER_ROWS[:1]),
                        "Claims": pd.DataFrame([line("OLD1")])}, PRACTICE_VALUES)
    xl = load_workbook(wb)
    xl.create_sheet("My notes")["A1"] = "keep me"
    xl.save(wb)
    before = read_book(wb)
    # another system's file: one claim for the known patient, one for a new child patient
    other = _files(make_book([line("EHR1", charge=80.0), line("EHR2", patient="P2"),
                              line("OLD1")]), tmp_path / "ehr")
    report = import_837([Path(f) for f in other], wb)
    assert report.backup is not None and report.backup.exists()
    assert read_book(report.backup).get("Claims")["claim_id"].tolist() == ["OLD1"]
    assert report.skipped["Claims"] == 1 and report.added["Claims"] == 2
    after = read_book(wb)
    claims = after.get("Claims")
    assert claims["claim_id"].tolist() == ["OLD1", "EHR1", "EHR2"]
    # existing rows untouched; the known patient is matched by name and DOB, not duplicated
    pd.testing.assert_frame_equal(claims.iloc[:1].reset_index(drop=True),
                                  before.get("Claims").reset_index(drop=True))
    assert claims.loc[claims["claim_id"] == "EHR1", "patient"].item() == "P1"
    pats = after.get("Patients")
    assert len(pats) == 2 and pats["account"].iloc[0] == "P1"
    # the other payer of the 2320 loop (P1's secondary) comes in as coverage and payer
    assert sorted(after.get("Coverage")["member_id"]) == ["W100", "W300", "XB200"]
    assert after.get("Payers")["payer_id"].tolist() == ["AETNA1", "BCBS1"]
    xl = load_workbook(wb)
    assert xl["My notes"]["A1"].value == "keep me"
    assert xl["Claims"].tables["tblClaims"].ref.endswith("4")
    # the appended claims batch cleanly
    res = B.build(after, F.empty(), Ledger(tmp_path / "l.sqlite"), tmp_path / "out", now=NOW)
    assert sorted(res.claim_batches["claim_id"]) == ["EHR1", "EHR2", "OLD1"]
    assert all(x12_errors(f.file) == [] for f in res.files)


def test_import_rejects_a_file_that_is_not_an_837(tmp_path):
    bad = tmp_path / "x.835"
    bad.write_text("ISA*00*          *00*          *ZZ*A              *ZZ*B              "
                   "*260101*1200*^*00501*000000001*0*T*:~GS*HP*A*B*20260101*1200*1*X*"
                   "005010X221A1~ST*835*0001~SE*2*0001~GE*1*1~IEA*1*000000001~")
    with pytest.raises(X12Error) as exc:
        import_837([bad], tmp_path / "wb.xlsx")
    assert "is a 835 transaction, not an 837" in str(exc.value)
    assert not (tmp_path / "wb.xlsx").exists()


def test_import_command(tmp_path):
    from typer.testing import CliRunner

    from claimbook.cli import app

    files = _files(make_book([line("CLI1"), line("CLI2", patient="P2")]), tmp_path / "src")
    wb = tmp_path / "from-cli.xlsx"
    r = CliRunner().invoke(app, ["import-837", *files, "--into", str(wb)])
    assert r.exit_code == 0, r.output
    assert "2 claims" in " ".join(r.stdout.split())
    assert read_book(wb).get("Claims")["claim_id"].tolist() == ["CLI1", "CLI2"]


def test_import_reads_an_ehr_style_file_with_line_breaks_and_a_record_number(tmp_path):
    (f,) = _files(make_book([line("EA1", code="99203", mod1="25", charge=150.0)]), tmp_path)
    text = Path(f).read_text()
    text = text.replace("*Y*A*Y*Y~", "*Y*A*Y*Y~REF*EA*MRN0042~", 1).replace("~", "~\r\n")
    imp = read_837(text, "ehr.837")
    claims = imp.tables["Claims"]
    assert claims[["claim_id", "patient", "code", "mod1", "charge", "pointers"]].values.tolist(
    ) == [["EA1", "MRN0042", "99203", "25", 150.0, "1"]]
    assert imp.tables["Patients"]["account"].tolist() == ["MRN0042"]
    assert imp.tables["Coverage"][["patient", "payer_id", "member_id", "priority"]
                                  ].values.tolist()[0] == ["MRN0042", "AETNA1", "W100", "primary"]
