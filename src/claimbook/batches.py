"""Claim batches: which claims go out, grouped into 837P files, recorded in the ledger.

1. `select` decides per claim: ready as the Claim Status sheet counts it (no error finding,
   and no claim-less error on the Practice sheet, which holds every claim; with
   `include_warnings` also claims whose worst finding is a warning), not sent before (ledger
   `submissions`, or the `submitted_on` cell filled by another system), except corrections
   (frequency 7/8 with the original payer claim number) not yet sent as such.
2. `prepare` resolves each claim's payer, coverage (SBR P/S/T), subscriber, patient, other
   payers and providers into the flat tables the 837P writer takes, and (`prior_cob`) the
   posted remittance of the payer ahead of the billed one on secondary claims; a claim
   missing what the file needs is held back with a reason.
3. `build` groups claims per payer (receiver) only: the one billing provider is the Practice
   sheet's. At most `max_claims_per_st` claims per ST; it reserves ISA13/GS06/ST02 (= BHT03)
   and the line item control numbers (REF*6R) in one ledger transaction, writes the files and
   records batches, submissions and submitted lines. `dry_run` writes to a temporary folder
   and leaves the ledger untouched.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from claimbook.book import Book
from claimbook.claim_status import claim_status, global_counts
from claimbook.errors import ClaimBookError
from claimbook.ledger import Ledger, current_user
from claimbook.x12 import envelope as E
from claimbook.x12.x837 import Cob, Controls, render_837_files, transaction_sets_needed

DX = [f"dx{i}" for i in range(1, 13)]
MODS = [f"mod{i}" for i in range(1, 5)]
COUNTERS = {"isa13": "x12.isa13", "gs06": "x12.gs06", "st02": "x12.st02",
            "line": "x12.line_control"}
REQUIRED_SETTINGS = {
    "billing_name": "Billing provider name", "billing_npi": "Billing provider NPI",
    "billing_ein": "Billing provider EIN", "billing_taxonomy": "Billing provider taxonomy",
    "billing_address": "Billing address", "billing_city": "Billing city",
    "billing_state": "Billing state", "billing_zip": "Billing ZIP",
    "submitter_id": "Submitter id", "submitter_name": "Submitter name",
    "submitter_contact": "Submitter contact", "submitter_phone": "Submitter phone",
    "receiver_id": "Receiver id", "receiver_name": "Receiver name",
}
BATCH_COLUMNS = ["batch_id", "payer_id", "payer", "claims", "lines", "total_charge", "file",
                 "isa13", "created"]
HELD_COLUMNS = ["claim_id", "payer_id", "reason"]


class BatchOptions(BaseModel):
    """What `claimbook batch` and the batch stage take from the command line."""

    include_warnings: bool = False
    dry_run: bool = False
    max_claims_per_st: int = Field(5000, ge=1, le=5000)


class BatchFile(BaseModel):
    """One written 837P file (the `--json` output)."""

    file: str
    payer_id: str
    claims: int
    lines: int
    total_charge: float
    isa13: str


@dataclass
class Prepared:
    """Writer-ready tables: claims (one row each), lines (sorted by claim_pos), others."""

    claims: pd.DataFrame
    lines: pd.DataFrame
    others: pd.DataFrame
    held: pd.DataFrame
    cob: Cob | None = None  # prior payers' adjudication of secondary claims (2320/2430)


@dataclass
class BatchResult:
    batches: pd.DataFrame  # BATCH_COLUMNS
    claim_batches: pd.DataFrame  # claim_id, batch_id, submitted
    held: pd.DataFrame  # HELD_COLUMNS
    files: list[BatchFile] = field(default_factory=list)
    out_dir: Path | None = None
    dry_run: bool = False


_ASCII_SPACE = "\t\x0b\x0c\r\x1c\x1d\x1e\x1f"  # what str.strip() removes, besides " ", "\n"


def _stripped(uniq: list) -> list:
    """`str(v).strip()` of each distinct value. When all are ASCII text whose only white
    space is inner " " (checked on all of them joined), they are returned as they are."""
    try:
        joined = "\n".join(uniq)
    except TypeError:  # not all text
        return [str(v).strip() for v in uniq]
    if (joined.isascii() and joined.count("\n") == len(uniq) - 1
            and not any(c in joined for c in _ASCII_SPACE)
            and " \n" not in joined and "\n " not in joined
            and not joined.startswith(" ") and not joined.endswith(" ")):
        return uniq
    return [str(v).strip() for v in uniq]


def _distinct_text(s: pd.Series) -> tuple[np.ndarray, list]:
    """Codes (-1 when missing) and the stripped distinct values of a column."""
    codes, uniq = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    return codes, _stripped(uniq.tolist())


def _text(s: pd.Series) -> pd.Series:
    """Stripped text of each cell ("" when missing), computed once per distinct value."""
    codes, text = _distinct_text(s)
    mapped = np.empty(len(text) + 1, dtype=object)
    mapped[:-1] = text
    mapped[-1] = ""
    return pd.Series(mapped[codes], index=s.index, dtype=object)


def _held(claim_ids, payer_ids, reason) -> pd.DataFrame:
    ids = pd.Series(claim_ids, dtype=object).reset_index(drop=True)
    pay = pd.Series(payer_ids, dtype=object).reset_index(drop=True)
    rs = pd.Series(reason, index=ids.index, dtype=object) if not isinstance(
        reason, pd.Series) else reason.reset_index(drop=True)
    return pd.DataFrame({"claim_id": ids, "payer_id": pay, "reason": rs})


def check_settings(book: Book) -> None:
    """Raise one clear error naming every Practice setting the 837P needs and lacks."""
    p = book.practice
    missing = [k for k in REQUIRED_SETTINGS if not str(getattr(p, k) or "").strip()]
    if not missing:
        return
    sheet = book.sheet("Practice")
    where = []
    for k in missing:
        row = book.practice_rows.get(k)
        where.append(f"'{REQUIRED_SETTINGS[k]}'" + (f" (row {row})" if row else ""))
    raise ClaimBookError(
        f"No claim file was written: the {sheet} sheet has no value for " + ", ".join(where)
        + ".", f"Fill in {'these settings' if len(missing) > 1 else 'this setting'} in the "
        f"{sheet} sheet (column B) and run the batch again.")


# -- 1. selection ----------------------------------------------------------------------------
def sent_claims(ledger: Ledger | None) -> pd.DataFrame:
    """Every recorded submission: claim_id, frequency, batch_id, submitted_at."""
    cols = ["claim_id", "frequency", "batch_id", "submitted_at"]
    if ledger is None:
        return pd.DataFrame(columns=cols)
    rows = ledger.conn.execute(
        "SELECT claim_id, frequency, batch_id, submitted_at FROM submissions").fetchall()
    return pd.DataFrame([tuple(r) for r in rows], columns=cols)


def claim_heads(claims: pd.DataFrame) -> pd.DataFrame:
    """The claim-level fields of each claim, taken from its first line (input order kept)."""
    cid = _text(claims["claim_id"])
    first = (cid.ne("") & ~cid.duplicated(keep="first")).to_numpy()
    heads = claims[first].reset_index(drop=True)
    heads["claim_id"] = cid.to_numpy()[first]
    return heads


def _severity(claims: pd.DataFrame, ids: pd.Series, findings: pd.DataFrame | None,
              practice_sheet: str) -> tuple[pd.Series, pd.Series]:
    """Per claim in `ids`: its worst severity as the Claim Status sheet counts it ("error",
    "warning" or ""), and whether it has an error of its own (not only a Practice one)."""
    blank = pd.Series("", index=ids.index, dtype=object)
    if findings is None or findings.empty:
        return blank, blank.ne("")
    st = claim_status(findings, claims, practice_sheet).set_index("claim_id")
    errors = ids.map(st["errors"]).fillna(0)
    own = errors > global_counts(findings, practice_sheet)["error"]
    worst = blank.mask(ids.map(st["warnings"]).fillna(0).gt(0), "warning")
    return worst.mask(errors.gt(0), "error"), own


def _practice_reason(findings: pd.DataFrame | None, practice_sheet: str) -> str:
    """Why a Practice-sheet error holds every claim ("" when there is none)."""
    if findings is None or findings.empty:
        return ""
    n = global_counts(findings, practice_sheet)["error"]
    if not n:
        return ""
    f = findings[findings["claim_id"].isna() | findings["claim_id"].astype(str).eq("")]
    f = f[f["sheet"].isin({practice_sheet, "Practice"}) & f["severity"].eq("error")]
    example = f" (e.g. {str(f['message'].iloc[0]).rstrip('.')})" if len(f) else ""
    return (f"The {practice_sheet} sheet has {n} error(s){example}; the billing provider data "
            "goes on every claim, so every claim is held: fix it (see the Findings sheet) and "
            "run the batch again.")


def select(claims: pd.DataFrame, findings: pd.DataFrame, ledger: Ledger | None,
           include_warnings: bool = False, practice_sheet: str = "Practice"
           ) -> tuple[pd.Index, pd.DataFrame]:
    """Claim ids to send, and the claims held back with the reason (HELD_COLUMNS).

    Readiness is the Claim Status sheet's (`claim_status`): an error in the Practice sheet
    that names no claim holds every claim."""
    heads = claim_heads(claims)
    ids = heads["claim_id"]
    w, own_error = _severity(claims, ids, findings, practice_sheet)
    freq = _text(heads["frequency"]).replace("", "1")
    orig = _text(heads["original_claim_number"])
    correction = freq.isin(["7", "8"]) & orig.ne("")
    sent = sent_claims(ledger)
    key = ids + "|" + freq
    sent = sent.sort_values("submitted_at")
    sent_key = sent["claim_id"].astype(str) + "|" + sent["frequency"].astype(str)
    last_batch = pd.Series(sent["batch_id"].to_numpy(), index=sent_key.to_numpy())
    last_batch = last_batch[~last_batch.index.duplicated(keep="last")]
    in_ledger = key.isin(last_batch.index)
    elsewhere = heads["submitted_on"].notna() & ~correction
    reasons = pd.Series("", index=ids.index, dtype=object)
    reasons[w.eq("warning") & ~include_warnings] = (
        "Has warnings: review the Findings sheet, then run with --include-warnings to send it.")
    reasons[own_error] = "Has errors: fix what the Findings sheet lists for this claim."
    practice = _practice_reason(findings, practice_sheet)
    if practice:
        reasons[w.eq("error")] = (reasons[w.eq("error")] + " " + practice).str.strip()
    reasons[freq.isin(["7", "8"]) & orig.eq("")] = (
        "Frequency 7/8 (replacement/void) needs the payer's original claim number: fill in "
        "'Original payer claim #'.")
    when = heads["submitted_on"].dt.strftime("%Y-%m-%d").fillna("")
    reasons[elsewhere] = "Already sent on " + when[elsewhere] + " (Submitted on is filled)."
    if in_ledger.any():
        reasons[in_ledger] = ("Already sent in batch " + key[in_ledger].map(last_batch).astype(str)
                              + ".")
    ok = reasons.eq("")
    held = _held(ids[~ok], heads.loc[~ok, "payer_id"], reasons[~ok])
    return pd.Index(ids[ok]), held


# -- 2. prepare --------------------------------------------------------------------------------
def _first(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    f = frame.copy()
    f[key] = _text(f[key])
    return f[f[key].ne("")].drop_duplicates(key, keep="first").set_index(key)


def _active(cov: pd.DataFrame, dos: pd.Series) -> pd.Series:
    start = cov["effective_from"]
    end = cov["effective_to"]
    return (start.isna() | (start <= dos)) & (end.isna() | (end >= dos))


def _selected_lines(claims: pd.DataFrame, claim_ids: pd.Index) -> pd.DataFrame:
    """The lines of the selected claims with their claim_pos (place in `claim_ids`), sorted
    by claim_pos and line number; the table is copied once, in that order."""
    cid = _text(claims["claim_id"]).to_numpy()
    pos = pd.Index(claim_ids).get_indexer(cid)
    rows = np.flatnonzero(pos >= 0)
    key = pd.DataFrame({"claim_pos": pos[rows],
                        "line_no": claims["line_no"].iloc[rows].reset_index(drop=True)})
    rows = rows[key.sort_values(["claim_pos", "line_no"], kind="stable").index.to_numpy()]
    lines = claims.iloc[rows].reset_index(drop=True)
    lines["claim_id"] = cid[rows]
    lines["claim_pos"] = pos[rows].astype("int64")
    return lines


def _prior_auth(lines: pd.DataFrame, claim_pos: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per claim (`claim_pos`): the first non-blank prior authorization of its lines
    (REF*G1), and the distinct numbers joined with ", " when its lines carry more than one
    ("" otherwise)."""
    auth = _text(lines["prior_auth"])
    has = auth.ne("").to_numpy()
    found = pd.DataFrame({"pos": lines["claim_pos"].to_numpy()[has],
                          "auth": auth.to_numpy()[has]})
    first = found.drop_duplicates("pos").set_index("pos")["auth"]
    distinct = found.assign(key=found["auth"].str.upper()).drop_duplicates(["pos", "key"])
    several = distinct[distinct["pos"].duplicated(keep=False)]
    conflict = several.groupby("pos")["auth"].agg(", ".join)
    return (first.reindex(claim_pos).fillna("").to_numpy(dtype=object),
            conflict.reindex(claim_pos).fillna("").to_numpy(dtype=object))


