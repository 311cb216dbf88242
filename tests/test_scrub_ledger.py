"""The scrubber against the ledger: lines already sent (DUP-SENT), claims already sent
(no timely-filing check), the primary's remittance for a secondary claim."""

from __future__ import annotations

import pandas as pd

from claimbook.ledger import Ledger, now_iso
from tests.test_scrub_support import AS_OF, hits, line, make_book, scrub

D = pd.Timestamp("2026-11-02")


def ledger_with(tmp_path, sent=(), paid=(), voided=()) -> Ledger:
    """A ledger where each `sent` (claim, payer, patient, dos, code, modifiers) line went out
    in its own batch; `paid` (claim, payment date) posted; `voided` claims sent as freq 8."""
    led = Ledger(tmp_path / "ledger.sqlite")
    c = led.conn
    for i, (claim, payer, patient, dos, code, mods) in enumerate(sent, start=1):
        b = f"B{i}"
        c.execute("INSERT INTO batches VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                  (b, f"{b}.x12", payer, "1234567893", 1, 1, 13500, i, i, 1, 1, "T",
                   now_iso(), "test"))
        c.execute("INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?)",
                  (claim, b, payer, patient, "1", 13500, dos, "2026-11-05T10:00:00+00:00"))
        c.execute("INSERT INTO submitted_lines VALUES (?,?,?,?,?,?,?,?,?,?)",
                  (claim, b, 1, f"{claim}-{i}", patient, dos, code, mods, 13500, 1))
    for j, claim in enumerate(voided, start=1):
        b = f"V{j}"
        c.execute("INSERT INTO batches VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                  (b, f"{b}.x12", "SUMMT", "1234567893", 1, 1, 0, 100 + j, 100 + j, 1, 1, "T",
                   now_iso(), "test"))
        c.execute("INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?)",
                  (claim, b, "SUMMT", "P1", "8", 0, "2026-11-02", now_iso()))
    for k, (claim, day) in enumerate(paid, start=1):
        c.execute("INSERT INTO remittances(payer_key, payer_name, trace, paid_cents, "
                  "payment_date, posted_at, posted_by) VALUES (?,?,?,?,?,?,?)",
                  ("MCR", "Medicare", f"TRN{k}", 5000, day, now_iso(), "test"))
        rid = c.execute("SELECT MAX(remit_id) FROM remittances").fetchone()[0]
        c.execute("INSERT INTO claim_payments(remit_id, claim_id, remit_claim_id, status, "
                  "charge_cents, paid_cents, patient_resp_cents, posted_at) "
                  "VALUES (?,?,?,?,?,?,?,?)", (rid, claim, claim, "1", 13500, 5000, 1000,
                                               now_iso()))
    return led


def test_line_already_sent_on_another_claim(tmp_path):
    led = ledger_with(tmp_path, sent=[("C0", "SUMMT", "P1", "2026-11-02", "99213", "")])
    f = scrub(make_book([line()]), ledger=led)
    assert hits(f, "DUP-SENT") == [("C1", 1, "code")]
    assert "C0" in f.loc[f["rule"].eq("DUP-SENT"), "message"].iloc[0]
    # the claim itself, sent earlier and still in the workbook, is not its own duplicate
    assert hits(scrub(make_book([line(claim_id="C0")]), ledger=led), "DUP-SENT") == []
    # other modifiers, another payer or a correction (frequency 7) are not duplicates
    assert hits(scrub(make_book([line(mod1="25")]), ledger=led), "DUP-SENT") == []
    fix = line(frequency="7", original_claim_number="ICN9")
    assert hits(scrub(make_book([fix]), ledger=led), "DUP-SENT") == []
    led.close()


def test_modifiers_in_the_ledger_match_in_any_order(tmp_path):
    led = ledger_with(tmp_path, sent=[("C0", "SUMMT", "P1", "2026-11-02", "20610", "RT:59")])
    f = scrub(make_book([line(code="20610", mod1="59", mod2="RT", charge=180.0)]), ledger=led)
    assert hits(f, "DUP-SENT") == [("C1", 1, "code")]
    led.close()


def test_voided_claim_lines_may_be_billed_again(tmp_path):
    led = ledger_with(tmp_path, sent=[("C0", "SUMMT", "P1", "2026-11-02", "99213", "")],
                      voided=["C0"])
    assert hits(scrub(make_book([line()]), ledger=led), "DUP-SENT") == []
    led.close()


def test_claim_in_ledger_is_sent_so_no_timely_filing(tmp_path):
    old = AS_OF - pd.Timedelta(days=120)
    claims = [line(dos_from=old)]
    assert hits(scrub(make_book(claims)), "TF-PASSED") == [("C1", None, "dos_from")]
    led = ledger_with(tmp_path, sent=[("C1", "SUMMT", "P1", str(old.date()), "99213", "")])
    assert hits(scrub(make_book(claims), ledger=led), "TF-PASSED") == []
    led.close()


def test_secondary_timely_filing_counts_from_the_primary_remittance(tmp_path):
    from tests.test_scrub_rules import MCR_COV, SEC_COV

    old = AS_OF - pd.Timedelta(days=200)
    claims = [line(claim_id="C1", payer_id="MCR", dos_from=old,
                   submitted_on=old + pd.Timedelta(days=2)),
              line(claim_id="C1S", payer_id="SUMMT", dos_from=old)]
    book = make_book(claims, coverage=[MCR_COV, SEC_COV])
    # no remittance yet: the secondary's clock has not started
    assert scrub(book).query("rule.str.startswith('TF-')", engine="python").empty
    paid_on = AS_OF - pd.Timedelta(days=100)  # 90-day limit from the ERA: passed
    led = ledger_with(tmp_path, sent=[("C1", "MCR", "P1", str(old.date()), "99213", "")],
                      paid=[("C1", str(paid_on.date()))])
    f = scrub(book, ledger=led)
    assert hits(f, "TF-PASSED") == [("C1S", None, "dos_from")]
    assert hits(f, "COV-SECONDARY") == []
    led.close()
