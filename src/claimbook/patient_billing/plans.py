"""Payment plans: schedules that add up to the balance to the cent, and their tracking.

A plan (PaymentPlans row: patient, balance, down payment, installments, frequency, start
date) becomes installment 0 (the down payment, due on the start date) and installments
1..n due every week, two weeks or month after it (monthly keeps the day of the month, or the
month's last day); a plan without a down payment has installment 1 due on the start date. The financed amount (balance - down payment) is
split in whole cents: every installment gets the same amount and the first few one cent more,
so 100.00 in 3 is 33.34 + 33.33 + 33.33. When the amount has fewer cents than installments,
only the installments that carry a cent are kept (PLAN-SPLIT).

Tracking: the patient's posted payments dated from one period before the start date count
toward the plan, in date order. An installment is `paid` when those payments reach the
schedule's running total by its due date plus the grace days, `late` when they reach it
later, `missed` when they have not reached it and the grace days are over, `due` inside the
grace days and `upcoming` before its due date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from claimbook import findings as F
from claimbook.book import Book, as_date
from claimbook.patient_billing.money import cents, dollars
from claimbook.results import ResultSheet, Section
from claimbook.rules import patient_billing as R

GRACE_DAYS = 10
PERIOD_DAYS = {"weekly": 7, "biweekly": 14}
EXCEPTION_COLUMNS = ["type", "claim", "line", "payer", "amount", "reason", "next_action",
                     "source"]


@dataclass
class PlanRun:
    plans: pd.DataFrame  # one row per valid plan with its progress
    schedule: pd.DataFrame  # one row per installment with its status
    missed: pd.DataFrame  # exceptions-queue rows for missed installments
    findings: pd.DataFrame


def split(total_c: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(plan index, installment number 1..k, cents) for totals split into n whole-cent parts.

    Parts differ by at most one cent, larger first, and add up to the total exactly; an
    amount with fewer cents than parts keeps only the parts that carry a cent.
    """
    total_c = np.asarray(total_c, dtype="int64")
    k = np.minimum(np.asarray(n, dtype="int64"), np.maximum(total_c, 0))
    idx = np.repeat(np.arange(len(total_c)), k)
    num = np.arange(len(idx)) - np.repeat(np.cumsum(k) - k, k) + 1
    base = np.where(k > 0, total_c // np.maximum(k, 1), 0)
    rem = total_c - base * k
    amt = base[idx] + (num <= rem[idx]).astype("int64")
    return idx, num, amt


def due_dates(start: pd.Series, number: np.ndarray, frequency: pd.Series) -> pd.Series:
    """Due date of installment `number` (1 = start date), vectorized over rows."""
    start = pd.to_datetime(start).reset_index(drop=True)
    freq = frequency.reset_index(drop=True)
    step = number.astype("int64") - 1
    days = freq.map(PERIOD_DAYS)
    weekly = start + pd.to_timedelta(days.fillna(0).to_numpy() * step, unit="D")
    months = start.dt.year.to_numpy() * 12 + start.dt.month.to_numpy() - 1 + step
    first = pd.to_datetime(pd.DataFrame({"year": months // 12, "month": months % 12 + 1,
                                         "day": 1}))
    day = np.minimum(start.dt.day.to_numpy(), first.dt.days_in_month.to_numpy())
    monthly = first + pd.to_timedelta(day - 1, unit="D")
    return pd.Series(np.where(days.notna(), weekly, monthly), dtype="datetime64[ns]")


def _valid(book: Book) -> tuple[pd.DataFrame, pd.DataFrame]:
    p = book.get("PaymentPlans").copy()
    sheet = book.sheet("PaymentPlans")
    p["plan"] = np.arange(len(p))
    p["frequency"] = p["frequency"].astype("object").fillna("monthly").str.lower()
    p["balance_c"] = cents(p["balance"])
    p["down_c"] = cents(p["down_payment"])
    n = pd.to_numeric(p["installments"], errors="coerce")
    checks = [
        ("patient", p["patient"].isna(), "Payment plan has no account number."),
        ("balance", p["balance"].isna() | (p["balance_c"] <= 0),
         "Payment plan of account {patient}: the balance '{value}' must be a positive amount."),
        ("down_payment", (p["down_c"] < 0) | (p["down_c"] > p["balance_c"]),
         "Payment plan of account {patient}: the down payment {value} must be between 0 and "
         "the balance {balance}."),
        ("installments", n.isna() | (n < 1),
         "Payment plan of account {patient}: the number of installments '{value}' must be a "
         "whole number of 1 or more."),
        ("start_date", p["start_date"].isna(),
         "Payment plan of account {patient} has no start date (first installment due)."),
    ]
    bad = np.zeros(len(p), dtype=bool)
    out = []
    for fld, mask, msg in checks:
        m = mask.fillna(True).to_numpy(dtype=bool) & ~bad
        out.append(F.from_mask(p, m, R.PLAN_INVALID, fld, msg, sheet=sheet,
                               column=book.letter("PaymentPlans", fld)))
        bad |= m
    p = p[~bad].copy()
    p["installments"] = n[~bad].astype("int64")
    p["patient"] = p["patient"].astype(str)
    return p, F.concat(out)


def schedule(book: Book) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(valid plans, schedule rows, findings) from the PaymentPlans table."""
    p, findings = _valid(book)
    p = p.reset_index(drop=True)
    fin = (p["balance_c"] - p["down_c"]).to_numpy()
    idx, num, amt = split(fin, p["installments"].to_numpy())
    short = (np.bincount(idx, minlength=len(p)) < p["installments"].to_numpy()) & (fin > 0)
    p["scheduled"] = np.bincount(idx, minlength=len(p))
    f_split = F.from_mask(
        p.assign(fin=dollars(pd.Series(fin))), short, R.PLAN_SPLIT, "installments",
        "Payment plan of account {patient}: {fin} cannot be split into {value} installments of "
        "at least 0.01; the schedule has {scheduled}.", sheet=book.sheet("PaymentPlans"),
        column=book.letter("PaymentPlans", "installments"))
    inst = pd.DataFrame({"plan": idx, "number": num, "amount_c": amt})
    # with a down payment on the start date, installment 1 falls one period later
    shift = (p["down_c"].to_numpy() > 0).astype("int64")[idx]
    inst["due"] = due_dates(p["start_date"].iloc[idx], num + shift, p["frequency"].iloc[idx])
    down = p[p["down_c"] > 0]
    down = pd.DataFrame({"plan": down["plan"].index.to_numpy(), "number": 0,
                         "amount_c": down["down_c"].to_numpy(),
                         "due": down["start_date"].to_numpy()})
    sch = pd.concat([down, inst], ignore_index=True).sort_values(["plan", "number"])
    sch["patient"] = p["patient"].to_numpy()[sch["plan"].to_numpy()]
    sch["cum_due_c"] = sch.groupby("plan")["amount_c"].cumsum()
    return p, sch.reset_index(drop=True), F.concat([findings, f_split])


def track(book: Book, as_of: object = None, grace_days: int = GRACE_DAYS) -> PlanRun:
    """Schedules with paid / late / missed / due / upcoming from the PatientPayments table."""
    as_of = as_date(as_of)
    plans, sch, findings = schedule(book)
    pay = book.get("PatientPayments")
    pay = pd.DataFrame({"patient": pay["patient"].astype(str), "date": pay["date"],
                        "cents": cents(pay["amount"])})
    pay = pay[(pay["cents"] > 0) & pay["date"].notna() & (pay["date"] <= as_of)]
    first = due_dates(plans["start_date"], np.zeros(len(plans), dtype="int64"),
                      plans["frequency"])
    window = plans[["patient"]].assign(plan=np.arange(len(plans)), since=first.to_numpy())
    pp = window.merge(pay, on="patient")
    pp = pp[pp["date"] >= pp["since"]].sort_values(["plan", "date"], kind="stable")
    pp["cum_paid_c"] = pp.groupby("plan")["cents"].cumsum()
    total_paid = pp.groupby("plan")["cents"].sum()
    sch = sch.sort_values("cum_due_c", kind="stable")
    hit = pd.merge_asof(sch, pp[["plan", "cum_paid_c", "date"]].sort_values("cum_paid_c"),
                        left_on="cum_due_c", right_on="cum_paid_c", by="plan",
                        direction="forward")
    hit = hit.sort_values(["plan", "number"]).reset_index(drop=True)
    paid = hit["plan"].map(total_paid).fillna(0).astype("int64")
    hit["covered_c"] = np.clip(paid - (hit["cum_due_c"] - hit["amount_c"]), 0, hit["amount_c"])
    deadline = hit["due"] + pd.Timedelta(days=grace_days)
    hit["status"] = np.select(
        [hit["date"].notna() & (hit["date"] <= deadline), hit["date"].notna(),
         as_of > deadline, as_of >= hit["due"]],
        ["paid", "late", "missed", "due"], "upcoming")
    hit["days_overdue"] = np.where(hit["status"].eq("missed"), (as_of - hit["due"]).dt.days, 0)
    hit = hit.rename(columns={"date": "paid_on"}).drop(columns=["cum_paid_c"])
    hit["_row"] = plans["_row"].to_numpy()[hit["plan"].to_numpy()]
    plans = _progress(plans, hit, total_paid)
    missed = hit[hit["status"].eq("missed")]
    f_missed = F.from_mask(
        missed.assign(amt=dollars(missed["amount_c"]).map("{:.2f}".format),
                      short=dollars(missed["amount_c"] - missed["covered_c"]).map("{:.2f}".format)),
        np.ones(len(missed), dtype=bool), R.PLAN_MISSED, "start_date",
        "Payment plan of account {patient}: installment {number} of {amt} due {value} is "
        "missed ({short} unpaid, {days_overdue} days overdue).", value=missed["due"],
        sheet=book.sheet("PaymentPlans"), column=book.letter("PaymentPlans", "start_date"))
    return PlanRun(plans, hit, exceptions(missed, book), F.concat([findings, f_missed]))


def _progress(plans: pd.DataFrame, sch: pd.DataFrame, total_paid: pd.Series) -> pd.DataFrame:
    p = plans.copy()
    idx = np.arange(len(p))
    p["paid_c"] = pd.Series(idx).map(total_paid).fillna(0).astype("int64").clip(
        upper=p["balance_c"]).to_numpy()
    p["remaining_c"] = p["balance_c"] - p["paid_c"]
    missed = sch["status"].eq("missed").groupby(sch["plan"]).sum()
    p["missed"] = pd.Series(idx).map(missed).fillna(0).astype("int64").to_numpy()
    open_ = sch[sch["status"].isin(["missed", "due", "upcoming"])]
    nxt = open_.groupby("plan")[["due", "amount_c", "covered_c"]].first()
    p["next_due"] = pd.to_datetime(nxt["due"].reindex(idx).to_numpy())
    p["next_amount_c"] = (nxt["amount_c"] - nxt["covered_c"]).reindex(idx).fillna(0) \
        .astype("int64").to_numpy()
    p["state"] = np.select([p["remaining_c"].le(0), p["missed"].gt(0)],
                           ["paid off", "behind"], "on track")
    return p


def exceptions(missed: pd.DataFrame, book: Book) -> pd.DataFrame:
    """Missed installments as rows of the exceptions queue (reconcile's columns)."""
    sheet = book.sheet("PaymentPlans")
    unpaid = missed["amount_c"] - missed["covered_c"]
    return pd.DataFrame({
        "type": "Missed plan installment",
        "claim": "",
        "line": pd.array([pd.NA] * len(missed), dtype="Int64"),
        "payer": "",
        "amount": dollars(unpaid).to_numpy(),
        "reason": ("Account " + missed["patient"] + ": installment " + missed["number"].astype(str)
                   + " due " + missed["due"].dt.strftime("%Y-%m-%d") + " is missed ("
                   + missed["days_overdue"].astype(str) + " days overdue).").to_numpy(),
        "next_action": "Call the patient; record the payment in PatientPayments or agree a "
                       "new plan.",
        "source": (f"{sheet} row " + missed["_row"].astype(str)).to_numpy(),
    }, columns=EXCEPTION_COLUMNS)


def sheet(run: PlanRun) -> ResultSheet:
    """The Plan Schedule sheet: plans, the full schedule, and the missed installments."""
    p, s = run.plans, run.schedule
    plans = pd.DataFrame({
        "Account #": p["patient"], "Balance": dollars(p["balance_c"]),
        "Down payment": dollars(p["down_c"]), "Installments": p["scheduled"].astype("int64"),
        "Frequency": p["frequency"], "Start date": p["start_date"],
        "Paid to date": dollars(p["paid_c"]), "Remaining": dollars(p["remaining_c"]),
        "Missed": p["missed"], "Next due": p["next_due"],
        "Next amount": dollars(p["next_amount_c"]),
        "Status": p["state"], "Excel row": p["_row"]})
    sched = pd.DataFrame({
        "Account #": s["patient"], "Installment": s["number"].astype("int64"),
        "Due date": s["due"], "Amount": dollars(s["amount_c"]),
        "Paid toward it": dollars(s["covered_c"]), "Paid on": s["paid_on"],
        "Status": s["status"], "Days overdue": s["days_overdue"].astype("int64"),
        "Plan row": s["_row"]})
    missed = run.missed.rename(columns=str.capitalize)
    return ResultSheet("Plan Schedule", [
        Section(plans, title="Payment Plans"),
        Section(sched, title="Schedule (installment 0 is the down payment)"),
        Section(missed, title="Missed installments (exceptions queue)"),
    ])