def prepare(book: Book, claim_ids: pd.Index, ledger: Ledger | None = None) -> Prepared:
    """Resolve the selected claims into the 837P writer's tables (see x12/x837.py); with a
    ledger, a secondary claim also carries its prior payers' posted remittance (`prior_cob`)."""
    lines = _selected_lines(book.get("Claims"), claim_ids)
    heads = lines.drop_duplicates("claim_pos", keep="first").reset_index(drop=True)
    for k in ("patient", "payer_id", "rendering_npi", "referring_npi"):
        heads[k] = _text(heads[k])
    dos = lines.groupby("claim_pos")["dos_from"].min().reindex(heads["claim_pos"]).to_numpy()
    heads["first_dos"] = dos

    out = pd.DataFrame({"claim_id": heads["claim_id"], "pos": heads["pos"],
                        "frequency": _text(heads["frequency"]).replace("", "1"),
                        "original_claim_number": heads["original_claim_number"],
                        "prior_auth": "", "payer_id": heads["payer_id"],
                        "patient": heads["patient"], "first_dos": heads["first_dos"]})
    out["prior_auth"], out["prior_auth_conflict"] = _prior_auth(lines, heads["claim_pos"])
    for d in DX:
        out[d] = heads[d]
    # payer
    payers = _first(book.get("Payers"), "payer_id")
    pj = payers.reindex(out["payer_id"])
    out["payer_name"] = pj["name"].to_numpy()
    for k in ("address", "city", "state", "zip"):
        out[f"payer_{k}"] = pj[k].to_numpy()
    out["filing_indicator"] = pj["filing_indicator"].to_numpy()
    # patient
    pats = _first(book.get("Patients"), "account")
    pt = pats.reindex(out["patient"])
    for k, src in (("pat_last", "last_name"), ("pat_first", "first_name"), ("pat_dob", "dob"),
                   ("pat_sex", "sex"), ("pat_address", "address"), ("pat_city", "city"),
                   ("pat_state", "state"), ("pat_zip", "zip")):
        out[k] = pt[src].to_numpy()
    # coverage of the billed payer (the row active on the first DOS, else the first row)
    cov = book.get("Coverage").copy()
    cov["patient"] = _text(cov["patient"])
    cov["payer_id"] = _text(cov["payer_id"])
    cov["_cov"] = np.arange(len(cov))
    m = out[["patient", "payer_id", "first_dos"]].reset_index().merge(
        cov, on=["patient", "payer_id"], how="inner")
    m["_act"] = _active(m, m["first_dos"])
    m = m.sort_values(["index", "_act", "_cov"], ascending=[True, False, True])
    m = m.drop_duplicates("index", keep="first").set_index("index")
    cj = m.reindex(out.index)
    out["has_coverage"] = cj["_cov"].notna().to_numpy()
    out["priority"] = _text(cj["priority"]).str.lower().replace("", "primary").to_numpy()
    out["relationship"] = _text(cj["relationship"]).str.lower().replace("", "self").to_numpy()
    for k in ("group_number", "member_id", "subscriber_last", "subscriber_first",
              "subscriber_dob", "subscriber_sex"):
        out[k.replace("subscriber_", "sub_")] = cj[k].to_numpy()
    # providers
    provs = book.get("Providers").copy()
    provs = _first(provs, "npi") if len(provs) else provs.set_index("npi")
    rj = provs.reindex(heads["rendering_npi"])
    out["rendering_npi"] = heads["rendering_npi"].to_numpy()
    out["rendering_last"] = rj["last_name"].to_numpy()
    out["rendering_first"] = rj["first_name"].to_numpy()
    out["rendering_taxonomy"] = rj["taxonomy"].to_numpy()
    fj = provs.reindex(heads["referring_npi"])
    out["referring_npi"] = heads["referring_npi"].to_numpy()
    out["referring_last"] = fj["last_name"].to_numpy()
    out["referring_first"] = fj["first_name"].to_numpy()

    # other payers: the patient's other coverage active on the first DOS (2320 loops)
    oth = out[["patient", "payer_id", "first_dos"]].reset_index().rename(
        columns={"index": "claim_pos", "payer_id": "billed"}).merge(cov, on="patient")
    oth = oth[oth["payer_id"].ne(oth["billed"]) & _active(oth, oth["first_dos"])]
    oth = oth.drop_duplicates(["claim_pos", "payer_id"])
    rank = {"primary": 0, "secondary": 1, "tertiary": 2}
    oth = oth.assign(_rank=oth["priority"].map(rank).fillna(3)).sort_values(
        ["claim_pos", "_rank"], kind="stable")
    self_rel = _text(oth["relationship"]).str.lower().isin(["", "self"])
    pat_last = out["pat_last"].reindex(oth["claim_pos"]).to_numpy()
    pat_first = out["pat_first"].reindex(oth["claim_pos"]).to_numpy()
    others = pd.DataFrame({
        "claim_pos": oth["claim_pos"].to_numpy(dtype="int64"),
        "priority": _text(oth["priority"]).str.lower().to_numpy(),
        "relationship": _text(oth["relationship"]).str.lower().replace("", "self").to_numpy(),
        "group_number": oth["group_number"].to_numpy(),
        "filing_indicator": payers["filing_indicator"].reindex(oth["payer_id"]).to_numpy(),
        "member_id": oth["member_id"].to_numpy(),
        "sub_last": np.where(self_rel, pat_last, oth["subscriber_last"].to_numpy()),
        "sub_first": np.where(self_rel, pat_first, oth["subscriber_first"].to_numpy()),
        "payer_id": oth["payer_id"].to_numpy(),
        "payer_name": payers["name"].reindex(oth["payer_id"]).to_numpy(),
    })

    wl = pd.DataFrame({
        "claim_pos": lines["claim_pos"].to_numpy(dtype="int64"),
        "claim_id": lines["claim_id"].to_numpy(), "line_no": lines["line_no"].to_numpy(),
        "patient": _text(lines["patient"]).to_numpy(),
        **{k: lines[k].to_numpy() for k in ("code", *MODS, "units", "pos", "dos_from",
                                              "dos_to", "pointers", "ndc_units", "ndc_unit")},
        "charge_cents": E.to_cents(lines["charge"]),
        "ndc": _ndc11(lines["ndc"]).to_numpy(), "ndc_raw": lines["ndc"].to_numpy(),
        "line_control": "",
    })
    # a line performed by another provider than the claim's first line: 2420A
    lr = _text(lines["rendering_npi"])
    lrj = provs.reindex(lr)
    wl["rendering_npi"] = lr.to_numpy()
    wl["rendering_last"] = lrj["last_name"].to_numpy()
    wl["rendering_first"] = lrj["first_name"].to_numpy()
    wl["rendering_taxonomy"] = lrj["taxonomy"].to_numpy()
    reasons = _problems(out, wl, others)
    bad = reasons.ne("")
    held = _held(out.loc[bad, "claim_id"], out.loc[bad, "payer_id"], reasons[bad])
    if bad.any():
        ok = ~bad.to_numpy()
        out = out[ok]
        wl, others = _keep_claims(wl, ok), _keep_claims(others, ok)
    out, wl, others = (out.reset_index(drop=True), wl.reset_index(drop=True),
                       others.reset_index(drop=True))
    wl, others, cob = prior_cob(ledger, out, wl, others)
    return Prepared(out, wl, others, held, cob)


