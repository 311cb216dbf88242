"""Simulated 835 remittances for the demo claims (synthetic data only).

`build_transaction` / `interchange` write 005010X221A1 text from small specs (also used by the
tests and the benchmark); `write_demo_remittances` answers the demo workbook's sent claims with
payments, contractual adjustments, deductibles, coinsurance and copays, denials, a partial
(bundled) line, a reversal with its correction, a PLB recoupment and interest, one payer paying
under contract, a claim forwarded to a secondary payer, and one remittance delivered twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from claimbook.book import Book
from claimbook.reconcile.match import fee_lookup, modifier_key, to_cents


@dataclass
class RLine:
    code: str
    charge: int  # cents
    paid: int
    adjustments: list[tuple[str, str, int]] = field(default_factory=list)  # (group, reason, ¢)
    modifiers: tuple[str, ...] = ()
    dos: str = ""  # YYYYMMDD
    control: str | None = None  # REF*6R
    allowed: int | None = None  # AMT*B6
    original_code: str | None = None  # SVC06
    units: float = 1
    remarks: tuple[str, ...] = ()  # LQ*HE


@dataclass
class RClaim:
    claim_id: str
    status: str
    charge: int
    paid: int
    patient_resp: int = 0
    icn: str = ""
    member_id: str = ""
    lines: list[RLine] = field(default_factory=list)
    adjustments: list[tuple[str, str, int]] = field(default_factory=list)  # claim level
    remarks: tuple[str, ...] = ()  # MOA
    dos: str = ""


def _amt(cents: int) -> str:
    s = f"{abs(cents) // 100}.{abs(cents) % 100:02d}"
    return ("-" if cents < 0 else "") + s


def _cas(adjs: list[tuple[str, str, int]]) -> list[str]:
    """CAS segments, one per group, up to 6 reason/amount triplets each."""
    out: list[str] = []
    groups: dict[str, list[tuple[str, int]]] = {}
    for g, r, a in adjs:
        groups.setdefault(g, []).append((r, a))
    for g, items in groups.items():
        for i in range(0, len(items), 6):
            body = "".join(f"*{r}*{_amt(a)}*" for r, a in items[i:i + 6])
            out.append(("CAS*" + g + body).rstrip("*"))
    return out


def build_transaction(st02: str, payer_id: str, payer_name: str, trace: str,
                      claims: list[RClaim], *, payee_name: str = "DEMO CLINIC",
                      payee_npi: str = "1234567893", pay_date: str = "20260105",
                      plb: list[tuple[str, str, int]] = (), paid: int | None = None,
                      method: str = "ACH") -> list[str]:
    """Segments ST..SE of one 835. BPR02 = sum CLP04 - sum PLB unless `paid` is given."""
    total = sum(c.paid for c in claims) - sum(a for _, _, a in plb) if paid is None else paid
    seg = [f"ST*835*{st02}",
           (f"BPR*{'I' if total else 'H'}*{_amt(total)}*C*{method if total else 'NON'}*CCP*01*"
           f"999999999*DA*123456*1512345678**01*999988880*DA*98765*{pay_date}"),
           f"TRN*1*{trace}*1512345678", f"DTM*405*{pay_date}",
           f"N1*PR*{payer_name}*XV*{payer_id}", "N3*PO BOX 1000", "N4*HARTFORD*CT*06101",
           f"N1*PE*{payee_name}*XX*{payee_npi}", "LX*1"]
    for c in claims:
        seg.append(f"CLP*{c.claim_id}*{c.status}*{_amt(c.charge)}*{_amt(c.paid)}*"
                   f"{_amt(c.patient_resp) if c.patient_resp else ''}*12*{c.icn}")
        seg += _cas(c.adjustments)
        if c.member_id:
            seg.append(f"NM1*QC*1*PATIENT*DEMO****MI*{c.member_id}")
        if c.remarks:
            seg.append("MOA***" + "*".join(c.remarks))
        if c.dos:
            seg.append(f"DTM*232*{c.dos}")
        for ln in c.lines:
            proc = ":".join(["HC", ln.code, *ln.modifiers])
            orig = f"*HC:{ln.original_code}" if ln.original_code else ""
            units = f"{ln.units:g}"
            seg.append(f"SVC*{proc}*{_amt(ln.charge)}*{_amt(ln.paid)}**{units}{orig}")
            if ln.dos:
                seg.append(f"DTM*472*{ln.dos}")
            seg += _cas(ln.adjustments)
            if ln.control:
                seg.append(f"REF*6R*{ln.control}")
            if ln.allowed is not None:
                seg.append(f"AMT*B6*{_amt(ln.allowed)}")
            for r in ln.remarks:
                seg.append(f"LQ*HE*{r}")
    for i in range(0, len(plb), 6):
        pairs = "".join(f"*{r}:{ref}*{_amt(a)}" for r, ref, a in plb[i:i + 6])
        seg.append(f"PLB*{payee_npi}*20261231{pairs}")
    seg.append(f"SE*{len(seg) + 1}*{st02}")
    return seg


def interchange(transactions: list[list[str]], isa13: int = 1, sender: str = "PAYER",
                receiver: str = "CLINIC", date: str = "260105") -> str:
    """ISA/GS ... GE/IEA around transaction sets (one functional group)."""
    head = (f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}*{date}*1200*^*"
            f"00501*{isa13:09d}*0*T*:")
    segs = [head, f"GS*HP*{sender}*{receiver}*20{date}*1200*{isa13}*X*005010X221A1"]
    for t in transactions:
        segs += t
    segs += [f"GE*{len(transactions)}*{isa13}", f"IEA*1*{isa13:09d}"]
    return "~\n".join(segs) + "~\n"


def _sent_lines(book: Book) -> pd.DataFrame:
    c = book.get("Claims")
    c = c[c["submitted_on"].notna() & c["claim_id"].notna()].copy()
    c["cents"] = to_cents(c["charge"])
    c["mods"] = modifier_key(c)
    c["first_mod"] = c["mod1"].fillna("")
    c["contract"] = fee_lookup(book.get("FeeSchedule"), c["payer_id"], c["code"],
                               c["first_mod"]) * c["units"].fillna(1)
    c["contract"] = c["contract"].fillna((c["cents"] * 0.7).round()).clip(upper=c["cents"])
    cov = book.get("Coverage").dropna(subset=["patient", "payer_id"])
    cov = cov.drop_duplicates(["patient", "payer_id"]).set_index(["patient", "payer_id"])
    key = pd.MultiIndex.from_frame(c[["patient", "payer_id"]].astype(object))
    c["member_id"] = cov["member_id"].reindex(key).to_numpy()
    c["copay"] = to_cents(cov["copay"].reindex(key).fillna(0)).to_numpy()
    return c.sort_values(["payer_id", "claim_id", "line_no"])


def write_demo_remittances(book: Book, out_dir: Path, seed: int) -> list[Path]:
    """Write the demo's 835 files into `out_dir`; returns their paths (duplicate included).

    One remittance per payer and month of submission, dated 14-20 days after the month's last
    submission and never after the book's last submission date; claims sent in the last two
    weeks, self-pay claims and about one claim in eight get no answer (follow-up exceptions).
    """
    rng = random.Random(seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = _sent_lines(book)
    payers = book.get("Payers").drop_duplicates("payer_id").set_index("payer_id")
    self_pay = set(payers.index[payers["filing_indicator"].eq("09")])
    lines = lines[~lines["payer_id"].isin(self_pay)]
    if lines.empty:
        return []
    horizon = lines["submitted_on"].max()
    lines = lines[lines["submitted_on"].le(horizon - pd.Timedelta(days=14))]
    npi = book.practice.billing_npi or "1234567893"
    name = (book.practice.billing_name or "DEMO CLINIC").upper()[:35]
    payer_ids = list(dict.fromkeys(lines["payer_id"]))
    under_payer = payer_ids[-1] if len(payer_ids) > 1 else None
    files: list[Path] = []
    isa = 900
    icn_no = 0
    reversal_done = plb_done = forward_done = dup_done = False
    denials = [("CO", "16", ("MA130", "M76")), ("CO", "29", ()), ("CO", "50", ("N115",)),
               ("PI", "197", ()), ("CO", "109", ())]
    lines = lines.assign(month=lines["submitted_on"].dt.strftime("%Y-%m"))
    pending: dict[str, list[RClaim]] = {}  # payer -> reversal + correction for its next file
    for (payer, month), group in lines.groupby(["payer_id", "month"], sort=True):
        p_i = payer_ids.index(payer)
        claim_ids = list(dict.fromkeys(group["claim_id"]))
        answered = [c for i, c in enumerate(claim_ids) if i % 8 != 7]
        txn_claims: list[RClaim] = pending.pop(payer, [])
        for n, cid in enumerate(answered):
            cl = group[group["claim_id"].eq(cid)]
            icn_no += 1
            icn = f"ICN{p_i + 1:02d}{icn_no:06d}"
            claim = _answer(cl, icn, rng.random(), n, payer == under_payer, denials, rng,
                            forward=not forward_done and n == 3)
            forward_done = forward_done or claim.status == "19"
            txn_claims.append(claim)
            if not reversal_done and claim.status == "1" and claim.paid > 0 and n >= 1:
                reversal_done = True
                corr = _answer(cl, icn + "A", 0.99, 0, False, denials, rng, bump=500)
                pending[payer] = [_reverse(claim), corr]
        if not txn_claims:
            continue
        pname = str(payers["name"].get(payer, payer)).upper()[:35]
        plb: list[tuple[str, str, int]] = []
        if not plb_done and len(txn_claims) > 2:
            plb = [("WO", txn_claims[0].icn + "R", 2500), ("L6", f"INT{isa}", -137)]
            plb_done = True
        date = min(group["submitted_on"].max() + pd.Timedelta(days=rng.randint(14, 20)),
                   horizon)
        files += _write(out_dir, payer, pname, date, isa, seed, txn_claims, plb, name, npi)
        isa += 1
        if not dup_done:  # the same file delivered twice, under a second name
            dup = files[-1].with_name(files[-1].stem + "_resent.835")
            dup.write_bytes(files[-1].read_bytes())
            files.append(dup)
            dup_done = True
    for payer, rest in pending.items():  # a reversal with no later month: its own file
        pname = str(payers["name"].get(payer, payer)).upper()[:35]
        files += _write(out_dir, payer, pname, horizon, isa, seed, rest, [], name, npi)
        isa += 1
    return files


def _write(out_dir: Path, payer: str, pname: str, date: pd.Timestamp, isa: int, seed: int,
           claims: list[RClaim], plb: list, name: str, npi: str) -> list[Path]:
    d8 = date.strftime("%Y%m%d")
    t = build_transaction("0001", payer, pname, f"EFT{seed}{isa:05d}", claims,
                          payee_name=name, payee_npi=npi, pay_date=d8, plb=plb)
    path = out_dir / f"{payer}_{d8}_{isa}.835"
    path.write_text(interchange([t], isa, date=d8[2:]), encoding="latin-1")
    return [path]


def _answer(cl: pd.DataFrame, icn: str, roll: float, n: int, under: bool,
            denials: list, rng: random.Random, forward: bool = False, bump: int = 0) -> RClaim:
    """One claim's adjudication: paid, denied (whole or one line) or forwarded."""
    first = cl.iloc[0]
    out_lines: list[RLine] = []
    status = "19" if forward else "1"
    deny_all = roll < 0.12 and not forward
    bundle_one = 0.12 <= roll < 0.2 and len(cl) > 1 and not forward
    den = denials[n % len(denials)]
    pr_total = 0
    for i, (_, ln) in enumerate(cl.iterrows()):  # demo size: a few hundred lines at most
        charge = int(ln["cents"])
        mods = tuple(m for m in str(ln["mods"]).split(":") if m)
        common = {"code": ln["code"], "charge": charge, "modifiers": mods,
                      "dos": ln["dos_from"].strftime("%Y%m%d"),
                      "control": f"{ln['claim_id']}-{int(ln['line_no'])}", "units": float(
                          ln["units"]) if pd.notna(ln["units"]) else 1.0}
        if charge <= 0 or common["units"] <= 0:  # a seeded defect: the payer rejects it
            out_lines.append(RLine(paid=0, adjustments=[("CO", "16", charge)] if charge else [],
                                   remarks=("M53",), **common))
            continue
        if deny_all or (bundle_one and i == len(cl) - 1):
            g, r, rem = den if deny_all else ("CO", "97", ("M15",))
            out_lines.append(RLine(paid=0, adjustments=[(g, r, charge)], remarks=rem, **common))
            continue
        allowed = int(min(charge, ln["contract"] + bump))
        if under:
            allowed = round(allowed * 0.9)
        adj = [("CO", "45", charge - allowed)] if charge > allowed else []
        pr = []
        copay = int(ln["copay"]) if i == 0 else 0
        if copay and copay < allowed:
            pr.append(("PR", "3", copay))
        rest = allowed - sum(a for _, _, a in pr)
        if rng.random() < 0.25 and rest > 5000:
            pr.append(("PR", "1", 5000))
            rest -= 5000
        coins = round(rest * 0.2) if rng.random() < 0.5 else 0
        if coins:
            pr.append(("PR", "2", coins))
        paid = allowed - sum(a for _, _, a in pr)
        pr_total += sum(a for _, _, a in pr)
        out_lines.append(RLine(paid=paid, adjustments=adj + pr, allowed=allowed, **common))
    charge = sum(x.charge for x in out_lines)
    paid = sum(x.paid for x in out_lines)
    if deny_all:
        status = "4"
    return RClaim(first["claim_id"], status, charge, paid, pr_total, icn,
                  str(first["member_id"]) if pd.notna(first["member_id"]) else "",
                  lines=out_lines, remarks=out_lines[0].remarks if deny_all else ())


def _reverse(c: RClaim) -> RClaim:
    """CLP02=22: every amount of the original, negated."""
    neg = [RLine(code=x.code, charge=-x.charge, paid=-x.paid,
                 adjustments=[(g, r, -a) for g, r, a in x.adjustments], modifiers=x.modifiers,
                 dos=x.dos, control=x.control, units=x.units) for x in c.lines]
    return RClaim(c.claim_id, "22", -c.charge, -c.paid, -c.patient_resp, c.icn, c.member_id,
                  lines=neg)
