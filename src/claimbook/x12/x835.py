"""Reading X12 835 (005010X221A1) remittance advice into tables.

One pass over the segments (delimiters from `x12.tokens`) fills plain lists that become five
DataFrames, keyed by integer ids shared across files:

- `transactions`: one row per ST/SE (BPR, TRN, N1*PR/N1*PE, totals, balanced flag)
- `claims`: one row per CLP (with MOA/MIA remark codes, NM1 member id, DTM dates)
- `lines`: one row per SVC (SVC06 original code, DTM*472, REF*6R, AMT*B6, LQ remarks)
- `adjustments`: one row per CAS reason/amount triplet, claim level (`line_key` -1) or line
- `plb`: one row per PLB reason/amount pair
- `imbalances`: line, claim and transaction amounts that do not balance

Amounts are integer cents. A malformed file raises `X12Error` naming the file, the segment
number and what was expected; an imbalance is data (a row of `imbalances`), never an error
and never ignored. See docs/reconciliation.md for why we read 835 ourselves.
"""

from __future__ import annotations

import gc
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from claimbook.errors import X12Error
from claimbook.x12.tokens import Delimiters, detect_delimiters

CLAIM_STATUS = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded to another payer",
    "20": "processed as secondary, forwarded to another payer",
    "21": "processed as tertiary, forwarded to another payer",
    "22": "reversal of previous payment",
    "23": "not our claim, forwarded to another payer",
    "25": "predetermination pricing only, no payment",
}
FORWARDED = ("19", "20", "21", "23")
CAS_GROUPS = ("CO", "PR", "OA", "PI", "CR")
CAS_ELEMENTS = {i: f"CAS{i:02d}" for i in range(1, 22)}  # names for error messages

TRANSACTION_COLUMNS = [
    "txn_key", "file", "isa13", "gs06", "st02", "segment", "payer_name", "payer_id", "payer_key",
    "payee_name", "payee_npi", "handling", "paid_cents", "credit_debit", "method",
    "payment_date", "trace", "originator", "claims", "claim_paid_cents", "plb_cents", "balanced",
]
CLAIM_COLUMNS = [
    "claim_key", "txn_key", "segment", "remit_claim_id", "status", "charge_cents", "paid_cents",
    "patient_resp_cents", "filing", "payer_claim_number", "facility", "frequency", "member_id",
    "statement_from", "statement_to", "received", "coverage_cents", "remarks",
]
LINE_COLUMNS = [
    "line_key", "claim_key", "txn_key", "segment", "qualifier", "code", "modifiers",
    "original_code", "original_modifiers", "charge_cents", "paid_cents", "units",
    "original_units", "dos", "dos_to", "line_control", "allowed_cents", "remarks",
]
ADJ_COLUMNS = ["claim_key", "line_key", "txn_key", "segment", "group", "reason", "amount_cents",
               "quantity"]
PLB_COLUMNS = ["txn_key", "segment", "provider_id", "fiscal_period", "reason", "reference",
               "amount_cents"]
IMBALANCE_COLUMNS = ["txn_key", "claim_key", "line_key", "segment", "level", "expected_cents",
                     "found_cents", "message"]


@dataclass
class Era:
    """Parsed remittances: six tables (see the module docstring)."""

    transactions: pd.DataFrame
    claims: pd.DataFrame
    lines: pd.DataFrame
    adjustments: pd.DataFrame
    plb: pd.DataFrame
    imbalances: pd.DataFrame
    files: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.imbalances.empty