# -- 2b. the prior payers' adjudication of a secondary claim (2320 AMT*D/CAS, 2430) -----------
RANK = {"primary": 0, "secondary": 1, "tertiary": 2}
_PRIOR_CLAIMS = """
    SELECT cp.id AS cp_id, COALESCE(cp.payer_id, s.payer_id) AS payer_id, s.patient,
           s.first_dos, cp.paid_cents,
           COALESCE(r.payment_date, substr(cp.posted_at, 1, 10)) AS paid_on
    FROM claim_payments cp
    JOIN remittances r ON r.remit_id = cp.remit_id
    JOIN (SELECT DISTINCT claim_id, patient, payer_id, first_dos FROM submissions) s
      ON s.claim_id = cp.claim_id
    WHERE cp.status NOT IN ('22', '23') AND cp.reversed_by IS NULL
"""


def _query(ledger: Ledger, sql: str, params: list | None = None) -> pd.DataFrame:
    return pd.read_sql_query(sql, ledger.conn, params=params)


def _in(ids: np.ndarray) -> str:
    return ",".join(str(int(i)) for i in ids)


def prior_cob(ledger: Ledger | None, claims: pd.DataFrame, lines: pd.DataFrame,
              others: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, Cob | None]:
    """For each other payer that pays before the billed one (a primary on a secondary claim),
    its latest posted, not reversed remittance for the same patient and first DOS: paid amount
    and claim-level CAS on the `others` row (`cob_ref`, `paid_cents`, `claim_paid_on`), and
    per matched line (`_matched_lines`) the paid amount, units, date and CAS
    (`lines["cob_line"]` -> `Cob.lines`)."""
    if ledger is None or others.empty:
        return lines, others, None
    opos = others["claim_pos"].to_numpy(dtype="int64")
    billed = claims["priority"].map(RANK).fillna(0).to_numpy()[opos]
    prior = np.flatnonzero(others["priority"].map(RANK).fillna(3).to_numpy() < billed)
    if not len(prior):
        return lines, others, None
    want = pd.DataFrame({"o": prior, "payer_id": others["payer_id"].to_numpy()[prior],
                         "patient": claims["patient"].to_numpy()[opos[prior]],
                         "first_dos": _iso(claims["first_dos"].iloc[opos[prior]])})
    paid = want.merge(_query(ledger, _PRIOR_CLAIMS), on=["patient", "payer_id", "first_dos"])
    paid = paid.sort_values("cp_id").drop_duplicates("o", keep="last")
    if paid.empty:
        return lines, others, None
    cp_ids = paid["cp_id"].to_numpy()
    matched = _matched_lines(ledger, paid, opos, lines)
    lines = lines.assign(cob_line=-1)
    lines.loc[matched["row"].to_numpy(), "cob_line"] = matched["row"].to_numpy()
    others = others.assign(cob_ref=-1, paid_cents=np.nan, claim_paid_on="")
    o = paid["o"].to_numpy()
    others.loc[o, "cob_ref"] = o
    others.loc[o, "paid_cents"] = paid["paid_cents"].to_numpy(dtype="float64")
    no_lines = ~np.isin(o, matched["o"].to_numpy())  # 2330B DTP*573 when no 2430 is sent
    others.loc[o[no_lines], "claim_paid_on"] = paid["paid_on"].to_numpy()[no_lines]
    adj = _query(ledger, "SELECT claim_payment_id AS cp_id, line_payment_id AS lp_id, "
                 "group_code AS grp, reason, amount_cents, quantity FROM payment_adjustments "
                 f"WHERE claim_payment_id IN ({_in(cp_ids)}) ORDER BY id")
    claim_adj = adj[adj["lp_id"].isna()].merge(paid[["cp_id", "o"]], on="cp_id")
    line_adj = adj.dropna(subset=["lp_id"]).astype({"lp_id": "int64"}).merge(
        matched[["lp_id", "row"]], on="lp_id")
    cas = pd.concat([
        pd.DataFrame({"level": "claim", "ref": claim_adj["o"], "group": claim_adj["grp"],
                      "reason": claim_adj["reason"], "amount_cents": claim_adj["amount_cents"],
                      "quantity": claim_adj["quantity"]}),
        pd.DataFrame({"level": "line", "ref": line_adj["row"], "group": line_adj["grp"],
                      "reason": line_adj["reason"], "amount_cents": line_adj["amount_cents"],
                      "quantity": line_adj["quantity"]})], ignore_index=True)
    cob_lines = pd.DataFrame({
        "line_ref": matched["row"].to_numpy(),
        "payer_id": others["payer_id"].to_numpy()[matched["o"].to_numpy()],
        "paid_cents": matched["paid_cents"].to_numpy(), "code": matched["code"].to_numpy(),
        "modifiers": matched["modifiers"].to_numpy(), "units": matched["units"].to_numpy(),
        "paid_on": matched["paid_on"].to_numpy()})
    return lines, others, Cob(cob_lines, cas)


