"""The 837P 005010X222A1 writer: a pure function from prepared claim tables to X12 text.

Input (built by `claimbook.batches.prepare`, documented in docs/x12-837p.md):

- `claims`: one row per claim, in output order, with the claim's resolved data (claim id,
  place of service, frequency, payer, subscriber, patient, providers, dx1..dx12).
- `lines`: one row per service line, sorted by `claim_pos` (row number in `claims`) then line
  number, with code, modifiers, charge, units, dates, pointers, NDC and the line item control
  number (REF*6R).
- `others`: other payers of each claim (2320/2330A/2330B loops), with `claim_pos`.

Every segment is built column-wise over numpy object arrays (one string operation per column
for all claims), then the per-claim pieces are joined once. `render_837_files` renders the
claims of several files (contiguous row ranges, each with its own control numbers) in one
pass, so columns are cleaned once for a whole batch run. CLM02 is always the sum of the
claim's SV102 amounts because both come from the same integer cents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise, repeat

import numpy as np
import pandas as pd

from claimbook.book import PracticeSettings
from claimbook.x12 import envelope as E

S = E.DELIMS.segment  # "~"
C = E.DELIMS.component  # ":"

RELATIONSHIP_CODE = {"self": "18", "spouse": "01", "child": "19", "other": "G8"}
PRIORITY_CODE = {"primary": "P", "secondary": "S", "tertiary": "T"}

CLAIM_COLUMNS = [
    "claim_id", "pos", "frequency", "original_claim_number", "prior_auth",
    "payer_id", "payer_name", "payer_address", "payer_city", "payer_state", "payer_zip",
    "filing_indicator", "priority", "relationship", "group_number", "member_id",
    "sub_last", "sub_first", "sub_dob", "sub_sex",
    "pat_last", "pat_first", "pat_dob", "pat_sex", "pat_address", "pat_city", "pat_state",
    "pat_zip",
    "rendering_npi", "rendering_last", "rendering_first", "rendering_taxonomy",
    "referring_npi", "referring_last", "referring_first",
    *[f"dx{i}" for i in range(1, 13)],
]
LINE_COLUMNS = ["claim_pos", "code", "mod1", "mod2", "mod3", "mod4", "charge_cents", "units",
                "pos", "dos_from", "dos_to", "pointers", "ndc", "ndc_units", "ndc_unit",
                "line_control"]
# optional line columns: rendering_npi, rendering_last, rendering_first, rendering_taxonomy
# (2420A, written when the line's rendering NPI differs from the claim's)
OTHER_COLUMNS = ["claim_pos", "priority", "relationship", "group_number", "filing_indicator",
                 "member_id", "sub_last", "sub_first", "payer_id", "payer_name"]


# optional `others` columns (the prior payer's remittance, see `Cob`): cob_ref (-1 none),
# paid_cents (AMT*D), claim_paid_on (2330B DTP*573, when no line carries a 2430)
COB_LINE_COLUMNS = ["line_ref", "payer_id", "paid_cents", "code", "modifiers", "units",
                    "paid_on"]
COB_CAS_COLUMNS = ["level", "ref", "group", "reason", "amount_cents", "quantity"]


@dataclass
class Cob:
    """Prior payers' adjudication of secondary claims, from the posted remittances.

    `lines` (COB_LINE_COLUMNS): one 2430 per row, on the line whose `cob_line` column equals
    `line_ref`. `cas` (COB_CAS_COLUMNS): adjustments, `level` "claim" (2320 CAS of the
    `others` row whose `cob_ref` is `ref`) or "line" (2430 CAS of the `line_ref` `ref`).
    """

    lines: pd.DataFrame
    cas: pd.DataFrame


@dataclass(frozen=True)
class Controls:
    """Control numbers of one interchange: ISA13, GS06 and one ST02 (= BHT03) per ST."""

    isa13: int
    gs06: int
    st02: list[int]


def transaction_sets_needed(n_claims: int, max_claims_per_st: int) -> int:
    return max(1, -(-n_claims // max(1, max_claims_per_st)))


_NON_DIGIT = re.compile(r"\D")
# The X12 basic character set the cleaned data keeps to (defined once, in envelope.BASIC).
_DROP_BASIC = str.maketrans("", "", E.BASIC + "\n")
# Anything in the "\n"-joined, upper-cased distinct values that `E.clean_text` would change:
# a character outside the basic set, a double space, or a space next to a value boundary.
_DIRTY = re.compile(rf"[^{re.escape(E.BASIC)}\n]|  | \n|\n |\A | \Z")


def _obj(values) -> np.ndarray:
    """A column as an object array (factorizing one is faster than a str-dtype Series)."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=object)
    return np.asarray(values, dtype=object)


