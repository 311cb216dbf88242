"""Post the PatientPayments table against patient balances, with a receipt per payment.

A payment that names one of the patient's claims goes to that claim first: up to its patient
responsibility once insurance is done, in full while the claim still waits on insurance (the
copay collected at the visit is held on its claim). Whatever is left, and every payment
without a claim, pays the patient's remitted, undisputed balances oldest DOS first; what
still finds no balance is a credit on the account.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.book import Book
from claimbook.patient_billing.money import allocate, cents
from claimbook.rules import patient_billing as R


def valid_payments(book: Book, claims: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Payments that can be posted (pid, patient, date, amount_c, claim_id...) and findings.

    `claims` is balances.claim_totals (claim_id, patient...).
    """
    p = book.get("PatientPayments").copy()
    sheet = book.sheet("PatientPayments")
    p["pid"] = np.arange(len(p))
    p["patient"] = p["patient"].astype("object")
    p["amount_c"] = cents(p["amount"])
    blank = p["patient"].isna()
    known = ~blank & p["patient"].astype(str).isin(book.get("Patients")["account"].astype(str))
    bad_amt = p["amount"].isna() | (p["amount_c"] <= 0)
    col = book.letter("PatientPayments", "patient")
    out = [F.from_mask(p, ~known & ~blank, R.PAY_PATIENT, "patient",
                       "Patient payment of {amount} dated {date} is for account {value}, which "
                       "is not in the Patients sheet; it was not posted.", sheet=sheet,
                       column=col),
           F.from_mask(p, blank, R.PAY_PATIENT, "patient",
                       "Patient payment of {amount} dated {date} has no account number; it was "
                       "not posted.", sheet=sheet, column=col),
           F.from_mask(p, known & bad_amt, R.PAY_AMOUNT, "amount",
                       "Patient payment of account {patient} dated {date} has amount "
                       "'{value}'; only a positive amount can be posted.", sheet=sheet,
                       column=book.letter("PatientPayments", "amount"))]
    p = p[known & ~bad_amt].copy()
    p["patient"] = p["patient"].astype(str)
    own = claims[["claim_id", "patient"]].drop_duplicates()
    named = p["claim_id"].notna()
    ok = p[["claim_id", "patient"]].merge(own, on=["claim_id", "patient"], how="left",
                                          indicator=True)["_merge"].eq("both").to_numpy()
    wrong = named.to_numpy() & ~ok
    out.append(F.from_mask(p, wrong, R.PAY_CLAIM, "claim_id",
                           "Patient payment of {amount} from account {patient} dated {date} "
                           "names claim {value}, which is not one of the patient's claims; it "
                           "was posted to the oldest balances instead.", sheet=sheet,
                           column=book.letter("PatientPayments", "claim_id")))
    p.loc[wrong, "claim_id"] = None
    return p, F.concat(out)


