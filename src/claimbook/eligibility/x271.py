"""Read X12 271 eligibility responses (005010X279A1) into one row per subscriber/dependent.

Per 2000C (subscriber) or 2000D (dependent) loop: the trace echoed from our 270 (TRN02), the
member id (2100C NM109), the person's name, the payer (2100A), whether coverage is active
(EB01 1-5 active, 6-8 inactive), plan dates (DTP 346/347 begin/end, 291/307 ranges), the
office-visit copay (EB01 B), the deductible and what is left of it (EB01 C; EB06 29 =
remaining), coinsurance (EB01 A, EB08 0.2 = 20 %) and rejections (AAA). In-network (EB12 Y)
or unspecified benefits are preferred over out-of-network ones; among service types, 98
(professional office visit) is preferred over 30 (plan coverage) and the rest.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from claimbook.errors import X12Error
from claimbook.x12.tokens import segments

COLUMNS = ["trace", "member_id", "level", "last_name", "first_name", "payer_name",
           "payer_id", "active", "plan_begin", "plan_end", "copay", "deductible",
           "deductible_left", "coinsurance_pct", "rejection", "file", "segment"]
ACTIVE = {"1", "2", "3", "4", "5"}
INACTIVE = {"6", "7", "8"}
AAA_REASONS = {
    "15": "required application data missing", "41": "authorization/access restrictions",
    "42": "unable to respond now", "43": "invalid provider id", "58": "invalid date of birth",
    "64": "invalid patient id", "65": "invalid patient name", "67": "patient not found",
    "72": "invalid member id", "73": "invalid subscriber name", "75": "subscriber not found",
    "76": "duplicate member id", "79": "invalid participant identification",
}


def _d8(value: str) -> pd.Timestamp:
    return pd.to_datetime(value, format="%Y%m%d", errors="coerce")


def _num(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _rank(service: list[str], network: str) -> int:
    """Lower is better: in-network first, office visit (98) before plan coverage (30)."""
    net = 0 if network in ("Y", "W", "") else 10
    if "98" in service:
        return net
    if "30" in service or not service:
        return net + 1
    return net + 2


def parse(text: str, file: str = "") -> pd.DataFrame:
    """All subscriber/dependent responses of one 271 interchange."""
    segs, d = segments(text)
    rows: list[dict] = []
    payer_name = payer_id = ""
    level = ""
    cur: dict | None = None
    sub_member = ""
    best: dict[str, int] = {}
    dtp_ctx = "2100"  # DTPs before the first EB are the person's; after, the benefit's
    st_version = ""

    def close() -> None:
        nonlocal cur
        if cur is not None:
            rows.append(cur)
        cur = None

    for s in segs:
        sid = s.id
        if sid == "ST":
            st_version = s.get(3)
            if s.get(1) != "271":
                raise X12Error(f"Segment {s.index} is ST*{s.get(1)}: this is not a 271 "
                               "eligibility response.", "Pass 271 response files only.")
        elif sid == "HL":
            close()
            level = s.get(3)
            if level in ("22", "23"):
                cur = {c: None for c in COLUMNS}
                cur.update(level="subscriber" if level == "22" else "dependent",
                           payer_name=payer_name, payer_id=payer_id, file=file,
                           segment=s.index, member_id=sub_member if level == "23" else None)
                best = {}
                dtp_ctx = "2100"
        elif sid == "NM1" and level == "20":
            payer_name, payer_id = s.get(3), s.get(9)
        elif cur is not None:
            if sid == "TRN" and cur["trace"] is None and s.get(1) in ("1", "2"):
                cur["trace"] = s.get(2)
            elif sid == "NM1" and s.get(1) in ("IL", "03"):
                cur["last_name"], cur["first_name"] = s.get(3), s.get(4)
                if s.get(1) == "IL" and s.get(9):
                    cur["member_id"] = s.get(9)
                    sub_member = s.get(9)
            elif sid == "AAA":
                code = s.get(3)
                cur["rejection"] = f"{code} {AAA_REASONS.get(code, 'rejected')}".strip()
            elif sid == "DTP" and dtp_ctx == "2100":
                _dates(cur, s.get(1), s.get(2), s.get(3))
            elif sid == "EB":
                dtp_ctx = "2110"
                _benefit(cur, s, d.component, d.repetition, best)
    close()
    out = pd.DataFrame(rows, columns=COLUMNS)
    if st_version and st_version != "005010X279A1":
        raise X12Error(f"The 271 is version {st_version}; ClaimBook reads 005010X279A1.",
                       "Ask the clearinghouse for 5010 (005010X279A1) responses.")
    for c in ("plan_begin", "plan_end"):
        out[c] = pd.to_datetime(out[c])
    return out


def _dates(cur: dict, qual: str, fmt: str, value: str) -> None:
    if fmt == "RD8" and "-" in value:
        a, b = value.split("-", 1)
        if qual in ("291", "307", "346"):
            cur["plan_begin"], cur["plan_end"] = _d8(a), _d8(b)
    elif qual == "346":
        cur["plan_begin"] = _d8(value)
    elif qual == "347":
        cur["plan_end"] = _d8(value)
    elif qual in ("291", "307") and cur["plan_begin"] is None:
        cur["plan_begin"] = _d8(value)


def _benefit(cur: dict, s, comp: str, rep: str, best: dict[str, int]) -> None:
    code = s.get(1)
    service = [x for x in s.get(3).split(rep) if x]
    network = s.get(12)
    if code in ACTIVE:
        cur["active"] = True
        return
    if code in INACTIVE:
        if cur["active"] is None:
            cur["active"] = False
        return
    rank = _rank(service, network) + (5 if s.get(2) == "FAM" else 0)
    if code == "B" and _num(s.get(7)) is not None:
        if rank < best.get("copay", 99):
            best["copay"] = rank
            cur["copay"] = _num(s.get(7))
    elif code == "C" and _num(s.get(7)) is not None:
        key = "deductible_left" if s.get(6) == "29" else "deductible"
        if rank < best.get(key, 99):
            best[key] = rank
            cur[key] = _num(s.get(7))
    elif code == "A" and _num(s.get(8)) is not None:
        if rank < best.get("coins", 99):
            best["coins"] = rank
            cur["coinsurance_pct"] = round(_num(s.get(8)) * 100, 4)


def read_files(paths: list[str | Path]) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Responses of every readable file, and (file, message) for the unreadable ones."""
    frames, errors = [], []
    for p in paths:
        p = Path(p)
        try:
            frames.append(parse(p.read_text(encoding="latin-1"), p.name))
        except X12Error as exc:
            errors.append((p.name, str(exc)))
        except OSError as exc:
            errors.append((p.name, f"cannot be read ({exc.strerror})."))
    frames = [f for f in frames if len(f)]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    return out, errors
