"""Write ClaimBook-owned result sheets with openpyxl.

Each ResultSheet becomes a worksheet of Excel Tables (one per Section) with number and date
formats, a frozen header, filters, column widths, severity/status colours, hyperlinks and
native charts. Files are written to a temporary name and moved into place. Updating the input
workbook in place first keeps a timestamped backup and never touches input sheets: openpyxl
re-saves them, and the cached results of their formulas, which openpyxl drops, are copied back
from the original file (`restore_cached_values`).
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import shutil
import tempfile
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.properties import CalcProperties
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from claimbook.errors import WorkbookError
from claimbook.io.reader import check_not_locked
from claimbook.results import Chart, ResultSheet, Section, guess_formats, header_label
from claimbook.schemas import OWNED_SHEETS
from claimbook.template import cell_value

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
    v = cell_value(v)
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
        headers = _unique_headers([header_label(c) for c in frame.columns])
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
                # the real coordinate: the hyperlink setter copies it into the link's ref
                c = Cell(ws, row=row + 1, column=j + 1, value=v)
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
    """'#Sheet!A1' links inside the workbook; 'file.xlsx#Sheet!A1' to a cell of another file.

    Assigning it to `cell.hyperlink` sets its ref to the cell's coordinate, so the cell must
    be created at its real row and column: a normal-mode sheet (update_in_place) keeps that
    ref as is, unlike write-only mode, which corrects it when the row is appended.
    """
    file, _, location = target.partition("#")
    return Hyperlink(ref="", target=file or None, location=location or None)


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


def _atomic_save(wb: Workbook, path: Path, *, restore_from: Path | None = None,
                 skip: Iterable[str] = ()) -> None:
    """atomic_save; with `restore_from` (the untouched original, e.g. its backup) the saved
    file gets back the cached formula results of every sheet not named in `skip`."""
    if restore_from is None:
        atomic_save(wb, path)
        return

    def restore(tmp: Path) -> None:
        try:
            restore_cached_values(restore_from, tmp, skip)
        except (KeyError, ValueError, ET.ParseError, expat.ExpatError,
                zipfile.BadZipFile) as exc:
            raise WorkbookError(
                f"{path.name} was not changed: its formula results could not be kept ({exc}).",
                "Write the results to a separate file instead (leave out --in-place).") from None

    atomic_save(wb, path, before_replace=restore)


def atomic_save(wb: Workbook, path: str | os.PathLike, *,
                before_replace: Callable[[Path], None] | None = None) -> None:
    """Save to a temporary file beside `path`, then move it into place (an interrupted save
    never leaves a half-written workbook). Keeps the file mode of an existing file.
    `before_replace` may post-process the saved temporary file before the move."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~claimbook-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        if before_replace is not None:
            before_replace(Path(tmp))
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
    _keep_calc_on_load(wb, bak)
    if _formulas_refer_to(wb, owned):
        _recalculate_on_open(wb)  # their cached results would be stale
    names = {t.lower() for ws in wb.worksheets for t in ws.tables}
    for ws in list(wb.worksheets):
        if ws.title.lower() in owned:
            for t in ws.tables:
                names.discard(t.lower())
            wb.remove(ws)
    for s in sheets:
        render_sheet(wb, s, names)
    _atomic_save(wb, p, restore_from=bak, skip=owned)
    return bak


_SHEET_REF = re.compile(r"'((?:[^']|'')+)'!|([A-Za-z_][\w.]*)!")


def _formulas_refer_to(wb: Workbook, sheets: set[str]) -> bool:
    """Whether a formula on a sheet not in `sheets` (lower-case names) refers to one of them."""
    for ws in wb.worksheets:
        if ws.title.lower() in sheets or not hasattr(ws, "iter_rows"):  # chartsheets
            continue
        for row in ws.iter_rows():
            for c in row:
                text = getattr(c.value, "text", c.value)  # ArrayFormula keeps it in .text
                if c.data_type == "f" and isinstance(text, str) and "!" in text:
                    refs = {(q.replace("''", "'") or u).lower()
                            for q, u in _SHEET_REF.findall(text)}
                    if refs & sheets:
                        return True
    return False


def _keep_calc_on_load(wb: Workbook, original: Path) -> None:
    """Undo openpyxl's fullCalcOnLoad="1", which it adds when the original's <calcPr> has no
    such attribute: with the cached results restored Excel need not recalculate on open
    (which also makes it ask to save a file the user did not change)."""
    if wb.calculation is None:
        return
    with zipfile.ZipFile(original) as z:
        part = _workbook_part(z)
        calc = next((el for el in ET.fromstring(z.read(part)).iter()
                     if el.tag.rpartition("}")[2] == "calcPr"), None)
    if calc is None or "fullCalcOnLoad" not in calc.attrib:
        wb.calculation.fullCalcOnLoad = None


def _recalculate_on_open(wb: Workbook) -> None:
    """Ask Excel/LibreOffice to recalculate every formula when the file is next opened."""
    if wb.calculation is None:
        wb.calculation = CalcProperties()
    wb.calculation.fullCalcOnLoad = True


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
    if len(rows):
        _recalculate_on_open(wb)  # formulas over the appended rows are out of date
    _atomic_save(wb, p, restore_from=bak)
    return bak