def _text_of(values: pd.Series) -> np.ndarray:
    """A column the envelope helpers already made text (d8, amounts, quantities) as an
    object array."""
    return values.to_numpy(dtype=object)


def _d8(values) -> np.ndarray:
    """Dates as CCYYMMDD ("" when missing): `E.d8`, with the distinct days formatted by numpy
    arithmetic instead of one strftime each (birth dates are many)."""
    v = pd.Series(pd.to_datetime(values))
    if not (pd.api.types.is_datetime64_dtype(v.dtype) and v.dt.tz is None):
        return E.d8(values).to_numpy(dtype=object)
    codes, days = pd.factorize(v.to_numpy(dtype="datetime64[D]"), use_na_sentinel=True)
    days = np.asarray(days, dtype="datetime64[D]")
    months = days.astype("datetime64[M]")
    ymd = ((months.astype("datetime64[Y]").astype("int64") + 1970) * 10000
           + (months.astype("int64") % 12 + 1) * 100 + (days - months).astype("int64") + 1)
    mapped = np.append(ymd.astype(str).astype(object), "")
    return mapped[codes]


def _digits(values) -> np.ndarray:
    """Only the digits of each value ("" when missing): `E.digits` as an object array."""
    return E.map_unique(_obj(values), lambda v: _NON_DIGIT.sub("", str(v)))


def _o(values) -> np.ndarray:
    """A column as an object array of strings ("" for missing)."""
    a = _obj(values)
    try:
        "".join(a)  # all text (the usual case: nothing to convert)
    except TypeError:
        return E.map_unique(a, str)
    return a.copy()


def _clean_distinct(uniq: list, max_len: int) -> list[str]:
    """`E.clean_text` of each distinct value. Plain ASCII values that are already clean
    once upper-cased (the usual case) are taken from one `upper()` of all values joined;
    only the others go through `E.clean_text`."""
    n = len(uniq)
    try:
        joined = "\n".join(uniq)
    except TypeError:  # not all text
        return [E.clean_text(v, max_len) for v in uniq]
    if not joined.isascii() or joined.count("\n") != n - 1:
        return [E.clean_text(v, max_len) for v in uniq]
    upper = joined.upper()  # ASCII: same length, so value boundaries stay where they were
    out = upper.split("\n")
    if _all_clean(upper) and (n == 0 or max(map(len, out)) <= max_len):
        return out
    at = [m.start() for m in _DIRTY.finditer(upper)]
    lens = np.fromiter(map(len, out), dtype="int64", count=n)
    starts = np.concatenate([[0], np.cumsum(lens + 1)[:-1]])
    dirty = lens > max_len
    if at:
        i = np.searchsorted(starts, np.asarray(at), side="right") - 1
        dirty[i] = True
        dirty[np.minimum(i + 1, n - 1)] = True  # "\n " flags the value after the boundary
    for i in np.flatnonzero(dirty).tolist():
        out[i] = E.clean_text(uniq[i], max_len)
    return out


def _all_clean(upper: str) -> bool:
    """No `_DIRTY` match in `upper` (the joined values), checked with fast string methods."""
    return (not upper.translate(_DROP_BASIC) and "  " not in upper and " \n" not in upper
            and "\n " not in upper and not upper.startswith(" ") and not upper.endswith(" "))


def _t(values, max_len: int) -> np.ndarray:
    """Cleaned X12 text column (upper case, basic set, cut to max_len): `E.clean_array`,
    cleaning the distinct values in bulk."""
    codes, uniq = pd.factorize(_obj(values), use_na_sentinel=True)
    mapped = np.empty(len(uniq) + 1, dtype=object)
    mapped[:-1] = _clean_distinct(uniq.tolist(), max_len)
    mapped[-1] = ""
    return mapped[codes]


def _opt(mask: np.ndarray, text: np.ndarray | str) -> np.ndarray | str:
    """`text` where mask, else "" (the scalar "" when no row is selected)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return ""
    return np.where(mask, text, "").astype(object)


def _when(mask: np.ndarray, *parts) -> np.ndarray | str:
    """The row-wise concatenation of `parts` where mask, else "" (not built when no row is
    selected)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return ""
    return _opt(mask, _cat(*parts))


