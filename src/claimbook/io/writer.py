"""Write ClaimBook-owned result sheets with openpyxl.

Each ResultSheet becomes a worksheet of Excel Tables (one per Section) with number and date
formats, a frozen header, filters, column widths, severity/status colours, hyperlinks and
native charts. Files are written to a temporary name and moved into place. Updating the input
workbook in place first keeps a timestamped backup and never touches input sheets.
"""

from __future__ import annotations

import warnings

import datetime as dt
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from claimbook.errors import WorkbookError
from claimbook.io.reader import check_not_locked
from claimbook.results import Chart, ResultSheet, Section, guess_formats
from claimbook.schemas import OWNED_SHEETS

NUMBER_FORMATS = {
    "money": '#,##0.00;[Red]-#,##0.00',
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "int": "0",
    "number": "#,##0.##",
    "percent": "0.0%",
    "text": "@",
}
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
SECTION_FONT = Font(bold=True, size=12, color="1F4E78")
SEVERITY_FILLS = {"error": "F8CBAD", "warning": "FFE699", "info": "DDEBF7"}
STATUS_FILLS = {"Blocked": "F8CBAD", "Needs attention": "FFE699", "Ready": "C6EFCE"}
MAX_EXCEL_ROWS = 1_048_576


def _cell_value(v: object) -> object:
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.generic):
        v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
    if v is pd.NA:
        return None
    if isinstance(v, str) and v[:1] == "=":
        return "'" + v  # never let data become a formula
    return v


def _table_name(sheet: str, i: int, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "", sheet.title() if sheet.islower() else sheet) or "T"
    if not base[0].isalpha():
        base = "T" + base
    name = f"{base}{'' if i == 0 else i + 1}"
    n = 2
    while name.lower() in used:
        name = f"{base}_{n}"
        n += 1
    used.add(name.lower())
    return name


def _layout(sheet: ResultSheet) -> tuple[str | None, dict[int, int]]:
    """Freeze cell and column widths, computed before any row is written (write-only mode
    writes the sheet's views and columns ahead of its rows)."""
    row = len(sheet.intro) + (1 if sheet.intro else 0)
    widths: dict[int, int] = {}
    freeze = None
    for sec in sheet.sections:
        if sec.title:
            row += 1
        header_row = row + 1
        if freeze is None and sheet.freeze:
            freeze = f"A{header_row + 1}"
        for j, c in enumerate(sec.frame.columns):
            sample = sec.frame[c].iloc[:200].to_numpy(dtype=object)
            longest = max((len(str(x)) for x in sample if x is not None), default=0)
            widths[j] = max(widths.get(j, 0), min(60, max(len(str(c)) + 3, longest + 2)))
        row = header_row + max(len(sec.frame), 1) + 1
    return freeze, widths


