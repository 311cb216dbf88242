"""Turn what xlwings hands a worksheet function into tidy pandas values, and back.

xlwings passes a range as a 2-D list (rows of cells), a single cell as a scalar, blanks as
None, every number as a float (an integer code typed in a cell arrives as 99213.0), date cells
as `datetime`, and, with `err_to_str=True`, cell errors as text such as "#N/A". These helpers
flatten that into one pandas Series per argument so the engine's vectorized normalisers (the
same ones the workbook reader uses) do the work, then shape results back into the 2-D lists
Excel spills.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from claimbook import normalize as N

EXCEL_ERRORS = frozenset({"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
                          "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!",
                          "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!"})
# pywin32 hands cell errors over as these integers when err_to_str is not set.
_COM_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?",
               -2146826288: "#NULL!", -2146826252: "#NUM!", -2146826265: "#REF!",
               -2146826273: "#VALUE!"}


def as_rows(value: Any) -> list[list[Any]]:
    """Any argument (scalar, 1-D or 2-D list, tuple) as a 2-D list of rows."""
    if isinstance(value, list | tuple):
        if not value:
            return [[None]]
        if isinstance(value[0], list | tuple):
            return [list(r) for r in value]
        return [list(value)]
    return [[value]]


def flatten(value: Any) -> tuple[pd.Series, tuple[int, int]]:
    """Cells in row-major order as an object Series, plus the (rows, columns) shape."""
    rows = as_rows(value)
    ncol = max(len(r) for r in rows)
    if all(len(r) == ncol for r in rows):
        if ncol == 1:
            flat = [r[0] for r in rows]
        else:
            flat = [v for r in rows for v in r]
    else:
        flat = [v for r in rows for v in (list(r) + [None] * (ncol - len(r)))]
    return pd.Series(flat, dtype=object), (len(rows), ncol)


def error_mask(cells: pd.Series) -> pd.Series:
    """True where the cell holds an Excel error (#N/A, #VALUE!, ... or pywin32's code)."""
    if cells.empty:
        return pd.Series(False, index=cells.index)
    is_str = cells.map(type).eq(str)
    out = pd.Series(False, index=cells.index)
    if is_str.any():
        out[is_str] = cells[is_str].str.strip().str.upper().isin(EXCEL_ERRORS)
    is_num = cells.map(type).isin((int, float))
    if is_num.any():
        out[is_num] = cells[is_num].isin(list(_COM_ERRORS))
    return out


def error_text(value: Any) -> str:
    """The error as Excel shows it (#N/A...), from its text or pywin32 code."""
    if isinstance(value, int | float) and value in _COM_ERRORS:
        return _COM_ERRORS[int(value)]
    return str(value).strip().upper()


def texts(cells: pd.Series) -> pd.Series:
    """Cell text: floats that are whole numbers lose '.0', dates become YYYY-MM-DD, blanks
    None (the reader's `ident` normaliser)."""
    return N.ident(cells)[0]


def dates(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates from datetimes, Excel serial numbers or text; (values, unreadable mask).
    TRUE/FALSE cells are unreadable (not day 1 and day 0)."""
    vals, bad = N.date(cells)
    if len(cells):
        is_bool = cells.map(type).isin((bool, np.bool_))
        if is_bool.any():
            vals = vals.where(~is_bool, pd.NaT)
            bad = bad | is_bool
    return vals, bad


def broadcast(series: pd.Series, n: int, name: str) -> pd.Series:
    """A one-cell argument repeated n times; an n-cell argument as is; otherwise an error."""
    if len(series) == n:
        return series.reset_index(drop=True)
    if len(series) == 1:
        return pd.Series([series.iloc[0]] * n, dtype=series.dtype)
    raise ValueError(f"{name} has {len(series)} cells but the first argument has {n}; give "
                     f"one cell or a range of the same size")


def one_text(value: Any, name: str) -> str | None:
    """A single optional text argument (kind): None when blank; ValueError for a range or
    an error value."""
    cells, _ = flatten(value)
    if len(cells) != 1:
        raise ValueError(f"{name} must be one cell, not a range of {len(cells)} cells")
    if error_mask(cells).iloc[0]:
        raise ValueError(f"{name} shows the error {error_text(cells.iloc[0])}; fix the cell "
                         "it comes from")
    if isinstance(cells.iloc[0], bool | np.bool_):
        raise ValueError(f"{name} is {'TRUE' if cells.iloc[0] else 'FALSE'}; type it as "  # noqa: TRY004 - shown in the cell
                         "text, e.g. \"icd10\"")
    return texts(cells).iloc[0]


def one_date(value: Any, name: str) -> pd.Timestamp | None:
    """A single optional date argument (as-of): None when blank; ValueError when unreadable."""
    cells, _ = flatten(value)
    if len(cells) != 1:
        raise ValueError(f"{name} must be one cell, not a range of {len(cells)} cells")
    if error_mask(cells).iloc[0]:
        raise ValueError(f"{name} shows the error {error_text(cells.iloc[0])}")
    if isinstance(cells.iloc[0], bool | np.bool_):
        raise ValueError(f"{name} is {'TRUE' if cells.iloc[0] else 'FALSE'}, not a date; "  # noqa: TRY004
                         "type it as a date, e.g. 2026-03-15")
    vals, bad = dates(cells)
    if bad.iloc[0]:
        raise ValueError(f"{name} '{cells.iloc[0]}' is not a date; type it as a date, "
                         "e.g. 2026-03-15")
    v = vals.iloc[0]
    return None if pd.isna(v) else pd.Timestamp(v)


def table_from_range(value: Any) -> pd.DataFrame:
    """A range with a header row (e.g. `tblPayers[#All]`) as a DataFrame of raw cells."""
    rows = as_rows(value)
    header = rows[0]
    width = len(header)
    body = [list(r) + [None] * (width - len(r)) for r in rows[1:]]
    names = [("" if h is None else str(h)) for h in header]
    frame = pd.DataFrame(body, columns=range(width), dtype=object)
    frame.columns = names
    return frame


def header_lookup(frame: pd.DataFrame, keys: Sequence[str], what: str = "range"
                  ) -> str | None:
    """The first column of `frame` whose header matches one of `keys` (case, space and
    punctuation ignored). Two columns with that header: ValueError saying which."""
    wanted = [_key(k) for k in keys]
    by_key: dict[str, list[int]] = {}
    for i, c in enumerate(frame.columns):
        by_key.setdefault(_key(c), []).append(i)
    for k in wanted:
        if k in by_key:
            cols = by_key[k]
            if len(cols) > 1:
                names = " and ".join(f"column {get_column_letter(i + 1)} ('{frame.columns[i]}')"
                                     for i in cols)
                raise ValueError(
                    f"the {what} has the same header twice: {names}, counting from the "
                    "range's first column; rename or remove one of them so ClaimBook knows "
                    "which to use")
            return frame.columns[cols[0]]
    return None




MAX_CODE_NUMBER = 1e15  # larger numbers have lost digits in Excel (15 significant digits)


def not_codes(cells: pd.Series, what: str = "a code") -> pd.Series:
    """A readable message where a cell cannot be an identifier (TRUE/FALSE, a number with
    decimals, a huge number), else None. Whole numbers (99213.0) are fine: Excel made them."""
    out = pd.Series(None, index=cells.index, dtype=object)
    kinds = cells.map(type)
    for i in np.flatnonzero(kinds.isin((bool, np.bool_)).to_numpy()):
        v = cells.iloc[i]
        out.iloc[i] = (f"{'TRUE' if v else 'FALSE'} is not {what}; the cell holds a yes/no "
                       "value (often a formula comparing cells): type the value itself")
    is_num = kinds.isin((float, int, np.float64, np.int64)).to_numpy()
    if is_num.any():
        idx = np.flatnonzero(is_num)
        v = cells.to_numpy(dtype=object)[idx].astype("float64")
        com = np.isin(v, list(_COM_ERRORS))
        finite = np.isfinite(v)
        huge = ~com & (~finite | (np.abs(np.where(finite, v, 0.0)) >= MAX_CODE_NUMBER))
        frac = ~com & ~huge & (v != np.floor(np.where(finite, v, 0.0)))
        for i, x in zip(idx[huge], v[huge], strict=True):
            out.iloc[i] = (f"the number {x:.6g} is too large to be {what} (Excel keeps only 15 "
                           "digits); format the column as Text and type it again")
        for i, x in zip(idx[frac], v[frac], strict=True):
            out.iloc[i] = (f"{x:g} is a number with decimals, not {what}; format the column "
                           "as Text and type it exactly as printed")
    return out


def _key(text: object) -> str:
    return re.sub(r"[^a-z0-9#%]", "", str(text).lower())


def to_excel(frame: pd.DataFrame) -> list[list[Any]]:
    """A frame's values as a 2-D list Excel accepts (NaN/NaT/NA -> None, numpy -> Python)."""
    obj = frame.astype(object)
    arr = obj.where(frame.notna(), None).to_numpy(dtype=object)
    out = arr.tolist()
    if out and any(isinstance(v, np.generic | pd.Timestamp) for v in out[0]):
        out = [[_py(v) for v in r] for r in out]
    return out


def _py(v: Any) -> Any:
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.generic):
        return v.item()
    return v


def cells(values: list[Any]) -> list[Any]:
    """Missing values (None, NaN, NaT, NA) as None, the blank Excel shows."""
    return [None if v is None or v is pd.NA or v is pd.NaT
            or (isinstance(v, float) and math.isnan(v)) else v for v in values]


def reshape(values: list[Any], shape: tuple[int, int]) -> list[list[Any]]:
    """One value per cell, back into the argument's 2-D shape."""
    nrow, ncol = shape
    if ncol == 1:
        return [[v] for v in values]
    return [values[i * ncol:(i + 1) * ncol] for i in range(nrow)]


def today() -> pd.Timestamp:
    return pd.Timestamp(dt.date.today())
