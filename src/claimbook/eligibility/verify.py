"""Verify coverage for the Appointments table and estimate what the patient will owe.

Per appointment: the coverage active on the date (primary before secondary before tertiary),
its payer and member id; the price of the planned codes (FeeSchedule allowed amount for the
payer, else for payer '*', else the standard charge); and the estimated patient share:

    copay (at most the price) + deductible left (at most what remains) +
    coinsurance % of what remains after both,

the deductible left being used up by the patient's earlier appointments with the same payer.

A 271 response for the appointment (matched by the 270 trace, else member id) replaces the
workbook's coverage fields it carries: active/inactive, plan dates, copay, deductible left
and coinsurance. Flags: no coverage (ELIG-NO-COVERAGE), none active on the date or inactive
per the 271 (ELIG-EXPIRED), a planned code that needs prior authorization without an
authorization number (ELIG-PRIOR-AUTH), a code with no price (ELIG-NO-PRICE).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.book import Book
from claimbook.eligibility.x270 import trace_numbers
from claimbook.patient_billing.money import cents, dollars
from claimbook.results import ResultSheet, Section
from claimbook.rules import patient_billing as R

PRIORITY_RANK = {"primary": 0, "secondary": 1, "tertiary": 2}


@dataclass
class Verification:
    appointments: pd.DataFrame  # one row per appointment, with coverage and estimate
    codes: pd.DataFrame  # one row per planned code with price and auth need
    findings: pd.DataFrame


def _norm_codes(s: pd.Series) -> pd.Series:
    s = s.astype(str).str.upper().str.replace(r"\s+", "", regex=True)
    return s.where(~s.str.fullmatch(r"\d{1,4}"), s.str.zfill(5))


def planned_codes(appts: pd.DataFrame) -> pd.DataFrame:
    """One row per (appointment, planned code)."""
    codes = appts["planned_codes"].astype("object").fillna("").astype(str)
    ex = codes.str.split(r"[,;/\s]+").explode()
    ex = ex[ex.str.len() > 0]
    return pd.DataFrame({"aid": appts["aid"].to_numpy()[ex.index.to_numpy()],
                         "code": _norm_codes(ex).to_numpy()})


def coverage_on_date(book: Book, appts: pd.DataFrame) -> pd.DataFrame:
    """Per appointment: best coverage active on its date, and whether any coverage exists."""
    cov = book.get("Coverage").copy()
    cov["rank"] = cov["priority"].map(PRIORITY_RANK).fillna(3)
    cov["patient"] = cov["patient"].astype(str)
    m = appts[["aid", "patient", "date"]].merge(cov.drop(columns=["_row"], errors="ignore"),
                                                on="patient", how="inner")
    active = ((m["effective_from"].isna() | (m["effective_from"] <= m["date"]))
              & (m["effective_to"].isna() | (m["effective_to"] >= m["date"])))
    any_cov = set(m["aid"])
    last_end = m.groupby("aid")["effective_to"].max()
    act = m[active].sort_values(["aid", "rank"], kind="stable")
    rest = act.duplicated("aid")
    others = act[rest].groupby("aid")["payer_id"].agg(lambda s: ", ".join(s.astype(str)))
    best = act[~rest].assign(active_wb=True)
    # No coverage active on the date: the latest-ending one (its member id lets a 271 match).
    old = m[~m["aid"].isin(best["aid"])].sort_values(
        ["aid", "rank", "effective_to"], ascending=[True, True, False], na_position="first")
    best = pd.concat([best, old.drop_duplicates("aid").assign(active_wb=False)])
    best = best.set_index("aid")
    out = appts[["aid"]].set_index("aid")
    for c in ("payer_id", "priority", "member_id", "group_number", "relationship",
              "subscriber_last", "subscriber_first", "subscriber_dob", "subscriber_sex",
              "effective_from", "effective_to", "copay", "deductible", "deductible_met",
              "coinsurance_pct", "prior_auth_required"):
        out[c] = best[c].reindex(out.index)
    out["active_wb"] = best["active_wb"].reindex(out.index).fillna(False).astype(bool)
    out["other_coverage"] = others.reindex(out.index).fillna("")
    out["has_coverage"] = out.index.isin(list(any_cov))
    out["last_end"] = last_end.reindex(out.index)
    return out.reset_index()


def apply_271(cov: pd.DataFrame, appts: pd.DataFrame, responses: pd.DataFrame | None
              ) -> pd.DataFrame:
    """Overlay 271 answers (by trace, else by member id) onto the coverage per appointment."""
    cov = cov.copy()
    cov["source"] = np.where(cov["payer_id"].notna(), "workbook", "")
    cov["active_271"] = pd.Series([None] * len(cov), dtype="object")
    cov["rejection"] = None
    if responses is None or responses.empty:
        return cov
    r = responses.drop_duplicates("trace", keep="last").set_index("trace")
    hit = appts["trace"].isin(r.index).to_numpy()
    by_member = responses.dropna(subset=["member_id"]).drop_duplicates("member_id", keep="last")
    by_member = by_member.set_index("member_id", drop=False)
    rows = r.reindex(appts["trace"])
    alt = by_member.reindex(cov["member_id"].astype(str))
    use_alt = ~hit & alt["level"].notna().to_numpy()
    for c in rows.columns:
        rows[c] = np.where(use_alt, alt[c].to_numpy(), rows[c].to_numpy())
    found = hit | use_alt
    rows.index = cov.index
    f = pd.Series(found, index=cov.index)
    cov.loc[f, "source"] = "271"
    cov.loc[f, "active_271"] = rows.loc[f, "active"]
    cov.loc[f, "rejection"] = rows.loc[f, "rejection"]
    begin, end = pd.to_datetime(rows["plan_begin"]), pd.to_datetime(rows["plan_end"])
    dated = f & (begin.notna() | end.notna())
    cov["effective_from"] = cov["effective_from"].where(~dated, begin)
    cov["effective_to"] = cov["effective_to"].where(~dated, end)
    for src, dst in (("copay", "copay"), ("coinsurance_pct", "coinsurance_pct")):
        v = pd.to_numeric(rows[src], errors="coerce")
        cov[dst] = cov[dst].where(~(f & v.notna()), v)
    left = pd.to_numeric(rows["deductible_left"], errors="coerce")
    ded = pd.to_numeric(rows["deductible"], errors="coerce")
    put = f & left.notna()
    cov.loc[put, "deductible"] = ded.where(ded.notna(), left)[put]
    cov.loc[put, "deductible_met"] = (cov.loc[put, "deductible"] - left[put]).clip(lower=0)
    return cov


def price_codes(book: Book, codes: pd.DataFrame, payer: pd.Series) -> pd.DataFrame:
    """Per planned code: price (allowed, else standard charge) and payer auth requirement."""
    fees = book.get("FeeSchedule").copy()
    fees["modifier"] = fees["modifier"].astype("object")
    fees = fees.sort_values("modifier", na_position="first", kind="stable")
    fees = fees.drop_duplicates(["payer_id", "code"])
    c = codes.assign(payer_id=payer.reindex(codes["aid"]).to_numpy())
    own = c.merge(fees, on=["payer_id", "code"], how="left")
    star = c[["code"]].merge(fees[fees["payer_id"].eq("*")].drop(columns="payer_id"),
                             on="code", how="left")
    price = own["allowed"].fillna(own["standard_charge"])
    price = price.fillna(star["allowed"]).fillna(star["standard_charge"])
    auth = own["prior_auth_required"].fillna(star["prior_auth_required"]).fillna(False)
    return c.assign(price=price.to_numpy(), fee_auth=auth.astype(bool).to_numpy())


def verify(book: Book, responses: pd.DataFrame | None = None) -> Verification:
    """Verification of every appointment (see the module docstring)."""
    a = book.get("Appointments").copy().reset_index(drop=True)
    sheet = book.sheet("Appointments")
    a["aid"] = np.arange(len(a))
    a["patient"] = a["patient"].astype(object).where(a["patient"].notna(), "").astype(str)
    a["trace"] = trace_numbers(a["patient"], a["date"])
    known = a["patient"].isin(book.get("Patients")["account"].astype(str))
    cov = apply_271(coverage_on_date(book, a), a, responses)
    active = ((cov["active_wb"] | cov["active_271"].eq(True)) & ~cov["active_271"].eq(False)
              & cov["payer_id"].notna())
    codes = planned_codes(a)
    priced = price_codes(book, codes, cov.set_index("aid")["payer_id"].where(active))
    em = priced["code"].str.fullmatch(r"992\d\d")
    plan_auth = priced["aid"].map(cov.set_index("aid")["prior_auth_required"]).fillna(False)
    priced["needs_auth"] = priced["fee_auth"] | (plan_auth.astype(bool) & ~em)
    total_c = priced.assign(c=cents(priced["price"])).groupby("aid")["c"].sum()
    total_c = total_c.reindex(a["aid"]).fillna(0).astype("int64").to_numpy()
    no_price = priced["price"].isna().groupby(priced["aid"]).any()
    auth_codes = priced[priced["needs_auth"]].groupby("aid")["code"].agg(", ".join)

    copay = np.minimum(cents(cov["copay"]), total_c)
    ded_left = np.maximum(cents(cov["deductible"]) - cents(cov["deductible_met"]), 0)
    # The deductible left is used up visit by visit: a patient's appointments with one payer
    # in date order each take what the earlier ones left.
    rest = np.where(active, total_c - copay, 0)
    order = pd.DataFrame({"k1": a["patient"], "k2": cov["payer_id"].fillna("").astype(str),
                          "d": a["date"], "r": rest}).sort_values(["k1", "k2", "d"],
                                                                  kind="stable")
    cum = order.groupby(["k1", "k2"], sort=False)["r"].cumsum().reindex(a.index).to_numpy()
    ded = np.minimum(ded_left, cum) - np.minimum(ded_left, cum - rest)
    pct = np.nan_to_num(cov["coinsurance_pct"].to_numpy(dtype="float64"))
    coins = np.round((total_c - copay - ded) * pct / 100).astype("int64")
    est = np.where(active, copay + ded + coins, total_c)

    out = a[["aid", "_row", "patient", "date", "provider_npi", "planned_codes", "prior_auth",
             "trace"]].copy()
    out["payer_id"] = cov["payer_id"].to_numpy()
    for c in ("priority", "member_id", "effective_from", "effective_to", "other_coverage",
              "source", "rejection"):
        out[c] = cov[c].to_numpy()
    out["active"] = np.where(active, "yes", np.where(cov["has_coverage"], "no", "none"))
    out["copay_c"], out["deductible_left_c"] = cents(cov["copay"]), ded_left
    out["coinsurance_pct"] = cov["coinsurance_pct"].to_numpy()
    out["price_c"], out["estimate_c"] = total_c, est
    out["auth_codes"] = a["aid"].map(auth_codes).astype(object).fillna("").to_numpy()
    out["auth_missing"] = out["auth_codes"].ne("") & out["prior_auth"].isna()

    expired = known & cov["has_coverage"].to_numpy() & ~active.to_numpy()
    ended = cov["last_end"].dt.strftime("%Y-%m-%d").fillna("open")
    why = np.where(cov["active_271"].eq(False), "the payer's 271 response says it is inactive",
                   "every coverage on file ended " + ended.astype(str)
                   + " or starts later")
    out["why"] = why
    col = book.letter
    f = [F.from_mask(out, ~known.to_numpy(), R.ELIG_PATIENT, "patient",
                     "Appointment on {date} is for account '{value}', which is not in the "
                     "Patients sheet.", sheet=sheet, column=col("Appointments", "patient")),
         F.from_mask(out, (known & ~cov["has_coverage"]).to_numpy(), R.ELIG_NO_COVERAGE,
                     "patient", "Account {value} has no coverage in the Coverage sheet for the "
                     "appointment on {date}: it would be self-pay.", sheet=sheet,
                     column=col("Appointments", "patient")),
         F.from_mask(out, expired, R.ELIG_EXPIRED, "date",
                     "Account {patient} has no active coverage on {value}: {why}.",
                     sheet=sheet, column=col("Appointments", "date")),
         F.from_mask(out, (known & out["auth_missing"]).to_numpy(), R.ELIG_PRIOR_AUTH,
                     "prior_auth", "Appointment of account {patient} on {date}: payer "
                     "{payer_id} requires prior authorization for {auth_codes} and no "
                     "authorization number is given.", sheet=sheet,
                     column=col("Appointments", "prior_auth"))]
    if len(no_price):
        miss = out["aid"].map(no_price).fillna(False).to_numpy(dtype=bool)
        f.append(F.from_mask(out, known.to_numpy() & miss, R.ELIG_NO_PRICE, "planned_codes",
                             "Appointment of account {patient} on {date}: a planned code of "
                             "'{value}' has no price in the FeeSchedule sheet; the estimate "
                             "leaves it out.", sheet=sheet,
                             column=col("Appointments", "planned_codes")))
    return Verification(out, priced, F.concat(f))


def requests(book: Book, v: Verification) -> pd.DataFrame:
    """What the 270 needs per appointment with active coverage (x270.build's columns)."""
    ap = v.appointments[v.appointments["payer_id"].notna()]  # expired too: renewed?
    cov = coverage_on_date(book, ap[["aid", "patient", "date"]]).set_index("aid")
    pts = book.get("Patients").drop_duplicates("account").set_index("account")
    payers = book.get("Payers").drop_duplicates("payer_id").set_index("payer_id")["name"]
    rel = cov["relationship"].reindex(ap["aid"]).fillna("self").to_numpy()
    dep = (rel != "self") & cov["subscriber_last"].reindex(ap["aid"]).notna().to_numpy()
    pl = ap["patient"].map(pts["last_name"]).to_numpy()
    pf = ap["patient"].map(pts["first_name"]).to_numpy()
    pdob = ap["patient"].map(pts["dob"]).to_numpy()
    psex = ap["patient"].map(pts["sex"]).to_numpy()
    c = cov.reindex(ap["aid"])
    return pd.DataFrame({
        "payer_id": ap["payer_id"].to_numpy(), "payer_name": ap["payer_id"].map(payers).to_numpy(),
        "trace": ap["trace"].to_numpy(), "member_id": ap["member_id"].to_numpy(),
        "dependent": dep,
        "sub_last": np.where(dep, c["subscriber_last"].to_numpy(), pl),
        "sub_first": np.where(dep, c["subscriber_first"].to_numpy(), pf),
        "sub_dob": pd.to_datetime(np.where(dep, c["subscriber_dob"].to_numpy(), pdob)),
        "sub_sex": np.where(dep, c["subscriber_sex"].to_numpy(), psex),
        "pat_last": pl, "pat_first": pf, "pat_dob": pd.to_datetime(pdob), "pat_sex": psex,
        "date": ap["date"].to_numpy()})


def sheet(v: Verification) -> ResultSheet:
    """The Eligibility sheet: one row per appointment."""
    a = v.appointments
    frame = pd.DataFrame({
        "Account #": a["patient"], "Date": a["date"], "Planned codes": a["planned_codes"],
        "Coverage active": a["active"], "Payer": a["payer_id"], "Priority": a["priority"],
        "Member ID": a["member_id"], "Coverage from": a["effective_from"],
        "Coverage to": a["effective_to"], "Other coverage": a["other_coverage"],
        "Copay": dollars(a["copay_c"]), "Deductible left": dollars(a["deductible_left_c"]),
        "Coinsurance %": a["coinsurance_pct"], "Price": dollars(a["price_c"]),
        "Estimated patient responsibility": dollars(a["estimate_c"]),
        "Prior auth needed for": a["auth_codes"], "Prior auth #": a["prior_auth"],
        "Checked by": a["source"], "271 rejection": a["rejection"], "Trace": a["trace"],
        "Excel row": a["_row"]})
    return ResultSheet("Eligibility", [Section(frame, title="Insurance verification",
                                               formats={"Coinsurance %": "number"})])
