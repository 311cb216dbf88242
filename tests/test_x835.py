"""835 reader: every segment we use, the three balancing levels, and malformed files."""

from __future__ import annotations

import json

import pytest

from claimbook.demo_remits import RClaim, RLine, build_transaction, interchange
from claimbook.errors import X12Error
from claimbook.x12.x835 import CLAIM_STATUS, parse_text, read_files
from tests.test_reconcile_support import denied_c2, era_text, paid_c1

SAMPLE = """ISA*00*          *00*          *ZZ*PAYER01        *ZZ*CLINIC01       *260101*1200*^*00501*000000101*0*T*:~
GS*HP*PAYER01*CLINIC01*20260101*1200*101*X*005010X221A1~
ST*835*0001~
BPR*I*140.00*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20260105~
TRN*1*EFT0001*1512345678~
N1*PR*ACME HEALTH*XV*ACME~
N1*PE*DEMO CLINIC*XX*1234567893~
LX*1~
CLP*C1001*1*200.00*140.00*20.00*12*ICN0001~
CAS*OA*23*0*~
NM1*QC*1*DOE*JANE****MI*M123~
MOA***MA01*N20~
DTM*232*20251201~
SVC*HC:99213:25:59*120.00*80.00**1~
DTM*472*20251201~
CAS*CO*45*15.00**253*5.00~
CAS*PR*3*20.00~
REF*6R*C1001-1~
AMT*B6*100.00~
SVC*HC:85025*80.00*60.00**1*HC:85027:QW~
DTM*472*20251201~
CAS*CO*45*20.00~
LQ*HE*M15~
PLB*1234567893*20261231*L6:INT1*-10.00*WO:REC1*5.00*FB:FWD*5.00~
SE*23*0001~
GE*1*101~
IEA*1*000000101~
"""


def test_reads_every_segment_in_cents():
    era = parse_text(SAMPLE, "sample.835")
    t = era.transactions.iloc[0]
    assert (t["payer_name"], t["payer_id"], t["trace"], t["paid_cents"], t["method"]) == (
        "ACME HEALTH", "ACME", "EFT0001", 14000, "ACH")
    assert t["payee_npi"] == "1234567893" and bool(t["balanced"])
    c = era.claims.iloc[0]
    assert (c["remit_claim_id"], c["status"], c["charge_cents"], c["paid_cents"],
            c["patient_resp_cents"], c["payer_claim_number"], c["member_id"]) == (
        "C1001", "1", 20000, 14000, 2000, "ICN0001", "M123")
    assert c["remarks"] == "MA01,N20"
    l1, l2 = era.lines.iloc[0], era.lines.iloc[1]
    assert (l1["code"], l1["modifiers"], l1["line_control"], l1["allowed_cents"]) == (
        "99213", "25:59", "C1001-1", 10000)
    assert (l2["code"], l2["original_code"], l2["original_modifiers"], l2["remarks"]) == (
        "85025", "85027", "QW", "M15")
    adj = era.adjustments
    assert adj[["group", "reason", "amount_cents"]].values.tolist() == [
        ["OA", "23", 0], ["CO", "45", 1500], ["CO", "253", 500], ["PR", "3", 2000],
        ["CO", "45", 2000]]
    assert adj["line_key"].tolist()[0] == -1  # claim level
    assert era.plb[["reason", "reference", "amount_cents"]].values.tolist() == [
        ["L6", "INT1", -1000], ["WO", "REC1", 500], ["FB", "FWD", 500]]
    assert era.imbalances.empty


@pytest.mark.parametrize("status", list(CLAIM_STATUS))
def test_every_claim_status_is_read(status):
    sign = -1 if status == "22" else 1
    c = RClaim("C9", status, sign * 10000, sign * 8000, 0, "ICN9", lines=[
        RLine("99213", sign * 10000, sign * 8000, [("CO", "45", sign * 2000)])])
    era = parse_text(era_text([c]))
    assert era.claims["status"].tolist() == [status]
    assert era.claims["paid_cents"].tolist() == [sign * 8000]
    assert era.imbalances.empty


