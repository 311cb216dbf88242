"""The exceptions queue: every remittance problem as one to-do row.

Columns: type, claim, line, payer, amount (dollars), reason (plain words), next_action, source
(file and segment, trace or sheet row). Built from the ledger's postings and imbalances (so the
queue survives a re-run that posts nothing new) plus the current import (duplicates).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.typing import SeriesGroupBy

from claimbook.book import Book, PracticeSettings
from claimbook.reconcile import codes
from claimbook.reconcile.match import fee_lookup
from claimbook.reconcile.postings import Postings, latest
from claimbook.x12.x835 import FORWARDED, Era

COLUMNS = ["type", "claim", "line", "payer", "amount", "reason", "next_action", "source"]
ORDER = ["Imbalanced remittance", "Unreadable remittance", "Unmatched remittance",
         "Reversal without original", "Reversal mismatch",
         "Denial", "Partial payment", "Underpayment", "Overpayment", "Credit balance",
         "Patient responsibility", "No remittance", "Deposit mismatch", "Duplicate remittance"]


def _money(c: pd.Series) -> pd.Series:
    return c.astype("float64") / 100.0


def _fmt(c: pd.Series) -> pd.Series:
    return (c.astype("float64") / 100.0).map("{:,.2f}".format)


def _frame(**cols: object) -> pd.DataFrame:
    f = pd.DataFrame(cols)
    return f.reindex(columns=COLUMNS)


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c == "amount" else object)
                         for c in COLUMNS})


def _imbalance_rows(claim: pd.Series, line: pd.Series, payer: pd.Series, imb: pd.DataFrame,
                    file: pd.Series) -> pd.DataFrame:
    return _frame(
        type="Imbalanced remittance", claim=claim, line=line, payer=payer,
        amount=_money(imb["found_cents"] - imb["expected_cents"]), reason=imb["message"],
        next_action="Ask the payer for a corrected remittance; post this one by hand after "
                    "checking the payer's portal.",
        source=file + " segment " + imb["segment"].astype(str))


def imbalances(p: Postings, era: Era | None = None) -> pd.DataFrame:
    """Every imbalance kept in the ledger (listed on every run until the ledger forgets it),
    plus those of `era` not in the ledger (remittances posted before it kept them)."""
    i = p.imbalances
    frames = [_imbalance_rows(i["remit_claim_id"], i["line_no"], i["payer_name"], i, i["file"])]
    if era is not None and len(era.imbalances):
        t = era.transactions.set_index("txn_key")
        key = ["payer_key", "trace", "paid_cents"]
        remit = t[key].reset_index().merge(p.remits[[*key, "remit_id"]], on=key, how="left")
        kept = remit.loc[remit["remit_id"].isin(i["remit_id"]), "txn_key"]
        e = era.imbalances[~era.imbalances["txn_key"].isin(kept)]
        rc = era.claims.set_index("claim_key")["remit_claim_id"]
        frames.append(_imbalance_rows(e["claim_key"].map(rc), None,
                                      e["txn_key"].map(t["payer_name"]), e,
                                      e["txn_key"].map(t["file"])))
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty()
    return pd.concat(frames, ignore_index=True).drop_duplicates(["reason", "source"])


def duplicates(dups: pd.DataFrame) -> pd.DataFrame:
    """A remittance delivered again under another file name (re-reading the very file that
    was posted, as every `claimbook run` does with remits/, is reported but not a to-do)."""
    dups = dups[dups["file"].astype(str).ne(dups["posted_file"].astype(str))]
    if dups.empty:
        return empty()
    when = dups["posted_at"].astype(str)
    return _frame(
        type="Duplicate remittance", claim=None, line=None, payer=dups["payer_key"],
        amount=_money(dups["paid_cents"]),
        reason="Remittance trace " + dups["trace"] + " for " + _fmt(dups["paid_cents"])
               + " was already posted (" + when + ", file " + dups["posted_file"].astype(str)
               + "); nothing was posted again.",
        next_action="None: discard the duplicate file.", source=dups["file"])


def unmatched(p: Postings) -> pd.DataFrame:
    c = p.claims[p.claims["claim_id"].isna()]
    if c.empty:
        return empty()
    return _frame(
        type="Unmatched remittance", claim=c["remit_claim_id"], line=None,
        payer=c["payer_key"], amount=_money(c["paid_cents"]),
        reason="Remittance claim " + c["remit_claim_id"] + " (payer claim # "
               + c["payer_claim_number"].fillna("") + ", charge " + _fmt(c["charge_cents"])
               + ") matches no claim by claim id, payer claim number or member id + DOS + "
                 "charge.",
        next_action="Find the claim (is the claim id on the payer's file one of ours?), "
                    "add it to the Claims sheet or post it by hand.",
        source=c["file"] + " trace " + c["trace"])


def orphan_reversals(p: Postings) -> pd.DataFrame:
    """Reversals with no earlier posting, and reversals that do not undo the original's amount."""
    c = p.claims
    rev = c[c["status"].eq("22")]
    linked = c.dropna(subset=["reversed_by"]).assign(
        reversed_by=lambda f: f["reversed_by"].astype("int64"))
    frames = []
    pair = rev.merge(linked[["reversed_by", "paid_cents"]], left_on="id",
                     right_on="reversed_by", suffixes=("", "_orig"))
    off = pair[pair["paid_cents"].ne(-pair["paid_cents_orig"])]
    if len(off):
        frames.append(_frame(
            type="Reversal mismatch", claim=off["claim_id"], line=None,
            payer=off["payer_id"].fillna(off["payer_key"]),
            amount=_money(off["paid_cents"] + off["paid_cents_orig"]),
            reason="The reversal takes back " + _fmt(-off["paid_cents"]) + " but "
                   + _fmt(off["paid_cents_orig"]) + " was posted.",
            next_action="Ask the payer which payment the reversal undoes; the difference "
                        "stays on the claim.",
            source=off["file"] + " trace " + off["trace"]))
    rev = rev[~rev["id"].isin(linked["reversed_by"])]
    if rev.empty:
        return pd.concat(frames, ignore_index=True) if frames else empty()
    frames.append(_frame(
        type="Reversal without original", claim=rev["claim_id"].fillna(rev["remit_claim_id"]),
        line=None, payer=rev["payer_id"].fillna(rev["payer_key"]), amount=_money(rev["paid_cents"]),
        reason="The payer reversed a payment of " + _fmt(-rev["paid_cents"])
               + " that was never posted here.",
        next_action="Find the original remittance (posted in another ledger?) and import it; "
                    "until then the reversal lowers the claim's payments.",
        source=rev["file"] + " trace " + rev["trace"]))
    return pd.concat(frames, ignore_index=True)