# --- cached formula results ------------------------------------------------------------
# openpyxl saves formulas without their last calculated values, so readers that do not
# calculate (python-calamine, hence ClaimBook itself) would see empty cells after an
# in-place update. After the save, every formula cell of an input sheet gets back the
# cached value of the original file; all other bytes openpyxl wrote are kept as they are.

_CachedValue = tuple[str | None, str]  # (the <c> `t` attribute, the <v> text)


@dataclass
class _FormulaCell:
    """A `<c>` with an `<f>` in a worksheet part, with byte spans for editing it."""
    ref: str
    qname: str                 # the cell's tag as written, e.g. 'c' or 'x:c'
    attrs: list[str]           # alternating attribute names and values, in document order
    tag: tuple[int, int]       # span of the <c ...> start tag
    formula_end: int           # where the <f> element ends
    value: str | None = None   # text of <v>, None without a <v>
    value_span: tuple[int, int] | None = None

    @property
    def type(self) -> str | None:
        return dict(zip(self.attrs[::2], self.attrs[1::2], strict=True)).get("t")


def _local(qname: str) -> str:
    return qname.rpartition(":")[2]


def _tag_close(data: bytes, start: int) -> int:
    """Index of the '>' closing the tag that starts at `start` (quote-aware)."""
    quote = 0
    for i in range(start, len(data)):
        ch = data[i]
        if quote:
            quote = 0 if ch == quote else quote
        elif ch in (0x22, 0x27):
            quote = ch
        elif ch == 0x3E:
            return i
    raise ValueError("unterminated tag")


def _element_end(data: bytes, start: int, end_event: int) -> int:
    """End (exclusive) of the element whose start tag is at `start`; `end_event` is expat's
    byte index at its end event (the '</' of an end tag)."""
    close = _tag_close(data, start)
    if data[close - 1] == 0x2F:  # '<x/>'
        return close + 1
    return data.index(b">", end_event) + 1


def _column_number(ref: str) -> int:
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + ord(ch.upper()) - 64
    return n


class _FormulaScanner:
    """Collect the formula cells of a worksheet part with expat (no namespace processing,
    so tags keep their prefixes; names are compared by local name)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.cells: list[_FormulaCell] = []
        self.stack: list[str] = []
        self.row = self.col = 0
        self.cell: _FormulaCell | None = None
        self.has_formula = False
        self.starts: dict[str, int] = {}
        self.text: list[str] | None = None
        self.parser = expat.ParserCreate()
        self.parser.ordered_attributes = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._chars

    def scan(self) -> list[_FormulaCell]:
        self.parser.Parse(self.data, True)
        return self.cells

    def _start(self, qname: str, attrs: list[str]) -> None:
        name, parent = _local(qname), (self.stack[-1] if self.stack else "")
        self.stack.append(name)
        at = self.parser.CurrentByteIndex
        values = dict(zip(attrs[::2], attrs[1::2], strict=True))
        if name == "row" and parent == "sheetData":
            self.row = int(values.get("r") or self.row + 1)
            self.col = 0
        elif name == "c" and parent == "row":
            ref = values.get("r") or f"{get_column_letter(self.col + 1)}{self.row}"
            self.col = _column_number(ref)
            self.cell = _FormulaCell(ref, qname, attrs, (at, _tag_close(self.data, at) + 1), 0)
            self.has_formula = False
        elif self.cell is not None and parent == "c" and name in ("f", "v"):
            self.starts[name] = at
            if name == "v":
                self.text = []

    def _end(self, qname: str) -> None:
        name = self.stack.pop()
        cell, at = self.cell, self.parser.CurrentByteIndex
        parent = self.stack[-1] if self.stack else ""
        if cell is None or (name, parent) not in (("c", "row"), ("f", "c"), ("v", "c")):
            return
        if name == "f":
            self.has_formula = True
            cell.formula_end = _element_end(self.data, self.starts["f"], at)
        elif name == "v":
            cell.value = "".join(self.text or [])
            cell.value_span = (self.starts["v"], _element_end(self.data, self.starts["v"], at))
            self.text = None
        else:
            if self.has_formula:
                self.cells.append(cell)
            self.cell = None

    def _chars(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)


def _rels(z: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, part path) of `part` ('' for the package)."""
    folder, _, name = part.rpartition("/")
    rels = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
    if rels not in z.namelist():
        return {}
    out = {}
    for el in ET.fromstring(z.read(rels)):
        target = el.get("Target", "")
        if el.get("TargetMode") == "External":
            continue
        path = target[1:] if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        out[el.get("Id", "")] = (el.get("Type", ""), path)
    return out


def _workbook_part(z: zipfile.ZipFile) -> str:
    part = next((p for t, p in _rels(z, "").values() if t.endswith("/officeDocument")), None)
    if part is None:
        raise KeyError("no workbook part")
    return part


