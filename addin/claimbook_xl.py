"""ClaimBook worksheet functions for Excel (xlwings UDFs), all named CB_...

Import them with the xlwings add-in's "Import Functions" (or the ClaimBook ribbon's
"Import functions" button); `UDF Modules` in the xlwings.conf sheet names this module.

Every function takes a single cell or a whole range: a range spills one result row per cell
(Excel 365 dynamic arrays; in older Excel select the output range and confirm with
Ctrl+Shift+Enter). Blanks give blank results; numbers where text is expected (99213.0),
datetimes, Excel serial numbers and text dates are all read; a bad input gives a readable
message in the cell, never a Python traceback.

Parameters carry no type annotations on purpose: xlwings reads annotations as converters.
The checks themselves are the engine's (claimbook.codesets, claimbook.aging, findings).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import xl_values as V
import xlwings as xw

from claimbook.errors import ClaimBookError

CATEGORY = "ClaimBook"
KINDS = ("icd10", "cpt", "hcpcs", "modifier", "pos", "npi", "ndc")
_KIND_ALIASES = {"icd": "icd10", "icd10cm": "icd10", "icd-10": "icd10", "icd-10-cm": "icd10",
                 "dx": "icd10", "diagnosis": "icd10", "mod": "modifier",
                 "place of service": "pos"}
STATUS_OK, STATUS_NOT_BILLABLE, STATUS_INVALID, STATUS_ERROR = (
    "OK", "Not billable", "Invalid", "Error")
CLAIM_STATUS = {"error": "Blocked", "warning": "Needs attention", "info": "Ready"}
MAX_FILING_DAYS = 3650  # a number larger than this is a payer id, not a filing limit


def one_line(doc: str | None) -> str | None:
    """A docstring as the one line Excel's Function Wizard shows (no newlines or indents)."""
    return " ".join(inspect.cleandoc(doc).split()) if doc else doc