def _line_key(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    """Occurrence number of each row among the rows with the same `cols` values."""
    return frame.groupby(cols, sort=False).cumcount()


def _matched_lines(ledger: Ledger, paid: pd.DataFrame, opos: np.ndarray,
                   lines: pd.DataFrame) -> pd.DataFrame:
    """The prior payer's posted lines matched to the claim's lines on DOS, code and modifiers
    (the n-th such line to the n-th), then on DOS and code: o, row (line row), lp_id,
    paid_cents, code, modifiers (as adjudicated), units, paid_on."""
    lp = _query(ledger, "SELECT id AS lp_id, claim_payment_id AS cp_id, code, modifiers, dos, "
                "paid_cents, units FROM line_payments "
                f"WHERE claim_payment_id IN ({_in(paid['cp_id'].to_numpy())}) ORDER BY id")
    lp = paid[["o", "cp_id", "paid_on"]].merge(lp, on="cp_id")
    if lp.empty:
        return pd.DataFrame({k: pd.Series(dtype="int64") for k in ("o", "row", "lp_id")}
                            ).assign(paid_cents=0, code="", modifiers="", units=1.0, paid_on="")
    lp["claim_pos"] = opos[lp["o"].to_numpy()]
    for k in ("dos", "code", "modifiers"):  # text even when no line was posted
        lp[k] = lp[k].astype(object).where(lp[k].notna(), "").astype(str)
    keys = ["claim_pos", "dos", "code", "modifiers"]
    lp["n"] = _line_key(lp, ["o", "dos", "code", "modifiers"])
    mine = lines["claim_pos"].isin(set(lp["claim_pos"])).to_numpy()
    sub = lines[mine]
    mods = [_text(sub[m]).to_numpy() for m in MODS]
    ours = pd.DataFrame({"row": np.flatnonzero(mine),
                         "claim_pos": sub["claim_pos"].to_numpy(dtype="int64"),
                         "dos": _iso(sub["dos_from"]), "code": _text(sub["code"]).to_numpy(),
                         "modifiers": [":".join(m for m in ms if m) for ms in zip(*mods)],
                         "our_units": sub["units"].fillna(1).to_numpy()})
    ours["n"] = _line_key(ours, keys)
    m = ours.merge(lp, on=[*keys, "n"])
    # payers drop modifiers: the lines left are matched on DOS and code alone
    rest_ours = ours[~ours["row"].isin(m["row"])].drop(columns=["n", "modifiers"])
    rest_lp = lp[~lp["lp_id"].isin(m["lp_id"])].drop(columns="n")
    if len(rest_ours) and len(rest_lp):
        loose = ["claim_pos", "dos", "code"]
        rest_ours["n"] = _line_key(rest_ours, loose)
        rest_lp["n"] = _line_key(rest_lp, loose)
        m = pd.concat([m, rest_ours.merge(rest_lp, on=[*loose, "n"])], ignore_index=True)
    m["units"] = m["units"].fillna(m["our_units"])
    return m


def _keep_claims(frame: pd.DataFrame, ok: np.ndarray) -> pd.DataFrame:
    """The rows of the claims kept (`ok` per claim position), with claim_pos renumbered."""
    old = frame["claim_pos"].to_numpy(dtype="int64")
    kept = frame[ok[old]].reset_index(drop=True)
    kept["claim_pos"] = (np.cumsum(ok) - 1)[old[ok[old]]]
    return kept


def _ndc11(raw: pd.Series) -> pd.Series:
    """NDC as 11 digits (5-4-2): hyphenated 4-4-2/5-3-2/5-4-1 padded, 11 digits kept."""
    from claimbook.normalize import ndc11

    codes, uniq = pd.factorize(raw.reset_index(drop=True), use_na_sentinel=True)
    values, _bad = ndc11(pd.Series(uniq, dtype=raw.dtype))  # once per distinct NDC
    mapped = np.append(values.where(values.notna(), "").to_numpy(dtype=object), "")
    return pd.Series(mapped[codes], dtype=object)


_POINTERS = re.compile(r"\d{1,2}(,\d{1,2}){0,3}")


def _pointer_range(text: str) -> tuple[int, int]:
    """(lowest, highest) pointer of "1,2,3", or (0, 0) when it is not 1-4 numbers."""
    if not _POINTERS.fullmatch(text):
        return 0, 0
    nums = [int(x) for x in text.split(",")]
    return min(nums), max(nums)


def _problems(claims: pd.DataFrame, lines: pd.DataFrame, others: pd.DataFrame) -> pd.Series:
    """Why a claim cannot be written (first problem found), "" when it can."""
    r = np.full(len(claims), "", dtype=object)
    free = np.ones(len(claims), dtype=bool)

    def flag(mask, text) -> None:
        """Give the claims in `mask` that have no reason yet `text`: a string, a function of
        those claims' rows (called only when there are some), or one text per claim."""
        mask = np.asarray(mask, dtype=bool) & free
        if not mask.any():
            return
        if callable(text):
            text = np.asarray(text(claims[mask]), dtype=object)
        elif not isinstance(text, str):
            text = np.asarray(text, dtype=object)[mask]
        r[mask] = text
        free[mask] = False

    blank = _blank
    flag(_text(claims["filing_indicator"]).eq("09"),
         "Self-pay (filing indicator 09): bill the patient with a statement, not an 837P.")
    flag(blank(claims["payer_name"]) | blank(claims["filing_indicator"]),
         lambda c: "Payer " + c["payer_id"].astype(str) + " is missing from the Payers sheet "
         "or has no name or filing indicator: complete its row.")
    flag(blank(claims["pat_last"]) | claims["pat_dob"].isna() | blank(claims["pat_sex"]),
         lambda c: "Patient " + c["patient"].astype(str) + " is missing from the Patients "
         "sheet or lacks last name, DOB or sex: complete the row.")
    flag(blank(claims["pat_address"]) | blank(claims["pat_city"]) | blank(claims["pat_state"])
         | blank(claims["pat_zip"]),
         lambda c: "Patient " + c["patient"].astype(str) + " has no full address (Address, "
         "City, State, ZIP in the Patients sheet).")
    flag(~claims["has_coverage"].astype(bool) | blank(claims["member_id"]),
         lambda c: "No Coverage row with a member id for patient " + c["patient"].astype(str)
         + " and payer " + c["payer_id"].astype(str) + ": add it to the Coverage sheet.")
    notself = claims["relationship"].ne("self")
    flag(notself & blank(claims["sub_last"]),
         lambda c: "Patient is not the subscriber (relationship "
         + c["relationship"].astype(str)
         + "): fill in Subscriber last/first name in the Coverage sheet.")
    conflict = claims["prior_auth_conflict"].ne("")
    flag(conflict, lambda c: "Its lines carry different prior authorization numbers ("
         + c["prior_auth_conflict"].astype(str) + "), but a claim sends one (REF*G1): keep "
         "the right number on its lines, or split the claim per authorization.")
    flag(blank(claims["pos"]), "Place of service is blank: fill in POS on the claim's lines.")
    flag(blank(claims["dx1"]), "No diagnosis: fill in Dx1 on the claim's lines.")
    filled = np.column_stack([~blank(claims[d]) for d in DX])
    gap = ((np.cumsum(~filled, axis=1) > 0) & filled).any(axis=1)
    flag(gap, "Diagnoses have a gap (a blank Dx column before a filled one): move them left "
              "so Dx1..DxN are filled in order.")
    rnd = _text(claims["rendering_npi"]).ne("")
    flag(rnd & blank(claims["rendering_last"]),
         lambda c: "Rendering NPI " + c["rendering_npi"].astype(str) + " is not in the "
         "Providers sheet: add the provider with the name.")
    ref = _text(claims["referring_npi"]).ne("")
    flag(ref & blank(claims["referring_last"]),
         lambda c: "Referring NPI " + c["referring_npi"].astype(str) + " is not in the "
         "Providers sheet: add the provider with the name.")
    # line-level: charge, code, date, pointers
    ndx = filled.sum(axis=1)
    ptr = _text(lines["pointers"])
    codes, uniq = pd.factorize(ptr.to_numpy(dtype=object), use_na_sentinel=True)
    ranges = np.array([_pointer_range(v) for v in uniq.tolist()] + [(0, 0)],
                      dtype="int64").reshape(-1, 2)[codes]  # ptr is never missing
    pmin, pmax = ranges[:, 0], ranges[:, 1]
    line_ndx = ndx[lines["claim_pos"].to_numpy()] if len(lines) else np.zeros(0)
    bad_ptr = (pmin < 1) | (pmax > line_ndx)
    bad_charge = lines["charge_cents"] <= 0
    bad_code = _text(lines["code"]).eq("")
    bad_date = lines["dos_from"].isna()
    bad_ndc = _text(lines["ndc"]).eq("") & _text(lines["ndc_raw"]).ne("")
    bad_rnd = _text(lines["rendering_npi"]).ne("").to_numpy() & _blank(lines["rendering_last"])
    msgs = [(bad_charge, "Line {line} has no positive charge: fill in Charge."),
            (bad_code, "Line {line} has no procedure code."),
            (bad_date, "Line {line} has no date of service."),
            (bad_ptr, ("Line {line} has diagnosis pointers '{ptr}' that do not point to the "
                      "claim's diagnoses (1 to 4 numbers such as 1,2).")),
            (bad_ndc, "Line {line} has an NDC that is not 11 digits (5-4-2): correct it."),
            (bad_rnd, ("Line {line} has a rendering NPI that is not in the Providers sheet: "
                       "add the provider with the name."))]
    for mask, tmpl in msgs:
        mask = pd.Series(np.asarray(mask, dtype=bool), index=lines.index)
        if not mask.any():
            continue
        sub = lines[mask].drop_duplicates("claim_pos")
        text = pd.Series("", index=claims.index, dtype=object)
        text[sub["claim_pos"].to_numpy()] = [
            tmpl.format(line=ln, ptr=p) for ln, p in zip(sub["line_no"], ptr[sub.index])]
        flag(text.ne("").to_numpy(), text)
    return pd.Series(r, index=claims.index, dtype=object)


def _blank(values: pd.Series) -> np.ndarray:
    """Missing or only spaces, per cell (`_text(values) == ""`), once per distinct value."""
    codes, text = _distinct_text(values)
    return np.append(np.array([t == "" for t in text], dtype=bool), True)[codes]


# -- 3. build ----------------------------------------------------------------------------------
def _safe(name: object) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "", str(name))[:20] or "PAYER"


