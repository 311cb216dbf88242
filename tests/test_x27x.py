"""X12 270 requests valid under pyx12, and 271 responses read into the right fields.

pyx12 4.0.0 ships no 005010X279A1 map (its maps.xml has the 5010 270/271 entries commented
out; only 004010X092A1 is installed). The validation therefore runs against a map derived in a
temporary folder from pyx12's own 004010X092A1 270 map with the 5010 changes our file relies
on: GS08/ST03 version 005010X279A1, the ST03 element, and DTP01 qualifier 291 (plan date).
Everything else (loops, HL nesting, segment order and counts, required elements, element
lengths and code lists, ISA/GS/SE/GE/IEA control checks) is pyx12's own.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from claimbook.eligibility import verify, x270, x271
from claimbook.errors import X12Error
from claimbook.ledger import Ledger
from tests import elig_data as D
from tests.x12_validate import _walk

NOW = datetime(2026, 11, 29, 9, 30)


@pytest.fixture(scope="module")
def map_dir(tmp_path_factory) -> Path:
    return derived_map(tmp_path_factory.mktemp("pyx12"))


def derived_map(folder: Path) -> Path:
    """pyx12's map folder plus a 005010X279A1 270 map derived from its 004010X092A1 one."""
    import pyx12

    src = Path(pyx12.__file__).parent / "map"
    maps = (src / "maps.xml").read_text()
    assert "005010X279A1" not in maps.split("<!--")[0]  # not shipped: see module docstring
    out = folder / "map"
    shutil.copytree(src, out)
    m = (src / "270.4010.X092.A1.xml").read_text()
    m = m.replace("<code>004010X092A1</code>", "<code>005010X279A1</code>")
    st02 = re.search(r'<element xid="ST02">.*?</element>', m, flags=re.DOTALL).group(0)
    m = m.replace(st02, st02 + '<element xid="ST03"><data_ele>1705</data_ele><name>Impl'
                  'ementation Convention Reference</name><usage>R</usage><seq>03</seq>'
                  '<valid_codes><code>005010X279A1</code></valid_codes></element>', 1)
    m = re.sub(r'(<element xid="DTP01">.*?<valid_codes>)', r"\1<code>291</code>", m,
               flags=re.DOTALL)
    (out / "270.5010.X279.A1.xml").write_text(m)
    entry = '<map vriic="005010X279A1" fic="HS" abbr="270">270.5010.X279.A1.xml</map>'
    (out / "maps.xml").write_text(maps.replace('<version icvn="00501">',
                                               '<version icvn="00501">' + entry, 1))
    return out


def pyx12_errors(text: str, map_dir: Path, tmp_path: Path) -> list[str]:
    import pyx12.params
    import pyx12.x12n_document

    f = tmp_path / "in.x12"
    f.write_text(text)
    fd_json = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), str(f), io.StringIO(), None,
                                           None, fd_json, map_path=str(map_dir))
    errors = _walk(json.loads(fd_json.getvalue())) if fd_json.getvalue().strip() else []
    if not ok and not errors:
        errors.append("pyx12 reported the file invalid")
    return errors


def _requests():
    b = D.clinic()
    v = verify.verify(b)
    return b, verify.requests(b, v)


def test_270_files_are_valid_under_pyx12(map_dir, tmp_path):
    b, req = _requests()
    assert sorted(req["trace"]) == ["P1-20261203", "P1-20261212", "P2-20261203",
                                    "P4-20261204", "P4-20261211"]
    inquiries = x270.build(req, b.practice, now=NOW)
    assert [q.payer_id for q in inquiries] == ["AETNA", "BCBS"]
    for q in inquiries:
        assert pyx12_errors(q.text, map_dir, tmp_path) == []
    bcbs = inquiries[1].text.split("~")
    # The child is a dependent: subscriber loop (HL 22, child code 1), then HL 23.
    assert "HL*3*2*22*1" in bcbs and "HL*4*3*23*0" in bcbs
    assert "NM1*IL*1*FIXTURE*ED****MI*B444" in bcbs and "NM1*03*1*FIXTURE*DI" in bcbs
    assert "TRN*1*P4-20261204*1123456789" in bcbs and "DTP*291*D8*20261204" in bcbs
    assert "GS*HS*MAPLE01*CLEARHOUSE*20261129*0930*2*X*005010X279A1" in bcbs


def test_pyx12_catches_a_broken_270(map_dir, tmp_path):
    b, req = _requests()
    text = x270.build(req, b.practice, now=NOW)[0].text
    broken = re.sub(r"NM1\*IL\*1\*[^~]*~", "", text, count=1)
    assert pyx12_errors(broken, map_dir, tmp_path) != []


def test_270_control_numbers_come_from_the_ledger(tmp_path):
    b, req = _requests()
    with Ledger(tmp_path / "l.sqlite") as lg:
        lg.next_numbers("x12.isa13", 41)  # numbers the 837 batches already used
        first = x270.build(req, b.practice, ledger=lg, now=NOW)
        second = x270.build(req, b.practice, ledger=lg, now=NOW)
        assert [q.isa13 for q in first + second] == [42, 43, 44, 45]
        assert lg.peek("x12.isa13") == 45 and lg.peek("x12.gs06") == 4
    assert "*000000042*0*T*:~" in first[0].text and first[0].text.endswith("IEA*1*000000042~")
    paths = x270.write(first, tmp_path / "out")
    assert [p.name for p in paths] == ["270-AETNA-000000042.x12", "270-BCBS-000000043.x12"]
    assert paths[0].read_text() == first[0].text


def test_271_active_subscriber():
    r = x271.parse(D.ACTIVE_271, "a.271").iloc[0]
    assert (r["trace"], r["member_id"], r["level"]) == ("P1-20261203", "W123456789",
                                                        "subscriber")
    assert (r["payer_name"], r["payer_id"]) == ("AETNA TEST", "AETNA")
    assert bool(r["active"]) is True
    assert r["plan_begin"] == pd.Timestamp("2026-01-01")
    assert r["plan_end"] == pd.Timestamp("2026-12-31")
    assert r["copay"] == 25.0  # in-network, not the out-of-network 60
    assert r["deductible"] == 500.0 and r["deductible_left"] == 120.0  # individual, not family
    assert r["coinsurance_pct"] == 20.0
    assert r["rejection"] is None


def test_271_inactive_dependent():
    rows = x271.parse(D.DEPENDENT_271)
    assert rows["level"].tolist() == ["subscriber", "dependent"]
    dep = rows.iloc[1]
    assert dep["trace"] == "P4-20261204"
    assert dep["member_id"] == "B444"  # the subscriber's id carries over
    assert (dep["last_name"], dep["first_name"]) == ("FIXTURE", "DI")
    assert bool(dep["active"]) is False
    assert dep["plan_end"] == pd.Timestamp("2026-11-30")
    assert dep["payer_id"] == "BCBS"


def test_271_rejection_and_wrong_files(tmp_path):
    r = x271.parse(D.REJECTED_271).iloc[0]
    assert r["rejection"] == "72 invalid member id" and r["active"] is None
    bad = tmp_path / "bad.271"
    bad.write_text(D.ACTIVE_271.replace("ST*271", "ST*835"))
    rows, errors = x271.read_files([bad, tmp_path / "missing.271"])
    assert rows.empty
    assert errors[0][0] == "bad.271" and "not a 271" in errors[0][1]
    assert errors[1][0] == "missing.271"
    with pytest.raises(X12Error):
        x271.parse("not x12 at all")