def _safe(f: Callable[..., Any]) -> Callable[..., Any]:
    """Turn any exception into one readable cell ("ClaimBook: ... What to do: ...")."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except ClaimBookError as exc:
            msg = exc.message if exc.message.endswith((".", "!", "?")) else exc.message + "."
            return [[f"ClaimBook: {msg}" + (f" What to do: {exc.fix}" if exc.fix else "")]]
        except ValueError as exc:
            return [[f"ClaimBook: {exc}."]]
        except Exception as exc:  # noqa: BLE001 - a cell must never show a traceback
            return [[(f"ClaimBook could not compute {f.__name__} ({type(exc).__name__}: "
                      f"{exc}). Check the function's inputs; if they look right, report this "
                      "message to your ClaimBook contact.")]]

    wrapper.__doc__ = one_line(f.__doc__)  # xlwings hands __doc__ to the Function Wizard
    return wrapper


def _codesets():
    try:
        from claimbook import codesets
    except ImportError:
        raise ClaimBookError(
            "the code sets are not installed with this copy of ClaimBook",
            "Install ClaimBook again from its folder (python -m pip install .) and restart "
            "Excel.") from None
    return codesets


def _kind(kind: Any) -> str:
    text = V.one_text(kind, "kind")
    k = "icd10" if text is None else text.lower()
    k = _KIND_ALIASES.get(k, k)
    if k not in KINDS:
        raise ValueError(f"kind '{kind}' is not one of {', '.join(KINDS)}")
    return k


# --- pure, vectorized cores (tested directly and through the UDFs) -------------------------

def check_codes(kind: str, codes: Any, dos: Any = None) -> list[list[Any]]:
    """Status and message per cell of `codes` (one row each, row-major).

    Each distinct code is looked up once per ICD-10-CM fiscal year with
    claimbook.codesets.lookup, so a 50,000-row column of a few thousand distinct codes costs a
    few thousand lookups. Blanks stay blank; cell errors and unreadable dates say so.
    """
    kind = _kind(kind)
    cells, _shape = V.flatten(codes)
    n = len(cells)
    errs = V.error_mask(cells)
    odd = V.not_codes(cells.where(~errs, None))  # TRUE/FALSE, 1.5, 1E+300
    odd_mask = odd.notna().to_numpy()
    text = V.texts(cells.where(~errs & odd.isna(), None))
    blank = text.isna()
    day = _dos_per_row(dos, n)
    status = np.full(n, "", dtype=object)
    message = np.full(n, "", dtype=object)
    todo = ~(blank | errs).to_numpy() & ~odd_mask
    if odd_mask.any():
        status[odd_mask] = STATUS_ERROR
        message[odd_mask] = odd[odd_mask].to_numpy(dtype=object)
    if day is not None:
        bad_day = day[1].to_numpy() & todo
        if bad_day.any():
            status[bad_day] = STATUS_ERROR
            dos_err = V.error_mask(day[2]).to_numpy()
            message[bad_day] = [
                (f"DOS shows {V.error_text(v)}; fix the cell it comes from" if e else
                 f"DOS '{v}' is not a date; type it as a date, e.g. 2026-03-15")
                for v, e in zip(day[2][bad_day], dos_err[bad_day], strict=True)]
            todo &= ~bad_day
    if todo.any():
        keys = pd.DataFrame({"code": text[todo].to_numpy(dtype=object)})
        keys["dos"] = (day[0][todo].to_numpy() if day is not None
                       else np.full(len(keys), np.datetime64("NaT"), dtype="datetime64[ns]"))
        if kind != "icd10":
            keys["dos"] = pd.NaT  # only ICD-10-CM validity depends on the date
        st, msg = _lookup_unique(kind, keys)
        status[todo] = st
        message[todo] = msg
    if errs.any():
        e = errs.to_numpy()
        status[e] = STATUS_ERROR
        message[e] = [f"the cell shows {V.error_text(v)}; fix the cell it comes from"
                      for v in cells[e]]
    return np.column_stack([status, message]).tolist()


def _lookup_unique(kind: str, keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Status and message per (code, dos) row, looking each distinct pair up once.

    ICD-10-CM validity only changes with the fiscal year (October 1), so codes are looked up
    once per fiscal year on one of its dates; a message that names that date (a code valid in
    another year) is looked up again on each row's own date.
    """
    fiscal_year = _codesets().fiscal_year

    uniq = keys.drop_duplicates().reset_index(drop=True)
    dates = pd.to_datetime(uniq["dos"])
    fy = dates.map(lambda d: None if pd.isna(d) else fiscal_year(d.date()))
    parts = []
    for year, grp in uniq.groupby(fy, dropna=False, sort=False):
        codes = grp["code"].drop_duplicates()
        probe = None if pd.isna(year) else dates[grp.index[0]].date()
        res = _codesets().lookup(kind, codes.tolist(), dos=probe)
        st, msg = _status_message(res)
        table = pd.DataFrame({"code": codes.to_numpy(), "status": st, "message": msg})
        part = grp[["code", "dos"]].merge(table, on="code", how="left")
        part.index = grp.index
        if probe is not None:
            named = part["status"].ne(STATUS_OK) & part["message"].str.contains(
                probe.isoformat(), regex=False)
            redo = []
            for d, sub in part[named].groupby("dos", sort=False):
                r = _codesets().lookup(kind, sub["code"].tolist(), dos=pd.Timestamp(d).date())
                st2, msg2 = _status_message(r)
                redo.append(pd.DataFrame({"status": st2, "message": msg2}, index=sub.index))
            if redo:
                fixed = pd.concat(redo)
                part.loc[fixed.index, ["status", "message"]] = fixed.to_numpy()
        parts.append(part)
    uniq = pd.concat(parts)
    merged = keys.merge(uniq, on=["code", "dos"], how="left", sort=False)
    return merged["status"].to_numpy(dtype=object), merged["message"].to_numpy(dtype=object)