def _nonblank(a: np.ndarray | str) -> np.ndarray | bool:
    return a != ""


def _hi_element(values, qualifier: str) -> np.ndarray:
    """One HI element per claim ("*ABF:" and the code without its dot, cleaned), "" when the
    diagnosis is blank."""
    def element(v: object) -> str:
        code = E.clean_text(str(v).replace(".", ""), 8)
        return f"*{qualifier}:{code}" if code else ""
    return E.map_unique(_obj(values), element)


def _group_join(pos: np.ndarray, parts: np.ndarray, n: int) -> list[str]:
    """Concatenate `parts` per group id in `pos` (sorted ascending) into n strings."""
    if len(parts) == 0:
        return [""] * n
    bounds = np.searchsorted(pos, np.arange(n + 1), side="left").tolist()
    items, join = parts.tolist(), "".join  # slicing a list is cheaper than an array
    return [join(items[a:b]) for a, b in pairwise(bounds)]


def _cat(*parts) -> np.ndarray:
    """Row-wise concatenation of string columns (object arrays) and scalars, one join per row.
    Adjacent scalars are merged first, so each row's join has few pieces."""
    n = next(len(p) for p in parts if isinstance(p, np.ndarray))
    merged: list = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        elif not (isinstance(p, str) and p == ""):
            merged.append(p)
    out = np.empty(n, dtype=object)
    if not any(isinstance(p, np.ndarray) for p in merged):
        out[:] = "".join(merged)
        return out
    cols = [p if isinstance(p, np.ndarray) else repeat(p, n) for p in merged]
    out[:] = list(map("".join, zip(*cols)))
    return out


def _nm1_parts(code: str, last: np.ndarray, first: np.ndarray, qual: str,
               ident: np.ndarray) -> list:
    """NM1 for a person, or an organisation when the first name is blank."""
    entity = np.where(_nonblank(first), "*1*", "*2*").astype(object)
    return ["NM1*", code, entity, last, "*", first, "****", qual, "*", ident, S]


def _n3n4_parts(address, city, state, zip_) -> list:
    return ["N3*", address, S, "N4*", city, "*", state, "*", zip_, S]


def _dates(dos_from: pd.Series, dos_to: pd.Series) -> np.ndarray:
    """DTP03 of each line: D8*from, or RD8*from-to when the line spans several days."""
    f = _d8(dos_from)
    t = _d8(dos_to)
    span = _nonblank(t) & (t != f)
    out = _cat("D8*", f)
    if span.any():
        out[span] = _cat("RD8*", f[span], "-", t[span])
    return out


def _line_blocks(lines: pd.DataFrame, claim_pos_of_line: np.ndarray, claim_pos_pos: np.ndarray,
                 claim_rnd: np.ndarray) -> np.ndarray:
    """2400 loops (LX, SV1, DTP*472, REF*6R, LIN/CTP), one string per line."""
    lx = _o(lines.groupby(claim_pos_of_line, sort=False).cumcount().to_numpy() + 1)
    mods = []
    for k in range(1, 5):
        m = _t(lines[f"mod{k}"], 2)
        mods.append(_when(_nonblank(m), ":", m))
    charge = _text_of(E.amounts(lines["charge_cents"].to_numpy()))
    units = _text_of(E.quantities(lines["units"].fillna(1).to_numpy()))
    lpos = _t(lines["pos"], 2)
    pos_el = _opt(_nonblank(lpos) & (lpos != claim_pos_pos), lpos)
    ptr = E.map_unique(_obj(lines["pointers"]),
                       lambda v: C.join(p for p in re.split(r"[\s,]+", str(v)) if p))
    lic = _o(lines["line_control"])  # digits from the ledger counter
    ref = _when(_nonblank(lic), "REF*6R*", lic, S)
    ndc = _digits(lines["ndc"])
    has_ndc = ndc != ""
    lin = ""
    if has_ndc.any():
        nq = _text_of(E.quantities(lines["ndc_units"].fillna(1).to_numpy()))
        nu = _t(lines["ndc_unit"], 2)
        nu = np.where(_nonblank(nu), nu, "UN").astype(object)
        lin = _when(has_ndc, "LIN**N4*", ndc, S, "CTP****", nq, "*", nu, S)
    rnd = ""
    if "rendering_npi" in lines.columns:
        npi = _digits(lines["rendering_npi"])
        other = _nonblank(npi) & (npi != claim_rnd)
        if other.any():
            tax = _t(lines["rendering_taxonomy"], 10)
            rnd = _when(other, *_nm1_parts("82", _t(lines["rendering_last"], 60),
                                           _t(lines["rendering_first"], 35), "XX", npi),
                        _when(_nonblank(tax), "PRV*PE*PXC*", tax, S))
    return _cat("LX*", lx, S, "SV1*HC:", _t(lines["code"], 48), *mods, "*", charge, "*UN*",
                units, "*", pos_el, "**", ptr, S,
                "DTP*472*", _dates(lines["dos_from"], lines["dos_to"]), S, ref, lin, rnd)


