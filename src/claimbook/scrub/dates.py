"""Dates: DOS in the future, after the submission date, reversed, far from the claim's other
lines, before the patient's birth; timely filing against the payer's limit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.rules import scrub as R
from claimbook.scrub.coverage import CoverageMatch, match
from claimbook.scrub.data import MEDICARE, NAT, SELF_PAY, ScrubData, day_numbers, day_text, isin
from claimbook.scrub.emit import claim_findings, line_findings

SPAN_DAYS = 30  # a line more than this many days from the claim's other lines is flagged
TF_WARN_DAYS = 30  # timely filing: warn when this many days or fewer are left


def check(sd: ScrubData) -> list[pd.DataFrame]:
    return [*line_dates(sd), span(sd), before_birth(sd), timely_filing(sd)]


def line_dates(sd: ScrubData) -> list[pd.DataFrame]:
    L = sd.lines
    today = int(day_numbers(np.array([sd.as_of.to_datetime64()]))[0])
    asof = sd.as_of.strftime("%Y-%m-%d")
    dos, raw_to = sd.dos, day_numbers(L["dos_to"])
    has_to = raw_to != NAT
    col_from, col_to = sd.letters.get("dos_from", ""), sd.letters.get("dos_to", "")
    col_sub = sd.letters.get("submitted_on", "")
    out = []
    fut_from = (dos != NAT) & (dos > today)
    out.append(line_findings(
        sd, fut_from, R.DATE_FUTURE, "dos_from",
        f"Claim {{claim_id}} line {{line_no}}: DOS {{value}} (sheet '{sd.sheet}' cell "
        f"{col_from}{{_row}}) is after the as-of date {asof}."))
    out.append(line_findings(
        sd, ~fut_from & has_to & (raw_to > today), R.DATE_FUTURE, "dos_to",
        f"Claim {{claim_id}} line {{line_no}}: DOS to {{value}} (sheet '{sd.sheet}' cell "
        f"{col_to}{{_row}}) is after the as-of date {asof}."))
    sub = day_numbers(L["submitted_on"])
    last = np.maximum(dos, np.where(has_to, raw_to, dos))
    out.append(line_findings(
        sd, (sub != NAT) & (dos != NAT) & (last > sub), R.DATE_AFTER_SUBMIT, "submitted_on",
        f"Claim {{claim_id}} line {{line_no}}: submitted on {{value}} (sheet '{sd.sheet}' cell "
        f"{col_sub}{{_row}}) but the service is dated {{dos}}.",
        dos=lambda i: day_text(last[i])))
    out.append(line_findings(
        sd, has_to & (dos != NAT) & (raw_to < dos), R.DATE_RANGE, "dos_to",
        f"Claim {{claim_id}} line {{line_no}}: DOS to {{value}} (cell {col_to}{{_row}}) is "
        f"before DOS from {{dos}} (cell {col_from}{{_row}}) in sheet '{sd.sheet}'.",
        dos=lambda i: day_text(dos[i])))
    return out


def _leave_one_out(g: np.ndarray, v: np.ndarray, largest: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per element: the min (max) of the other elements of its group; group sizes."""
    n = len(g)
    key = -v if largest else v
    order = np.lexsort((key, g))
    gs = g[order]
    start = np.r_[True, gs[1:] != gs[:-1]] if n else np.zeros(0, bool)
    starts = np.flatnonzero(start)
    size_sorted = np.diff(np.r_[starts, n])
    grp = np.cumsum(start) - 1
    best = v[order][starts]
    second = np.where(size_sorted >= 2, v[order][np.minimum(starts + 1, n - 1)], best)
    is_best = np.zeros(n, bool)
    is_best[order[starts]] = True
    gi = np.empty(n, np.int64)
    gi[order] = grp
    other = np.where(is_best, second[gi], best[gi])
    return other, size_sorted[gi]


def span(sd: ScrubData) -> pd.DataFrame:
    ok = sd.dos != NAT
    flag = np.zeros(len(sd.dos), bool)
    if ok.any():  # only claims whose lines spread over more than SPAN_DAYS can be flagged
        k = len(sd.claims)
        end = np.maximum(sd.dos_to, sd.dos)
        big, small = np.iinfo(np.int64).max, np.iinfo(np.int64).min
        lo_c = pd.Series(np.where(ok, sd.dos, big)).groupby(sd.cc).min().to_numpy()
        hi_c = pd.Series(np.where(ok, end, small)).groupby(sd.cc).max().to_numpy()
        del k
        ok &= (hi_c - lo_c > SPAN_DAYS)[sd.cc]
    valid = np.flatnonzero(ok)
    lo_all = np.full(len(sd.dos), NAT)
    hi_all = np.full(len(sd.dos), NAT)
    if len(valid):
        g = sd.cc[valid]
        d, e = sd.dos[valid], np.maximum(sd.dos_to[valid], sd.dos[valid])
        lo, size = _leave_one_out(g, d, largest=False)
        hi, _ = _leave_one_out(g, e, largest=True)
        gap = np.maximum(np.maximum(lo - e, d - hi), 0)
        f = (size >= 2) & (gap > SPAN_DAYS)
        # two lines far apart: the claim's first line sets its date, the other is flagged
        first_line = valid == sd.claims["first"].to_numpy()[g]
        f &= ~((size == 2) & first_line)
        flag[valid] = f
        lo_all[valid], hi_all[valid] = lo, hi
    col = sd.letters.get("dos_from", "")
    return line_findings(
        sd, flag, R.DATE_SPAN, "dos_from",
        f"Claim {{claim_id}} line {{line_no}}: DOS {{value}} (sheet '{sd.sheet}' cell "
        f"{col}{{_row}}) is more than {SPAN_DAYS} days from the claim's other lines "
        "({lo} to {hi}).", lo=lambda i: day_text(lo_all[i]), hi=lambda i: day_text(hi_all[i]))