def line_problems(book: Book, p: Postings, settings: PracticeSettings) -> pd.DataFrame:
    """Denials, partial payments, under- and overpayments on each payer's latest answer."""
    cur = latest(p.claims)
    if cur.empty:
        return empty()
    adj = p.adjustments[p.adjustments["claim_payment_id"].isin(cur["id"])]
    den = adj[adj["category"].eq("denial")]
    ln = p.lines[p.lines["claim_payment_id"].isin(cur["id"])].copy()
    frames = []
    # claim-level denials (claims with no service lines, or claim-level CAS)
    cden = den[den["line_payment_id"].isna()]
    if len(cden):
        cl = cden.merge(cur[["id", "claim_id", "payer_name", "remarks", "file", "trace"]],
                        left_on="claim_payment_id", right_on="id", suffixes=("", "_cp"))
        frames.append(_frame(
            type="Denial", claim=cl["claim_id_cp"], line=None,
            payer=cl["payer_id"].fillna(cl["payer_name"]), amount=_money(cl["amount_cents"]),
            reason=cl["group_code"] + "-" + cl["reason"] + ": " + codes.carc_text(cl["reason"])
                   + "." + _remarks(cl["remarks"]),
            next_action=codes.carc_action(cl["reason"]),
            source=cl["file"] + " trace " + cl["trace"]))
    if len(ln):
        lden = den.dropna(subset=["line_payment_id"])
        main = lden.sort_values("amount_cents").drop_duplicates("line_payment_id", keep="last")
        main = main.set_index(main["line_payment_id"].astype("int64"))
        ln["denied_cents"] = ln["id"].map(lden.groupby(
            lden["line_payment_id"].astype("int64"))["amount_cents"].sum()).fillna(0)
        ln["den_group"] = ln["id"].map(main["group_code"])
        ln["den_reason"] = ln["id"].map(main["reason"])
        ln["claim_ref"] = ln["claim_id"].fillna(ln["remit_claim_id"])
        d = ln[ln["denied_cents"].gt(0)]
        if len(d):
            text = d["den_group"] + "-" + d["den_reason"] + ": " + codes.carc_text(d["den_reason"])
            claim_paid = d["claim_payment_id"].map(cur.set_index("id")["paid_cents"]).fillna(0)
            full = d["paid_cents"].le(0) & claim_paid.le(0)
            what = np.where(d["paid_cents"].gt(0),
                            " paid " + _fmt(d["paid_cents"]) + ", the rest denied: ",
                            " denied (other lines of the claim were paid): ")
            frames.append(_frame(
                type=np.where(full, "Denial", "Partial payment"), claim=d["claim_ref"],
                line=d["line_no"], payer=d["payer_id"].fillna(d["payer_name"]),
                amount=_money(d["denied_cents"]),
                reason="Line " + d["code"].fillna("")
                       + np.where(full, " denied: ", what) + text + "." + _remarks(d["rarc"]),
                next_action=codes.carc_action(d["den_reason"]),
                source="trace " + d["trace"]))
        # contract check on paid lines of primary answers
        paid = ln[ln["status"].isin(["1", "19"]) & ln["denied_cents"].eq(0)
                  & ln["claim_id"].notna() & ln["charge_cents"].gt(0)].copy()
        if len(paid) and book.has("FeeSchedule"):
            frames += _contract_check(book, paid, settings)
    return pd.concat(frames, ignore_index=True) if frames else empty()