def plan(prep: Prepared) -> list[tuple[str, np.ndarray]]:
    """One group per payer (and the practice's single billing provider): claim positions."""
    payer = prep.claims["payer_id"].astype(str).to_numpy()
    groups = []
    for pid in pd.unique(payer):
        groups.append((str(pid), np.flatnonzero(payer == pid)))
    return groups


def _reserve(ledger: Ledger | None, name: str, count: int, dry_run: bool,
             taken: dict[str, int]) -> list[int]:
    """Control numbers: reserved in the ledger, or (dry run) the next ones, not reserved."""
    if not dry_run and ledger is not None:
        return ledger.next_numbers(name, count)
    start = (ledger.peek(name) if ledger is not None else 0) + taken.get(name, 0) + 1
    taken[name] = taken.get(name, 0) + count
    return list(range(start, start + count))


def build(book: Book, findings: pd.DataFrame, ledger: Ledger | None, out_dir: str | Path,
          options: BatchOptions | None = None, now: datetime | None = None) -> BatchResult:
    """Select, prepare, write and record the batches of a workbook."""
    opts = options or BatchOptions()
    now = (now or datetime.now()).replace(microsecond=0)
    if not opts.dry_run and ledger is None:
        raise ClaimBookError("No ledger is open, so control numbers cannot be reserved.",
                             "Run with a ledger (--ledger PATH), or use --dry-run.")
    ids, held = select(book.get("Claims"), findings, ledger, opts.include_warnings,
                       book.sheet("Practice"))
    empty = BatchResult(pd.DataFrame(columns=BATCH_COLUMNS),
                        pd.DataFrame(columns=["claim_id", "batch_id", "submitted"]), held,
                        dry_run=opts.dry_run)
    if len(ids) == 0:
        return empty
    check_settings(book)
    prep = prepare(book, ids, ledger)
    held = pd.concat([held, prep.held], ignore_index=True)
    empty.held = held
    if len(prep.claims) == 0:
        return empty
    out = Path(tempfile.mkdtemp(prefix="claimbook-dry-run-")) if opts.dry_run else \
        Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    groups = plan(prep)
    acc = _Collected()
    created_at = now.isoformat(timespec="seconds")
    user = current_user()
    practice = book.practice
    npi = re.sub(r"\D", "", str(practice.billing_npi or ""))
    record = ledger is not None and not opts.dry_run
    try:
        with ledger.transaction() if record else nullcontext():
            if record:
                _check_not_sent_meanwhile(ledger, prep.claims)
            ordered, files = _in_file_order(prep, groups)
            reserved = [_reserve_file(f, ledger, opts, acc.taken) for f in files]
            controls = [c for c, _ in reserved]
            lic = np.concatenate([np.asarray(numbers, dtype="int64") for _, numbers in reserved])
            ordered.lines["line_control"] = lic.astype(str)
            texts = render_837_files(ordered.claims, ordered.lines, ordered.others, practice,
                                     [(f.start, f.end, c) for f, c in zip(files, controls)],
                                     now, opts.max_claims_per_st, cob=ordered.cob)
            for f, c, text in zip(files, controls, texts):
                _one_file(f, c, text, ledger, opts, now, out, acc)
            if record:
                _record(ledger, acc, npi, practice.usage, created_at, user)
    except BaseException:
        for p in acc.written:
            p.unlink(missing_ok=True)
        raise
    batches = pd.DataFrame(acc.rows).drop(columns=["_gs06", "_st"])[BATCH_COLUMNS]
    claim_batches = pd.concat(acc.per_claim, ignore_index=True)
    return BatchResult(batches, claim_batches, held.reset_index(drop=True), acc.files, out,
                       opts.dry_run)


