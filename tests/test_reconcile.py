"""Matching and posting 835s into the ledger: every posting case in cents, idempotency."""

from __future__ import annotations

import pandas as pd
import pytest

from claimbook.demo_remits import RClaim, RLine
from claimbook.ledger import Ledger
from claimbook.reconcile import read_remittances, reconcile
from claimbook.x12.x835 import parse_text
from tests.test_reconcile_support import claims_table, denied_c2, era_text, paid_c1, small_book

AS_OF = pd.Timestamp("2026-03-01")


@pytest.fixture
def ledger():
    lg = Ledger(":memory:")
    yield lg
    lg.close()


def run(book, ledger, text, name="a.835"):
    return reconcile(book, parse_text(text, name), ledger, AS_OF, {name: text})


def bal(r, claim):
    return r.balances.set_index("claim_id").loc[claim]


def types(r):
    return r.exceptions["type"].tolist()


def test_paid_claim_posts_contractual_copay_and_balances(ledger):
    r = run(small_book(), ledger, era_text([paid_c1()]))
    ln = r.postings.lines.set_index("line_no")
    assert ln.loc[1, ["paid_cents", "contractual_cents", "copay_cents", "allowed_cents"]] \
        .tolist() == [8000, 2000, 2000, 10000]
    assert ln.loc[2, ["paid_cents", "contractual_cents"]].tolist() == [6000, 2000]
    assert set(ln["matched_by"]) == {"code + modifiers + DOS + charge"}
    b = bal(r, "C1")
    assert (b["paid_cents"], b["writeoff_cents"], b["patient_resp_cents"],
            b["insurance_balance_cents"], b["patient_balance_cents"]) == (14000, 4000, 2000, 0,
                                                                          2000)
    pr = r.exceptions[r.exceptions["type"].eq("Patient responsibility")]
    assert pr[["claim", "amount"]].values.tolist() == [["C1", 20.0]]
    assert "Underpayment" not in types(r)


def test_deductible_coinsurance_other_pr_and_other_adjustments(ledger):
    c = RClaim("C2", "1", 15000, 5000, 6000, "ICN2", lines=[
        RLine("99214", 15000, 5000, [("CO", "45", 3000), ("PR", "1", 3000), ("PR", "2", 2000),
                                     ("PR", "96", 1000), ("OA", "23", 700), ("PI", "59", 300)],
              dos="20260105")])
    r = run(small_book(), ledger, era_text([c]))
    ln = r.postings.lines.iloc[0]
    assert [int(ln[k]) for k in ("contractual_cents", "deductible_cents", "coinsurance_cents",
                                 "other_pr_cents", "other_adj_cents", "copay_cents")] == [
        3000, 3000, 2000, 1000, 1000, 0]
    assert ln["carc"] == "CO-45,PR-1,PR-2,PR-96,OA-23,PI-59"
    b = bal(r, "C2")
    assert (b["patient_resp_cents"], b["writeoff_cents"], b["insurance_balance_cents"]) == (
        6000, 4000, 0)


def test_denial_with_carc_text_remark_and_next_action(ledger):
    r = run(small_book(), ledger, era_text([denied_c2()]))
    d = r.exceptions[r.exceptions["type"].eq("Denial")].iloc[0]
    assert (d["claim"], d["line"], d["amount"]) == ("C2", 1, 150.0)
    assert "CO-16" in d["reason"] and "M76" in d["reason"]
    assert d["next_action"] == "Fix what the remark code names and resubmit."
    b = bal(r, "C2")
    assert (b["denied_cents"], b["insurance_balance_cents"]) == (15000, 15000)


@pytest.mark.parametrize("reason, action", [
    ("29", "Write off (or appeal with proof of timely filing)."),
    ("97", "Check the modifiers (25/59/X); correct and resubmit or write off."),
])
def test_denial_next_actions(ledger, reason, action):
    c = RClaim("C2", "4", 15000, 0, 0, "ICN2",
               lines=[RLine("99214", 15000, 0, [("CO", reason, 15000)], dos="20260105")])
    r = run(small_book(), ledger, era_text([c]))
    d = r.exceptions[r.exceptions["type"].eq("Denial")].iloc[0]
    assert d["next_action"] == action and d["amount"] == 150.0


