"""837P writer: every generated file passes pyx12 with zero errors, and carries the right data."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from claimbook import batches as B
from claimbook import findings as F
from claimbook.ledger import Ledger
from claimbook.x12 import envelope as E
from claimbook.x12.tokens import segments
from tests.x12_validate import x12_errors
from tests.x837_factory import REFERRING_NPI, RENDERING_NPI, SECOND_NPI, line, make_book

NOW = datetime(2026, 2, 1, 10, 30)
DX12 = ["E11.65", "I10", "E78.5", "J45.909", "M54.50", "R51.9", "K21.9", "F41.1", "G47.00",
        "N39.0", "L57.0", "Z23"]


def _build(book, tmp_path: Path, **opts):
    ledger = Ledger(tmp_path / "ledger.sqlite")
    res = B.build(book, F.empty(), ledger, tmp_path / "out", B.BatchOptions(**opts), now=NOW)
    return res, ledger


def _segs(path: str):
    segs, _ = segments(Path(path).read_text())
    return segs


def _claims(segs) -> dict[str, list]:
    """Segments of each claim, from its CLM to the next HL (or SE)."""
    out, cur = {}, None
    for s in segs:
        if s.id == "CLM":
            cur = out.setdefault(s.get(1), [])
        elif s.id in ("HL", "SE"):
            cur = None
        if cur is not None:
            cur.append(s)
    return out


def _assert_basic_characters(path: str) -> None:
    """Only the X12 basic character set plus our delimiters (^ repetition, ~ terminator)."""
    text = Path(path).read_text()
    assert re.fullmatch(r"[A-Z0-9 !\"&'()*+,\-./:;?=^~]*", text), set(
        re.sub(r"[A-Z0-9 !\"&'()*+,\-./:;?=^~]", "", text))


def _assert_totals(segs) -> None:
    for cid, claim in _claims(segs).items():
        clm02 = float(claim[0].get(2))
        sv102 = sum(float(s.get(2)) for s in claim if s.id == "SV1")
        assert round(clm02, 2) == round(sv102, 2), cid


def edge_claims() -> list[dict]:
    """Claims covering the 837P edge cases (also used by the import round trip)."""
    return [
        # 12 diagnoses, pointers to the 12th, a referring provider
        *[line("C12DX", line_no=i + 1, code=c, pointers=p, charge=ch,
               referring_npi=REFERRING_NPI, **{f"dx{k + 1}": d for k, d in enumerate(DX12)})
          for i, (c, p, ch) in enumerate([("99214", "1,2,3,4", 180.0),
                                          ("82947", "5,6,7,8", 20.25),
                                          ("36415", "9,10,11,12", 10.0)])],
        # 4 modifiers, a line POS that differs from the claim's, a date range
        line("CMODS", line_no=1, code="99213", mod1="25"),
        line("CMODS", line_no=2, code="20610", mod1="59", mod2="RT", mod3="XS", mod4="76",
             charge=210.5, pos="22", dos_to="2026-01-07"),
        # NDC line (hyphenated 10-digit label normalised to 11 digits) with LIN/CTP
        line("CNDC", line_no=1, code="96372", charge=40.0),
        line("CNDC", line_no=2, code="J1100", units=2, charge=15.5, ndc="0009-0478-13",
             ndc_units=1.5, ndc_unit="ML", pointers="1"),
        # a line by another rendering provider than the claim's (2420A)
        line("CRND2", line_no=1, code="99214"),
        line("CRND2", line_no=2, code="93000", charge=45.0, rendering_npi=SECOND_NPI),
        # patient is not the subscriber (2000C/2010CA)
        line("CCHILD", patient="P2", dx1="J02.9", code="99213"),
        # secondary claim: P1's secondary payer, with Aetna in 2320/2330A/2330B
        line("CSEC", payer_id="BCBS1", prior_auth="AUTH55"),
        # replacement and void of earlier claims
        line("CREPL", frequency="7", original_claim_number="ICN-777", submitted_on="2026-01-06"),
        line("CVOID", frequency="8", original_claim_number="ICN888", charge=125.0),
    ]


@pytest.fixture()
def edge_book():
    return make_book(edge_claims())


def test_edge_cases_pass_pyx12_and_carry_the_data(edge_book, tmp_path):
    res, _ = _build(edge_book, tmp_path)
    assert res.held.empty, res.held.to_dict("records")
    assert sorted(res.batches["payer_id"]) == ["AETNA1", "BCBS1"]
    for f in res.files:
        assert x12_errors(f.file) == []
        _assert_totals(_segs(f.file))
        _assert_basic_characters(f.file)
    aetna = next(f.file for f in res.files if f.payer_id == "AETNA1")
    bcbs = next(f.file for f in res.files if f.payer_id == "BCBS1")
    text = Path(aetna).read_text()
    claims = _claims(_segs(aetna))

    hi = next(s for s in claims["C12DX"] if s.id == "HI")
    assert hi.elements == ("ABK:E1165", *[f"ABF:{d.replace('.', '')}" for d in DX12[1:]])
    sv1 = [s for s in claims["C12DX"] if s.id == "SV1"]
    assert [s.get(7) for s in sv1] == ["1:2:3:4", "5:6:7:8", "9:10:11:12"]
    assert f"NM1*DN*1*REFERRER*ROB****XX*{REFERRING_NPI}~" in text
    assert f"NM1*82*1*DOCTOR*DANA****XX*{RENDERING_NPI}~PRV*PE*PXC*207Q00000X~" in text

    assert "SV1*HC:20610:59:RT:XS:76*210.5*UN*1*22**1~DTP*472*RD8*20260105-20260107~" in text
    assert "SV1*HC:99213:25*125*UN*1***1~" in text  # POS same as CLM05-1: SV105 empty
    assert "CLM*CMODS*335.5***11:B:1*Y*A*Y*Y~" in text

    assert "SV1*HC:J1100*15.5*UN*2***1~" in text
    ndc = [s for s in claims["CNDC"] if s.id in ("LIN", "CTP")]
    assert [(s.id, s.elements) for s in ndc] == [
        ("LIN", ("", "N4", "00009047813")), ("CTP", ("", "", "", "1.5", "ML"))]

    # 2000B without SBR02 (the patient is not the subscriber), then 2000C/2010CA
    assert ("*22*1~SBR*P********CI~NM1*IL*1*SAMPLE*PARENT****MI*W300~"
            "NM1*PR*2*AETNA TEST*****PI*AETNA1~") in text
    assert ("*23*0~PAT*19~NM1*QC*1*SAMPLE*KID~N3*2 OAK ST~N4*BOSTON*MA*02135~"
            "DMG*D8*20150607*M~CLM*CCHILD*") in text

    rnd2 = [(s.id, s.elements) for s in claims["CRND2"]
            if s.id in ("PRV", "LX") or (s.id == "NM1" and s.get(1) == "82")]
    assert rnd2 == [("NM1", ("82", "1", "DOCTOR", "DANA", "", "", "", "XX", RENDERING_NPI)),
                    ("PRV", ("PE", "PXC", "207Q00000X")), ("LX", ("1",)), ("LX", ("2",)),
                    ("NM1", ("82", "1", "SECOND", "SAM", "", "", "", "XX", SECOND_NPI)),
                    ("PRV", ("PE", "PXC", "208D00000X"))]

    repl = claims["CREPL"]
    assert repl[0].get(5) == "11:B:7"
    assert next(s.elements for s in repl if s.id == "REF") == ("F8", "ICN-777")
    void = claims["CVOID"]
    assert void[0].get(5) == "11:B:8" and ("F8", "ICN888") in [s.elements for s in void]

    sec = Path(bcbs).read_text()
    assert "SBR*S*18*******BL~NM1*IL*1*TESTPERSON*ALEX****MI*XB200~" in sec
    assert "REF*G1*AUTH55~" in sec
    assert ("SBR*P*18*G1******CI~OI***Y*P**Y~NM1*IL*1*TESTPERSON*ALEX****MI*W100~"
            "NM1*PR*2*AETNA TEST*****PI*AETNA1~") in sec


def test_line_item_control_numbers_are_unique_and_in_the_ledger(edge_book, tmp_path):
    res, ledger = _build(edge_book, tmp_path)
    refs = [s.get(2) for f in res.files for s in _segs(f.file) if s.id == "REF" and s.get(1) == "6R"]
    assert len(refs) == len(set(refs)) == len(edge_book.get("Claims"))
    stored = {r[0] for r in ledger.conn.execute("SELECT line_control FROM submitted_lines")}
    assert stored == set(refs)
    row = ledger.conn.execute(
        "SELECT patient, dos, code, modifiers, charge_cents, units FROM submitted_lines "
        "WHERE claim_id = 'CMODS' AND line_no = 2").fetchone()
    assert tuple(row) == ("P1", "2026-01-05", "20610", "59:RT:XS:76", 21050, 1.0)
    sub = ledger.conn.execute("SELECT payer_id, frequency, total_charge_cents, first_dos "
                              "FROM submissions WHERE claim_id = 'CREPL'").fetchone()
    assert tuple(sub) == ("AETNA1", "7", 12500, "2026-01-05")


def test_one_claim_file(tmp_path):
    res, _ = _build(make_book([line("ONLY1")]), tmp_path)
    (f,) = res.files
    assert x12_errors(f.file) == []
    segs = _segs(f.file)
    assert [s.id for s in segs].count("CLM") == 1
    se = next(s for s in segs if s.id == "SE")
    st_i = next(i for i, s in enumerate(segs) if s.id == "ST")
    se_i = next(i for i, s in enumerate(segs) if s.id == "SE")
    assert int(se.get(1)) == se_i - st_i + 1


def test_transaction_sets_split_at_the_maximum(tmp_path):
    book = make_book([line(f"C{i:03d}", charge=100 + i) for i in range(12)])
    res, _ = _build(book, tmp_path, max_claims_per_st=5)
    (f,) = res.files
    assert x12_errors(f.file) == []
    segs = _segs(f.file)
    sts = [s.get(2) for s in segs if s.id == "ST"]
    assert len(sts) == 3 and sts == sorted(sts) and len(set(sts)) == 3
    assert [s.get(3) for s in segs if s.id == "BHT"] == sts
    assert next(s for s in segs if s.id == "GE").get(1) == "3"
    _assert_totals(segs)


def test_5000_claims_in_one_file(tmp_path):
    rows = []
    for i in range(5000):
        rows.append(line(f"K{i:05d}", line_no=1, charge=100 + i % 50))
        if i % 3 == 0:
            rows.append(line(f"K{i:05d}", line_no=2, code="36415", charge=12.34))
    book = make_book(rows)
    res, _ = _build(book, tmp_path)
    (f,) = res.files
    assert f.claims == 5000 and f.lines == len(rows)
    assert x12_errors(f.file) == []
    segs = _segs(f.file)
    assert [s.id for s in segs].count("ST") == 1
    assert [s.id for s in segs].count("CLM") == 5000
    _assert_totals(segs)


def test_demo_workbook_files_pass_pyx12(tmp_path):
    """The demo clinic (with its seeded defects) through validate, scrub and batch."""
    demo = pytest.importorskip("claimbook.demo")
    import pandas as pd

    from claimbook.io.reader import read_book
    from claimbook.pipeline import RunContext, run_stages

    r = demo.generate(tmp_path / "demo", claims=600, seed=11, defects=True, remits=False)
    ctx = RunContext(book=read_book(r.workbook), as_of=pd.Timestamp(r.as_of),
                     ledger=Ledger(tmp_path / "ledger.sqlite"), out_dir=tmp_path)
    run_stages(ctx, only={"validate", "scrub", "batch"})
    assert not ctx.errors, ctx.errors
    res = ctx.state["batch_result"]
    assert len(res.files) >= 3
    for f in res.files:
        assert x12_errors(f.file) == []
        _assert_totals(_segs(f.file))
        _assert_basic_characters(f.file)
    worst = F.worst_by_claim(ctx.all_findings())
    sent = set(res.claim_batches["claim_id"])
    assert sent and not sent & set(worst[worst == "error"].index)


def test_clean_keeps_the_basic_character_set_and_cuts_to_length():
    out = E.clean(["  o'brien-smith*jr: ~ café@home ", None, "x" * 80, "Müller\tÅsa"], 35)
    assert list(out) == ["O'BRIEN-SMITHJR CAFEHOME", "", "X" * 35, "MULLER ASA"]
    assert E.amounts([12550, 10000, 5, -120]).tolist() == ["125.5", "100", "0.05", "-1.2"]
    assert E.quantities([1.0, 1.5, 0.125]).tolist() == ["1", "1.5", "0.125"]


def test_isa_is_fixed_width():
    env = E.Envelope.make("sub", "recv", "P", 42, 7, NOW)
    isa = E.isa(env)
    assert len(isa) == 106 and isa[3] == "*" and isa[82] == "^" and isa[104] == ":"
    assert "*000000042*0*P*:~" in isa


def test_secondary_claim_carries_the_primary_remittance(tmp_path):
    """A primary ERA posted to the ledger, then the secondary claim: 2320 CAS + AMT*D, and per
    line 2430 SVD, CAS and DTP*573; pyx12 reports no error and the amounts balance."""
    import pandas as pd

    from claimbook.demo_remits import RClaim, RLine
    from claimbook.reconcile import reconcile
    from claimbook.x12.x835 import parse_text
    from tests.test_reconcile_support import era_text

    ledger = Ledger(tmp_path / "ledger.sqlite")
    lines = [{"line_no": 1, "mod1": "25"}, {"line_no": 2, "code": "36415", "charge": 20.0}]
    primary = make_book([line("PRI1", **kw) for kw in lines])
    B.build(primary, F.empty(), ledger, tmp_path / "out", now=datetime(2026, 1, 10, 9))
    era = era_text([RClaim("PRI1", "1", 14500, 8900, 2500, "ICN9", adjustments=[
        ("CO", "253", 100)], lines=[
        RLine("99213", 12500, 8000, [("CO", "45", 2500), ("PR", "3", 2000)], modifiers=("25",),
              dos="20260105"),
        RLine("36415", 2000, 1000, [("CO", "45", 500), ("PR", "2", 500)], dos="20260105")])],
        payer="AETNA1")
    reconcile(primary, parse_text(era, "p.835"), ledger, pd.Timestamp("2026-02-01"),
              {"p.835": era})
    secondary = make_book([line("SEC1", payer_id="BCBS1", **kw) for kw in lines])
    res = B.build(secondary, F.empty(), ledger, tmp_path / "out", now=NOW)
    (f,) = res.files
    assert x12_errors(f.file) == []
    _assert_totals(_segs(f.file))
    text = Path(f.file).read_text()
    assert ("SBR*P*18*G1******CI~CAS*CO*253*1~AMT*D*89~OI***Y*P**Y~"
            "NM1*IL*1*TESTPERSON*ALEX****MI*W100~NM1*PR*2*AETNA TEST*****PI*AETNA1~LX*1~") in text
    assert ("REF*6R*3~SVD*AETNA1*80*HC:99213:25**1~CAS*CO*45*25~CAS*PR*3*20~"
            "DTP*573*D8*20260105~LX*2~") in text
    assert "SVD*AETNA1*10*HC:36415**1~CAS*CO*45*5~CAS*PR*2*5~DTP*573*D8*20260105~SE*" in text
    # CLM02 - claim CAS - line CAS = AMT*D; per line SV102 - CAS = SVD02
    assert 145 - 1 - (25 + 20 + 5 + 5) == 89


def _primary_then_secondary(tmp_path, rclaim, *, reverse: bool = False,
                            lines: list[dict] | None = None):
    """PRI2 sent to Aetna, its ERA (`rclaim`) posted (and reversed), then SEC2 to BCBS1
    (both with `lines`, default one office visit)."""
    import pandas as pd

    from claimbook.demo_remits import RClaim
    from claimbook.reconcile import reconcile
    from claimbook.x12.x835 import parse_text
    from tests.test_reconcile_support import era_text

    ledger = Ledger(tmp_path / "ledger.sqlite")
    lines = lines or [{}]
    primary = make_book([line("PRI2", **kw) for kw in lines])
    B.build(primary, F.empty(), ledger, tmp_path / "out", now=datetime(2026, 1, 10, 9))
    eras = [era_text([rclaim], trace="T1", payer="AETNA1")]
    if reverse:
        eras.append(era_text([RClaim("PRI2", "22", -rclaim.charge, -rclaim.paid,
                                     adjustments=[(g, r, -a) for g, r, a in rclaim.adjustments])],
                             trace="T2", isa=6, payer="AETNA1"))
    for i, era in enumerate(eras):
        reconcile(primary, parse_text(era, f"{i}.835"), ledger, pd.Timestamp("2026-02-01"),
                  {f"{i}.835": era})
    secondary = make_book([line("SEC2", payer_id="BCBS1", **kw) for kw in lines])
    res = B.build(secondary, F.empty(), ledger, tmp_path / "out", now=NOW)
    (f,) = res.files
    assert x12_errors(f.file) == []
    return Path(f.file).read_text()


def test_secondary_claim_with_a_claim_level_only_remittance(tmp_path):
    from claimbook.demo_remits import RClaim

    text = _primary_then_secondary(tmp_path, RClaim("PRI2", "1", 12500, 10000, 0, "ICN8",
                                                    adjustments=[("CO", "45", 2500)]))
    assert "SBR*P*18*G1******CI~CAS*CO*45*25~AMT*D*100~OI***Y*P**Y~" in text
    assert "NM1*PR*2*AETNA TEST*****PI*AETNA1~DTP*573*D8*20260105~LX*1~" in text
    assert "SVD*" not in text


def test_a_line_whose_modifier_the_primary_dropped_still_gets_its_2430(tmp_path):
    from claimbook.demo_remits import RClaim, RLine

    text = _primary_then_secondary(tmp_path, RClaim("PRI2", "1", 12500, 10000, 0, "ICN8", lines=[
        RLine("99213", 12500, 10000, [("CO", "45", 2500)], dos="20260105")]),
        lines=[{"mod1": "25"}])
    assert "SV1*HC:99213:25*125*" in text
    assert "SVD*AETNA1*100*HC:99213**1~CAS*CO*45*25~DTP*573*D8*20260105~" in text


def test_a_reversed_primary_payment_is_not_sent_to_the_secondary(tmp_path):
    from claimbook.demo_remits import RClaim

    text = _primary_then_secondary(tmp_path, RClaim("PRI2", "1", 12500, 10000, 0, "ICN8",
                                                    adjustments=[("CO", "45", 2500)]),
                                   reverse=True)
    assert "AMT*D" not in text and "CAS*" not in text and "DTP*573" not in text