def _check_not_sent_meanwhile(ledger: Ledger, claims: pd.DataFrame) -> None:
    """Inside the batch's transaction: no other run recorded these claims since selection."""
    sent = sent_claims(ledger)
    if sent.empty:
        return
    now_key = set(claims["claim_id"].astype(str) + "|" + claims["frequency"].astype(str))
    clash = sorted(k.split("|")[0] for k in set(sent["claim_id"].astype(str) + "|"
                                                + sent["frequency"].astype(str)) & now_key)
    if clash:
        raise ClaimBookError(
            f"Another batch run recorded {len(clash)} of these claims while this one was "
            f"preparing (e.g. claim {clash[0]}); no file was written.",
            "Run the batch again: the claims already sent will be left out.")


@dataclass
class _Collected:
    """What the files of one run produce: ledger rows, summaries, written paths."""

    rows: list[dict] = field(default_factory=list)  # batches
    subs: list[pd.DataFrame] = field(default_factory=list)  # submissions
    slines: list[pd.DataFrame] = field(default_factory=list)  # submitted_lines
    files: list[BatchFile] = field(default_factory=list)
    per_claim: list[pd.DataFrame] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    taken: dict[str, int] = field(default_factory=dict)  # dry-run counter offsets


@dataclass
class _File:
    """One payer's file: rows [start, end) of the claims and [line_start, line_end) of the
    lines of `prep`, whose claims are in file order (all files share the same `prep`)."""

    payer_id: str
    prep: Prepared
    start: int
    end: int
    line_start: int
    line_end: int

    def claims(self) -> pd.DataFrame:
        return self.prep.claims.iloc[self.start:self.end]

    def lines(self) -> pd.DataFrame:
        return self.prep.lines.iloc[self.line_start:self.line_end]