def render_sheet(wb: Workbook, sheet: ResultSheet, table_names: set[str]) -> None:
    """Add `sheet` to the workbook (write-only or normal mode)."""
    ws = wb.create_sheet(sheet.name[:31])
    freeze, widths = _layout(sheet)
    for j, w in widths.items():
        ws.column_dimensions[get_column_letter(j + 1)].width = max(8, w)
    if freeze:
        ws.freeze_panes = freeze
    row = 0

    def put(values: list) -> None:
        nonlocal row
        ws.append(values)
        row += 1

    for i, line in enumerate(sheet.intro):
        c = WriteOnlyCell(ws, value=line)
        if i == 0:
            c.font = TITLE_FONT
        put([c])
    if sheet.intro:
        put([])
    for si, sec in enumerate(sheet.sections):
        frame = sec.frame
        if len(frame) + row + 3 > MAX_EXCEL_ROWS:
            frame = frame.iloc[: MAX_EXCEL_ROWS - row - 3]
        fmts = {**guess_formats(frame), **sec.formats}
        if sec.title:
            c = WriteOnlyCell(ws, value=sec.title)
            c.font = SECTION_FONT
            put([c])
        header_row = row + 1
        headers = _unique_headers([str(c) for c in frame.columns])
        cells = []
        for h, orig in zip(headers, frame.columns, strict=True):
            c = WriteOnlyCell(ws, value=h)
            c.font = HEADER_FONT
            c.fill = HEADER_FILL
            c.alignment = Alignment(vertical="center")
            if orig in sec.notes:
                c.comment = Comment(sec.notes[orig], "ClaimBook", width=300, height=120)
            cells.append(c)
        put(cells)
        cols = list(frame.columns)
        links = {k: (v.to_numpy() if isinstance(v, pd.Series) else np.asarray(v))
                 for k, v in sec.links.items()}
        col_fmt = [NUMBER_FORMATS.get(fmts.get(c, "text"), None) for c in cols]
        pct_scale = [fmts.get(c) == "percent" for c in cols]
        arrays = [frame[c].to_numpy(dtype=object) for c in cols]
        link_font = Font(color="0563C1", underline="single")
        for r in range(len(frame)):
            rcells = []
            for j, arr in enumerate(arrays):
                v = _cell_value(arr[r])
                if pct_scale[j] and isinstance(v, int | float):
                    v = v / 100.0
                c = WriteOnlyCell(ws, value=v)
                if col_fmt[j] and v is not None and not isinstance(v, str):
                    c.number_format = col_fmt[j]
                if cols[j] in links:
                    target = links[cols[j]][r]
                    if isinstance(target, str) and target:
                        c.hyperlink = _hyperlink(target)
                        c.font = link_font
                rcells.append(c)
            put(rcells)
        if not len(frame):
            put([None] * len(cols))
        last_row = header_row + max(len(frame), 1)
        if cols:
            ref = f"A{header_row}:{get_column_letter(len(cols))}{last_row}"
            t = Table(displayName=_table_name(sheet.name, si, table_names), ref=ref)
            t.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
            t.tableColumns = [TableColumn(id=k + 1, name=h) for k, h in enumerate(headers)]
            t.autoFilter = AutoFilter(ref=ref)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # columns are set above
                ws.add_table(t)
        for colname, fills in ((sec.severity_column, SEVERITY_FILLS),
                               (sec.status_column, STATUS_FILLS)):
            if colname and colname in cols and len(frame):
                letter = get_column_letter(cols.index(colname) + 1)
                rng = f"A{header_row + 1}:{get_column_letter(len(cols))}{last_row}"
                for value, color in fills.items():
                    ws.conditional_formatting.add(rng, FormulaRule(
                        formula=[f'${letter}{header_row + 1}="{value}"'],
                        fill=PatternFill("solid", fgColor=color, bgColor=color)))
        for k, chart in enumerate(sec.charts):
            _add_chart(ws, chart, cols, header_row, last_row, anchor_col=len(cols) + 2,
                       anchor_row=header_row + 16 * k)
        put([])