def before_birth(sd: ScrubData) -> pd.DataFrame:
    dob_c = day_numbers(sd.patients["dob"])
    dob = dob_c[sd.cc] if len(sd.cc) else np.zeros(0, np.int64)
    flag = (sd.dos != NAT) & (dob != NAT) & (sd.dos < dob)
    col = sd.letters.get("dos_from", "")
    prow = sd.patients["_row"].to_numpy()[sd.cc] if len(sd.cc) else np.zeros(0)
    return line_findings(
        sd, flag, R.DATE_BEFORE_BIRTH, "dos_from",
        f"Claim {{claim_id}} line {{line_no}}: DOS {{value}} (sheet '{sd.sheet}' cell "
        f"{col}{{_row}}) is before the patient's date of birth {{dob}} (sheet "
        f"'{sd.book.sheet('Patients')}' row {{prow}}).",
        dob=lambda i: day_text(dob[i]), prow=prow)


def filing_limits(sd: ScrubData) -> np.ndarray:
    """Days each claim's payer allows from DOS: Payers column, else the Practice defaults."""
    p, pr = sd.payers, sd.book.practice
    own = pd.to_numeric(p["timely_filing_days"], errors="coerce").to_numpy(dtype=float)
    filing = p["filing_indicator"].to_numpy(dtype=object, na_value=None)
    default = np.where(isin(filing, MEDICARE),
                       pr.medicare_timely_filing_days, pr.timely_filing_days)
    return np.where(np.isnan(own), default, own).astype(np.int64)


def timely_filing(sd: ScrubData) -> pd.DataFrame:
    c = sd.claims
    cm: CoverageMatch = sd.state.get("coverage") or match(sd)
    sd.state["coverage"] = cm
    today = int(day_numbers(np.array([sd.as_of.to_datetime64()]))[0])
    limit = filing_limits(sd)
    filing = sd.payers["filing_indicator"].to_numpy(dtype=object, na_value=None)
    # a secondary claim's clock starts at the primary's remittance; unknown -> not checked
    start = np.where(cm.secondary, cm.adjudicated_on, c["dos"].to_numpy())
    check = (~c["sent"].to_numpy() & ~isin(c["frequency"].to_numpy(dtype=object), ["7", "8"])
             & (filing != SELF_PAY) & (start != NAT))
    deadline = np.where(check, start + limit, NAT)
    left = deadline - today
    passed = check & (left < 0)
    near = check & (left >= 0) & (left <= TF_WARN_DAYS)
    rows = sd.lines["_row"].to_numpy()[np.maximum(c["earliest"].to_numpy(), 0)] if len(c) else \
        np.zeros(0)
    col = sd.letters.get("dos_from", "")
    def basis(i: np.ndarray) -> list[str]:
        return ["the primary's remittance of" if s else "DOS" for s in cm.secondary[i]]

    common = {"value": lambda i: day_text(c["dos"].to_numpy()[i]), "rows": rows,
                  "limit": limit, "deadline": lambda i: day_text(deadline[i]),
                  "start": lambda i: day_text(start[i]), "basis": basis,
                  "payer": c["payer_id"].to_numpy(dtype=object)}
    asof = sd.as_of.strftime("%Y-%m-%d")
    return F.concat([
        claim_findings(
            sd, near, R.TF_NEAR, "dos_from",
            f"Claim {{claim_id}} (DOS in sheet '{sd.sheet}' cell {col}{{_row}}) must reach "
            f"payer {{payer}} by {{deadline}} ({{limit}} days from {{basis}} {{start}}): "
            f"{{left}} days left as of {asof}.", left=left, **common),
        claim_findings(
            sd, passed, R.TF_PASSED, "dos_from",
            f"Claim {{claim_id}} (DOS in sheet '{sd.sheet}' cell {col}{{_row}}): payer "
            f"{{payer}}'s filing limit of {{limit}} days from {{basis}} {{start}} ended on "
            f"{{deadline}}, {{late}} days before the as-of date {asof}.", late=-left, **common),
    ])