def _cas_segments(cas: pd.DataFrame, level: str) -> dict[int, str]:
    """CAS segments per `ref` of one level: one per group code (first-seen order) with up to
    six (reason, amount, quantity) triplets each, at most five per loop."""
    c = cas[cas["level"].eq(level)]
    if c.empty:
        return {}
    amounts = E.amounts(c["amount_cents"].to_numpy(dtype="int64")).tolist()
    qty = E.quantities(c["quantity"].fillna(0).to_numpy()).where(c["quantity"].notna().to_numpy(),
                                                                 "").tolist()
    per: dict[int, dict[str, list[str]]] = {}
    for ref, group, reason, amt, q in zip(c["ref"].tolist(), c["group"].tolist(),
                                          c["reason"].tolist(), amounts, qty):
        per.setdefault(int(ref), {}).setdefault(E.clean_one(group, 2), []).extend(
            [E.clean_one(reason, 5), amt, q])
    out = {}
    for ref, groups in per.items():
        segs = [E.segment("CAS", g, *t[i:i + 18]) for g, t in groups.items()
                for i in range(0, len(t), 18)]
        out[ref] = "".join(segs[:5])
    return out


def _other_blocks(others: pd.DataFrame, cob: Cob | None) -> np.ndarray:
    """2320 (SBR, CAS, AMT*D, OI), 2330A subscriber and 2330B payer of each other payer;
    CAS and AMT*D (and 2330B DTP*573 when no line carries a 2430) when the payer's remittance
    is posted."""
    pr = _o(others["priority"].map(PRIORITY_CODE).fillna("P"))
    rel = _o(others["relationship"].map(RELATIONSHIP_CODE).fillna("18"))
    cas, amt, dtp = "", "", ""
    if cob is not None and "paid_cents" in others.columns:
        ref = others["cob_ref"].to_numpy(dtype="int64")
        segs = _cas_segments(cob.cas, "claim")
        cas = np.array([segs.get(r, "") for r in ref.tolist()], dtype=object)
        paid = others["paid_cents"].notna().to_numpy()
        amt = _when(paid, "AMT*D*", _text_of(E.amounts(
            others["paid_cents"].fillna(0).to_numpy(dtype="int64"))), S)
        on = others["claim_paid_on"]
        day = _d8(pd.to_datetime(on.mask(on.eq("")), errors="coerce"))
        dtp = _when(_nonblank(day), "DTP*573*D8*", day, S)
    return _cat(
        "SBR*", pr, "*", rel, "*", _t(others["group_number"], E.MAX["group"]), "******",
        _t(others["filing_indicator"], 2), S, cas, amt, "OI***Y*P**Y", S,
        *_nm1_parts("IL", _t(others["sub_last"], 60), _t(others["sub_first"], 35), "MI",
                    _t(others["member_id"], E.MAX["id"])),
        "NM1*PR*2*", _t(others["payer_name"], 60), "*****PI*",
        _t(others["payer_id"], E.MAX["id"]), S, dtp)


