"""Write ClaimBook result sheets into the open workbook through xlwings.

Two steps. `plan(sheet)` turns an engine ResultSheet into plain data (2-D value blocks,
number formats per column range, header and title styles, severity/status row fills, Excel
Tables, column widths, freeze row): pure, testable without Excel. `apply(book, plan)` makes
the few bulk xlwings calls that render it, replacing a ClaimBook-owned sheet of the same name
(on a re-run) at the same position and refusing to touch any other sheet.

Styles are the openpyxl writer's (claimbook.io.writer), so a result sheet looks the same
whether `claimbook run` wrote it to a file or a button wrote it inside Excel. Hyperlinks
become HYPERLINK formulas written with the values (one bulk write, not one call per cell).
"""

from __future__ import annotations

import logging
import math
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from claimbook.errors import ClaimBookError
from claimbook.io.writer import NUMBER_FORMATS, SEVERITY_FILLS, STATUS_FILLS
from claimbook.results import ResultSheet, Section, guess_formats, header_label
from claimbook.schemas import OWNED_SHEETS

log = logging.getLogger("claimbook.excel")
HEADER_FILL = "1F4E78"
HEADER_FONT = "FFFFFF"
TITLE_COLOR = "1F4E78"
TABLE_STYLE = "TableStyleLight9"
MAX_ADDRESS = 250  # Excel refuses multi-area addresses longer than 255 characters
MAX_ROWS = 1_048_576
CHUNK_ROWS = 20_000
FORMULA_STARTS = ("=", "+", "-", "@")  # what Excel parses when a value is written


@dataclass
class Block:
    """Values written at once, top-left at (row, col), both 1-based."""

    row: int
    col: int
    values: list[list[Any]]


@dataclass
class SheetPlan:
    name: str
    blocks: list[Block] = field(default_factory=list)
    formats: list[tuple[str, str]] = field(default_factory=list)  # (address, number format)
    headers: list[str] = field(default_factory=list)  # header row addresses
    titles: list[tuple[str, int]] = field(default_factory=list)  # (cell, font size)
    fills: dict[str, list[str]] = field(default_factory=dict)  # hex colour -> row ranges
    tables: list[tuple[str, str]] = field(default_factory=list)  # (address, table name)
    widths: dict[int, float] = field(default_factory=dict)  # column (1-based) -> width
    freeze_row: int | None = None  # rows above this stay visible
    rows: int = 0  # last row written


col_letter = get_column_letter  # 1 -> A, 27 -> AA


def _address(r1: int, c1: int, r2: int, c2: int) -> str:
    return f"{col_letter(c1)}{r1}:{col_letter(c2)}{r2}"


def _column_values(s: pd.Series, fmt: str) -> list[Any]:
    """A column as Python values Excel takes: NaN/NaT/NA -> None, no numpy scalars,
    percents 0..100 -> fractions. Text starting with = + - @ ("-5" in a text column, a
    phone number "+1 555...", "=cmd|...") gets Excel's text prefix ' so Excel keeps it as the
    text it is instead of a formula or a number; numbers stay numbers."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return [None if v is pd.NA else ("Y" if v else "N") for v in s.astype(object)]
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        arr = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) else s
        return [None if pd.isna(v) else v.to_pydatetime() for v in arr]
    if pd.api.types.is_numeric_dtype(s.dtype):
        f = s.astype("float64")
        if fmt == "percent":
            f = f / 100.0
        vals = f.tolist()
        if fmt == "int" or pd.api.types.is_integer_dtype(s.dtype):
            return [None if math.isnan(v) else int(v) for v in vals]
        return [None if math.isnan(v) else v for v in vals]
    out = []
    for v in s.tolist():
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        elif isinstance(v, pd.Timestamp):
            out.append(v.to_pydatetime())
        elif isinstance(v, np.generic):
            out.append(v.item())
        elif isinstance(v, str) and v[:1] in FORMULA_STARTS:
            out.append("'" + v)  # Excel would read it as a formula or a number
        else:
            out.append(v)
    return out


def _links(values: list[Any], targets: Iterable[Any]) -> list[Any]:
    out = []
    for v, t in zip(values, targets, strict=False):
        if isinstance(t, str) and t:
            text = "" if v is None else str(v).lstrip("'")
            out.append(f'=HYPERLINK("{t.replace(chr(34), chr(34) * 2)}",'
                       f'"{text.replace(chr(34), chr(34) * 2)}")')
        else:
            out.append(v)
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of consecutive True values."""
    if not mask.any():
        return []
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    d = np.diff(m)
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1, strict=True))