def _contract_check(book: Book, paid: pd.DataFrame, settings: PracticeSettings
                    ) -> list[pd.DataFrame]:
    """Paid lines whose allowed amount is off the contract (FeeSchedule) by more than the
    tolerance: underpayments grouped by payer + code + modifier, overpayments per line."""
    mods = paid["modifiers"].fillna("")
    first_mod = mods.map({m: m.split(":")[0] for m in pd.unique(mods)})  # a few lists
    contract = fee_lookup(book.get("FeeSchedule"), paid["payer_id"], paid["code"],
                          first_mod) * paid["units"].fillna(1.0).clip(lower=1.0)
    pr = paid[["deductible_cents", "coinsurance_cents", "copay_cents",
               "other_pr_cents"]].sum(axis=1)
    allowed = paid["allowed_cents"].astype("float64").fillna(paid["paid_cents"] + pr)
    tol = round(settings.underpayment_tolerance * 100)
    diff = contract - allowed
    frames = []
    under = diff.gt(tol)
    if under.any():
        frames.append(underpayments(paid[under].assign(
            mod=first_mod[under], allowed_c=allowed[under], contract_c=contract[under],
            short_c=diff[under])))
    over = diff.lt(-tol)
    if over.any():
        u = paid[over]
        frames.append(_frame(
            type="Overpayment", claim=u["claim_id"], line=u["line_no"], payer=u["payer_id"],
            amount=_money(diff[over].abs()),
            reason="Line " + u["code"] + " allowed " + _fmt(allowed[over]) + ", above the "
                   "contract's " + _fmt(contract[over]) + ".",
            next_action="Check the contract; expect a recoupment or refund the difference.",
            source="trace " + u["trace"]))
    return frames


def _only_one(values: pd.Series, by: pd.Series) -> pd.Series:
    """Per group: its value when the group has exactly one distinct value, else None."""
    g = values.groupby(by, sort=False)
    return g.first().where(g.nunique().eq(1), None)


def _listed(names: pd.Series, by: pd.Series, most: int = 5) -> pd.Series:
    """Per group: 'C1, C7, C9' (distinct, in order), '... and 4 more' past `most`."""
    d = pd.DataFrame({"by": by.to_numpy(), "n": names.astype(str).to_numpy()}).drop_duplicates()
    rank = d.groupby("by", sort=False).cumcount()
    head = d[rank < most].groupby("by", sort=False)["n"].agg(", ".join)
    more = (rank >= most).groupby(d["by"], sort=False).sum()
    return head + np.where(more.reindex(head.index).gt(0),
                           " and " + more.reindex(head.index).astype(str) + " more", "")


def _span(values: SeriesGroupBy) -> pd.Series:
    """Per group: '80.00' when every value is the same, else '80.00 to 95.00'."""
    lo, hi = values.min(), values.max()
    return _fmt(lo) + np.where(lo.eq(hi), "", " to " + _fmt(hi))