def _with_adjudication(line_strs: np.ndarray, lines: pd.DataFrame, cob: Cob | None
                       ) -> np.ndarray:
    """Each line's block followed by its 2430 loops (SVD, CAS, DTP*573), one per prior
    payer whose remittance paid or adjusted the line (after 2420A, as the guide orders)."""
    if cob is None or cob.lines.empty or "cob_line" not in lines.columns:
        return line_strs
    ref = lines["cob_line"].to_numpy(dtype="int64")
    pos_of = pd.Series(np.arange(len(lines)), index=ref)[ref >= 0]
    c = cob.lines[cob.lines["line_ref"].isin(pos_of.index)]
    if c.empty:
        return line_strs
    mods = E.map_unique(_obj(c["modifiers"]), lambda v: "".join(
        f":{m}" for m in (E.clean_text(x, 2) for x in str(v).split(":")) if m))
    segs = _cas_segments(cob.cas, "line")
    cas = np.array([segs.get(int(r), "") for r in c["line_ref"].tolist()], dtype=object)
    text = _cat("SVD*", _t(c["payer_id"], E.MAX["id"]), "*",
                _text_of(E.amounts(c["paid_cents"].to_numpy(dtype="int64"))), "*HC:",
                _t(c["code"], 48), mods, "**",
                _text_of(E.quantities(c["units"].fillna(1).to_numpy())), S, cas,
                "DTP*573*D8*", _d8(pd.to_datetime(c["paid_on"])), S)
    out = line_strs.copy()
    for pos, t in zip(pos_of.reindex(c["line_ref"]).tolist(), text.tolist()):
        out[pos] += t
    return out


def _claim_blocks(claims: pd.DataFrame, lines_joined: list[str], others_joined: list[str],
                  totals_cents: np.ndarray, practice: PracticeSettings, hl_sub: np.ndarray
                  ) -> np.ndarray:
    """2000B (and 2000C) through 2400 for every claim, one string per claim."""
    n = len(claims)
    c = claims.reset_index(drop=True)
    rel = c["relationship"].fillna("self").astype(str).str.lower()
    is_self = (rel == "self").to_numpy()
    hl_s = _o(hl_sub)
    hl_p = _o(hl_sub + 1)

    # 2010BA subscriber: the patient when self, else the Coverage subscriber
    pat_last, pat_first = _t(c["pat_last"], 60), _t(c["pat_first"], 35)
    sub_last = np.where(is_self, pat_last, _t(c["sub_last"], 60)).astype(object)
    sub_first = np.where(is_self, pat_first, _t(c["sub_first"], 35)).astype(object)
    pat_addr = _cat(*_n3n4_parts(_t(c["pat_address"], 55), _t(c["pat_city"], 30),
                                 _t(c["pat_state"], 2), _digits(c["pat_zip"])),
                    "DMG*D8*", _d8(c["pat_dob"]), "*", _t(c["pat_sex"], 1), S)
    # 2010BB payer address (when the Payers sheet has one)
    paddr, pcity = _t(c["payer_address"], 55), _t(c["payer_city"], 30)
    payer_addr = _when(_nonblank(paddr) & _nonblank(pcity),
                       *_n3n4_parts(paddr, pcity, _t(c["payer_state"], 2),
                                    _digits(c["payer_zip"])))
    # 2000C / 2010CA patient when not the subscriber
    patrel = _o(rel.map(RELATIONSHIP_CODE).fillna("G8"))
    patient = _when(~is_self, "HL*", hl_p, "*", hl_s, "*23*0", S, "PAT*", patrel, S,
                    "NM1*QC*1*", pat_last, "*", pat_first, S, pat_addr)
    # 2300 claim
    freq = _o(c["frequency"].fillna("1"))
    freq = np.where(_nonblank(freq), freq, "1").astype(object)
    assign = "A" if practice.accept_assignment else "C"
    benefits = "Y" if practice.accept_assignment else "N"
    roi = "I" if str(practice.release_of_info).upper() == "I" else "Y"
    auth = _t(c["prior_auth"], E.MAX["ref"])
    orig = _t(c["original_claim_number"], E.MAX["ref"])
    g1 = _when(_nonblank(auth), "REF*G1*", auth, S)
    f8 = _when(_nonblank(orig) & np.isin(freq, ["7", "8"]), "REF*F8*", orig, S)
    hi = []
    for i in range(1, 13):
        hi.append(_hi_element(c[f"dx{i}"], "ABK" if i == 1 else "ABF"))
    # 2310A referring, 2310B rendering (when it is not the billing provider)
    ref_npi = _digits(c["referring_npi"])
    referring = _when(_nonblank(ref_npi), *_nm1_parts(
        "DN", _t(c["referring_last"], 60), _t(c["referring_first"], 35), "XX", ref_npi))
    rnd_npi = _digits(c["rendering_npi"])
    billing_npi = re.sub(r"\D", "", str(practice.billing_npi or ""))
    rtax = _t(c["rendering_taxonomy"], 10)
    rendering = _when(
        _nonblank(rnd_npi) & (rnd_npi != billing_npi),
        *_nm1_parts("82", _t(c["rendering_last"], 60), _t(c["rendering_first"], 35), "XX",
                    rnd_npi),
        _when(_nonblank(rtax), "PRV*PE*PXC*", rtax, S))
    others = np.array(others_joined, dtype=object)
    lines = np.array(lines_joined, dtype=object)
    assert len(others) == len(lines) == n
    return _cat(
        # 2000B subscriber HL and SBR
        "HL*", hl_s, "*1*22*", np.where(is_self, "0", "1").astype(object), S,
        "SBR*", _o(c["priority"].map(PRIORITY_CODE).fillna("P")), "*", _opt(is_self, "18"),
        "*", _t(c["group_number"], E.MAX["group"]), "******", _t(c["filing_indicator"], 2), S,
        # 2010BA, 2010BB
        "NM1*IL*1*", sub_last, "*", sub_first, "****MI*", _t(c["member_id"], E.MAX["id"]), S,
        _opt(is_self, pat_addr),
        "NM1*PR*2*", _t(c["payer_name"], 60), "*****PI*", _t(c["payer_id"], 80), S, payer_addr,
        patient,
        # 2300
        "CLM*", _t(c["claim_id"], E.MAX["claim_id"]), "*", _text_of(E.amounts(totals_cents)),
        "***",
        _t(c["pos"], 2), ":B:", freq, f"*Y*{assign}*{benefits}*{roi}", S, g1, f8,
        "HI", *hi, S, referring, rendering, others, lines)


