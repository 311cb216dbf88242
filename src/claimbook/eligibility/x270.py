"""X12 270 eligibility inquiries (005010X279A1) for the appointments to verify.

One interchange per payer: ISA/GS(HS)/ST 270, BHT*0022*13, 2000A the payer (information
source), 2000B the billing provider (information receiver, NPI), then per appointment a
2000C subscriber (TRN trace, NM1*IL with the member id, DMG, DTP*291 the appointment date,
EQ*30) and, when the patient is not the subscriber, a 2000D dependent with the patient's own
name, birth date, TRN, DTP*291 and EQ*30. The trace (TRN02) is `<account>-<CCYYMMDD>`; the
payer echoes it in the 271 so the response finds its appointment. ISA13 and GS06 come from
the ledger counters the 837 batches use (x12.isa13, x12.gs06), so they are never reused;
without a ledger the numbers start at 1 (test files).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from claimbook.book import PracticeSettings
from claimbook.errors import ClaimBookError
from claimbook.ledger import Ledger
from claimbook.x12.envelope import (
    MAX,
    Envelope,
    clean,
    clean_one,
    d8,
    ge,
    gs,
    iea,
    isa,
    se,
    segment,
    st,
)

VERSION = "005010X279A1"
COUNTERS = {"isa13": "x12.isa13", "gs06": "x12.gs06"}
SEX = {"M": "M", "F": "F"}


@dataclass
class Inquiry:
    """One written 270 file."""

    path: Path | None
    text: str
    payer_id: str
    isa13: int
    inquiries: int


def trace_numbers(patient: pd.Series, date: pd.Series) -> pd.Series:
    """TRN02 of each inquiry: account and appointment date, e.g. 'P1001-20261201'."""
    acct = clean(patient.astype(str), 30).str.replace(" ", "", regex=False)
    return (acct + "-" + pd.to_datetime(date).dt.strftime("%Y%m%d")).astype(object)


def _need(practice: PracticeSettings) -> None:
    missing = [label for key, label in [("billing_npi", "Billing provider NPI"),
                                        ("billing_name", "Billing provider name"),
                                        ("submitter_id", "Submitter id"),
                                        ("receiver_id", "Receiver id"),
                                        ("billing_ein", "Billing provider EIN")]
               if not getattr(practice, key)]
    if missing:
        raise ClaimBookError(
            "The Practice sheet lacks " + ", ".join(missing) + ", needed in a 270 request.",
            "Fill in the named settings in the Practice sheet and run again.")


def build(requests: pd.DataFrame, practice: PracticeSettings, *, ledger: Ledger | None = None,
          now: datetime | None = None) -> list[Inquiry]:
    """270 texts, one per payer, for `requests` (see verify.requests for the columns).

    Columns used: payer_id, payer_name, trace, member_id, sub_last, sub_first, sub_dob,
    sub_sex, dependent (bool), pat_last, pat_first, pat_dob, pat_sex, date.
    """
    _need(practice)
    now = (now or datetime.now()).replace(second=0, microsecond=0)
    out: list[Inquiry] = []
    for payer_id, grp in requests.groupby("payer_id", sort=True):
        if ledger is not None:
            with ledger.transaction():
                isa13 = ledger.next_numbers(COUNTERS["isa13"])[0]
                gs06 = ledger.next_numbers(COUNTERS["gs06"])[0]
        else:
            isa13, gs06 = len(out) + 1, len(out) + 1
        env = Envelope.make(practice.submitter_id, practice.receiver_id, practice.usage, isa13,
                            gs06, now, functional_id="HS", version=VERSION)
        body = _transaction(grp, str(payer_id), practice, now)
        text = (isa(env) + gs(env) + st("0001", "270", VERSION) + "".join(body)
                + se(len(body) + 2, "0001") + ge(1, env) + iea(1, env))
        out.append(Inquiry(None, text, str(payer_id), isa13, len(grp)))
    return out


def _transaction(g: pd.DataFrame, payer_id: str, p: PracticeSettings,
                 now: datetime) -> list[str]:
    segs = [segment("BHT", "0022", "13", f"CB{now:%Y%m%d%H%M}", now.strftime("%Y%m%d"),
                    now.strftime("%H%M"))]
    payer_name = clean_one(g["payer_name"].iloc[0] or payer_id, MAX["org_name"])
    segs += [segment("HL", "1", "", "20", "1"),
             segment("NM1", "PR", "2", payer_name or clean_one(payer_id, 60), "", "", "", "",
                     "PI", clean_one(payer_id, MAX["id"])),
             segment("HL", "2", "1", "21", "1"),
             segment("NM1", "1P", "2", clean_one(p.billing_name, MAX["org_name"]), "", "", "",
                     "", "XX", clean_one(p.billing_npi, 10))]
    ein = "".join(ch for ch in str(p.billing_ein) if ch.isdigit())
    origin = ("1" + ein)[:10]
    trace = clean(g["trace"], 50).tolist()
    member = clean(g["member_id"], MAX["id"]).tolist()
    sl, sf = clean(g["sub_last"], 60).tolist(), clean(g["sub_first"], 35).tolist()
    pl, pf = clean(g["pat_last"], 60).tolist(), clean(g["pat_first"], 35).tolist()
    sdob, pdob = d8(g["sub_dob"]).tolist(), d8(g["pat_dob"]).tolist()
    ssex = g["sub_sex"].map(SEX).fillna("").tolist()
    psex = g["pat_sex"].map(SEX).fillna("").tolist()
    dos = d8(g["date"]).tolist()
    dep = g["dependent"].fillna(False).astype(bool).tolist()
    hl = 2
    for i in range(len(g)):
        hl += 1
        sub_hl = hl
        segs.append(segment("HL", str(hl), "2", "22", "1" if dep[i] else "0"))
        if not dep[i]:
            segs.append(segment("TRN", "1", trace[i], origin))
        segs.append(segment("NM1", "IL", "1", sl[i], sf[i], "", "", "", "MI", member[i]))
        if sdob[i]:
            segs.append(segment("DMG", "D8", sdob[i], ssex[i]))
        if not dep[i]:
            segs += [segment("DTP", "291", "D8", dos[i]), segment("EQ", "30")]
            continue
        hl += 1
        segs += [segment("HL", str(hl), str(sub_hl), "23", "0"),
                 segment("TRN", "1", trace[i], origin),
                 segment("NM1", "03", "1", pl[i], pf[i])]
        if pdob[i]:
            segs.append(segment("DMG", "D8", pdob[i], psex[i]))
        segs += [segment("DTP", "291", "D8", dos[i]), segment("EQ", "30")]
    return segs


def write(inquiries: list[Inquiry], out_dir: str | os.PathLike) -> list[Path]:
    """Write each inquiry as `270-<payer>-<ISA13>.x12` (temporary name, then moved)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for q in inquiries:
        safe = "".join(ch for ch in q.payer_id if ch.isalnum() or ch in "-_")[:20] or "PAYER"
        path = out / f"270-{safe}-{q.isa13:09d}.x12"
        fd, tmp = tempfile.mkstemp(prefix=".~claimbook-", suffix=".x12", dir=out)
        with os.fdopen(fd, "w", encoding="ascii", errors="replace", newline="") as fh:
            fh.write(q.text)
        os.replace(tmp, path)
        q.path = path
        paths.append(path)
    return paths