def test_claim_level_denial_without_lines(ledger):
    c = RClaim("C2", "4", 15000, 0, 0, "ICN2", adjustments=[("CO", "29", 15000)])
    r = run(small_book(), ledger, era_text([c]))
    d = r.exceptions[r.exceptions["type"].eq("Denial")].iloc[0]
    assert (d["claim"], d["amount"]) == ("C2", 150.0) and pd.isna(d["line"])


def test_partial_payment_when_one_line_is_bundled(ledger):
    c = paid_c1()
    c.lines[1] = RLine("85025", 8000, 0, [("CO", "97", 8000)], dos="20260102")
    c.paid = 8000
    r = run(small_book(), ledger, era_text([c]))
    p = r.exceptions[r.exceptions["type"].eq("Partial payment")]
    assert p[["claim", "line", "amount"]].values.tolist() == [["C1", 2, 80.0]]


def test_reversal_negates_original_then_correction_posts(ledger):
    book = small_book()
    run(book, ledger, era_text([paid_c1(8000)], trace="T1"))
    rev = paid_c1(8000)
    rev = RClaim("C1", "22", -20000, -14000, -2000, "ICN1", lines=[
        RLine(x.code, -x.charge, -x.paid, [(g, rr, -a) for g, rr, a in x.adjustments],
              modifiers=x.modifiers, dos=x.dos) for x in rev.lines])
    r = run(book, ledger, era_text([rev, paid_c1(7500)], trace="T2", isa=6))
    cp = r.postings.claims.sort_values("id")
    assert cp["status"].tolist() == ["1", "22", "1"]
    assert cp["reversed_by"].tolist()[0] == cp["id"].tolist()[1]
    b = bal(r, "C1")
    assert (b["paid_cents"], b["writeoff_cents"], b["patient_resp_cents"]) == (13500, 4500, 2000)
    assert b["insurance_balance_cents"] == 0
    assert "Reversal without original" not in types(r)
    # only the correction's line is checked against the contract: 95.00 allowed vs 100.00
    u = r.exceptions[r.exceptions["type"].eq("Underpayment")]
    assert u[["claim", "line", "amount"]].values.tolist() == [["C1", 1, 5.0]]


def test_reversal_without_original_is_an_exception(ledger):
    rev = RClaim("C2", "22", -15000, -10000, 0, "ICN2", lines=[
        RLine("99214", -15000, -10000, [("CO", "45", -5000)], dos="20260105")])
    r = run(small_book(), ledger, era_text([rev]))
    assert "Reversal without original" in types(r)


def test_forwarded_claim_is_marked_not_billed_to_patient(ledger):
    c = paid_c1()
    c.status = "19"
    r = run(small_book(), ledger, era_text([c]))
    b = bal(r, "C1")
    assert bool(b["forwarded"]) and b["patient_balance_cents"] == 0
    assert b["insurance_balance_cents"] == 2000  # the copay waits on the secondary payer
    assert "Patient responsibility" not in types(r)


def test_plb_goes_to_provider_adjustments(ledger):
    r = run(small_book(), ledger, era_text([paid_c1()], plb=[("WO", "ICN9", 2500),
                                                            ("L6", "INT", -137)]))
    plb = r.postings.plb
    assert plb[["reason", "reference", "amount_cents"]].values.tolist() == [
        ["WO", "ICN9", 2500], ["L6", "INT", -137]]
    assert r.postings.remits["paid_cents"].tolist() == [14000 - 2500 + 137]
    assert r.postings.lines["paid_cents"].sum() == 14000  # PLB never touches claim lines


def test_same_remittance_is_never_posted_twice(ledger):
    book = small_book()
    text = era_text([paid_c1(), denied_c2()])
    first = run(book, ledger, text, "a.835")
    counts = [ledger.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("remittances", "claim_payments", "line_payments", "payment_adjustments")]
    assert counts == [1, 2, 3, 4]
    again = run(book, ledger, text, "b.835")
    assert again.result.posted.empty and again.result.claims_posted == 0
    dup = again.result.duplicates.iloc[0]
    assert (dup["file"], dup["posted_file"], dup["trace"]) == ("b.835", "a.835", "TR1")
    assert dup["posted_at"] == first.postings.remits["posted_at"].iloc[0]
    assert [ledger.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("remittances", "claim_payments", "line_payments",
                      "payment_adjustments")] == counts
    d = again.exceptions[again.exceptions["type"].eq("Duplicate remittance")].iloc[0]
    assert "already posted" in d["reason"] and d["amount"] == 140.0
    assert bal(again, "C1")["paid_cents"] == 14000