def _header(practice: PracticeSettings, st02: str, created: datetime) -> str:
    """BHT, 1000A submitter, 1000B receiver and the 2000A/2010AA billing provider."""
    p = practice
    t = E.clean_one
    # PER: contact and phone; the e-mail is left out (its @ and lower case are outside the
    # X12 basic character set the file keeps to)
    phone = "".join(ch for ch in str(p.submitter_phone or "") if ch.isdigit())
    per = E.segment("PER", "IC", t(p.submitter_contact, 60), "TE", phone)
    zip_ = "".join(ch for ch in str(p.billing_zip or "") if ch.isdigit())
    ein = "".join(ch for ch in str(p.billing_ein or "") if ch.isdigit())
    npi = "".join(ch for ch in str(p.billing_npi or "") if ch.isdigit())
    return "".join([
        E.segment("BHT", "0019", "00", st02, created.strftime("%Y%m%d"),
                  created.strftime("%H%M"), "CH"),
        E.segment("NM1", "41", "2", t(p.submitter_name, 60), "", "", "", "", "46",
                  t(p.submitter_id, 80)),
        per,
        E.segment("NM1", "40", "2", t(p.receiver_name, 60), "", "", "", "", "46",
                  t(p.receiver_id, 80)),
        E.segment("HL", "1", "", "20", "1"),
        E.segment("PRV", "BI", "PXC", t(p.billing_taxonomy, 10)),
        E.segment("NM1", "85", "2", t(p.billing_name, 60), "", "", "", "", "XX", npi),
        E.segment("N3", t(p.billing_address, 55)),
        E.segment("N4", t(p.billing_city, 30), t(p.billing_state, 2), zip_),
        E.segment("REF", "EI", ein),
    ])


def render_837(claims: pd.DataFrame, lines: pd.DataFrame, others: pd.DataFrame | None,
               practice: PracticeSettings, controls: Controls, created: datetime,
               max_claims_per_st: int = 5000, cob: Cob | None = None) -> str:
    """One X12 interchange (ISA..IEA, one GS, one ST per `max_claims_per_st` claims)."""
    if len(claims) == 0:
        raise ValueError("render_837 needs at least one claim")
    return render_837_files(claims, lines, others, practice, [(0, len(claims), controls)],
                            created, max_claims_per_st, cob)[0]


def _hl_numbers(per_claim: np.ndarray, chunk: np.ndarray) -> np.ndarray:
    """HL number of each claim's subscriber: after the billing provider (1) and the HLs of
    the earlier claims of its ST (HL numbers restart in each ST)."""
    before = np.cumsum(per_claim) - per_claim
    chunk_start = before[np.searchsorted(chunk, chunk, side="left")]
    return 2 + before - chunk_start