def test_line_imbalance_is_reported_not_ignored():
    c = paid_c1()
    c.lines[0].adjustments = [("CO", "45", 1000), ("PR", "3", 2000)]  # 10.00 missing
    imb = parse_text(era_text([c])).imbalances
    assert set(imb["level"]) == {"line", "claim"}
    line = imb[imb["level"].eq("line")].iloc[0]
    assert (line["expected_cents"], line["found_cents"]) == (8000, 9000)
    assert "does not balance" in line["message"]


def test_claim_imbalance_with_claim_level_cas():
    c = RClaim("C2", "4", 15000, 0, 0, "ICN2", adjustments=[("CO", "16", 14000)])
    imb = parse_text(era_text([c])).imbalances
    assert imb["level"].tolist() == ["claim"]
    assert (imb.iloc[0]["expected_cents"], imb.iloc[0]["found_cents"]) == (0, 1000)


def test_transaction_imbalance_bpr_vs_claims_and_plb():
    era = parse_text(era_text([paid_c1(), denied_c2()], plb=[("L6", "I", -500)], paid=15000))
    imb = era.imbalances
    assert imb["level"].tolist() == ["transaction"]
    assert (imb.iloc[0]["expected_cents"], imb.iloc[0]["found_cents"]) == (15000, 14500)
    assert not bool(era.transactions.iloc[0]["balanced"])


def test_several_interchanges_and_transactions_in_one_file(tmp_path):
    t1 = build_transaction("0001", "ACME", "ACME", "T1", [paid_c1()])
    t2 = build_transaction("0002", "ACME", "ACME", "T2", [denied_c2()])
    t3 = build_transaction("0001", "BETA", "BETA", "T3", [paid_c1(7000)])
    f = tmp_path / "multi.835"
    f.write_text(interchange([t1, t2], 1) + interchange([t3], 2))
    era = read_files([f])
    assert era.transactions["trace"].tolist() == ["T1", "T2", "T3"]
    assert era.transactions["isa13"].tolist() == ["000000001", "000000001", "000000002"]
    assert era.claims.groupby("txn_key").size().tolist() == [1, 1, 1]
    assert era.imbalances.empty


def test_plb_with_more_than_six_adjustments_spans_segments():
    plb = [("WO", f"R{i}", 100) for i in range(8)]
    era = parse_text(era_text([paid_c1()], plb=plb))
    assert len(era.plb) == 8 and era.plb["amount_cents"].sum() == 800
    assert era.plb["segment"].nunique() == 2
    assert era.transactions.iloc[0]["paid_cents"] == 14000 - 800


@pytest.mark.parametrize("mutate, expected", [
    (lambda s: s.replace("SE*23*0001", "SE*22*0001"), ("segment 25 (SE) counts 22 segments; "
     "expected 23")),
    (lambda s: s.replace("CLP*C1001*1*", "CLP*C1001*7*"), "segment 9 (CLP) has status '7'"),
    (lambda s: s.replace("CAS*PR*3*20.00", "CAS*XX*3*20.00"), ("segment 17 (CAS) has group "
     "code 'XX'")),
    (lambda s: s.replace("BPR*I*140.00", "BPR*I*15O.00"), "segment 4 (BPR02) holds '15O.00'"),
    (lambda s: s.replace("ST*835*0001", "ST*837*0001"), "segment 3 (ST) is a 837 transaction"),
    (lambda s: s.replace("TRN*1*EFT0001*1512345678~\n", ""), "(SE) counts 23 segments"),
    (lambda s: s.split("SE*23")[0], "the file ends after segment"),
    (lambda s: "hello", "not an X12 file"),
    (lambda s: s.replace("SVC*HC:85025*80.00*60.00**1", "SVC*HC:85025*80.00*60.00**x"),
     "segment 20 (SVC05) holds 'x', expected a number"),
])
def test_malformed_file_names_file_segment_and_expectation(mutate, expected):
    with pytest.raises(X12Error) as exc:
        parse_text(mutate(SAMPLE), "bad.835")
    assert "bad.835" in str(exc.value)
    assert expected in str(exc.value)


def test_missing_trn_is_named():
    text = SAMPLE.replace("TRN*1*EFT0001*1512345678~\n", "").replace("SE*23*", "SE*22*")
    with pytest.raises(X12Error, match=r"segment 3 \(ST\) transaction set has no TRN"):
        parse_text(text, "bad.835")