def underpayments(u: pd.DataFrame) -> pd.DataFrame:
    """One row per payer + code + modifier: lines, total shortfall, allowed vs contract.

    `u` holds the underpaid lines with allowed_c, contract_c, short_c (cents) and mod; each
    line stays in the Payments sheet (Service line payments).
    """
    u = u.sort_values(["claim_id", "line_no"], kind="stable")
    u = u.assign(service=u["code"] + np.where(u["mod"].ne(""), "-" + u["mod"], ""))
    key = u["payer_id"].astype(str) + "\x1f" + u["service"]
    g = u.groupby(key, sort=False)
    n = g.size()
    allowed, contract, short = g["allowed_c"].sum(), g["contract_c"].sum(), g["short_c"].sum()
    one = n.eq(1)
    tail = np.where(one, " short. Claim ", " short in all (" + _fmt(allowed) + " allowed vs "
                    + _fmt(contract) + " contracted). Claims ")
    return _frame(
        type="Underpayment", claim=_only_one(u["claim_id"], key),
        line=_only_one(u["line_no"], key).where(one, None), payer=g["payer_id"].first(),
        amount=_money(short),
        reason=n.astype(str) + np.where(one, " line of ", " lines of ") + g["service"].first()
               + " allowed " + _span(g["allowed_c"]) + ", below the contract's "
               + _span(g["contract_c"]) + ": " + _fmt(short) + tail
               + _listed(u["claim_id"], key) + ".",
        next_action="Appeal / check the contract: appeal citing the FeeSchedule allowed "
                    "amount, or correct the FeeSchedule if the payer's schedule changed.",
        source="Payments sheet, service line payments").reset_index(drop=True)


def _remarks(remarks: pd.Series) -> pd.Series:
    r = remarks.fillna("").astype(object)
    txt = r.map({v: codes.rarc_text(v) for v in pd.unique(r)})  # a few distinct remark lists
    return np.where(txt.ne(""), " Remarks: " + txt + ".", "")


def balances(bal: pd.DataFrame) -> pd.DataFrame:
    """Credit balances and patient responsibility to bill, from claim balances."""
    frames = []
    credit = bal[bal["balance_cents"].lt(0) | bal["insurance_balance_cents"].lt(0)]
    if len(credit):
        amt = credit[["balance_cents", "insurance_balance_cents"]].min(axis=1)
        frames.append(_frame(
            type="Credit balance", claim=credit["claim_id"], line=None,
            payer=credit["payer_id"], amount=_money(-amt),
            reason="Payments and adjustments exceed the charge of " + _fmt(credit["charge_cents"])
                   + " by " + _fmt(-amt) + ".",
            next_action="Check for a duplicate or overpayment; refund the payer or the patient.",
            source="Claims sheet"))
    frames.append(patient_responsibility(bal))
    return pd.concat(frames, ignore_index=True) if frames else empty()


def patient_responsibility(bal: pd.DataFrame) -> pd.DataFrame:
    """One row per patient with a balance to bill: the total and its claims. Claims waiting
    on the next payer and claims under dispute (statements hold them) are left out."""
    pr = bal[bal["patient_balance_cents"].gt(0) & ~bal["forwarded"] & ~bal["disputed"]]
    if pr.empty:
        return empty()
    pr = pr.sort_values(["patient", "dos", "claim_id"], kind="stable")
    who = pr["patient"].astype(str)
    g = pr.groupby(who, sort=False)
    total, n = g["patient_balance_cents"].sum(), g.size()
    name = pd.Series(total.index, index=total.index)
    owed = pr["claim_id"].astype(str) + " " + _fmt(pr["patient_balance_cents"])
    owed = owed.where(who.map(n).gt(1), pr["claim_id"].astype(str))
    claims = np.where(n.eq(1), " on claim ", " on " + n.astype(str) + " claims: ")
    return _frame(
        type="Patient responsibility", claim=_only_one(pr["claim_id"], who),
        line=None, payer=_only_one(pr["payer_id"], who), amount=_money(total),
        reason="Patient " + name + " owes " + _fmt(total) + claims
               + _listed(owed, who, most=10) + " (deductible, coinsurance, copay the payers "
               "assigned: " + _fmt(g["patient_resp_cents"].sum()) + "; received so far: "
               + _fmt(g["patient_paid_cents"].sum()) + ").",
        next_action="Bill the patient (claimbook statements).",
        source="Patient " + name).reset_index(drop=True)


