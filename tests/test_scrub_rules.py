"""Each scrub rule fires on its case and stays silent on the nearest correct case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from claimbook import findings as F
from tests.test_scrub_support import (
    AS_OF,
    COVERAGE,
    PATIENT,
    PAYERS,
    PRACTICE,
    hits,
    line,
    make_book,
    scrub,
)

D = pd.Timestamp("2026-11-02")
MBI = "1EG4TE5MK73"
MCR_COV = {"patient": "P1", "payer_id": "MCR", "member_id": MBI, "priority": "primary",
               "effective_from": pd.Timestamp("2020-01-01")}
SEC_COV = dict(COVERAGE[0], priority="secondary")


def test_clean_claim_has_no_findings():
    f = scrub(make_book([line(), line(line_no=2, code="36415", charge=15.0)]))
    assert f.empty, f[["rule", "message"]].to_string()


# ---------------------------------------------------------------- required data
def test_billing_setting_missing_is_one_practice_finding():
    f = scrub(make_book([line()], practice=dict(PRACTICE, billing_npi=None)))
    assert hits(f, "REQ-BILLING") == [("", None, "billing_npi")]
    assert f.loc[f["rule"].eq("REQ-BILLING"), "sheet"].tolist() == ["Practice"]
    assert hits(scrub(make_book([line()])), "REQ-BILLING") == []


def test_payer_unknown_or_without_filing_indicator():
    f = scrub(make_book([line(payer_id="NOPE")]))
    assert hits(f, "REQ-PAYER") == [("C1", None, "payer_id")]
    assert hits(f, "COV-NONE") == []  # left to REQ-PAYER
    payers = [dict(PAYERS[0], filing_indicator=None), *PAYERS[1:]]
    f = scrub(make_book([line()], payers=payers))
    assert hits(f, "REQ-PAYER") == [("C1", None, "filing_indicator")]
    assert f.loc[f["rule"].eq("REQ-PAYER"), "sheet"].tolist() == ["Payers"]


def test_patient_missing_or_incomplete():
    f = scrub(make_book([line(patient="P9")]))
    assert hits(f, "REQ-PATIENT") == [("C1", None, "patient")]
    f = scrub(make_book([line()], patients=[dict(PATIENT, address=None)]))
    assert hits(f, "REQ-PATIENT") == [("C1", None, "address")]
    row = f.loc[f["rule"].eq("REQ-PATIENT")].iloc[0]
    assert (row["sheet"], row["row"], row["column"]) == ("Patients", 2, "F")


def test_member_id_missing():
    f = scrub(make_book([line()], coverage=[dict(COVERAGE[0], member_id=None)]))
    assert hits(f, "REQ-MEMBER-ID") == [("C1", None, "member_id")]
    assert f.loc[f["rule"].eq("REQ-MEMBER-ID"), "sheet"].tolist() == ["Coverage"]


@pytest.mark.parametrize("field,rule,blank", [("rendering_npi", "REQ-RENDERING", None),
                                              ("pos", "REQ-POS", None),
                                              ("charge", "REQ-CHARGE", np.nan)])
def test_line_fields_required(field, rule, blank):
    second = line(line_no=2, code="36415", charge=15.0)
    second[field] = blank
    f = scrub(make_book([line(), second]))
    assert hits(f, rule) == [("C1", 2, field)]


def test_required_not_repeated_for_a_cell_the_reader_could_not_read():
    io = F.one("IO-FORMAT", "unreadable", sheet="Claims", field="rendering_npi", row=2,
               column="E", claim_id="C1", line=1)
    f = scrub(make_book([line(rendering_npi=None)], findings=io))
    assert hits(f, "REQ-RENDERING") == []


# ---------------------------------------------------------------- coverage
def test_no_active_coverage_on_dos():
    cov = [dict(COVERAGE[0], effective_to=D - pd.Timedelta(days=1))]
    f = scrub(make_book([line()], coverage=cov))
    assert hits(f, "COV-NONE") == [("C1", None, "payer_id")]
    assert "2026-11-01" in f.loc[f["rule"].eq("COV-NONE"), "message"].iloc[0]
    cov = [dict(COVERAGE[0], effective_to=D)]  # last day of coverage is the DOS: covered
    assert hits(scrub(make_book([line()], coverage=cov)), "COV-NONE") == []


def test_self_pay_needs_no_coverage():
    f = scrub(make_book([line(payer_id="SELF")]))
    assert f.empty, f[["rule", "message"]].to_string()


def test_secondary_billed_while_primary_active():
    cov = [MCR_COV, SEC_COV]
    f = scrub(make_book([line()], coverage=cov))
    assert hits(f, "COV-NOT-PRIMARY") == [("C1", None, "payer_id")]
    assert "MCR" in f.loc[f["rule"].eq("COV-NOT-PRIMARY"), "message"].iloc[0]
    f = scrub(make_book([line(payer_id="MCR")], coverage=cov))
    assert hits(f, "COV-NOT-PRIMARY") == [] and hits(f, "COV-SECONDARY") == []


def test_secondary_claim_without_primary_adjudication(tmp_path):
    cov = [MCR_COV, SEC_COV]
    claims = [line(claim_id="C1", payer_id="MCR", submitted_on=D + pd.Timedelta(days=2)),
              line(claim_id="C1S", payer_id="SUMMT")]
    f = scrub(make_book(claims, coverage=cov))
    assert hits(f, "COV-SECONDARY") == [("C1S", None, "payer_id")]
    assert hits(f, "COV-NOT-PRIMARY") == []
    assert hits(f, "DUP-LINE") == []  # the same service to another payer is no duplicate
    # once the primary's remittance is posted in the ledger, the secondary claim is fine
    from tests.test_scrub_ledger import ledger_with

    led = ledger_with(tmp_path, sent=[("C1", "MCR", "P1", "2026-11-02", "99213", "")],
                      paid=[("C1", "2026-11-20")])
    f = scrub(make_book(claims, coverage=cov), ledger=led)
    assert hits(f, "COV-SECONDARY") == [] and hits(f, "COV-NOT-PRIMARY") == []


def test_medicare_member_id_must_be_an_mbi():
    bad = dict(MCR_COV, member_id="123456789A")
    f = scrub(make_book([line(payer_id="MCR")], coverage=[bad]))
    assert hits(f, "COV-MEMBER-FORMAT") == [("C1", None, "member_id")]
    assert hits(scrub(make_book([line(payer_id="MCR")], coverage=[MCR_COV])),
                "COV-MEMBER-FORMAT") == []
    dashed = dict(MCR_COV, member_id="1EG4-TE5-MK73")  # as printed on the card, not as sent
    f = scrub(make_book([line(payer_id="MCR")], coverage=[dashed]))
    assert hits(f, "COV-MEMBER-FORMAT") == [("C1", None, "member_id")]
    assert "no dashes" in f["message"].iloc[0]


def test_payer_member_id_pattern():
    payers = [dict(PAYERS[0], member_id_pattern=r"SUM\d{9}"), *PAYERS[1:]]
    assert hits(scrub(make_book([line()], payers=payers)), "COV-MEMBER-FORMAT") == []
    cov = [dict(COVERAGE[0], member_id="SUM12345")]
    f = scrub(make_book([line()], payers=payers, coverage=cov))
    assert hits(f, "COV-MEMBER-FORMAT") == [("C1", None, "member_id")]
    broken = [dict(PAYERS[0], member_id_pattern="SUM[0-9"), *PAYERS[1:]]
    f = scrub(make_book([line()], payers=broken))
    assert f["rule"].tolist() == ["COV-PATTERN-INVALID"]


# ---------------------------------------------------------------- dates
def test_dos_in_future():
    f = scrub(make_book([line(dos_from=AS_OF + pd.Timedelta(days=1))]))
    assert hits(f, "DATE-FUTURE") == [("C1", 1, "dos_from")]
    assert hits(scrub(make_book([line(dos_from=AS_OF)])), "DATE-FUTURE") == []


def test_dos_after_submission():
    f = scrub(make_book([line(submitted_on=D - pd.Timedelta(days=1))]))
    assert hits(f, "DATE-AFTER-SUBMIT") == [("C1", 1, "submitted_on")]
    assert hits(scrub(make_book([line(submitted_on=D)])), "DATE-AFTER-SUBMIT") == []


def test_dos_range_reversed():
    f = scrub(make_book([line(dos_to=D - pd.Timedelta(days=1))]))
    assert hits(f, "DATE-RANGE") == [("C1", 1, "dos_to")]
    assert hits(scrub(make_book([line(dos_to=D)])), "DATE-RANGE") == []


def test_line_far_from_the_claims_other_lines():
    far = [line(), line(line_no=2, code="36415", charge=15.0),
           line(line_no=3, code="36415", charge=15.0, mod1="91",
                dos_from=D - pd.Timedelta(days=31))]
    assert hits(scrub(make_book(far)), "DATE-SPAN") == [("C1", 3, "dos_from")]
    near = [dict(x) for x in far]
    near[2]["dos_from"] = D - pd.Timedelta(days=30)
    assert hits(scrub(make_book(near)), "DATE-SPAN") == []
    two = [line(), line(line_no=2, code="36415", charge=15.0,
                        dos_from=D - pd.Timedelta(days=60))]
    assert hits(scrub(make_book(two)), "DATE-SPAN") == [("C1", 2, "dos_from")]


def test_patient_not_born_on_dos():
    f = scrub(make_book([line()], patients=[dict(PATIENT, dob=D + pd.Timedelta(days=1))]))
    assert hits(f, "DATE-BEFORE-BIRTH") == [("C1", 1, "dos_from")]
    f = scrub(make_book([line()], patients=[dict(PATIENT, dob=D)]))
    assert hits(f, "DATE-BEFORE-BIRTH") == []


@pytest.mark.parametrize("days_ago,rule", [(91, "TF-PASSED"), (90, "TF-NEAR"), (60, "TF-NEAR"),
                                           (59, None)])
def test_timely_filing_commercial_90_days(days_ago, rule):
    f = scrub(make_book([line(dos_from=AS_OF - pd.Timedelta(days=days_ago))]))
    got = f.loc[f["rule"].str.startswith("TF-"), "rule"].tolist()
    assert got == ([rule] if rule else [])


def test_timely_filing_defaults_and_sent_claims():
    old = AS_OF - pd.Timedelta(days=200)
    cov = [MCR_COV]
    # Medicare: no limit in Payers -> the Practice default for MB/MA (365): fine at 200 days
    assert hits(scrub(make_book([line(payer_id="MCR", dos_from=old)], coverage=cov)),
                "TF-PASSED") == []
    f = scrub(make_book([line(payer_id="MCR", dos_from=old)], coverage=cov,
                        practice=dict(PRACTICE, medicare_timely_filing_days=180)))
    assert hits(f, "TF-PASSED") == [("C1", None, "dos_from")]
    # a claim already sent is not checked
    sent = line(dos_from=old, submitted_on=old + pd.Timedelta(days=3))
    assert hits(scrub(make_book([sent])), "TF-PASSED") == []


# ---------------------------------------------------------------- duplicates
def test_duplicate_line_in_workbook():
    f = scrub(make_book([line(), line(line_no=2)]))
    assert hits(f, "DUP-LINE") == [("C1", 2, "code")]
    f = scrub(make_book([line(mod1="25", mod2="59"), line(claim_id="C2", mod1="59", mod2="25")]))
    assert hits(f, "DUP-LINE") == [("C2", 1, "code")]
    assert hits(scrub(make_book([line(code="36415", charge=15.0),
                                 line(line_no=2, code="36415", charge=15.0, mod1="91")])),
                "DUP-LINE") == []


def test_correction_is_not_a_duplicate_of_its_original():
    claims = [line(submitted_on=D + pd.Timedelta(days=1)),
              line(claim_id="C1R", frequency="7", original_claim_number="ICN1")]
    assert hits(scrub(make_book(claims)), "DUP-LINE") == []


def test_claim_id_for_two_patients():
    pats = [PATIENT, dict(PATIENT, account="P2")]
    cov = [COVERAGE[0], dict(COVERAGE[0], patient="P2")]
    claims = [line(), line(line_no=2, patient="P2", code="36415", charge=15.0)]
    f = scrub(make_book(claims, patients=pats, coverage=cov))
    assert hits(f, "DUP-CLAIM-ID") == [("C1", 2, "patient")]
    claims[1]["claim_id"] = "C2"
    assert hits(scrub(make_book(claims, patients=pats, coverage=cov)), "DUP-CLAIM-ID") == []


# ---------------------------------------------------------------- charges
def test_zero_or_negative_charge():
    f = scrub(make_book([line(charge=0.0)]))
    assert hits(f, "MONEY-NONPOSITIVE") == [("C1", 1, "charge")]
    assert hits(f, "MONEY-FEE") == []
    assert hits(scrub(make_book([line(charge=-5.0)])), "MONEY-NONPOSITIVE") == [("C1", 1,
                                                                                "charge")]


def test_charge_against_fee_schedule():
    f = scrub(make_book([line(charge=155.0)]))
    assert hits(f, "MONEY-FEE") == [("C1", 1, "charge")]
    assert "$135.00" in f["message"].iloc[0]
    assert hits(scrub(make_book([line(code="36415", units=3.0, charge=45.0)])),
                "MONEY-FEE") == []
    fees = [{"payer_id": "*", "code": "99213", "standard_charge": 135.0},
            {"payer_id": "SUMMT", "code": "99213", "standard_charge": 150.0},
            {"payer_id": "*", "code": "93000", "modifier": "26", "standard_charge": 20.0},
            {"payer_id": "*", "code": "93000", "standard_charge": 65.0}]
    assert hits(scrub(make_book([line(charge=150.0)], fees=fees)), "MONEY-FEE") == []
    assert hits(scrub(make_book([line(charge=135.0)], fees=fees)), "MONEY-FEE") == [
        ("C1", 1, "charge")]
    ecg = [line(code="93000", mod1="26", charge=20.0)]
    assert hits(scrub(make_book(ecg, fees=fees)), "MONEY-FEE") == []


def test_claim_total_against_lines():
    claims = [line(claim_total=150.0), line(line_no=2, code="36415", charge=15.0,
                                            claim_total=150.0)]
    assert hits(scrub(make_book(claims)), "MONEY-TOTAL") == []
    claims[1]["claim_total"] = 160.0
    assert hits(scrub(make_book(claims)), "MONEY-TOTAL") == [("C1", 2, "claim_total")]


# ---------------------------------------------------------------- code combinations
NCCI = [{"column1": "93000", "column2": "93010", "modifier_indicator": "0",
             "effective": pd.Timestamp("2020-01-01")},
        {"column1": "20610", "column2": "20605", "modifier_indicator": "1",
             "effective": pd.Timestamp("2020-01-01")},
        {"column1": "17000", "column2": "17003", "modifier_indicator": "9"}]


def test_ncci_pairs():
    ecg = [line(code="93000", charge=65.0), line(line_no=2, code="93010", charge=25.0)]
    assert hits(scrub(make_book(ecg, NCCI=NCCI)), "NCCI-PTP") == [("C1", 2, "code")]
    assert hits(scrub(make_book(ecg)), "NCCI-PTP") == []  # no NCCI table loaded
    deleted = [dict(NCCI[0], deletion=D)]
    assert hits(scrub(make_book(ecg, NCCI=deleted)), "NCCI-PTP") == []
    inj = [line(code="20610", mod1="RT", charge=180.0),
           line(line_no=2, code="20605", charge=150.0)]
    assert hits(scrub(make_book(inj, NCCI=NCCI)), "NCCI-PTP") == [("C1", 2, "code")]
    inj[1]["mod1"] = "XS"
    assert hits(scrub(make_book(inj, NCCI=NCCI)), "NCCI-PTP") == []
    ak = [line(code="17000", charge=120.0), line(line_no=2, code="17003", charge=15.0)]
    assert hits(scrub(make_book(ak, NCCI=NCCI)), "NCCI-PTP") == []


def test_mue_limit():
    mue = [{"code": "36415", "max_units": 1}]
    f = scrub(make_book([line(code="36415", units=2.0, charge=30.0)], MUE=mue))
    assert hits(f, "MUE-EXCEEDED") == [("C1", 1, "units")]
    assert hits(scrub(make_book([line(code="36415", charge=15.0)], MUE=mue)),
                "MUE-EXCEEDED") == []


def test_em_with_procedure_needs_25():
    claims = [line(), line(line_no=2, code="20610", mod1="RT", charge=180.0)]
    f = scrub(make_book(claims))
    assert hits(f, "EM-NO-25") == [("C1", 1, "mod1")]
    claims[0]["mod1"] = "25"
    assert hits(scrub(make_book(claims)), "EM-NO-25") == []
    labs = [line(), line(line_no=2, code="36415", charge=15.0)]
    assert hits(scrub(make_book(labs)), "EM-NO-25") == []
    inj = [line(mod1="95"), line(line_no=2, code="96372", charge=35.0)]
    assert hits(scrub(make_book(inj)), "EM-NO-25") == [("C1", 1, "mod2")]


def test_bilateral_coding():
    f = scrub(make_book([line(code="20610", mod1="50", units=2.0, charge=360.0)]))
    assert hits(f, "BILATERAL") == [("C1", 1, "mod1")]
    f = scrub(make_book([line(code="20610", mod1="RT", mod2="50", charge=180.0)]))
    assert hits(f, "BILATERAL") == [("C1", 1, "mod2")]
    assert hits(scrub(make_book([line(code="20610", mod1="50", charge=180.0)])),
                "BILATERAL") == []
    sides = [line(code="20610", mod1="LT", charge=180.0),
             line(line_no=2, code="20610", mod1="RT", charge=180.0)]
    assert hits(scrub(make_book(sides)), "BILATERAL") == []
    sides[1]["mod1"] = None
    assert hits(scrub(make_book(sides)), "BILATERAL") == [("C1", 2, "code")]


def test_addon_without_primary():
    cpt = [{"code": "17000"}, {"code": "17003", "addon": True}]
    alone = [line(code="17003", units=2.0, charge=30.0)]
    assert hits(scrub(make_book(alone, CPTCodes=cpt)), "ADDON-NO-PRIMARY") == [("C1", 1, "code")]
    both = [line(code="17000", charge=120.0), line(line_no=2, code="17003", units=2.0,
                                                   charge=30.0)]
    assert hits(scrub(make_book(both, CPTCodes=cpt)), "ADDON-NO-PRIMARY") == []
    assert hits(scrub(make_book(alone)), "ADDON-NO-PRIMARY") == []  # no add-on list loaded


# ---------------------------------------------------------------- prior authorization
def test_prior_auth_from_fee_schedule():
    from tests.test_scrub_support import FEES

    fees = [*FEES, {"payer_id": "SUMMT", "code": "93306", "prior_auth_required": True}]
    echo = [line(code="93306", charge=650.0)]
    f = scrub(make_book(echo, fees=fees))
    assert hits(f, "AUTH-MISSING") == [("C1", 1, "prior_auth")]
    assert hits(scrub(make_book([line(code="93306", charge=650.0, prior_auth="A1")],
                                fees=fees)), "AUTH-MISSING") == []
    cov = [MCR_COV]
    assert hits(scrub(make_book([line(code="93306", charge=650.0, payer_id="MCR")],
                                fees=fees, coverage=cov)), "AUTH-MISSING") == []


def test_prior_auth_from_coverage_outside_the_office():
    cov = [dict(COVERAGE[0], prior_auth_required=True)]
    f = scrub(make_book([line(pos="22")], coverage=cov))
    assert hits(f, "AUTH-MISSING") == [("C1", 1, "prior_auth")]
    assert hits(scrub(make_book([line(pos="11")], coverage=cov)), "AUTH-MISSING") == []


# ---------------------------------------------------------------- whole-table behaviour
def test_findings_point_at_the_cell_and_rerun_is_identical():
    claims = [line(charge=0.0), line(line_no=2, code="36415", charge=15.0, pos=None),
              line(claim_id="C2", dos_from=AS_OF + pd.Timedelta(days=3))]
    book = make_book(claims)
    a, b = scrub(book), scrub(book)
    pd.testing.assert_frame_equal(a, b)
    charge = a[a["rule"] == "MONEY-NONPOSITIVE"].iloc[0]
    assert (charge["sheet"], charge["row"], charge["column"]) == ("Claims", 2, "AC")
    assert "cell AC2" in charge["message"]
    assert set(a.columns) == set(F.COLUMNS)


# ---------------------------------------------------------------- claim id as sent


def test_claim_id_that_changes_in_the_837_is_an_error_naming_the_clash():
    f = scrub(make_book([line(claim_id="abc_1"), line(claim_id="ABC1", code="36415",
                                                      charge=15.0, dos_from=D)]))
    hit = f[f["rule"] == "CLAIM-ID-CHANGED"]
    assert hit["claim_id"].tolist() == ["abc_1"] and hit["severity"].tolist() == ["error"]
    msg = hit["message"].iloc[0]
    assert "would be sent as 'ABC1', the same as claim 'ABC1'" in msg
    assert hit["row"].tolist() == [2]


def test_claim_id_already_in_837_form_is_silent():
    f = scrub(make_book([line(claim_id="C-2026/001.A")]))
    assert "CLAIM-ID-CHANGED" not in set(f["rule"])