def post(payments: pd.DataFrame, claims: pd.DataFrame,
         disputed: set[str] | None = None) -> pd.DataFrame:
    """Applications of payments to claims: rows (pid, claim_id, cents); claim_id None = credit.

    `claims` has claim_id, patient, first_dos, state, pr_c (balances.claim_totals).
    """
    disputed = disputed or set()
    pay = payments.sort_values(["date", "pid"], kind="stable")
    cl = claims.set_index("claim_id")
    # Phase 1: payments naming a claim, to that claim.
    directed = pay[pay["claim_id"].notna()]
    dcl = cl.loc[directed["claim_id"].unique()] if len(directed) else cl.iloc[:0]
    asked = directed.groupby("claim_id")["amount_c"].sum().reindex(dcl.index).fillna(0)
    cap = np.where(dcl["state"].eq("remitted"), dcl["pr_c"].clip(lower=0), asked)
    d1 = pd.DataFrame({"key": dcl.index, "d": dcl.index, "cents": cap})
    s1 = pd.DataFrame({"key": directed["claim_id"], "s": directed["pid"],
                       "cents": directed["amount_c"]})
    a1 = allocate(d1, s1)
    used1 = a1.groupby("s")["cents"].sum() if len(a1) else pd.Series(dtype="int64")
    taken = a1.groupby("d")["cents"].sum() if len(a1) else pd.Series(dtype="int64")
    # Phase 2: the rest, oldest remitted undisputed balance first.
    left = pay["amount_c"] - pay["pid"].map(used1).fillna(0).astype("int64")
    s2 = pd.DataFrame({"key": pay["patient"], "s": pay["pid"], "cents": left})
    open_cl = claims[claims["state"].eq("remitted") & ~claims["claim_id"].isin(disputed)]
    open_cl = open_cl.sort_values(["patient", "first_dos", "claim_id"], kind="stable")
    rest = open_cl["pr_c"] - open_cl["claim_id"].map(taken).fillna(0).astype("int64")
    d2 = pd.DataFrame({"key": open_cl["patient"], "d": open_cl["claim_id"], "cents": rest})
    a2 = allocate(d2, s2)
    apps = pd.concat([a1, a2], ignore_index=True)
    used = apps.groupby("s")["cents"].sum() if len(apps) else pd.Series(dtype="int64")
    credit = pay["amount_c"] - pay["pid"].map(used).fillna(0).astype("int64")
    cr = pd.DataFrame({"s": pay["pid"], "d": None, "cents": credit})
    apps = pd.concat([apps[["s", "d", "cents"]], cr[cr["cents"] > 0]], ignore_index=True)
    return apps.rename(columns={"s": "pid", "d": "claim_id"}).astype({"cents": "int64"})


def receipts(payments: pd.DataFrame, apps: pd.DataFrame) -> pd.DataFrame:
    """One receipt row per posted payment: what it paid and what is left as credit."""
    a = apps.copy()
    a["txt"] = a["claim_id"].astype(str) + " " + (a["cents"] / 100).map("{:,.2f}".format)
    applied = a[a["claim_id"].notna()]
    txt = applied.groupby("pid")["txt"].agg("; ".join)
    amt = applied.groupby("pid")["cents"].sum()
    credit = a[a["claim_id"].isna()].groupby("pid")["cents"].sum()
    p = payments.sort_values(["date", "pid"], kind="stable")
    date_txt = p["date"].dt.strftime("%Y%m%d").fillna("00000000")
    row = p["_row"].astype("int64").astype(str) if "_row" in p else p["pid"].astype(str)
    return pd.DataFrame({
        "Receipt #": ("R" + date_txt + "-" + row).to_numpy(),
        "Account #": p["patient"].to_numpy(),
        "Date": p["date"].to_numpy(),
        "Method": p["method"].astype("object").fillna("").to_numpy(),
        "Reference": p["reference"].astype("object").fillna("").to_numpy(),
        "Amount": (p["amount_c"] / 100).round(2).to_numpy(),
        "Applied": (p["pid"].map(amt).fillna(0) / 100).round(2).to_numpy(),
        "Credit": (p["pid"].map(credit).fillna(0) / 100).round(2).to_numpy(),
        "Applied to": p["pid"].map(txt).astype(object).fillna("").to_numpy(),
        "Excel row": p["_row"].to_numpy() if "_row" in p else None,
    })


def credit_findings(book: Book, payments: pd.DataFrame, apps: pd.DataFrame) -> pd.DataFrame:
    """PAY-CREDIT for payments that left a credit on the account."""
    credit = apps[apps["claim_id"].isna()].groupby("pid")["cents"].sum()
    c = payments["pid"].map(credit).fillna(0)
    p = payments.assign(credit_amt=(c / 100).map("{:.2f}".format))
    return F.from_mask(p, c.gt(0).to_numpy(), R.PAY_CREDIT, "amount",
                       "Patient payment of {value} from account {patient} dated {date}: "
                       "{credit_amt} found no balance to pay and is held as a credit.",
                       sheet=book.sheet("PatientPayments"),
                       column=book.letter("PatientPayments", "amount"))