@pytest.mark.parametrize("amount", ["inf", "1e999", "nan", "-inf", "1,000.00"])
def test_amount_that_is_not_an_x12_decimal_is_a_clear_error(amount):
    with pytest.raises(X12Error) as exc:
        parse_text(SAMPLE.replace("CLP*C1001*1*200.00", f"CLP*C1001*1*{amount}"), "bad.835")
    assert str(exc.value).startswith(f"bad.835: segment 9 (CLP03) holds {amount!r}, expected "
                                     "an amount such as 125.00.")


def test_quantity_inf_is_a_clear_error():
    with pytest.raises(X12Error, match=r"segment 20 \(SVC05\) holds 'inf', expected a number"):
        parse_text(SAMPLE.replace("SVC*HC:85025*80.00*60.00**1", "SVC*HC:85025*80.00*60.00**inf"),
                   "bad.835")


def _era_cli(tmp_path, files: dict[str, str]):
    from typer.testing import CliRunner

    from claimbook.cli import app

    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    return CliRunner().invoke(app, ["era", "--json", *paths])


ENVELOPE_ERRORS = [
    ("overflow", lambda s: s.replace("BPR*I*140.00", "BPR*I*1e999"),
     "bad.835: segment 4 (BPR02) holds '1e999', expected an amount such as 125.00."),
    ("no ST", lambda s: s[:s.index("ST*835")] + "GE*0*101~\nIEA*1*000000101~\n",
     ("bad.835: the interchange holds no transaction set (no ST*835 segment); expected ST*835 "
     "after GS.")),
    ("no SE02", lambda s: s.replace("SE*23*0001", "SE*23"),
     "bad.835: segment 25 (SE) has no SE02 control number; expected '0001' as in ST02."),
    ("no SE01", lambda s: s.replace("SE*23*0001", "SE**0001"),
     "bad.835: segment 25 (SE) has no SE01 segment count; expected 23 (ST at segment 3)."),
    ("no GE, no IEA", lambda s: s.split("GE*1*101")[0],
     ("bad.835: the file ends after segment 25 before IEA: it may be cut short; expected GE "
     "and IEA to close the interchange.")),
    ("no IEA", lambda s: s.split("IEA*1")[0],
     "bad.835: the file ends after segment 26 before IEA: it may be cut short"),
    ("no GE", lambda s: s.replace("GE*1*101~\n", ""),
     ("bad.835: segment 26 (IEA) closes the interchange while the functional group started at "
     "segment 2 has no GE.")),
]


@pytest.mark.parametrize("case, mutate, expected", ENVELOPE_ERRORS,
                         ids=[c[0] for c in ENVELOPE_ERRORS])
def test_cli_era_malformed_envelope_is_a_clear_error_and_others_still_read(
        tmp_path, case, mutate, expected):
    res = _era_cli(tmp_path, {"bad.835": mutate(SAMPLE), "good.835": SAMPLE})
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert expected in " ".join(res.output.split())
    out = json.loads(res.output[:res.output.rindex("]") + 1])
    assert [(t["file"], t["trace"], t["paid_total"]) for t in out] == [
        ("good.835", "EFT0001", 140.0)]


def test_read_remittances_turns_any_failure_into_a_message(tmp_path, monkeypatch):
    from claimbook import reconcile
    from claimbook.x12 import x835

    real = x835._Reader._plb

    def broken(self, el, n, cs, txn):
        if self.file == "boom.835":
            raise OverflowError("cannot convert float infinity to integer")
        return real(self, el, n, cs, txn)

    monkeypatch.setattr(x835._Reader, "_plb", broken)
    (tmp_path / "boom.835").write_text(SAMPLE)
    (tmp_path / "good.835").write_text(SAMPLE.replace("EFT0001", "EFT0002"))
    era, texts, errors = reconcile.read_remittances([tmp_path / "boom.835",
                                                     tmp_path / "good.835"])
    assert list(texts) == ["good.835"] and era.transactions["trace"].tolist() == ["EFT0002"]
    assert errors == [("boom.835", ("boom.835: could not be read as an 835 remittance "
                       "(OverflowError: cannot convert float infinity to integer); nothing in "
                       "it was posted. Ask the payer or clearinghouse to resend it; if it looks "
                       "right, report it with the file to ClaimBook support."))]