# X12 decimal (type R): optional minus, digits with an optional decimal point, at most 19
# characters (so 'inf', 'nan', '1e999', '1,000.00' and '+5' are refused, never overflow)
_DECIMAL = re.compile(r"-?(?=[0-9.]{1,19}$)(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


@lru_cache(maxsize=1 << 16)
def _cents(text: str) -> int:
    """Amount text to cents, remembered: a remittance repeats few distinct amounts.
    Raises ValueError when `text` is not an X12 decimal."""
    if _DECIMAL.fullmatch(text) is None:
        raise ValueError(text)
    return round(float(text) * 100)


def _resend(file: str, segment: int, element: str, text: str, expected: str) -> X12Error:
    return X12Error(f"{file}: segment {segment} ({element}) holds {text!r}, expected "
                    f"{expected}.", "Ask the payer or clearinghouse to resend the remittance.")


def cents(text: str, file: str = "", segment: int = 0, element: str = "") -> int:
    """'125.5' -> 12550; a bad amount raises X12Error naming file, segment and element."""
    if not text:
        return 0
    try:
        return _cents(text)
    except ValueError:
        raise _resend(file, segment, element, text, "an amount such as 125.00") from None


# amount text -> cents and SVC05 text -> units, filled only by values that parsed, so a bad
# value always goes through `cents` / `number` and gets its message
_CENTS: dict[str, int] = {}
_UNITS: dict[str, float] = {}


def _cached_cents(text: str, file: str, segment: int, element: str) -> int:
    if len(_CENTS) > 1 << 16:
        _CENTS.clear()
    v = _CENTS[text] = cents(text, file, segment, element)
    return v


def number(text: str, file: str, segment: int, element: str) -> float | None:
    """A quantity such as '1' or '2.5' (None when blank); a bad one raises X12Error."""
    if not text:
        return None
    if _DECIMAL.fullmatch(text) is None:
        raise _resend(file, segment, element, text, "a number such as 1")
    return float(text)


def _units(value: float | None) -> float:
    """SVC05 units: 1 when the payer left them blank (the implementation guide default)."""
    return 1.0 if value is None else value


@lru_cache(maxsize=1 << 14)
def _date(text: str) -> pd.Timestamp | None:
    """CCYYMMDD -> Timestamp (None when not a date), remembered: few distinct dates per file."""
    if len(text) == 8 and text.isdigit():
        try:
            return pd.Timestamp(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return None
    return None


def split_segments(text: str, file: str) -> tuple[list[str], Delimiters]:
    """The file's segments (blank ones dropped, so index + 1 is the segment number) and its
    delimiters; a text that does not start with a valid ISA raises X12Error naming the file."""
    start = text.find("ISA")
    if start < 0 or text[:start].strip():
        raise X12Error(f"{file}: not an X12 file (it does not begin with ISA).",
                       "Check that you picked the 835 remittance file.")
    try:
        d = detect_delimiters(text)
    except X12Error as exc:
        raise X12Error(f"{file}: {exc.message}", exc.fix) from None
    ss = d.segment
    body = text[start:]
    if ss not in "\r\n" and ("\n" in body or "\r" in body):
        body = body.replace("\r", "").replace("\n", "")  # line breaks after each ~
    segments = body.split(ss)
    if _BLANK_BETWEEN.get(ss, None) is None:
        _BLANK_BETWEEN[ss] = re.compile(re.escape(ss) + r"\s*" + re.escape(ss))
    if segments and segments[0] and not segments[0].isspace() \
            and _BLANK_BETWEEN[ss].search(body) is None:
        # no blank segment before the first or between two terminators: only the one after
        # the last terminator can be blank
        if len(segments) > 1 and (not segments[-1] or segments[-1].isspace()):
            segments.pop()
        return segments, d
    return [raw for raw in segments if raw and not raw.isspace()], d


_BLANK_BETWEEN: dict[str, re.Pattern] = {}  # segment terminator -> terminator, blanks, terminator


class _Reader:
    """Single pass over one file's segments, appending rows to shared lists."""

    def __init__(self, out: dict[str, list], keys: dict[str, int]):
        self.out = out
        self.keys = keys
        self._open_lines: list[list] = []  # lines of the current claim, balanced at its end

    def fail(self, n: int, sid: str, what: str) -> X12Error:
        return X12Error(f"{self.file}: segment {n} ({sid}) {what}.",
                        "The remittance does not follow the 835 implementation guide; ask the "
                        "payer or clearinghouse to resend it.")

    def read(self, text: str, file: str) -> None:
        self.file = file
        raw_segments, d = split_segments(text, file)
        es, cs = d.element, d.component
        txn = claim = line = None
        isa13 = gs06 = None
        st_start = isa_start = gs_start = sets = 0
        n = 0
        o = self.out
        k = self.keys
        ids: dict[str, str] = {}  # segment id as written -> as compared (' clp' -> 'CLP')
        cc = _CENTS
        adj_append = o["adj"].append
        for raw in raw_segments:
            n += 1
            el = raw.split(es)
            sid = ids.get(el[0])
            if sid is None:
                sid = ids[el[0]] = el[0].lstrip().upper()
            if sid == "CAS":
                if claim is None:
                    raise self.fail(n, sid, "comes before any CLP; expected CLP first")
                grp = el[1] if len(el) > 1 else ""
                if grp not in CAS_GROUPS:
                    raise self.fail(n, sid, f"has group code {grp!r}; expected CO, PR, OA, PI "
                                            "or CR")
                lk = line[0] if line is not None else -1
                if len(el) == 4 and el[2]:  # one reason/amount pair: the common case
                    amt = cc.get(el[3])
                    if amt is None:
                        amt = _cached_cents(el[3], file, n, "CAS03")
                    adj_append((claim[0], lk, txn["txn_key"], n, grp, el[2], amt, None))
                    if line is not None:
                        line[-1] += amt
                    claim[-1] += amt
                    continue
                amount_sum = 0
                for i in range(2, min(len(el), 20), 3):
                    reason = el[i]
                    if not reason:
                        continue
                    amt = cents(el[i + 1] if i + 1 < len(el) else "", file, n,
                                CAS_ELEMENTS[i + 1])
                    qty = el[i + 2] if i + 2 < len(el) else ""
                    adj_append((claim[0], lk, txn["txn_key"], n, grp, reason, amt,
                                     number(qty, file, n, CAS_ELEMENTS[i + 2]) if qty else None))
                    amount_sum += amt
                if line is not None:
                    line[-1] += amount_sum
                claim[-1] += amount_sum
            elif sid == "SVC":
                if claim is None:
                    raise self.fail(n, sid, "comes before any CLP; expected CLP first")
                line = self._svc(el, n, cs, claim[0], txn["txn_key"])
            elif sid == "CLP":
                if txn is None:
                    raise self.fail(n, sid, "comes before ST; expected ST*835 first")
                self._close_claim(claim, line)
                line = None
                claim = self._clp(el, n, txn)
            elif sid == "DTM":
                q = el[1] if len(el) > 1 else ""
                v = _date(el[2] if len(el) > 2 else "")
                if line is not None and q in ("472", "150"):
                    line[1][13] = v
                elif line is not None and q == "151":
                    line[1][14] = v
                elif claim is not None and line is None:
                    if q == "232":
                        claim[1][13] = v
                    elif q == "233":
                        claim[1][14] = v
                    elif q == "050":
                        claim[1][15] = v
                elif txn is not None and claim is None and q == "405":
                    txn.setdefault("production", v)
            elif sid == "REF":
                q = el[1] if len(el) > 1 else ""
                if line is not None and q == "6R":
                    line[1][15] = el[2] if len(el) > 2 else None
                elif txn is not None and claim is None and q == "2U" and not txn["payer_id"]:
                    txn["payer_id"] = el[2] if len(el) > 2 else ""
            elif sid == "AMT":
                q = el[1] if len(el) > 1 else ""
                if line is not None and q == "B6":
                    t = el[2] if len(el) > 2 else ""
                    v = cc.get(t)
                    line[1][16] = v if v is not None else _cached_cents(t, file, n, "AMT02")
                elif claim is not None and line is None and q == "AU":
                    claim[1][16] = cents(el[2] if len(el) > 2 else "", file, n, "AMT02")
            elif sid == "LQ":
                if line is not None and len(el) > 2 and el[2]:
                    line[1][17] = ",".join(filter(None, [line[1][17], el[2]]))
            elif sid == "NM1":
                q = el[1] if len(el) > 1 else ""
                if claim is not None and line is None and q in ("QC", "IL") \
                        and len(el) > 9 and el[8] in ("MI", "II", "34", "HN", "C") \
                        and (q == "IL" or not claim[1][12]):
                    claim[1][12] = el[9]  # the insured's id wins over the patient's
            elif sid in ("MOA", "MIA"):
                if claim is None:
                    raise self.fail(n, sid, "comes before any CLP; expected CLP first")
                idx = range(3, 8) if sid == "MOA" else (5, 20, 21, 22, 23)
                codes = [el[i] for i in idx if i < len(el) and el[i]]
                if codes:
                    claim[1][17] = ",".join(filter(None, [claim[1][17], *codes]))
            elif sid == "PLB":
                if txn is None:
                    raise self.fail(n, sid, "comes before ST; expected ST*835 first")
                self._close_claim(claim, line)
                claim = line = None
                self._plb(el, n, cs, txn)
            elif sid == "N1":
                if txn is not None and claim is None and len(el) > 2:
                    if el[1] == "PR":
                        txn["payer_name"] = el[2]
                        if len(el) > 4 and el[4]:
                            txn["payer_id"] = el[4]
                    elif el[1] == "PE":
                        txn["payee_name"] = el[2]
                        if len(el) > 4:
                            txn["payee_npi"] = el[4]
            elif sid == "BPR":
                if txn is None:
                    raise self.fail(n, sid, "comes before ST; expected ST*835 first")
                if len(el) < 5:
                    raise self.fail(n, sid, "has fewer than 4 elements; expected BPR01-BPR04")
                txn["handling"] = el[1]
                txn["paid_cents"] = cents(el[2], file, n, "BPR02")
                txn["credit_debit"] = el[3]
                txn["method"] = el[4]
                txn["payment_date"] = _date(el[16]) if len(el) > 16 else None
                txn["_bpr"] = True
            elif sid == "TRN":
                if txn is None:
                    raise self.fail(n, sid, "comes before ST; expected ST*835 first")
                if len(el) < 3 or not el[2]:
                    raise self.fail(n, sid, "has no TRN02; expected the check or EFT trace "
                                            "number")
                txn["trace"] = el[2]
                txn["originator"] = el[3] if len(el) > 3 else ""
            elif sid == "ST":
                if txn is not None:
                    raise self.fail(n, sid, f"starts a new transaction set while the one "
                                            f"started at segment {st_start} has no SE")
                if isa13 is None:
                    raise self.fail(n, sid, "comes before ISA/GS; expected ISA first")
                if len(el) < 3 or el[1] != "835":
                    raise self.fail(n, sid, f"is a {el[1] if len(el) > 1 else '?'} "
                                            "transaction; expected ST*835")
                st_start = n
                sets += 1
                k["txn"] += 1
                txn = {"txn_key": k["txn"], "file": file, "isa13": isa13, "gs06": gs06,
                       "st02": el[2], "segment": n, "payer_name": "", "payer_id": "",
                       "payee_name": "", "payee_npi": "", "handling": "", "paid_cents": 0,
                       "credit_debit": "", "method": "", "payment_date": None, "trace": "",
                       "originator": "", "claims": 0, "claim_paid_cents": 0, "plb_cents": 0}
            elif sid == "SE":
                if txn is None:
                    raise self.fail(n, sid, "closes no transaction set; expected ST before it")
                self._close_claim(claim, line)
                claim = line = None
                count = n - st_start + 1
                if len(el) < 2 or not el[1].strip():
                    raise self.fail(n, sid, f"has no SE01 segment count; expected {count} "
                                            f"(ST at segment {st_start})")
                if el[1].strip() != str(count):
                    raise self.fail(n, sid, f"counts {el[1]} segments; "
                                            f"expected {count} (ST at segment {st_start})")
                if len(el) < 3 or not el[2]:
                    raise self.fail(n, sid, f"has no SE02 control number; expected "
                                            f"{txn['st02']!r} as in ST02")
                if el[2] != txn["st02"]:
                    raise self.fail(n, sid, f"control number {el[2]!r} differs from ST02 "
                                            f"{txn['st02']!r}; expected them equal")
                if not txn.pop("_bpr", False):
                    raise self.fail(st_start, "ST", "transaction set has no BPR; expected BPR "
                                                    "right after ST")
                if not txn["trace"]:
                    raise self.fail(st_start, "ST", "transaction set has no TRN; expected TRN "
                                                    "after BPR")
                txn.pop("production", None)
                self._close_txn(txn, n)
                txn = None
            elif sid == "ISA":
                if len(el) < 17:
                    raise self.fail(n, sid, "has fewer than 16 elements; expected a full ISA")
                if isa13 is not None:
                    raise self.fail(n, sid, f"starts a new interchange while the one started "
                                            f"at segment {isa_start} has no IEA")
                isa13, isa_start = el[13], n
            elif sid == "GS":
                if isa13 is None:
                    raise self.fail(n, sid, "comes before ISA; expected ISA first")
                if gs_start:
                    raise self.fail(n, sid, f"starts a new functional group while the one "
                                            f"started at segment {gs_start} has no GE")
                if len(el) > 1 and el[1] != "HP":
                    raise self.fail(n, sid, f"is functional group {el[1]!r}; expected GS*HP "
                                            "(health care claim payment)")
                gs06, gs_start = (el[6] if len(el) > 6 else ""), n
            elif sid == "GE":
                if txn is not None:
                    raise self.fail(n, sid, f"closes the functional group while the "
                                            f"transaction set started at segment {st_start} "
                                            "has no SE")
                gs06, gs_start = None, 0
            elif sid == "IEA":
                if txn is not None:
                    raise self.fail(n, sid, f"ends the file while the transaction set started "
                                            f"at segment {st_start} has no SE")
                if gs_start:
                    raise self.fail(n, sid, f"closes the interchange while the functional "
                                            f"group started at segment {gs_start} has no GE")
                isa13 = None
        self._check_end(n, txn, st_start, isa13 is not None, sets)

    def _check_end(self, n: int, txn: dict | None, st_start: int, isa_open: bool,
                   sets: int) -> None:
        """The file must close what it opened and hold at least one transaction set."""
        file = self.file
        cut = "The file is cut short; ask the sender for the complete file."
        if n == 0:
            raise X12Error(f"{file}: the file is empty.", "Pick the 835 remittance file.")
        if txn is not None:
            raise X12Error(f"{file}: the file ends after segment {n} inside the transaction set "
                           f"started at segment {st_start}; expected SE, GE and IEA.", cut)
        if sets == 0:
            raise X12Error(f"{file}: the interchange holds no transaction set (no ST*835 "
                           "segment); expected ST*835 after GS.",
                           "Ask the payer or clearinghouse to resend the remittance; the file "
                           "carries no payment.")
        if isa_open:
            raise X12Error(f"{file}: the file ends after segment {n} before IEA: it may be cut "
                           "short; expected GE and IEA to close the interchange.", cut)

    def _clp(self, el: list[str], n: int, txn: dict) -> list:
        if len(el) < 5 or not el[1]:
            raise self.fail(n, "CLP", "has fewer than 4 elements; expected CLP01 claim id, "
                                      "CLP02 status, CLP03 charge, CLP04 paid")
        status = el[2]
        if status not in CLAIM_STATUS:
            raise self.fail(n, "CLP", f"has status {status!r}; expected one of "
                                      f"{', '.join(CLAIM_STATUS)}")
        f = self.file
        self.keys["claim"] += 1
        txn["claims"] += 1
        cc = _CENTS
        t = el[5] if len(el) > 5 else ""
        row = [self.keys["claim"], txn["txn_key"], n, el[1], status,
               cc.get(el[3]) if el[3] in cc else _cached_cents(el[3], f, n, "CLP03"),
               cc.get(el[4]) if el[4] in cc else _cached_cents(el[4], f, n, "CLP04"),
               cc.get(t) if t in cc else _cached_cents(t, f, n, "CLP05"),
               el[6] if len(el) > 6 else "", el[7] if len(el) > 7 else "",
               el[8] if len(el) > 8 else "", el[9] if len(el) > 9 else "",
               None, None, None, None, None, ""]
        txn["claim_paid_cents"] += row[6]
        self.out["claims"].append(row)
        return [row[0], row, 0, 0]  # key, row, line CAS total, claim+line CAS total

    def _svc(self, el: list[str], n: int, cs: str, claim_key: int, txn_key: int) -> list:
        if len(el) < 4 or not el[1]:
            raise self.fail(n, "SVC", "has fewer than 3 elements; expected SVC01 procedure, "
                                      "SVC02 charge, SVC03 paid")
        comp = el[1].split(cs)
        if len(comp) < 2:
            raise self.fail(n, "SVC", f"SVC01 is {el[1]!r}; expected qualifier:code such as "
                                      "HC:99213")
        ne = len(el)
        orig = el[6].split(cs) if ne > 6 and el[6] else []
        f = self.file
        cc = _CENTS
        nc = len(comp)
        charge = cc.get(el[2]) if el[2] in cc else _cached_cents(el[2], f, n, "SVC02")
        paid = cc.get(el[3]) if el[3] in cc else _cached_cents(el[3], f, n, "SVC03")
        if ne > 5:  # after SVC02/SVC03, so the first bad element is the one reported
            units = _UNITS.get(el[5])
            if units is None:
                units = _units(number(el[5], f, n, "SVC05"))
                if len(_UNITS) > 1 << 12:
                    _UNITS.clear()
                _UNITS[el[5]] = units
        else:
            units = 1.0
        self.keys["line"] += 1
        row = [self.keys["line"], claim_key, txn_key, n, comp[0], comp[1].upper(),
               "" if nc == 2 else comp[2] if nc == 3 else ":".join(m for m in comp[2:6] if m),
               orig[1].upper() if len(orig) > 1 else None,
               ":".join(m for m in orig[2:6] if m) if orig else None,
               charge, paid, units,
               number(el[7], f, n, "SVC07") if len(el) > 7 else None,
               None, None, None, None, ""]
        self.out["lines"].append(row)
        line = [row[0], row, 0]  # key, row, CAS total
        self._open_lines.append(line)
        return line

    def _close_line(self, line: list | None) -> None:
        if line is None:
            return
        row = line[1]
        if row[9] - line[2] != row[10]:
            self.out["imb"].append((
                row[2], row[1], row[0], row[3], "line", row[10], row[9] - line[2],
                (f"{self.file}: service line at segment {row[3]} does not balance: charge "
                f"{row[9] / 100:.2f} minus adjustments {line[2] / 100:.2f} is "
                f"{(row[9] - line[2]) / 100:.2f} but the payer paid {row[10] / 100:.2f}")))

    def _close_claim(self, claim: list | None, line: list | None) -> None:
        if claim is None:
            return
        # line CAS totals were accumulated in line[-1]; close every line of this claim
        for ln in self._open_lines:
            r = ln[1]
            if r[9] - ln[2] != r[10]:  # else balanced: nothing to record
                self._close_line(ln)
        self._open_lines.clear()
        row = claim[1]
        if row[5] - claim[-1] != row[6]:
            self.out["imb"].append((
                row[1], row[0], -1, row[2], "claim", row[6], row[5] - claim[-1],
                (f"{self.file}: claim {row[3]} at segment {row[2]} does not balance: charge "
                f"{row[5] / 100:.2f} minus adjustments {claim[-1] / 100:.2f} is "
                f"{(row[5] - claim[-1]) / 100:.2f} but the payer paid {row[6] / 100:.2f}")))

    def _plb(self, el: list[str], n: int, cs: str, txn: dict) -> None:
        if len(el) < 5:
            raise self.fail(n, "PLB", "has fewer than 4 elements; expected provider id, "
                                      "fiscal period and a reason/amount pair")
        fiscal = _date(el[2])
        for i in range(3, min(len(el), 15), 2):
            if not el[i]:
                continue
            comp = el[i].split(cs)
            amt = cents(el[i + 1] if i + 1 < len(el) else "", self.file, n, f"PLB{i + 1:02d}")
            self.out["plb"].append((txn["txn_key"], n, el[1], fiscal, comp[0],
                                    comp[1] if len(comp) > 1 else None, amt))
            txn["plb_cents"] += amt

    def _close_txn(self, txn: dict, n: int) -> None:
        expected = txn["claim_paid_cents"] - txn["plb_cents"]
        txn["balanced"] = expected == txn["paid_cents"]
        if not txn["balanced"]:
            self.out["imb"].append((
                txn["txn_key"], -1, -1, txn["segment"], "transaction", txn["paid_cents"],
                expected,
                (f"{self.file}: remittance {txn['trace']} (ST at segment {txn['segment']}) does "
                f"not balance: claims paid {txn['claim_paid_cents'] / 100:.2f} minus provider "
                f"adjustments {txn['plb_cents'] / 100:.2f} is {expected / 100:.2f} but BPR02 "
                f"says {txn['paid_cents'] / 100:.2f}")))
        txn["payer_key"] = (txn["payer_id"] or txn["originator"] or txn["payer_name"]).upper()
        self.out["txn"].append(txn)


def parse_texts(items: list[tuple[str, str]]) -> Era:
    """Parse (file name, text) pairs into one Era."""
    out: dict[str, list] = {"txn": [], "claims": [], "lines": [], "adj": [], "plb": [],
                            "imb": []}
    keys = {"txn": 0, "claim": 0, "line": 0}
    reader = _Reader(out, keys)
    collecting = gc.isenabled()
    gc.disable()  # millions of small lists: the cyclic collector would rescan them repeatedly
    try:
        for name, text in items:
            reader.read(text, name)
        return _frames(out, [name for name, _ in items])
    finally:
        if collecting:
            gc.enable()


def parse_text(text: str, file: str = "<text>") -> Era:
    return parse_texts([(file, text)])


def read_files(paths: list[str | os.PathLike]) -> Era:
    """Parse 835 files; a missing or unreadable file raises X12Error naming it."""
    items = []
    for p in paths:
        path = Path(p)
        try:
            text = path.read_text(encoding="latin-1")
        except OSError as exc:
            raise X12Error(f"{path.name}: cannot be read ({exc.strerror}).",
                           "Check the file name and that the file is not open elsewhere.") \
                from None
        items.append((path.name, text))
    return parse_texts(items)


def _frames(out: dict[str, list], files: list[str]) -> Era:
    txn = pd.DataFrame(out["txn"], columns=TRANSACTION_COLUMNS)
    claims = pd.DataFrame(out["claims"], columns=CLAIM_COLUMNS)
    lines = pd.DataFrame(out["lines"], columns=LINE_COLUMNS)
    adj = pd.DataFrame(out["adj"], columns=ADJ_COLUMNS)
    plb = pd.DataFrame(out["plb"], columns=PLB_COLUMNS)
    imb = pd.DataFrame(out["imb"], columns=IMBALANCE_COLUMNS)
    for frame, cols in ((claims, ["charge_cents", "paid_cents", "patient_resp_cents"]),
                        (lines, ["charge_cents", "paid_cents"]),
                        (adj, ["amount_cents"]), (plb, ["amount_cents"])):
        for c in cols:
            frame[c] = frame[c].astype("int64")
    for frame, cols in ((claims, ["statement_from", "statement_to", "received"]),
                        (lines, ["dos", "dos_to"]), (plb, ["fiscal_period"]),
                        (txn, ["payment_date"])):
        for c in cols:
            frame[c] = pd.to_datetime(frame[c])
    claims["coverage_cents"] = claims["coverage_cents"].astype("Int64")
    lines["allowed_cents"] = lines["allowed_cents"].astype("Int64")
    return Era(txn, claims, lines, adj, plb, imb, files)