def test_same_file_twice_in_one_import_posts_once(ledger, tmp_path):
    text = era_text([paid_c1()])
    (tmp_path / "a.835").write_text(text)
    (tmp_path / "a_resent.835").write_text(text)
    era, texts, errors = read_remittances([tmp_path / "a.835", tmp_path / "a_resent.835"])
    r = reconcile(small_book(), era, ledger, AS_OF, texts)
    assert len(r.result.posted) == 1 and errors == []
    assert r.result.duplicates["posted_at"].tolist() == ["in this import"]
    assert bal(r, "C1")["paid_cents"] == 14000


def test_malformed_file_is_reported_and_others_still_read(tmp_path):
    (tmp_path / "good.835").write_text(era_text([paid_c1()]))
    (tmp_path / "bad.835").write_text(era_text([paid_c1()]).replace("SE*", "SE*9"))
    era, texts, errors = read_remittances([tmp_path / "good.835", tmp_path / "bad.835"])
    assert list(texts) == ["good.835"] and len(era.transactions) == 1
    assert errors[0][0] == "bad.835" and "segment" in errors[0][1]


def test_match_by_payer_claim_number_then_member_dos_charge(ledger):
    by_icn = RClaim("XX-1", "1", 9000, 7000, 0, "ICN-OLD",
                    lines=[RLine("99212", 9000, 7000, [("CO", "45", 2000)], dos="20260107")])
    by_member = RClaim("ZZ-2", "1", 15000, 11000, 0, "", member_id="M2", dos="20260105",
                       lines=[RLine("99214", 15000, 11000, [("CO", "45", 4000)])])
    nothing = RClaim("QQ-3", "1", 5000, 5000, 0, "ICN-Q", member_id="M9", dos="20260105")
    r = run(small_book(), ledger, era_text([by_icn, by_member, nothing]))
    cp = r.postings.claims.set_index("remit_claim_id")
    assert cp.loc["XX-1", ["claim_id", "matched_by"]].tolist() == [
        "C3", "payer claim number (CLP07)"]
    assert cp.loc["ZZ-2", ["claim_id", "matched_by"]].tolist() == [
        "C2", "member id + DOS + charge"]
    assert pd.isna(cp.loc["QQ-3", "claim_id"])
    un = r.exceptions[r.exceptions["type"].eq("Unmatched remittance")]
    assert un[["claim", "amount"]].values.tolist() == [["QQ-3", 50.0]]
    # the member-matched line takes its DOS from the claim's DTM*232
    ln = r.postings.lines.set_index("claim_id")
    assert ln.loc["C2", "line_no"] == 1


def test_lines_by_ref_6r_dropped_modifier_and_svc06(ledger):
    ledger.conn.executemany(
        "INSERT INTO submitted_lines(claim_id, batch_id, line_no, line_control, patient, dos, "
        "code, modifiers, charge_cents) VALUES (?,?,?,?,?,?,?,?,?)",
        [("C1", "B1", 2, "LC-0002", "P1", "2026-01-02", "85025", "", 8000)])
    c = RClaim("C1", "1", 20000, 14000, 2000, "ICN1", lines=[
        # payer dropped modifier 25
        RLine("99213", 12000, 8000, [("CO", "45", 2000), ("PR", "3", 2000)], dos="20260102"),
        # payer changed the code (SVC06 = 85025 as billed) and echoed the line control
        RLine("85027", 8000, 6000, [("CO", "45", 2000)], dos="20260102", control="LC-0002",
              original_code="85025")])
    r = run(small_book(), ledger, era_text([c]))
    ln = r.postings.lines.set_index("code")
    assert ln.loc["99213", ["line_no", "matched_by"]].tolist() == [
        1, "code + DOS + charge (modifiers differ)"]
    assert ln.loc["85027", ["line_no", "matched_by"]].tolist() == [2, "line control (REF*6R)"]


def test_underpayment_respects_tolerance(ledger):
    book = small_book()
    c = paid_c1(7550)  # allowed 95.50 vs contract 100.00 -> 4.50 under
    r = run(book, ledger, era_text([c]))
    u = r.exceptions[r.exceptions["type"].eq("Underpayment")]
    assert u[["claim", "line", "amount"]].values.tolist() == [["C1", 1, 4.5]]
    assert "95.50" in u.iloc[0]["reason"] and "100.00" in u.iloc[0]["reason"]
    lg2 = Ledger(":memory:")
    r2 = reconcile(book, parse_text(era_text([paid_c1(7960)])), lg2, AS_OF)  # 0.40 under
    assert "Underpayment" not in types(r2)