def _workbook_parts(z: zipfile.ZipFile) -> tuple[dict[str, str], str | None]:
    """Worksheet part of each sheet (by lower-case name) and the shared-strings part."""
    wb_part = _workbook_part(z)
    rels = _rels(z, wb_part)
    sheets = {}
    for el in ET.fromstring(z.read(wb_part)).iter():
        if el.tag.rpartition("}")[2] == "sheet":
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), "")
            if rid in rels:
                sheets[el.get("name", "").lower()] = rels[rid][1]
    strings = next((p for t, p in rels.values() if t.endswith("/sharedStrings")), None)
    return sheets, strings


def _shared_strings(z: zipfile.ZipFile, part: str | None) -> list[str]:
    """The text of each shared string (phonetic runs left out)."""
    if part is None or part not in z.namelist():
        return []

    def text(el: ET.Element) -> str:
        name = el.tag.rpartition("}")[2]
        if name == "t":
            return el.text or ""
        return "".join(text(child) for child in el) if name == "r" else ""

    return ["".join(text(el) for el in si) for si in ET.fromstring(z.read(part))]


_HAS_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f[\s/>]")


def _cached_values(data: bytes, strings: Callable[[], list[str]]) -> dict[str, _CachedValue]:
    """Cell ref -> cached result of every formula cell that has one. A shared-string result
    (unusual for a formula) becomes an inline formula string, t="str"."""
    out: dict[str, _CachedValue] = {}
    if not _HAS_FORMULA.search(data):  # skip parsing sheets of plain values
        return out
    for cell in _FormulaScanner(data).scan():
        if cell.value is None:
            continue
        t, value = cell.type, cell.value
        if t == "s":
            index, table = int(value), strings()
            if index >= len(table):
                continue
            t, value = "str", table[index]
        out[cell.ref] = (t, value)
    return out


_ATTR_ENTITIES = {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}  # kept through re-parsing


def _start_tag(cell: _FormulaCell, t: str | None) -> bytes:
    """The cell's start tag again, with `t` set to the cached result's type (None: none)."""
    pairs = [(k, v) for k, v in zip(cell.attrs[::2], cell.attrs[1::2], strict=True) if k != "t"]
    if t is not None:
        pairs.append(("t", t))
    attrs = "".join(f" {k}={quoteattr(v, _ATTR_ENTITIES)}" for k, v in pairs)
    return f"<{cell.qname}{attrs}>".encode()


def _inject(data: bytes, cached: dict[str, _CachedValue]) -> tuple[bytes, int]:
    """Give the formula cells of a worksheet part (written by openpyxl) their cached values
    back where they have none; returns the new part and the number of cells changed."""
    edits: list[tuple[int, int, bytes]] = []
    for cell in _FormulaScanner(data).scan():
        if cell.ref not in cached or cell.value:
            continue
        t, value = cached[cell.ref]
        v = cell.qname[:-1] + "v"
        element = f"<{v}>{escape(value)}</{v}>".encode()
        edits.append((*cell.tag, _start_tag(cell, t)))
        edits.append((*(cell.value_span or (cell.formula_end,) * 2), element))
    out, pos = [], 0
    for start, end, text in edits:  # document order: tag, then value, cell by cell
        out += [data[pos:start], text]
        pos = end
    out.append(data[pos:])
    return b"".join(out), len(edits) // 2


def restore_cached_values(original: Path, saved: Path, skip: Iterable[str] = ()) -> int:
    """Put the cached formula results of `original` back into `saved` (an openpyxl save of
    it), sheet by sheet (matched by name), leaving out the sheets named in `skip`.

    `saved` is rewritten in place; other parts are copied unchanged. Returns the number of
    cells restored.
    """
    skip = {s.lower() for s in skip}
    with zipfile.ZipFile(original) as zo:
        sheets, strings_part = _workbook_parts(zo)
        strings: list[str] | None = None

        def shared() -> list[str]:
            nonlocal strings
            if strings is None:
                strings = _shared_strings(zo, strings_part)
            return strings

        cached = {name: _cached_values(zo.read(part), shared)
                  for name, part in sheets.items() if name not in skip}
    cached = {name: values for name, values in cached.items() if values}
    if not cached:
        return 0
    with zipfile.ZipFile(saved) as zs:
        parts = _workbook_parts(zs)[0]
        new_parts, count = {}, 0
        for name, values in cached.items():
            if name in parts:
                new_parts[parts[name]], n = _inject(zs.read(parts[name]), values)
                count += n
    if count:
        _replace_parts(saved, new_parts)
    return count


def _replace_parts(path: Path, parts: dict[str, bytes]) -> None:
    """Rewrite the zip at `path` with some parts' contents replaced (same order, names,
    compression and timestamps)."""
    tmp = path.with_name(path.name + ".parts")
    try:
        with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w") as zout:
            for info in zin.infolist():
                name = info.filename
                zout.writestr(info, parts[name] if name in parts else zin.read(name))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def frame_section(frame: pd.DataFrame, **kw) -> Section:
    return Section(frame, **kw)