def _unique_headers(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        h = h or "Column"
        k = h.lower()
        if k in seen:
            seen[k] += 1
            h = f"{h} {seen[k]}"
        else:
            seen[k] = 1
        out.append(h)
    return out


def _hyperlink(target: str) -> Hyperlink:
    """'#Sheet!A1' links inside the workbook; 'file.xlsx#Sheet!A1' to a cell of another file."""
    file, _, location = target.partition("#")
    return Hyperlink(ref="A1", target=file or None, location=location or None)


def _add_chart(ws, chart: Chart, cols: list[str], header_row: int, last_row: int,
               anchor_col: int, anchor_row: int) -> None:
    if chart.category not in cols or last_row <= header_row:
        return
    kinds = {"bar": BarChart, "col": BarChart, "line": LineChart, "pie": PieChart}
    ch = kinds[chart.kind]()
    if chart.kind in ("bar", "col"):
        ch.type = "bar" if chart.kind == "bar" else "col"
        if chart.stacked:
            ch.grouping = "stacked"
            ch.overlap = 100
    ch.title = chart.title
    if chart.y_title and hasattr(ch, "y_axis"):
        ch.y_axis.title = chart.y_title
    cat_idx = cols.index(chart.category) + 1
    cats = Reference(ws, min_col=cat_idx, min_row=header_row + 1, max_row=last_row)
    for v in chart.values:
        if v not in cols:
            continue
        idx = cols.index(v) + 1
        data = Reference(ws, min_col=idx, min_row=header_row, max_row=last_row)
        ch.add_data(data, titles_from_data=True)
    ch.set_categories(cats)
    ch.width, ch.height = 16, 7.5
    ws.add_chart(ch, f"{get_column_letter(anchor_col)}{anchor_row}")


def _atomic_save(wb: Workbook, path: Path) -> None:
    atomic_save(wb, path)


def atomic_save(wb: Workbook, path: str | os.PathLike) -> None:
    """Save to a temporary file beside `path`, then move it into place (an interrupted save
    never leaves a half-written workbook). Keeps the file mode of an existing file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~claimbook-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        if path.exists():
            shutil.copymode(path, tmp)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_results(path: str | os.PathLike, sheets: Iterable[ResultSheet], *,
                  protect: Iterable[str | os.PathLike] = ()) -> Path:
    """Write a new results workbook (replacing an earlier results file) atomically.

    `protect` lists input files this path must never be (the results never overwrite input).
    """
    p = Path(path)
    for q in protect:
        if Path(q).resolve() == p.resolve():
            raise WorkbookError(
                f"The results file {p.name} would overwrite the input workbook.",
                "Choose another --out file name.")
    if p.exists():
        check_not_locked(p)
    wb = Workbook(write_only=True)
    names: set[str] = set()
    for s in sheets:
        render_sheet(wb, s, names)
    if not wb.worksheets:
        wb.create_sheet("Summary")
    _atomic_save(wb, p)
    return p


def backup(path: str | os.PathLike) -> Path:
    """Copy `path` to `<stem>.backup-YYYYmmdd-HHMMSS<suffix>` beside it; return the copy."""
    p = Path(path)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    dest = p.with_name(f"{p.stem}.backup-{stamp}{p.suffix}")
    n = 1
    while dest.exists():
        dest = p.with_name(f"{p.stem}.backup-{stamp}-{n}{p.suffix}")
        n += 1
    shutil.copy2(p, dest)
    return dest


def _load_for_update(p: Path) -> Workbook:
    check_not_locked(p)
    try:
        return load_workbook(p, keep_vba=p.suffix.lower() in (".xlsm", ".xlam"),
                             keep_links=True, rich_text=True)
    except Exception as exc:  # noqa: BLE001
        raise WorkbookError(f"{p.name} cannot be opened for update ({exc}).",
                            "Save it as .xlsx or .xlsm in Excel and try again.") from None


def update_in_place(path: str | os.PathLike, sheets: Iterable[ResultSheet]) -> Path:
    """Replace ClaimBook-owned sheets inside the input workbook; input sheets untouched.

    A timestamped backup is written first; the backup's path is returned.
    """
    p = Path(path)
    wb = _load_for_update(p)
    sheets = list(sheets)
    owned = {s.lower() for s in OWNED_SHEETS} | {s.name.lower() for s in sheets}
    bak = backup(p)
    names = {t.lower() for ws in wb.worksheets for t in ws.tables}
    for ws in list(wb.worksheets):
        if ws.title.lower() in owned:
            for t in ws.tables:
                names.discard(t.lower())
            wb.remove(ws)
    for s in sheets:
        render_sheet(wb, s, names)
    _atomic_save(wb, p)
    return bak


def append_rows(path: str | os.PathLike, sheet_name: str, rows: pd.DataFrame,
                headers: dict[str, str]) -> Path:
    """Append rows under an input table's existing header (import tools); backup first.

    `headers` maps frame columns to the sheet's header text. Returns the backup path. Cells
    of existing rows are never modified; an Excel Table on the sheet is extended.
    """
    p = Path(path)
    wb = _load_for_update(p)
    if sheet_name not in wb.sheetnames:
        raise WorkbookError(f"{p.name} has no sheet '{sheet_name}'.",
                            "Add the sheet (see `claimbook new`) and import again.")
    ws = wb[sheet_name]
    header_row, col_of = None, {}
    for r in range(1, min(ws.max_row, 30) + 1):
        vals = {str(ws.cell(r, c).value).strip().lower(): c
                for c in range(1, ws.max_column + 1) if ws.cell(r, c).value is not None}
        hits = {k: vals[h.lower()] for k, h in headers.items() if h.lower() in vals}
        if len(hits) > len(col_of):
            header_row, col_of = r, hits
    if header_row is None:
        raise WorkbookError(f"Sheet '{sheet_name}' of {p.name} has no header row.",
                            "Restore the header row (see `claimbook new`).")
    last = ws.max_row
    while last > header_row and all(ws.cell(last, c).value in (None, "")
                                    for c in range(1, ws.max_column + 1)):
        last -= 1
    bak = backup(p)
    for i, rec in enumerate(rows.itertuples(index=False), start=1):
        for col, val in zip(rows.columns, rec, strict=True):
            if col in col_of:
                v = _cell_value(val)
                cell = ws.cell(last + i, col_of[col], v)
                if isinstance(v, dt.datetime | dt.date):
                    cell.number_format = NUMBER_FORMATS["date"]
    new_last = last + len(rows)
    for t in ws.tables.values():
        m = re.match(r"([A-Z]+)(\d+):([A-Z]+)(\d+)", t.ref)
        if m and int(m.group(2)) == header_row:
            t.ref = f"{m.group(1)}{m.group(2)}:{m.group(3)}{max(new_last, header_row + 1)}"
            if t.autoFilter is not None:
                t.autoFilter.ref = t.ref
    _atomic_save(wb, p)
    return bak


def frame_section(frame: pd.DataFrame, **kw) -> Section:
    return Section(frame, **kw)