def test_overpayment_and_credit_balance(ledger):
    book = small_book()
    over = RClaim("C2", "1", 15000, 14000, 0, "ICN2",
                  lines=[RLine("99214", 15000, 14000, [("CO", "45", 1000)], dos="20260105")])
    r = run(book, ledger, era_text([over], trace="T1"))
    o = r.exceptions[r.exceptions["type"].eq("Overpayment")]
    assert o[["claim", "amount"]].values.tolist() == [["C2", 30.0]]
    again = run(book, ledger, era_text([over], trace="T2", isa=7))  # paid a second time
    cr = again.exceptions[again.exceptions["type"].eq("Credit balance")]
    assert cr[["claim", "amount"]].values.tolist() == [["C2", 150.0]]  # 150 - 280 - 20


def test_imbalanced_remittance_is_an_exception(ledger):
    r = run(small_book(), ledger, era_text([paid_c1()], paid=15000))
    imb = r.exceptions[r.exceptions["type"].eq("Imbalanced remittance")].iloc[0]
    assert imb["amount"] == -10.0 and "BPR02" in imb["reason"]
    assert imb["source"] == "a.835 segment 3"


def test_no_remittance_after_follow_up_days(ledger):
    r = reconcile(small_book(), None, ledger, AS_OF)
    late = r.exceptions[r.exceptions["type"].eq("No remittance")]
    # C4 sent 2025-10-02 (150 days); C1-C3 sent in January 2026 (52-57 days) also late (> 45)
    assert late["claim"].tolist() == ["C1", "C2", "C3", "C4"]
    r2 = reconcile(small_book(), None, ledger, pd.Timestamp("2026-02-10"))
    assert r2.exceptions.loc[r2.exceptions["type"].eq("No remittance"), "claim"].tolist() == [
        "C4"]


def test_deposit_mismatch(ledger):
    dep = pd.DataFrame({"date": pd.to_datetime(["2026-01-06", "2026-01-07"]),
                        "amount": [139.0, 50.0], "trace": ["TR1", "NOPE"],
                        "payer_id": ["ACME", "ACME"], "_row": [2, 3]})
    r = run(small_book(Deposits=dep), ledger, era_text([paid_c1()]))
    d = r.exceptions[r.exceptions["type"].eq("Deposit mismatch")]
    assert d["amount"].tolist() == [-1.0, 50.0]
    assert d["source"].tolist() == ["Deposits row 2", "Deposits row 3"]


def test_posted_rows_keep_foreign_keys_valid_and_fk_setting_restored(ledger):
    run(small_book(), ledger, era_text([paid_c1(), denied_c2()], plb=[("WO", "X", 100)]))
    assert ledger.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert ledger.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_reversal_that_does_not_match_the_original_amount(ledger):
    book = small_book()
    run(book, ledger, era_text([paid_c1(8000)], trace="T1"))
    rev = RClaim("C1", "22", -20000, -13000, -2000, "ICN1", lines=[
        RLine("99213", -12000, -7000, [("CO", "45", -3000), ("PR", "3", -2000)],
              modifiers=("25",), dos="20260102"),
        RLine("85025", -8000, -6000, [("CO", "45", -2000)], dos="20260102")])
    r = run(book, ledger, era_text([rev], trace="T2", isa=6))
    x = r.exceptions[r.exceptions["type"].eq("Reversal mismatch")]
    assert x[["claim", "amount"]].values.tolist() == [["C1", 10.0]]
    assert "130.00" in x.iloc[0]["reason"] and "140.00" in x.iloc[0]["reason"]


def _with_c5(book):
    """Adds C5 for patient P1: 99213-25 (120.00) on 2026-02-01."""
    extra = claims_table([["C5", 1, "P1", "ACME", "2026-02-01", "99213", "25", None, None,
                           None, 120.0, 1, None, "2026-02-02"]])
    book.tables["Claims"] = pd.concat([book.tables["Claims"], extra], ignore_index=True)
    return book


def _c5(paid: int = 8000) -> RClaim:
    return RClaim("C5", "1", 12000, paid, 2000, "ICN5", lines=[
        RLine("99213", 12000, paid, [("CO", "45", 10000 - paid), ("PR", "3", 2000)],
              modifiers=("25",), dos="20260201", allowed=2000 + paid)])


