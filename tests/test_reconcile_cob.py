"""Coordination of benefits and unassigned patient payments in the claim balances behind
aging, KPIs and the exceptions queue (the same rules as patient statements)."""

from __future__ import annotations

import pandas as pd

from claimbook.aging import aging_detail
from claimbook.demo_remits import RClaim, RLine
from claimbook.ledger import Ledger
from claimbook.patient_billing import balances as pb
from claimbook.reconcile import postings, reconcile
from claimbook.x12.x835 import parse_text
from tests.test_reconcile_support import claims_table, era_text, paid_c1, small_book

AS_OF = pd.Timestamp("2026-03-01")


def post_all(book, texts: list[str]) -> tuple[Ledger, object]:
    lg = Ledger(":memory:")
    r = None
    for i, text in enumerate(texts):
        r = reconcile(book, parse_text(text, f"{i}.835"), lg, AS_OF)
    return lg, r


def primary_c2() -> RClaim:
    """C2 (150.00) primary: paid 88.00, CO-45 40.00, PR-2 22.00."""
    return RClaim("C2", "1", 15000, 8800, 2200, "ICN2", lines=[
        RLine("99214", 15000, 8800, [("CO", "45", 4000), ("PR", "2", 2200)], dos="20260105")])


def secondary_c2() -> RClaim:
    """C2 secondary: paid the 22.00 coinsurance, OA-23 128.00 (what the primary settled)."""
    return RClaim("C2", "2", 15000, 2200, 0, "SEC2", lines=[
        RLine("99214", 15000, 2200, [("OA", "23", 12800)], dos="20260105")])


def row(r, claim):
    return r.balances.set_index("claim_id").loc[claim]


def test_secondary_oa23_is_no_credit_and_no_patient_balance():
    book = small_book()
    _, r = post_all(book, [era_text([primary_c2()]),
                           era_text([secondary_c2()], trace="SEC-TR", payer="BETA")])
    b = row(r, "C2")
    assert (b["paid_cents"], b["writeoff_cents"], b["patient_resp_cents"],
            b["insurance_balance_cents"], b["patient_balance_cents"]) == (11000, 4000, 0, 0, 0)
    assert not bool(b["forwarded"]) and b["last_status"] == "2"
    c2 = r.exceptions[r.exceptions["claim"].eq("C2") | r.exceptions["reason"].str.contains(
        "C2", regex=False)]
    assert c2.empty, c2
    assert "Credit balance" not in r.exceptions["type"].tolist()


def test_balances_agree_with_patient_statements():
    book = small_book()
    book.tables["Coverage"] = book.tables["Coverage"].assign(
        priority="primary", effective_from=pd.NaT, effective_to=pd.NaT)
    lg, r = post_all(book, [era_text([primary_c2()]),
                            era_text([secondary_c2()], trace="SEC-TR", payer="BETA")])
    lines = pb.claim_lines(book, lg)
    c2 = lines[lines["claim_id"].eq("C2")]
    assert (int(c2["ins_paid_c"].sum()), int(c2["pr_c"].sum())) == (11000, 0)
    assert row(r, "C2")["patient_resp_cents"] == int(c2["pr_c"].sum())


def test_primary_alone_leaves_the_coinsurance_to_the_patient():
    _, r = post_all(small_book(), [era_text([primary_c2()])])
    b = row(r, "C2")
    assert (b["insurance_balance_cents"], b["patient_balance_cents"]) == (0, 2200)


def test_forwarded_claim_waits_on_the_next_payer():
    c3 = RClaim("C3", "19", 9000, 6520, 480, "ICN3", lines=[
        RLine("99212", 9000, 6520, [("CO", "45", 2000), ("PR", "2", 480)], dos="20260107")])
    _, r = post_all(small_book(), [era_text([c3])])
    b = row(r, "C3")
    assert bool(b["forwarded"]) and (b["insurance_balance_cents"],
                                     b["patient_balance_cents"]) == (480, 0)
    q = r.exceptions
    assert q[q["type"].eq("Patient responsibility")].empty
    assert not q["reason"].str.contains("C3", regex=False).any()


def test_unassigned_patient_payment_pays_the_oldest_balance_in_aging():
    pays = pd.DataFrame({"patient": ["P1"], "date": pd.to_datetime(["2026-02-20"]),
                         "amount": [20.0], "claim_id": [None], "_row": [2]})
    book = small_book(PatientPayments=pays)
    extra = claims_table([["C5", 1, "P1", "ACME", "2026-02-01", "99213", None, None, None, None,
                           120.0, 1, None, "2026-02-02"]])
    book.tables["Claims"] = pd.concat([book.tables["Claims"], extra], ignore_index=True)
    c5 = RClaim("C5", "1", 12000, 8000, 2000, "ICN5", lines=[
        RLine("99213", 12000, 8000, [("CO", "45", 2000), ("PR", "3", 2000)], dos="20260201")])
    lg = Ledger(":memory:")
    reconcile(book, parse_text(era_text([paid_c1(), c5])), lg, AS_OF)
    bal = postings.claim_balances(book, postings.load(lg), AS_OF)
    d = aging_detail(bal, AS_OF).set_index("claim")
    assert "C1" not in d.index  # its 20.00 copay was paid by the unassigned payment
    assert (d.loc["C5", "patient_paid"], d.loc["C5", "patient_balance"]) == (0.0, 20.0)
    assert bal.set_index("claim_id").loc["C1", "patient_paid_cents"] == 2000


def test_primary_answered_with_a_secondary_on_file_waits_for_it_as_statements_do():
    book = small_book()
    cov = book.tables["Coverage"].assign(priority="primary", effective_from=pd.NaT,
                                         effective_to=pd.NaT)
    sec = cov[cov["patient"].eq("P2")].iloc[:1].assign(  # C2 is P2's claim
        payer_id="BETA", priority="secondary", effective_from=pd.Timestamp("2025-01-01"))
    book.tables["Coverage"] = pd.concat([cov, sec], ignore_index=True)
    lg, r = post_all(book, [era_text([primary_c2()])])
    b = row(r, "C2")
    # the 22.00 coinsurance waits for the secondary: insurance balance, not the patient's
    assert (b["insurance_balance_cents"], b["patient_balance_cents"]) == (2200, 0)
    lines = pb.claim_lines(book, lg)
    assert lines.loc[lines["claim_id"].eq("C2"), "state"].tolist() == ["secondary"]
    q = r.exceptions
    assert not q[q["type"].eq("Patient responsibility")]["reason"].str.contains(
        "C2", regex=False).any()