def no_remittance(bal: pd.DataFrame, as_of: pd.Timestamp, days: int,
                  self_pay: set[str] = frozenset()) -> pd.DataFrame:
    """Insurance claims sent more than `days` ago with no remittance (self-pay left out)."""
    sent = bal[bal["submitted_on"].notna() & ~bal["remitted"] & ~bal["payer_id"].isin(self_pay)]
    late = sent[(as_of - sent["submitted_on"]).dt.days > days]
    if late.empty:
        return empty()
    age = (as_of - late["submitted_on"]).dt.days.astype(str)
    return _frame(
        type="No remittance", claim=late["claim_id"], line=None, payer=late["payer_id"],
        amount=_money(late["charge_cents"]),
        reason="Sent on " + late["submitted_on"].dt.strftime("%Y-%m-%d") + ", " + age
               + f" days ago, and no remittance yet (follow-up after {days} days).",
        next_action="Check the claim status with the payer (portal or 276); resubmit if the "
                    "payer never received it.",
        source="Claims sheet")


def deposits(book: Book, p: Postings) -> pd.DataFrame:
    """Deposits table vs remittances by trace number: amount differs or one side missing."""
    if not book.has("Deposits"):
        return empty()
    dep = book.get("Deposits").dropna(subset=["trace"])
    if dep.empty:
        return empty()
    dep = dep.assign(trace=dep["trace"].astype(str).str.strip(),
                     dep_cents=(dep["amount"].fillna(0) * 100).round().astype("int64"))
    rem = p.remits[["trace", "paid_cents", "payer_name", "file", "payment_method"]]
    rem = rem[rem["paid_cents"].ne(0)]
    m = dep.merge(rem, on="trace", how="outer", indicator=True)
    frames = []
    sheet = book.sheet("Deposits")
    row = m["_row"].astype("Int64").astype(str)
    diff = m[m["_merge"].eq("both") & m["dep_cents"].ne(m["paid_cents"])]
    only_dep = m[m["_merge"].eq("left_only")]
    only_rem = m[m["_merge"].eq("right_only")]
    if len(diff):
        frames.append(_frame(
            type="Deposit mismatch", claim=None, line=None, payer=diff["payer_name"],
            amount=_money(diff["dep_cents"] - diff["paid_cents"]),
            reason="Deposit " + diff["trace"] + " is " + _fmt(diff["dep_cents"])
                   + " but the remittance paid " + _fmt(diff["paid_cents"]) + ".",
            next_action="Check the bank statement and the payer's remittance; ask the payer "
                        "about the difference.",
            source=sheet + " row " + row[diff.index]))
    if len(only_dep):
        frames.append(_frame(
            type="Deposit mismatch", claim=None, line=None, payer=only_dep["payer_id"],
            amount=_money(only_dep["dep_cents"]),
            reason="Deposit " + only_dep["trace"] + " of " + _fmt(only_dep["dep_cents"])
                   + " has no remittance.",
            next_action="Get the 835 for this deposit from the payer or clearinghouse.",
            source=sheet + " row " + row[only_dep.index]))
    if len(only_rem):
        frames.append(_frame(
            type="Deposit mismatch", claim=None, line=None, payer=only_rem["payer_name"],
            amount=_money(only_rem["paid_cents"]),
            reason="Remittance " + only_rem["trace"] + " paid " + _fmt(only_rem["paid_cents"])
                   + " but no deposit has that trace number.",
            next_action="Check the bank account for the deposit; add it to the Deposits sheet.",
            source=only_rem["file"]))
    return pd.concat(frames, ignore_index=True) if frames else empty()


def queue(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """All exception rows, in a stable order (type, then claim)."""
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        return empty()
    q = pd.concat(parts, ignore_index=True)
    q["_o"] = q["type"].map({t: i for i, t in enumerate(ORDER)}).fillna(len(ORDER))
    q = q.sort_values(["_o", "claim", "line"], kind="stable", na_position="last")
    q = q.drop(columns="_o").reset_index(drop=True)
    q["amount"] = q["amount"].astype("float64").round(2)
    q["line"] = pd.to_numeric(q["line"], errors="coerce").astype("Int64")
    return q


FORWARD_NOTE = {s: "forwarded to the next payer: do not rebill" for s in FORWARDED}