def _table_name(sheet: str, i: int) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "", sheet) or "Result"
    if not base[0].isalpha():
        base = "T" + base
    return base if i == 0 else f"{base}{i + 1}"


def plan(sheet: ResultSheet) -> SheetPlan:
    """Everything needed to render `sheet`, as plain data."""
    p = SheetPlan(sheet.name[:31])
    row = 1
    for i, line in enumerate(sheet.intro):
        p.blocks.append(Block(row, 1, [[line]]))
        p.titles.append((f"A{row}", 14 if i == 0 else 11))
        row += 1
    if sheet.intro:
        row += 1
    for si, sec in enumerate(sheet.sections):
        row = _plan_section(p, sec, si, row, freeze=sheet.freeze and si == 0)
    p.rows = row - 1
    return p


def _plan_section(p: SheetPlan, sec: Section, si: int, row: int, freeze: bool) -> int:
    frame = sec.frame
    if len(frame) + row + 3 > MAX_ROWS:
        frame = frame.iloc[: MAX_ROWS - row - 3]
    if sec.title:
        p.blocks.append(Block(row, 1, [[sec.title]]))
        p.titles.append((f"A{row}", 12))
        row += 1
    cols = list(frame.columns)
    if not cols:
        return row + 1
    header_row = row
    p.blocks.append(Block(row, 1, [[header_label(c) for c in cols]]))
    p.headers.append(_address(row, 1, row, len(cols)))
    if freeze and p.freeze_row is None:
        p.freeze_row = header_row
    fmts = {**guess_formats(frame), **sec.formats}
    n = len(frame)
    first, last = header_row + 1, header_row + max(n, 1)
    columns = []
    for j, c in enumerate(cols):
        fmt = fmts.get(c, "text")
        vals = _column_values(frame[c], fmt)
        if c in sec.links:
            vals = _links(vals, pd.Series(sec.links[c]).tolist())
        columns.append(vals)
        nf = NUMBER_FORMATS.get(fmt)
        if nf and n:
            p.formats.append((_address(first, j + 1, last, j + 1), nf))
        longest = max((len(str(v)) for v in vals[:200] if v is not None), default=0)
        width = min(60, max(len(str(c)) + 3, longest + 2, 8))
        p.widths[j + 1] = max(p.widths.get(j + 1, 0), width)
    if n:
        p.blocks.append(Block(first, 1, [list(r) for r in zip(*columns, strict=True)]))
    for colname, fills in ((sec.severity_column, SEVERITY_FILLS),
                           (sec.status_column, STATUS_FILLS)):
        if colname and colname in cols and n:
            key = frame[colname].astype(object).to_numpy()
            for value, colour in fills.items():
                for a, b in _runs(key == value):
                    p.fills.setdefault(colour, []).append(
                        _address(first + a, 1, first + b, len(cols)))
    p.tables.append((_address(header_row, 1, last, len(cols)), _table_name(p.name, si)))
    return last + 2


def join_addresses(addresses: list[str]) -> list[str]:
    """Multi-area addresses ('A2:K2,A5:K7') no longer than Excel accepts."""
    out, cur = [], ""
    for a in addresses:
        if cur and len(cur) + 1 + len(a) > MAX_ADDRESS:
            out.append(cur)
            cur = a
        else:
            cur = f"{cur},{a}" if cur else a
    if cur:
        out.append(cur)
    return out


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


# --- rendering with xlwings -------------------------------------------------------------------

def owned(name: str, extra: Iterable[str] = ()) -> bool:
    names = {s.lower() for s in OWNED_SHEETS} | {s.lower() for s in extra}
    return name.lower() in names


