"""Code validation on real cases: each rule fires on its case and stays silent nearby."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from claimbook.codesets import lookup
from claimbook.codesets.lookup import check_icd, check_procedure
from claimbook.io.reader import read_book_from_values
from claimbook.validate import validate_claims

HEADER = ["Claim ID", "Line", "Account #", "Payer ID", "Rendering NPI", "Referring NPI", "POS",
          "DOS", "Dx1", "Dx2", "Dx3", "Dx4", "Dx5", "CPT/HCPCS", "Mod1", "Mod2", "Mod3",
          "Mod4", "Dx pointers", "Units", "Charge", "NDC"]
BASE = {"Claim ID": "C1", "Line": 1, "Account #": "P1", "Payer ID": "SUMMT",
        "Rendering NPI": "1234567893", "POS": "11", "DOS": dt.datetime(2026, 3, 2),
        "Dx1": "E11.9", "CPT/HCPCS": "99213", "Dx pointers": "1", "Units": 1, "Charge": 135}


def book_of(*lines: dict, patients=None, cpt_list=None, providers=None, practice=None):
    rows = [[{**BASE, **ln}.get(h) for h in HEADER] for ln in lines]
    sheets = {
        "Practice": [["Setting", "Value"], ["Billing provider NPI", "1234567893"],
                     ["Billing provider taxonomy", "207Q00000X"], *(practice or [])],
        "Payers": [["Payer ID", "Payer name", "Filing indicator"], ["SUMMT", "Summit", "CI"]],
        "Patients": [["Account #", "Last name", "First name", "DOB", "Sex"],
                     *(patients or [["P1", "Doe", "Sam", dt.datetime(1980, 5, 1), "F"]])],
        "Coverage": [["Account #", "Payer ID", "Member ID", "Priority"],
                     ["P1", "SUMMT", "X1", "primary"]],
        "Claims": [HEADER, *rows],
    }
    if cpt_list is not None:
        sheets["CPTCodes"] = [["Code", "E/M"], *[[c, None] for c in cpt_list]]
    if providers is not None:
        sheets["Providers"] = [["NPI", "Last name", "Taxonomy", "Role"], *providers]
    return read_book_from_values(sheets)


def rules_of(book) -> set[str]:
    return set(validate_claims(book)["rule"])


def findings_of(book) -> pd.DataFrame:
    return validate_claims(book)


# --- the table of real cases -------------------------------------------------------

def test_clean_line_has_no_finding():
    assert rules_of(book_of({})) == set()


@pytest.mark.parametrize("code,rule", [
    ("E11", "ICD-HEADER"), ("E11.6", "ICD-HEADER"), ("E11.99", "ICD-UNKNOWN"),
    ("S52.521", "ICD-7TH"), ("J99.99", "ICD-UNKNOWN"),
])
def test_bad_diagnosis(code, rule):
    assert rules_of(book_of({"Dx1": code})) == {rule}


@pytest.mark.parametrize("code", ["E11.9", "R51.9", "U07.1", "S52.521A", "E11.65"])
def test_valid_diagnoses(code):
    assert rules_of(book_of({"Dx1": code})) == set()


def test_header_message_counts_billable_children_with_two_examples():
    f = findings_of(book_of({"Dx1": "E11"}))
    msg = f.loc[f["rule"] == "ICD-HEADER", "message"].iloc[0]
    assert "87 billable codes" in msg and "E11.00 and E11.01" in msg


def test_lowercase_without_dot_is_normalised_as_info():
    f = findings_of(book_of({"Dx1": "e1165"}))
    assert f[["rule", "severity", "value"]].values.tolist() == [["ICD-FORMAT", "info", "e1165"]]
    assert "E11.65" in f["message"].iloc[0]


def test_code_valid_on_one_side_of_october_first():
    before = findings_of(book_of({"Dx1": "E11.A", "DOS": dt.datetime(2025, 9, 30)}))
    after = findings_of(book_of({"Dx1": "E11.A", "DOS": dt.datetime(2025, 10, 1)}))
    assert before["rule"].tolist() == ["ICD-DATE"]
    assert "FY2025" in before["message"].iloc[0] and "FY2026" in before["message"].iloc[0]
    assert after.empty
    # and a code deleted at the boundary (E78.01 was expanded in FY2026)
    assert rules_of(book_of({"Dx1": "E78.01", "DOS": dt.datetime(2025, 9, 30)})) == set()
    f = findings_of(book_of({"Dx1": "E78.01", "DOS": dt.datetime(2025, 10, 1)}))
    assert f["rule"].tolist() == ["ICD-DATE"] and "E78.01" in f["message"].iloc[0]
    assert "heading" in f["message"].iloc[0]


def test_excludes1_pair_and_its_nearest_correct_case():
    f = findings_of(book_of({"Dx1": "E11.9", "Dx2": "E10.9", "Dx pointers": "1,2"}))
    assert f["rule"].tolist() == ["ICD-EXCLUDES1"]
    assert "E10.9" in f["message"].iloc[0] and "E11.9" in f["message"].iloc[0]
    assert rules_of(book_of({"Dx1": "E11.9", "Dx2": "I10", "Dx pointers": "1,2"})) == set()


def test_newborn_code_on_an_adult():
    f = findings_of(book_of({"Dx1": "Z38.00"}))
    assert f["rule"].tolist() == ["ICD-AGE"] and "age 45" in f["message"].iloc[0]
    baby = [["P1", "Doe", "Baby", dt.datetime(2026, 3, 1), "F"]]
    assert rules_of(book_of({"Dx1": "Z38.00"}, patients=baby)) == set()


def test_maternity_code_on_a_male_and_outside_12_to_55():
    male = [["P1", "Doe", "Sam", dt.datetime(1990, 5, 1), "M"]]
    assert rules_of(book_of({"Dx1": "O21.0"}, patients=male)) == {"ICD-SEX"}
    older = [["P1", "Doe", "Sam", dt.datetime(1966, 5, 1), "F"]]
    assert rules_of(book_of({"Dx1": "O21.0"}, patients=older)) == {"ICD-AGE"}
    woman = [["P1", "Doe", "Sam", dt.datetime(1990, 5, 1), "F"]]
    assert rules_of(book_of({"Dx1": "O21.0"}, patients=woman)) == set()


@pytest.mark.parametrize("code", ["W19.XXXA", "V43.52XA", "X58.XXXA", "Y93.01"])
def test_external_cause_first_listed(code):
    f = findings_of(book_of({"Dx1": code, "Dx2": "S52.521A", "Dx pointers": "1,2"}))
    assert f["rule"].tolist() == ["ICD-EXTERNAL-FIRST"]
    ok = book_of({"Dx1": "S52.521A", "Dx2": code, "Dx pointers": "1,2"})
    assert rules_of(ok) == set()


def test_manifestation_first_listed():
    assert rules_of(book_of({"Dx1": "F02.80", "Dx2": "G30.9", "Dx pointers": "1,2"})) == {
        "ICD-CODEFIRST"}
    assert rules_of(book_of({"Dx1": "G30.9", "Dx2": "F02.80", "Dx pointers": "1,2"})) == set()


@pytest.mark.parametrize("code,rule", [
    ("99213", None), ("9921", "CPT-FORMAT"), ("0001F", None), ("0042T", None),
    ("0001U", None), ("J1100", None), ("ABCDE", "CPT-FORMAT"), ("W1234", "CPT-FORMAT"),
])
def test_procedure_code_formats(code, rule):
    got = rules_of(book_of({"CPT/HCPCS": code, "Mod1": None}))
    got.discard("NDC-MISSING")
    assert got == ({rule} if rule else set())


def test_existence_checked_and_the_message_says_against_what():
    # HCPCS Level II: always against the shipped CMS file, with or without a CPTCodes list
    for lst in (None, ["99213", "J1100"]):
        f = findings_of(book_of({"CPT/HCPCS": "J1101", "NDC": "63323016501"}, cpt_list=lst))
        assert f["rule"].tolist() == ["CPT-UNKNOWN"] and "CMS HCPCS file" in f["message"].iloc[0]
        assert rules_of(book_of({"CPT/HCPCS": "J1100", "NDC": "63323016501"},
                                cpt_list=lst)) == set()
    # CPT (AMA): existence against the clinic's CPTCodes list only
    lst = ["99213", "J1100"]
    f = findings_of(book_of({"CPT/HCPCS": "99214"}, cpt_list=lst))
    assert f["rule"].tolist() == ["CPT-UNKNOWN"] and "CPTCodes" in f["message"].iloc[0]
    assert rules_of(book_of({"CPT/HCPCS": "99214"})) == set()
    assert check_procedure("99214")["reason"].startswith("CPT Category I format is valid")
    assert check_procedure("99214", "cpt", {"99213"})["valid"] is False
    assert check_procedure("J1101", "hcpcs")["valid"] is False
    assert "not in the CMS HCPCS file" in check_procedure("J1101", "hcpcs")["reason"]
    assert check_procedure("J1100", "hcpcs")["description"] == "Dexamethasone sodium phos"


def test_hcpcs_code_deleted_before_the_date_of_service():
    f = findings_of(book_of({"CPT/HCPCS": "J1030", "NDC": "00009307301",
                             "DOS": dt.datetime(2025, 6, 2)}))
    assert f["rule"].tolist() == ["HCPCS-DATE"]
    assert "valid until 2024-03-31" in f["message"].iloc[0]
    assert rules_of(book_of({"CPT/HCPCS": "J1030", "NDC": "00009307301",
                             "DOS": dt.datetime(2024, 3, 29)})) == set()
    assert rules_of(book_of({"CPT/HCPCS": "J1010", "NDC": "00009307301",
                             "DOS": dt.datetime(2025, 6, 2)})) == set()


def test_sex_edits_from_the_code_editor_beyond_maternity():
    male = [["P1", "Doe", "Sam", dt.datetime(1990, 5, 1), "M"]]
    female = [["P1", "Doe", "Sam", dt.datetime(1990, 5, 1), "F"]]
    # N95.2 postmenopausal atrophic vaginitis; N40.0 benign prostatic hyperplasia
    assert rules_of(book_of({"Dx1": "N40.0"}, patients=female)) == {"ICD-SEX"}
    assert rules_of(book_of({"Dx1": "N40.0"}, patients=male)) == set()
    assert rules_of(book_of({"Dx1": "N95.2", "DOS": dt.datetime(2026, 3, 2)},
                            patients=male)) == {"ICD-SEX"}
    assert rules_of(book_of({"Dx1": "E11.9"}, patients=male)) == set()


@pytest.mark.parametrize("mods,rule", [
    (["25"], None), (["Y9"], "MOD-UNKNOWN"), (["RT", "RT"], "MOD-DUPLICATE"),
    (["LT", "RT"], "MOD-CONFLICT"), (["26", "TC"], "MOD-CONFLICT"),
    (["59", "XS"], "MOD-CONFLICT"), (["59"], None), (["XU"], None),
])
def test_modifiers_on_an_em_line(mods, rule):
    ln = {f"Mod{i + 1}": m for i, m in enumerate(mods)}
    assert rules_of(book_of(ln)) == ({rule} if rule else set())


def test_modifier_25_only_on_em():
    assert rules_of(book_of({"CPT/HCPCS": "36415", "Mod1": "25"})) == {"MOD-25-NOT-EM"}
    assert rules_of(book_of({"CPT/HCPCS": "99214", "Mod1": "25"})) == set()


def test_pos_units_npis_and_taxonomy():
    assert rules_of(book_of({"POS": "88"})) == {"POS-INVALID"}
    assert rules_of(book_of({"POS": 2})) == set()  # 2 -> 02 telehealth
    assert rules_of(book_of({"Units": 0})) == {"UNITS-INVALID"}
    assert rules_of(book_of({"Units": -1})) == {"UNITS-INVALID"}
    assert rules_of(book_of({"Rendering NPI": "1234567890"})) == {"NPI-INVALID"}
    assert rules_of(book_of({"Referring NPI": 1234567893.0})) == set()
    bad_billing = book_of({}, practice=[["Billing provider NPI", "1234567890"]])
    f = findings_of(bad_billing)
    assert f[["rule", "sheet"]].values.tolist() == [["NPI-INVALID", "Practice"]]
    prov = [["1234567893", "Quinlan", "207Q00000X", "rendering"],
            ["1234567893", "Bad", "207Q0000X", "referring"]]
    f = findings_of(book_of({}, providers=prov))
    assert f[["rule", "sheet", "row"]].values.tolist() == [["TAXONOMY-INVALID", "Providers", 3]]


def test_ndc_normalised_invalid_and_missing():
    f = findings_of(book_of({"CPT/HCPCS": "J1100", "NDC": "0002-1433-80"}))
    assert f[["rule", "severity"]].values.tolist() == [["NDC-FORMAT", "info"]]
    assert "00002143380" in f["message"].iloc[0]
    assert rules_of(book_of({"CPT/HCPCS": "J1100", "NDC": "12345"})) == {"NDC-INVALID"}
    assert rules_of(book_of({"CPT/HCPCS": "J1100"})) == {"NDC-MISSING"}
    assert rules_of(book_of({"CPT/HCPCS": "J1100", "NDC": "00002143380"})) == set()
    assert lookup("ndc", ["0002-1433-80"]).loc[0, "normalized"] == "00002143380"


@pytest.mark.parametrize("pointers,dx,rule", [
    (None, {}, "PTR-NONE"),
    ("1,2,3,4,5", {"Dx2": "I10", "Dx3": "E78.5", "Dx4": "K21.9", "Dx5": "M10.9"},
     "PTR-TOO-MANY"),
    ("1,3", {}, "PTR-EMPTY"),
    ("1", {"Dx2": "I10"}, "DX-UNUSED"),
    ("1,2", {"Dx2": "I10"}, None),
    ("AB", {"Dx2": "I10"}, None),
])
def test_pointer_cases(pointers, dx, rule):
    got = rules_of(book_of({"Dx pointers": pointers, **dx}))
    assert got == ({rule} if rule else set())


def test_no_diagnosis_and_inconsistent_lines():
    assert rules_of(book_of({"Dx1": None, "Dx pointers": None})) == {"DX-NONE"}
    two = book_of({"Line": 1, "Dx2": "I10", "Dx pointers": "1,2"},
                  {"Line": 2, "CPT/HCPCS": "36415", "Dx2": "E78.5", "Dx pointers": "1,2"})
    f = findings_of(two)
    assert f[["rule", "line"]].values.tolist() == [["DX-INCONSISTENT", 2]]


def test_one_finding_per_claim_and_slot_not_per_line():
    lines = [{"Line": i, "Dx1": "E11"} for i in range(1, 5)]
    f = findings_of(book_of(*lines))
    assert f["rule"].tolist() == ["ICD-HEADER"]


def test_first_icd_lookup_is_light_and_skips_pandas_and_the_xml():
    import subprocess
    import sys

    code = ("import sys, tracemalloc; tracemalloc.start(); import claimbook; "
            "from claimbook.codesets.lookup import check_icd; check_icd('E11.9'); "
            "print(tracemalloc.get_traced_memory()[1], 'pandas' in sys.modules, "
            "'simple_icd_10_cm' in sys.modules)")
    peak, pandas, xml = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                       text=True, check=True).stdout.split()
    assert int(peak) < 60 * 1024 * 1024  # the memory budget (timing: benchmark)
    assert (pandas, xml) == ("False", "False")


def test_icd_lookup_table_by_date():
    assert check_icd("E11.9", dt.date(2026, 3, 1))["billable"] is True
    assert check_icd("e1165")["normalized"] == "E11.65"
    r = check_icd("E11")
    assert r["billable"] is False and "header" in r["reason"]
