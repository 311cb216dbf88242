"""Read 837P (005010X222A1) files, as an EHR exports them, into workbook rows.

One pass over the segments fills plain lists that become the input tables the workbook has:
`Claims` (one row per service line), `Patients`, `Coverage` (the billed payer and the other
payers of the 2320 loops), `Providers` (rendering and referring), `Payers`, and the
`practice` settings of the billing provider, submitter and receiver. Values come out in the
reader's normalised form (dates as Timestamps, dx with the dot, pointers "1,2"), so imported
rows are scrubbed and batched like typed ones.

A patient's account number is REF*EA (medical record number) when the file has one, else a
stable id derived from the patient's name and birth date (no PHI in it: a short hash).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from claimbook.errors import X12Error
from claimbook.schemas import CLAIMS, COVERAGE, PATIENTS, PAYERS, PROVIDERS
from claimbook.x12.tokens import Delimiters, Segment, segments

RELATIONSHIP = {"18": "self", "01": "spouse", "19": "child"}
PRIORITY = {"P": "primary", "S": "secondary", "T": "tertiary"}


@dataclass
class Imported:
    """Rows read from 837P files, by table (canonical column names)."""

    tables: dict[str, pd.DataFrame]
    practice: dict[str, object] = field(default_factory=dict)
    files: int = 0
    claims: int = 0


def _date(v: str) -> pd.Timestamp | None:
    v = (v or "").strip()
    if len(v) != 8 or not v.isdigit():
        return None
    try:
        return pd.Timestamp(f"{v[:4]}-{v[4:6]}-{v[6:]}")
    except ValueError:
        return None


def _dx(code: str) -> str:
    code = code.strip().upper()
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def _num(v: str) -> float | None:
    try:
        return float(v) if v not in ("", None) else None
    except ValueError:
        return None


def account_for(last: str, first: str, dob: pd.Timestamp | None) -> str:
    """A stable account number for a patient the file gives no id for (no PHI inside)."""
    key = f"{last.upper()}|{first.upper()}|{dob.date() if dob is not None else ''}"
    return "IMP" + hashlib.sha1(key.encode()).hexdigest()[:8].upper()


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: list[dict] = []
        self.patients: list[dict] = []
        self.coverage: list[dict] = []
        self.providers: list[dict] = []
        self.payers: list[dict] = []
        self.practice: dict[str, object] = {}
        self.claims = 0

    # -- helpers ---------------------------------------------------------------------------
    def fail(self, seg: Segment, what: str) -> X12Error:
        return X12Error(f"{self.source}: segment {seg.index} ({seg.id}) {what}.",
                        "Ask the sender for a valid 837P 005010X222A1 file.")

    def parse(self, segs: list[Segment], d: Delimiters) -> None:
        comp = d.component
        sub: dict = {}
        pat: dict | None = None
        claim: dict | None = None
        line: dict | None = None
        other: dict | None = None
        entity = ""  # entity of the last NM1 (for N3/N4/DMG/REF/PRV)
        gs08 = ""
        for s in segs:
            sid = s.id
            if sid == "GS":
                gs08 = s.get(8)
            elif sid == "ST":
                if s.get(1) != "837":
                    raise self.fail(s, f"is a {s.get(1)} transaction, not an 837")
                if gs08 and not gs08.startswith("005010X222"):
                    raise self.fail(s, f"belongs to version {gs08}, not 005010X222A1 (837P)")
            elif sid == "HL":
                level = s.get(3)
                self._end_claim(claim, line)
                claim, line, other = None, None, None
                if level == "22":
                    sub, pat = {}, None
                elif level == "23":
                    pat = {}
                entity = ""
            elif sid == "SBR":
                if claim is None:
                    sub["priority"] = PRIORITY.get(s.get(1), "primary")
                    sub["relationship"] = RELATIONSHIP.get(s.get(2), "") if s.get(2) else ""
                    sub["group_number"] = s.get(3) or None
                    sub["filing_indicator"] = s.get(9) or None
                else:  # 2320 other subscriber
                    other = {"priority": PRIORITY.get(s.get(1), "primary"),
                             "relationship": RELATIONSHIP.get(s.get(2), "other"),
                             "group_number": s.get(3) or None,
                             "filing_indicator": s.get(9) or None}
                    claim["others"].append(other)
            elif sid == "PAT" and pat is not None:
                pat["relationship"] = RELATIONSHIP.get(s.get(1), "other")
            elif sid == "NM1":
                entity = s.get(1)
                self._nm1(s, entity, sub, pat, claim, line, other)
            elif sid in ("N3", "N4", "DMG", "PER"):
                self._detail(s, entity, sub, pat, other, claim)
            elif sid == "PRV":
                if s.get(1) == "BI":
                    self.practice["billing_taxonomy"] = s.get(3)
                elif s.get(1) == "PE" and entity == "82" and self.providers:
                    self.providers[-1]["taxonomy"] = s.get(3)
            elif sid == "REF":
                self._ref(s, entity, claim, line)
            elif sid == "CLM":
                self._end_claim(claim, line)
                line, other = None, None
                c05 = s.get(5).split(comp)
                claim = {"claim_id": s.get(1), "claim_total": _num(s.get(2)),
                         "pos": c05[0] if c05 else None,
                         "frequency": c05[2] if len(c05) > 2 and c05[2] else "1",
                         "sub": sub, "pat": pat, "dx": [], "lines": [], "others": [],
                         "_rnd": None, "_ref": None, "prior_auth": None,
                         "original_claim_number": None, "index": s.index}
                self.claims += 1
                entity = ""
            elif sid == "HI" and claim is not None:
                for el in s.elements:
                    parts = el.split(comp)
                    if len(parts) >= 2 and parts[0] in ("ABK", "ABF", "BK", "BF") and parts[1]:
                        claim["dx"].append(_dx(parts[1]))
            elif sid == "LX" and claim is not None:
                line = {"line_no": int(s.get(1)) if s.get(1).isdigit() else
                        len(claim["lines"]) + 1}
                claim["lines"].append(line)
                other = None
            elif sid == "SV1" and line is not None:
                c = s.get(1).split(comp)
                if len(c) < 2 or not c[1]:
                    raise self.fail(s, "has no procedure code in SV101")
                line["code"] = c[1]
                for k, m in enumerate(c[2:6], start=1):
                    line[f"mod{k}"] = m or None
                line["charge"] = _num(s.get(2))
                line["units"] = _num(s.get(4))
                line["pos"] = s.get(5) or None
                ptr = [p for p in s.get(7).split(comp) if p]
                line["pointers"] = ",".join(ptr) if ptr else None
            elif sid == "DTP" and line is not None and s.get(1) == "472":
                v = s.get(3)
                if s.get(2) == "RD8" and "-" in v:
                    a, b = v.split("-", 1)
                    line["dos_from"], line["dos_to"] = _date(a), _date(b)
                else:
                    line["dos_from"] = _date(v)
            elif sid == "LIN" and line is not None:
                if s.get(2) == "N4":
                    line["ndc"] = s.get(3)
            elif sid == "CTP" and line is not None:
                line["ndc_units"] = _num(s.get(4))
                line["ndc_unit"] = s.get(5).split(comp)[0] or None
            elif sid in ("SE", "GE", "IEA"):
                self._end_claim(claim, line)
                claim, line, other = None, None, None

    def _nm1(self, s: Segment, entity: str, sub: dict, pat: dict | None, claim: dict | None,
             line: dict | None, other: dict | None) -> None:
        person = {"last": s.get(3), "first": s.get(4) or None, "id": s.get(9) or None}
        if entity == "41":
            self.practice.update(submitter_name=s.get(3), submitter_id=s.get(9))
        elif entity == "40":
            self.practice.update(receiver_name=s.get(3), receiver_id=s.get(9))
        elif entity == "85":
            self.practice.update(billing_name=s.get(3), billing_npi=s.get(9))
        elif entity == "IL":
            if other is not None:
                other.update(member_id=person["id"], sub_last=person["last"],
                             sub_first=person["first"])
            else:
                sub.update(member_id=person["id"], last=person["last"], first=person["first"])
        elif entity == "PR":
            payer = {"payer_id": s.get(9), "name": s.get(3)}
            if other is not None:
                other["payer"] = payer
            else:
                sub["payer"] = payer
        elif entity == "QC" and pat is not None:
            pat.update(last=person["last"], first=person["first"])
        elif entity in ("82", "DN") and claim is not None:
            prov = {"npi": person["id"], "last_name": person["last"],
                    "first_name": person["first"],
                    "role": "rendering" if entity == "82" else "referring", "taxonomy": None}
            key = "rendering_npi" if entity == "82" else "referring_npi"
            if line is not None:
                line[key] = person["id"]
            else:
                claim["_rnd" if entity == "82" else "_ref"] = prov
            self.providers.append(prov)

    def _detail(self, s: Segment, entity: str, sub: dict, pat: dict | None,
                other: dict | None, claim: dict | None) -> None:
        if s.id == "PER":
            if entity == "41":
                el = list(s.elements)
                self.practice["submitter_contact"] = s.get(2)
                for q, v in zip(el[2::2], el[3::2]):
                    if q == "TE":
                        self.practice.setdefault("submitter_phone", v)
                    elif q == "EM":
                        self.practice.setdefault("submitter_email", v)
            return
        target = None
        if entity == "85":
            if s.id == "N3":
                self.practice["billing_address"] = s.get(1)
            elif s.id == "N4":
                self.practice.update(billing_city=s.get(1), billing_state=s.get(2),
                                     billing_zip=s.get(3))
            return
        if entity == "IL" and other is None:
            target = sub
        elif entity == "QC" and pat is not None:
            target = pat
        elif entity == "PR" and other is None and "payer" in sub:
            target = sub["payer"]
        if target is None:
            return
        if s.id == "N3":
            target["address"] = s.get(1)
        elif s.id == "N4":
            target.update(city=s.get(1), state=s.get(2), zip=s.get(3))
        elif s.id == "DMG":
            target.update(dob=_date(s.get(2)), sex=s.get(3) or None)

    def _ref(self, s: Segment, entity: str, claim: dict | None, line: dict | None) -> None:
        q, v = s.get(1), s.get(2)
        if claim is None:
            if q == "EI" and entity == "85":
                self.practice["billing_ein"] = v
            return
        if line is None and q == "G1":
            claim["prior_auth"] = v
        elif line is None and q == "F8":
            claim["original_claim_number"] = v
        elif line is None and q == "EA":
            claim["account"] = v

    # -- a finished claim becomes rows -----------------------------------------------------
    def _end_claim(self, claim: dict | None, line: dict | None) -> None:
        if claim is None or claim.get("_done"):
            return
        claim["_done"] = True
        sub, pat = claim["sub"], claim["pat"]
        person = pat if pat is not None else sub
        last, first = person.get("last") or "", person.get("first") or ""
        dob = person.get("dob")
        account = claim.get("account") or account_for(last, first, dob)
        payer = sub.get("payer") or {}
        self.patients.append({"account": account, "last_name": last, "first_name": first,
                              "dob": dob, "sex": person.get("sex"),
                              "address": person.get("address"), "city": person.get("city"),
                              "state": person.get("state"), "zip": person.get("zip")})
        rel = "self" if pat is None else pat.get("relationship", "other")
        cov = {"patient": account, "payer_id": payer.get("payer_id"),
               "member_id": sub.get("member_id"), "group_number": sub.get("group_number"),
               "relationship": rel, "priority": sub.get("priority", "primary")}
        if rel != "self":
            cov.update(subscriber_last=sub.get("last"), subscriber_first=sub.get("first"),
                       subscriber_dob=sub.get("dob"), subscriber_sex=sub.get("sex"))
        self.coverage.append(cov)
        self.payers.append({"payer_id": payer.get("payer_id"), "name": payer.get("name"),
                            "filing_indicator": sub.get("filing_indicator"),
                            "address": payer.get("address"), "city": payer.get("city"),
                            "state": payer.get("state"), "zip": payer.get("zip")})
        for o in claim["others"]:
            op = o.get("payer") or {}
            orel = o.get("relationship", "self")
            row = {"patient": account, "payer_id": op.get("payer_id"),
                   "member_id": o.get("member_id"), "group_number": o.get("group_number"),
                   "relationship": orel, "priority": o.get("priority")}
            if orel != "self":
                row.update(subscriber_last=o.get("sub_last"), subscriber_first=o.get("sub_first"))
            self.coverage.append(row)
            self.payers.append({"payer_id": op.get("payer_id"), "name": op.get("name"),
                                "filing_indicator": o.get("filing_indicator")})
        dx = {f"dx{i + 1}": d for i, d in enumerate(claim["dx"][:12])}
        rnd = claim["_rnd"] or {}
        ref = claim["_ref"] or {}
        for ln in claim["lines"]:
            row = {"claim_id": claim["claim_id"], "patient": account,
                   "payer_id": payer.get("payer_id"), "claim_total": claim["claim_total"],
                   "prior_auth": claim["prior_auth"], "frequency": claim["frequency"],
                   "original_claim_number": claim["original_claim_number"], **dx, **ln,
                   "rendering_npi": ln.get("rendering_npi") or rnd.get("npi"),
                   "referring_npi": ln.get("referring_npi") or ref.get("npi"),
                   "pos": ln.get("pos") or claim["pos"]}
            self.lines.append(row)


def _frame(schema, rows: list[dict], key: tuple[str, ...]) -> pd.DataFrame:
    cols = [c.name for c in schema.columns]
    f = pd.DataFrame(rows, columns=cols) if rows else pd.DataFrame(columns=cols)
    if key and len(f):
        f = f.dropna(subset=list(key)).drop_duplicates(list(key), keep="first")
    return f.reset_index(drop=True)


def read_837(text: str, source: str = "837 file") -> Imported:
    """Parse the text of one 837P interchange (or several) into workbook rows."""
    segs, d = segments(text)
    p = _Parser(source)
    p.parse(segs, d)
    if not p.claims:
        raise X12Error(f"{source} has no claims (no CLM segment).",
                       "Check that this is an 837P claim file.")
    tables = {
        "Claims": _frame(CLAIMS, p.lines, ()),
        "Patients": _frame(PATIENTS, p.patients, ("account",)),
        "Coverage": _frame(COVERAGE, p.coverage, ("patient", "payer_id")),
        "Providers": _frame(PROVIDERS, p.providers, ("npi",)),
        "Payers": _frame(PAYERS, p.payers, ("payer_id",)),
    }
    return Imported(tables, {k: v for k, v in p.practice.items() if v}, 1, p.claims)


def read_837_files(paths: list[str | os.PathLike]) -> Imported:
    """Parse several files; rows are combined (first occurrence of each key wins)."""
    parts = []
    for path in paths:
        p = Path(path)
        if not p.exists():
            raise X12Error(f"The file {p} does not exist.", "Check the file name and folder.")
        text = p.read_text(encoding="latin-1")
        parts.append(read_837(text, p.name))
    keys = {"Claims": (), "Patients": ("account",), "Coverage": ("patient", "payer_id"),
            "Providers": ("npi",), "Payers": ("payer_id",)}
    tables = {}
    for name, key in keys.items():
        f = pd.concat([x.tables[name] for x in parts], ignore_index=True)
        if key and len(f):
            f = f.drop_duplicates(list(key), keep="first")
        tables[name] = f.reset_index(drop=True)
    practice: dict[str, object] = {}
    for x in parts:
        for k, v in x.practice.items():
            practice.setdefault(k, v)
    return Imported(tables, practice, len(parts), sum(x.claims for x in parts))