def replace_sheet(book: Any, name: str, inputs: Iterable[str] = ()) -> Any:
    """A fresh, empty sheet `name`: an earlier ClaimBook sheet of that name is replaced in
    place; an input sheet of that name is never touched (ClaimBookError)."""
    names = {s.name.lower(): s for s in book.sheets}
    old = names.get(name.lower())
    if old is not None and (name.lower() in {i.lower() for i in inputs} or not owned(name)):
        raise ClaimBookError(
            f"The sheet '{old.name}' holds your data, so ClaimBook will not overwrite it with "
            f"its '{name}' results.",
            f"Rename your sheet '{old.name}' (e.g. '{old.name} (mine)') and run the job again.")
    if old is None:
        return book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])
    tmp = book.sheets.add("~claimbook new", before=old)
    old.delete()
    tmp.name = name
    return tmp


def apply(book: Any, p: SheetPlan, inputs: Iterable[str] = ()) -> Any:
    """Render a plan into `book` (an xlwings Book) and return the sheet."""
    ws = replace_sheet(book, p.name, inputs)
    for b in p.blocks:
        if b.values and b.values[0]:
            rng = ws.range((b.row, b.col))
            if len(b.values) > CHUNK_ROWS:  # xlwings sends big blocks in pieces
                rng = rng.options(chunksize=CHUNK_ROWS)
            rng.value = b.values
    for address, nf in p.formats:
        ws.range(address).number_format = nf
    for address in p.headers:
        r = ws.range(address)
        r.color = _rgb(HEADER_FILL)
        r.font.bold = True
        r.font.color = _rgb(HEADER_FONT)
    for cell, size in p.titles:
        r = ws.range(cell)
        r.font.bold = True
        r.font.size = size
        r.font.color = _rgb(TITLE_COLOR)
    for colour, addresses in p.fills.items():
        for address in join_addresses(addresses):
            ws.range(address).color = _rgb(colour)
    for address, name in p.tables:
        try:
            ws.tables.add(source=ws.range(address), name=name, table_style_name=TABLE_STYLE)
        except Exception:  # noqa: BLE001 - a table is a nicety; the values are written
            log.debug("no Excel Table for %s on %s", address, p.name)
    for col, width in p.widths.items():
        ws.range(f"{col_letter(col)}:{col_letter(col)}").column_width = width
    if p.freeze_row:
        freeze(ws, p.freeze_row)
    return ws


def freeze(ws: Any, header_row: int) -> bool:
    """Freeze the rows down to the header; True when done.

    Windows only: it uses Excel's COM object model (app.api is a pywin32 object with
    ActiveWindow). On a Mac, xlwings' app.api is an appscript reference with a different
    object model, and no Mac Excel was available to test an equivalent, so nothing is tried
    there: the header row is not frozen, which is logged as a warning (the Excel Table's
    header still replaces the column letters while scrolling). Any other failure is logged
    as a warning too, never silently ignored.
    """
    if sys.platform == "darwin":
        log.warning("freeze panes are not set on Excel for Mac (sheet %s): not supported by "
                    "ClaimBook there", getattr(ws, "name", "?"))
        return False
    try:
        window = ws.book.app.api.ActiveWindow
    except Exception as exc:  # noqa: BLE001 - not Windows Excel (or a stand-in without one)
        log.warning("freeze panes not set on %s: Excel's window is not available (%s)",
                    getattr(ws, "name", "?"), exc)
        return False
    try:
        ws.activate()
        window.FreezePanes = False
        window.SplitColumn = 0
        window.SplitRow = header_row
        window.FreezePanes = True
    except Exception as exc:  # noqa: BLE001 - a frozen header is a nicety; values are written
        log.warning("freeze panes not set on %s: %s", getattr(ws, "name", "?"), exc)
        return False
    return True


def write_results(book: Any, sheets: Iterable[ResultSheet], inputs: Iterable[str] = ()
                  ) -> list[str]:
    """Write every result sheet; returns the sheet names written."""
    written = []
    for s in sheets:
        apply(book, plan(s), inputs)
        written.append(s.name[:31])
    return written