def _in_file_order(prep: Prepared, groups: list[tuple[str, np.ndarray]]
                   ) -> tuple[Prepared, list[_File]]:
    """The claims reordered file after file (lines and other payers follow), and each
    file's row ranges."""
    order = np.concatenate([pos for _, pos in groups])
    new_pos = np.empty(len(order), dtype="int64")
    new_pos[order] = np.arange(len(order))
    claims = prep.claims.iloc[order].reset_index(drop=True)
    lpos = new_pos[prep.lines["claim_pos"].to_numpy(dtype="int64")]
    lorder = np.argsort(lpos, kind="stable")  # a claim's lines keep their line order
    lines = prep.lines.iloc[lorder].reset_index(drop=True)
    lines["claim_pos"] = lpos[lorder]
    others = prep.others.copy()
    others["claim_pos"] = new_pos[others["claim_pos"].to_numpy(dtype="int64")]
    ordered = Prepared(claims, lines, others, prep.held, prep.cob)
    ends = np.cumsum([len(pos) for _, pos in groups])
    line_ends = np.searchsorted(lpos[lorder], ends, side="left")
    return ordered, [_File(payer_id, ordered, int(e - len(pos)), int(e),
                           int(line_ends[k - 1]) if k else 0, int(line_ends[k]))
                     for k, ((payer_id, pos), e) in enumerate(zip(groups, ends))]


def _reserve_file(f: _File, ledger: Ledger | None, opts: BatchOptions,
                  taken: dict[str, int]) -> tuple[Controls, list[int]]:
    """Reserve the file's ISA13, GS06 and ST02s, and its lines' line item control numbers
    (REF*6R)."""
    n_st = transaction_sets_needed(f.end - f.start, opts.max_claims_per_st)
    isa13 = _reserve(ledger, COUNTERS["isa13"], 1, opts.dry_run, taken)[0]
    gs06 = _reserve(ledger, COUNTERS["gs06"], 1, opts.dry_run, taken)[0]
    st02 = _reserve(ledger, COUNTERS["st02"], n_st, opts.dry_run, taken)
    lic = _reserve(ledger, COUNTERS["line"], f.line_end - f.line_start, opts.dry_run, taken)
    return Controls(isa13, gs06, st02), lic