def _status_message(res: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """OK / Not billable / Invalid and the text shown beside it, from a lookup frame."""
    valid = res["valid"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    not_billable = res["billable"].astype("boolean").eq(False).fillna(False).to_numpy(
        dtype=bool)
    status = np.where(valid, STATUS_OK, np.where(not_billable, STATUS_NOT_BILLABLE,
                                                 STATUS_INVALID))
    desc = res["description"].fillna("").astype(str)
    reason = res["reason"].fillna("").astype(str)
    norm = res["normalized"].fillna("").astype(str)
    described = (norm + ": " + desc).where(desc.ne(""), reason)
    message = np.where(valid, described.to_numpy(dtype=object), reason.to_numpy(dtype=object))
    return status, message


def _dos_per_row(dos: Any, n: int) -> tuple[pd.Series, pd.Series, pd.Series] | None:
    if dos is None:
        return None
    if not isinstance(dos, list | tuple):
        one = pd.Series([dos], dtype=object)
        if not V.error_mask(one).iloc[0] and V.texts(one).isna().all():
            return None
    cells, _ = V.flatten(dos)
    cells = V.broadcast(cells, n, "DOS")
    errs = V.error_mask(cells)
    vals, bad = V.dates(cells.where(~errs, None))
    return vals, (bad | errs), cells


def npi_check(npi: Any) -> list[list[Any]]:
    """'Valid' or 'Invalid: why' per cell, in the shape of the argument."""
    cells, shape = V.flatten(npi)
    rows = check_codes("npi", [[v] for v in cells.tolist()])
    out = [("Valid" if st == STATUS_OK else "" if st == "" else f"{st}: {msg}")
           for st, msg in rows]
    return V.reshape(out, shape)


def filing_limits(payer: pd.Series, payers: pd.DataFrame | None, default_days: int = 90,
                  medicare_days: int = 365) -> tuple[pd.Series, pd.Series]:
    """Filing limit in days per payer cell, and a mask of payers that could not be resolved.

    A payer cell is a number of days, a payer id found in `payers` (its Timely filing days,
    else 365 for filing indicator MB/MA, else the default), or a filing indicator code.
    """
    num = pd.to_numeric(payer.where(payer.map(type).isin((int, float))), errors="coerce")
    text = V.texts(payer)
    typed = pd.to_numeric(text.where(text.str.fullmatch(r"\d{1,5}", na=False)), errors="coerce")
    num = num.where(num.notna(), typed)  # "90" typed as text is 90 days too
    num = num.where(num.between(1, MAX_FILING_DAYS))
    limit = pd.Series(np.nan, index=payer.index, dtype="float64")
    if payers is not None and len(payers):
        pid = V.header_lookup(payers, ("Payer ID", "payer_id", "payer", "payer code", "id"),
                              "payers range")
        if pid is None:
            raise ValueError("the payers range has no 'Payer ID' header; select the Payers "
                             "table including its header row")
        fi = V.header_lookup(payers, ("Filing indicator", "filing_indicator",
                                      "claim filing indicator", "sbr09", "plan type"),
                             "payers range")
        tf = V.header_lookup(payers, ("Timely filing days", "timely_filing_days",
                                      "timely filing", "filing limit", "tfl"), "payers range")
        ids = V.texts(payers[pid]).str.upper()
        days = (pd.to_numeric(payers[tf], errors="coerce") if tf else
                pd.Series(np.nan, index=payers.index))
        ind = V.texts(payers[fi]).str.upper() if fi else pd.Series(None, index=payers.index,
                                                                   dtype=object)
        per = np.where(days.notna(), days,
                       np.where(ind.isin(["MB", "MA"]), medicare_days, default_days))
        table = pd.Series(per.astype("float64"), index=ids).groupby(level=0).first()
        limit = text.str.upper().map(table).astype("float64")
    # a number that is not a payer id is a number of days
    limit = limit.where(limit.notna(), num)
    is_medicare = text.str.upper().isin(["MB", "MA", "MEDICARE"])
    limit = limit.where(limit.notna() | ~is_medicare, float(medicare_days))
    unresolved = limit.isna() & text.notna()
    return limit, unresolved


def timely_days_left(dos: Any, payer: Any, as_of: Any = None, payers: Any = None
                     ) -> list[list[Any]]:
    """Days left to file per DOS cell (negative: past the limit)."""
    cells, shape = V.flatten(dos)
    n = len(cells)
    errs = V.error_mask(cells)
    day, bad = V.dates(cells.where(~errs, None))
    pay = V.broadcast(V.flatten(payer)[0], n, "payer")
    pay_err = V.error_mask(pay)
    pay_odd = V.not_codes(pay.where(~pay_err, None), "a payer id or a number of days")
    frame = V.table_from_range(payers) if payers is not None else None
    limit, unresolved = filing_limits(pay.where(~pay_err & pay_odd.isna(), None), frame)
    asof = V.one_date(as_of, "as-of date") or V.today()
    left = (day + pd.to_timedelta(limit, unit="D") - asof).dt.days
    out = left.astype("Int64").astype(object).where(left.notna(), None).tolist()
    for i in np.flatnonzero((bad | errs).to_numpy()):
        out[i] = (f"DOS shows {V.error_text(cells[i])}" if errs[i] else
                  f"DOS '{cells[i]}' is not a date")
    for i in np.flatnonzero((unresolved & ~bad & ~errs & day.notna()).to_numpy()):
        shown = V.texts(pay.iloc[[i]]).iloc[0]
        out[i] = (f"payer '{shown}' is not in the payers range; add it to the Payers table "
                  f"or give a number of days (1 to {MAX_FILING_DAYS})" if frame is not None else
                  f"payer '{shown}': give the Payers table as 4th argument, a number of "
                  f"days (1 to {MAX_FILING_DAYS}), or MB/MA for Medicare")
    for i in np.flatnonzero((pay_err | pay_odd.notna()).to_numpy()):
        if not (errs[i] or bad[i]):
            out[i] = (f"payer shows {V.error_text(pay[i])}; fix the cell it comes from"
                      if pay_err[i] else f"payer: {pay_odd[i]}")
    return V.reshape(out, shape)


def aging_buckets(when: Any, as_of: Any = None) -> list[list[Any]]:
    """Aging bucket (0-30 ... 120+) per date cell, as of a date (default today)."""
    from claimbook.aging import bucket

    cells, shape = V.flatten(when)
    errs = V.error_mask(cells)
    day, bad = V.dates(cells.where(~errs, None))
    asof = V.one_date(as_of, "as-of date") or V.today()
    age = (asof - day).dt.days
    out = bucket(age).tolist()
    for i in np.flatnonzero((age < 0).to_numpy()):
        out[i] = (f"{day[i]:%Y-%m-%d} is in the future (after the as-of date "
                  f"{asof:%Y-%m-%d}); check the date")
    for i in np.flatnonzero((bad | errs).to_numpy()):
        out[i] = (f"date shows {V.error_text(cells[i])}; fix the cell it comes from" if errs[i]
                  else f"'{cells[i]}' is not a date; type it as a date, e.g. 2026-03-15")
    return V.reshape(V.cells(out), shape)


def claim_status(claim_id: Any, findings_range: Any) -> list[list[Any]]:
    """Ready / Needs attention / Blocked per claim id, from the Findings sheet's table."""
    from claimbook.findings import worst_by_claim

    frame = V.table_from_range(findings_range)
    cid = V.header_lookup(frame, ("Claim ID", "claim_id", "claim", "claim #", "claim number"),
                          "findings range")
    sev = V.header_lookup(frame, ("Severity", "severity"), "findings range")
    if cid is None or sev is None:
        raise ValueError("the findings range needs the 'Claim ID' and 'Severity' headers; "
                         "select the whole Findings table including its header row, e.g. "
                         "Findings[#All]")
    f = pd.DataFrame({"claim_id": V.texts(frame[cid]).fillna(""),
                      "severity": V.texts(frame[sev]).fillna("").str.lower()})
    known = f["severity"].isin(list(CLAIM_STATUS))
    unknown = f[~known & f["severity"].ne("") & f["claim_id"].ne("")]
    f = f[known]
    worst = worst_by_claim(f) if len(f) else pd.Series(dtype=object)
    odd_severity = unknown.groupby("claim_id")["severity"].first()
    cells, shape = V.flatten(claim_id)
    errs = V.error_mask(cells)
    odd = V.not_codes(cells.where(~errs, None), "a claim ID")
    ids = V.texts(cells.where(~errs & odd.isna(), None))
    worst_ids = ids.map(worst)
    out = worst_ids.map(CLAIM_STATUS).where(ids.notna(), None)
    out = out.where(out.notna() | ids.isna(), CLAIM_STATUS["info"])
    # a severity ClaimBook does not know must not read "Ready" (only an error outranks it)
    sev_odd = ids.map(odd_severity)
    flag = sev_odd.notna() & worst_ids.ne("error")
    out[flag] = [f"Check the Findings table: severity '{v}' is not error, warning or info"
                 for v in sev_odd[flag]]
    out[errs] = [f"claim ID shows {V.error_text(v)}; fix the cell it comes from"
                 for v in cells[errs]]
    out[odd.notna()] = [f"claim ID: {m}" for m in odd[odd.notna()]]
    return V.reshape(V.cells(out.tolist()), shape)


# --- the worksheet functions -----------------------------------------------------------------

_CODE_DOC = "A cell or a column of codes (blanks allowed)."
_DOS_DOC = ("Optional date of service: one cell for all codes, or a column the same size. "
            "Codes are checked against the code set in force on that date.")


@xw.func(category=CATEGORY)
@xw.arg("code", ndim=2, err_to_str=True, doc="ICD-10-CM code, with or without the dot "
        "(E11.65 or E1165); a cell or a column.")
@xw.arg("dos", ndim=2, err_to_str=True, doc=_DOS_DOC)
@_safe
def CB_ICD(code, dos=None):
    """Checks ICD-10-CM diagnosis codes. Spills two columns per code: status (OK, Not
    billable, Invalid) and the description or what is wrong."""
    return check_codes("icd10", code, dos)


@xw.func(category=CATEGORY)
@xw.arg("codes", ndim=2, err_to_str=True, doc=_CODE_DOC)
@xw.arg("kind", err_to_str=True, doc="What the codes are: icd10 (default), cpt, hcpcs, modifier, pos, npi "
        "or ndc.")
@xw.arg("dos", ndim=2, err_to_str=True, doc=_DOS_DOC)
@_safe
def CB_CHECK_CODES(codes, kind="icd10", dos=None):
    """Checks a whole column of codes at once. Spills one row per cell: status (OK, Not
    billable, Invalid, Error) and a message."""
    return check_codes(kind, codes, dos)


@xw.func(category=CATEGORY)
@xw.arg("npi", ndim=2, err_to_str=True, doc="A 10-digit NPI (text or number); a cell or a "
        "range.")
@_safe
def CB_NPI(npi):
    """Checks NPIs (10 digits, first digit 1 or 2, Luhn check digit): 'Valid' or 'Invalid:
    why', one per cell."""
    return npi_check(npi)


@xw.func(category=CATEGORY)
@xw.arg("dos", ndim=2, err_to_str=True, doc="Date of service: a cell or a column.")
@xw.arg("payer", ndim=2, err_to_str=True, doc="Payer ID (looked up in payers), a filing "
        "indicator (MB/MA = Medicare, 365 days) or a number of days; one cell or a column.")
@xw.arg("as_of", err_to_str=True, doc="Optional: count days left as of this date "
        "(default today).")
@xw.arg("payers", ndim=2, err_to_str=True, doc="Optional: the Payers table with its header "
        "row (e.g. tblPayers[#All]); its Timely filing days, else 365 for Medicare (MB/MA), "
        "else 90.")
@_safe
def CB_TIMELY_DAYS(dos, payer, as_of=None, payers=None):
    """Days left to file a claim for a DOS with a payer (negative: the limit has passed)."""
    return timely_days_left(dos, payer, as_of, payers)


@xw.func(category=CATEGORY)
@xw.arg("when", ndim=2, err_to_str=True, doc="Date of service or submission date: a cell "
        "or a column.")
@xw.arg("as_of", err_to_str=True, doc="Optional: age as of this date (default today).")
@_safe
def CB_AGING_BUCKET(when, as_of=None):
    """A/R aging bucket of a date: 0-30, 31-60, 61-90, 91-120 or 120+ days (day 30 is in
    0-30, day 121 in 120+)."""
    return aging_buckets(when, as_of)


@xw.func(category=CATEGORY)
@xw.arg("claim_id", ndim=2, err_to_str=True, doc="Claim ID: a cell or a column.")
@xw.arg("findings", ndim=2, err_to_str=True, doc="The Findings table with its header row "
        "(e.g. Findings[#All]), as written by Validate codes or Scrub claims.")
@_safe
def CB_CLAIM_STATUS(claim_id, findings):
    """A claim's scrub status from the findings: Blocked (an error), Needs attention (a
    warning) or Ready."""
    return claim_status(claim_id, findings)


UDFS = (CB_ICD, CB_CHECK_CODES, CB_NPI, CB_TIMELY_DAYS, CB_AGING_BUCKET, CB_CLAIM_STATUS)