def test_underpayments_are_grouped_by_payer_code_and_modifier(ledger):
    book = _with_c5(small_book())
    r = run(book, ledger, era_text([paid_c1(7500), _c5(7000)]))
    u = r.exceptions[r.exceptions["type"].eq("Underpayment")]
    assert len(u) == 1
    row = u.iloc[0]
    assert pd.isna(row["claim"]) and pd.isna(row["line"])
    assert (row["payer"], row["amount"]) == ("ACME", 15.0)
    assert row["reason"] == ("2 lines of 99213-25 allowed 90.00 to 95.00, below the "
                             "contract's 100.00: 15.00 short in all (185.00 allowed vs 200.00 "
                             "contracted). Claims C1, C5.")
    assert row["next_action"].startswith("Appeal / check the contract")
    lines = r.postings.lines  # the per-line detail stays in the Payments sheet
    assert sorted(lines.loc[lines["code"].eq("99213"), "allowed_cents"].tolist()) == [
        9000, 9500]


def test_patient_responsibility_is_one_row_per_patient_without_disputed_claims(ledger):
    book = _with_c5(small_book())
    r = run(book, ledger, era_text([paid_c1(), _c5()]))
    pr = r.exceptions[r.exceptions["type"].eq("Patient responsibility")]
    assert pd.isna(pr.iloc[0]["claim"])
    assert pr[["amount", "source"]].values.tolist() == [[40.0, "Patient P1"]]
    assert pr.iloc[0]["reason"] == (
        "Patient P1 owes 40.00 on 2 claims: C1 20.00, C5 20.00 (deductible, coinsurance, "
        "copay the payers assigned: 40.00; received so far: 0.00).")
    disputes = pd.DataFrame({"patient": ["P1"], "claim_id": ["C5"], "status": ["open"],
                             "reason": ["never seen"], "_row": [2]})
    lg2 = Ledger(":memory:")
    held = _with_c5(small_book(Disputes=disputes))
    r2 = reconcile(held, parse_text(era_text([paid_c1(), _c5()])), lg2, AS_OF)
    pr2 = r2.exceptions[r2.exceptions["type"].eq("Patient responsibility")]
    assert pr2[["claim", "amount", "reason"]].values.tolist() == [[
        "C1", 20.0, ("Patient P1 owes 20.00 on claim C1 (deductible, coinsurance, copay the "
        "payers assigned: 20.00; received so far: 0.00).")]]


def test_imbalance_is_kept_in_the_ledger_and_listed_on_later_runs(ledger):
    book = small_book()
    run(book, ledger, era_text([paid_c1()], paid=15000))
    stored = ledger.conn.execute("SELECT level, segment, expected_cents, found_cents, message "
                                 "FROM remittance_imbalances").fetchall()
    assert [tuple(x) for x in stored] == [(
        "transaction", 3, 15000, 14000,
        ("a.835: remittance TR1 (ST at segment 3) does not balance: claims paid 140.00 minus "
        "provider adjustments 0.00 is 140.00 but BPR02 says 150.00"))]
    later = reconcile(book, None, ledger, AS_OF)  # a later run with no file
    imb = later.exceptions[later.exceptions["type"].eq("Imbalanced remittance")]
    assert imb[["payer", "amount", "source"]].values.tolist() == [
        ["ACME HEALTH", -10.0, "a.835 segment 3"]]
    again = run(book, ledger, era_text([paid_c1()], paid=15000))  # the same file re-read
    assert (again.exceptions["type"] == "Imbalanced remittance").sum() == 1


def test_line_imbalance_names_claim_and_line_on_later_runs(ledger):
    c = paid_c1()
    c.lines[0].adjustments = [("CO", "45", 1000), ("PR", "3", 2000)]  # 10.00 missing
    run(small_book(), ledger, era_text([c]))
    imb = reconcile(small_book(), None, ledger, AS_OF).exceptions
    imb = imb[imb["type"].eq("Imbalanced remittance")]
    assert imb[["claim", "line", "amount"]].astype(object).where(imb.notna(), None) \
        .values.tolist() == [["C1", 1, 10.0], ["C1", None, 10.0]]
    assert imb["reason"].str.extract(r"^a\.835: (\w+)")[0].tolist() == ["service", "claim"]