def _one_file(f: _File, controls: Controls, text: str, ledger: Ledger | None,
              opts: BatchOptions, now: datetime, out: Path, acc: _Collected) -> None:
    """Write one payer's rendered file and collect its ledger rows."""
    created_at = now.isoformat(timespec="seconds")
    payer_id, isa13 = f.payer_id, controls.isa13
    claims, lines = f.claims(), f.lines()
    batch_id = f"{'DRY-' if opts.dry_run else ''}B{isa13:09d}"
    fname = f"837P_{_safe(payer_id)}_{now:%Y%m%d}_{isa13:09d}.x12"
    path = out / fname
    tmp = out / f".{fname}.tmp"
    tmp.write_text(text, encoding="ascii", newline="")
    os.replace(tmp, path)
    acc.written.append(path)
    cents = lines["charge_cents"].to_numpy(dtype="int64")
    total = int(cents.sum())
    acc.rows.append({"batch_id": batch_id, "payer_id": payer_id,
                 "payer": str(claims["payer_name"].iloc[0]),
                 "claims": len(claims), "lines": len(lines),
                 "total_charge": total / 100, "file": fname,
                 "isa13": f"{isa13:09d}", "created": pd.Timestamp(now),
                 "_gs06": controls.gs06, "_st": (controls.st02[0], controls.st02[-1])})
    acc.files.append(BatchFile(file=str(path), payer_id=payer_id, claims=len(claims),
                           lines=len(lines), total_charge=total / 100,
                           isa13=f"{isa13:09d}"))
    acc.per_claim.append(pd.DataFrame({"claim_id": claims["claim_id"].to_numpy(),
                                       "batch_id": batch_id,
                                       "submitted": pd.Timestamp(now.date())}))
    if opts.dry_run or ledger is None:
        return  # nothing goes to the ledger
    lpos = lines["claim_pos"].to_numpy(dtype="int64") - f.start  # row in this file's claims
    ctot = np.bincount(lpos, weights=cents, minlength=len(claims)).round().astype("int64")
    acc.subs.append(pd.DataFrame({
        "claim_id": claims["claim_id"].to_numpy(), "batch_id": batch_id,
        "payer_id": payer_id, "patient": claims["patient"].to_numpy(),
        "frequency": claims["frequency"].to_numpy(), "total_charge_cents": ctot,
        "first_dos": _iso(claims["first_dos"]), "submitted_at": created_at}))
    mods = [_text(lines[m]).to_numpy() for m in MODS]
    modtxt = [":".join(m for m in ms if m) for ms in zip(*mods)]  # as reconcile keys them
    acc.slines.append(pd.DataFrame({
        "claim_id": claims["claim_id"].to_numpy()[lpos],
        "batch_id": batch_id, "line_no": lines["line_no"].astype("int64").to_numpy(),
        "line_control": lines["line_control"].to_numpy(),
        "patient": lines["patient"].to_numpy(), "dos": _iso(lines["dos_from"]),
        "code": lines["code"].astype(str).to_numpy(), "modifiers": modtxt,
        "charge_cents": cents, "units": lines["units"].fillna(1).to_numpy()}))


def _iso(dates: pd.Series) -> np.ndarray:
    """Dates as YYYY-MM-DD text (None for NaT), formatted once per distinct date."""
    return E.map_unique(pd.Series(pd.to_datetime(dates)), lambda d: d.strftime("%Y-%m-%d"),
                        missing=None)


def _record(ledger: Ledger, acc: _Collected, npi: str, usage: str, created_at: str,
            user: str) -> None:
    """Insert the run's batches, submissions and submitted lines (inside its transaction)."""
    rows, subs, slines = acc.rows, acc.subs, acc.slines
    c = ledger.conn
    c.executemany(
        "INSERT INTO batches(batch_id, file, payer_id, billing_npi, claims, lines, "
        "total_charge_cents, isa13, gs06, st02_first, st02_last, usage, created_at, created_by)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(r["batch_id"], r["file"], r["payer_id"], npi, r["claims"], r["lines"],
          round(r["total_charge"] * 100), int(r["isa13"]), r["_gs06"], r["_st"][0],
          r["_st"][1], "P" if str(usage).upper() == "P" else "T", created_at, user)
         for r in rows])
    s = pd.concat(subs, ignore_index=True)
    c.executemany(
        "INSERT INTO submissions(claim_id, batch_id, payer_id, patient, frequency, "
        "total_charge_cents, first_dos, submitted_at) VALUES (?,?,?,?,?,?,?,?)",
        list(s[["claim_id", "batch_id", "payer_id", "patient", "frequency",
                "total_charge_cents", "first_dos", "submitted_at"]].astype(object).itertuples(
            index=False, name=None)))
    sl = pd.concat(slines, ignore_index=True)
    c.executemany(
        "INSERT INTO submitted_lines(claim_id, batch_id, line_no, line_control, patient, dos, "
        "code, modifiers, charge_cents, units) VALUES (?,?,?,?,?,?,?,?,?,?)",
        list(sl.astype(object).itertuples(index=False, name=None)))


def claim_batches_from_ledger(ledger: Ledger | None, claim_ids: pd.Series) -> pd.DataFrame:
    """The latest recorded batch and submission date of each claim in `claim_ids`."""
    sent = sent_claims(ledger)
    cols = ["claim_id", "batch_id", "submitted"]
    if sent.empty:
        return pd.DataFrame(columns=cols)
    sent = sent[sent["claim_id"].isin(set(claim_ids.astype(str)))]
    sent = sent.sort_values("submitted_at").drop_duplicates("claim_id", keep="last")
    return pd.DataFrame({"claim_id": sent["claim_id"], "batch_id": sent["batch_id"],
                         "submitted": pd.to_datetime(sent["submitted_at"].str[:10])
                         }).reset_index(drop=True)[cols]