def _st_chunks(files: list[tuple[int, int, Controls]], n: int, max_claims_per_st: int
               ) -> np.ndarray:
    """The ST (numbered across all files) of each claim row."""
    chunk = np.empty(n, dtype="int64")
    first = 0
    for start, end, controls in files:
        n_st = transaction_sets_needed(end - start, max_claims_per_st)
        if len(controls.st02) != n_st:
            raise ValueError(f"{n_st} transaction sets need {n_st} ST02 numbers, "
                             f"got {len(controls.st02)}")
        chunk[start:end] = first + np.arange(end - start) // max(1, max_claims_per_st)
        first += n_st
    return chunk


def _interchange(practice: PracticeSettings, controls: Controls, created: datetime,
                 st_bodies: list[str]) -> str:
    """ISA, GS, each ST (header, claims, SE), GE and IEA around the claim blocks of each ST."""
    env = E.Envelope.make(practice.submitter_id, practice.receiver_id, practice.usage,
                          controls.isa13, controls.gs06, created)
    out = [E.isa(env), E.gs(env)]
    for st02_n, claims_text in zip(controls.st02, st_bodies):
        st02 = E.st_control(st02_n)
        body = E.st(st02) + _header(practice, st02, created) + claims_text
        out.append(body)
        out.append(E.se(body.count(S) + 1, st02))
    out.append(E.ge(len(st_bodies), env))
    out.append(E.iea(1, env))
    return "".join(out)


def render_837_files(claims: pd.DataFrame, lines: pd.DataFrame, others: pd.DataFrame | None,
                     practice: PracticeSettings, files: list[tuple[int, int, Controls]],
                     created: datetime, max_claims_per_st: int = 5000,
                     cob: Cob | None = None) -> list[str]:
    """One interchange per file in one pass over all claims: each file is a contiguous,
    non-empty range `[start, end)` of `claims` rows, in order, with its control numbers;
    `cob` adds the prior payers' adjudication to secondary claims."""
    n = len(claims)
    if n == 0:
        raise ValueError("render_837_files needs at least one claim")
    bounds = [0] + [e for _, e, _ in files]
    if any(s != b or e <= s for (s, e, _), b in zip(files, bounds)) or bounds[-1] != n:
        raise ValueError("files must be consecutive non-empty row ranges covering the claims")
    chunk = _st_chunks(files, n, max_claims_per_st)
    claims = claims.reset_index(drop=True)
    lines = lines.reset_index(drop=True)
    lpos = lines["claim_pos"].to_numpy(dtype="int64")
    if len(lpos) and np.any(np.diff(lpos) < 0):
        raise ValueError("lines must be sorted by claim_pos")
    cents = lines["charge_cents"].to_numpy(dtype="int64")
    totals = np.bincount(lpos, weights=cents, minlength=n).round().astype("int64")
    claim_pos_text = _t(claims["pos"], 2)
    claim_rnd = _digits(claims["rendering_npi"])
    line_strs = _with_adjudication(
        _line_blocks(lines, lpos, claim_pos_text[lpos] if len(lpos) else lpos,
                     claim_rnd[lpos] if len(lpos) else lpos), lines, cob)
    lines_joined = _group_join(lpos, line_strs, n)
    if others is not None and len(others):
        others = others.sort_values("claim_pos", kind="stable").reset_index(drop=True)
        opos = others["claim_pos"].to_numpy(dtype="int64")
        others_joined = _group_join(opos, _other_blocks(others, cob), n)
    else:
        others_joined = [""] * n

    rel = claims["relationship"].fillna("self").astype(str).str.lower().to_numpy()
    hl_sub = _hl_numbers(1 + (rel != "self").astype("int64"), chunk)
    blocks = _claim_blocks(claims, lines_joined, others_joined, totals, practice, hl_sub)
    st_bounds = np.searchsorted(chunk, np.arange(chunk[-1] + 2), side="left").tolist()
    texts, st_first = [], 0
    for *_, controls in files:
        n_st = len(controls.st02)
        st_bodies = ["".join(blocks[st_bounds[k]:st_bounds[k + 1]])
                     for k in range(st_first, st_first + n_st)]
        texts.append(_interchange(practice, controls, created, st_bodies))
        st_first += n_st
    return texts
