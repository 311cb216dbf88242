"""A tiny in-memory stand-in for the xlwings Book/Sheet/Range objects the add-in uses.

There is no Excel on the test machine. The jobs and the xlwings writer only need a few calls
(sheets, sheet values as 2-D lists, writing 2-D values, number formats, colours, fonts,
column widths, tables, alert, and Excel's ActiveWindow for freeze panes); this class provides exactly those on top of an openpyxl
workbook loaded from a real .xlsx, and hands values over the way xlwings does (numbers as
floats, blanks as None, dates as datetime, a range as a 2-D list with ndim=2). Saving it lets
the tests read the written sheets back with the engine's own reader.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo


def _xl(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return dt.datetime(v.year, v.month, v.day)
    if v == "":
        return None
    return v


class Window:
    """Excel's ActiveWindow (COM, Windows) for freeze panes: freezing sets the active
    openpyxl sheet's freeze_panes, so the saved file shows what Excel would."""

    def __init__(self, app: App) -> None:
        self._app, self.SplitColumn, self.SplitRow = app, 0, 0

    @property
    def FreezePanes(self) -> bool:
        return False

    @FreezePanes.setter
    def FreezePanes(self, on: bool) -> None:
        ws = self._app.book.wb.active
        ws.freeze_panes = f"A{self.SplitRow + 1}" if on and self.SplitRow else None


class Api:
    def __init__(self, app: App) -> None:
        self.ActiveWindow = Window(app)


class App:
    def __init__(self, book: Book | None = None) -> None:
        self.alerts: list[str] = []
        self.book = book
        self.api = Api(self)

    def alert(self, prompt: str, title: str = "", **_: Any) -> None:
        self.alerts.append(prompt)


class Font_:
    def __init__(self, rng: Range) -> None:
        self._rng = rng

    def _set(self, **kw: Any) -> None:
        for c in self._rng.cells():
            f = c.font
            c.font = Font(bold=kw.get("bold", f.bold), size=kw.get("size", f.size),
                          color=kw.get("color", f.color))

    bold = property(lambda s: None, lambda s, v: s._set(bold=v))
    size = property(lambda s: None, lambda s, v: s._set(size=v))
    color = property(lambda s: None, lambda s, v: s._set(color="".join(f"{x:02X}" for x in v)))


class Range:
    def __init__(self, sheet: Sheet, r1: int, c1: int, r2: int, c2: int,
                 ndim: int | None = None, areas: list[tuple[int, int, int, int]] | None = None
                 ) -> None:
        self.sheet, self.row, self.column, self.r2, self.c2 = sheet, r1, c1, r2, c2
        self.ndim = ndim
        self.areas = areas or [(r1, c1, r2, c2)]

    def options(self, ndim: int | None = None, **_: Any) -> Range:
        return Range(self.sheet, self.row, self.column, self.r2, self.c2, ndim, self.areas)

    def cells(self):
        ws = self.sheet.ws
        for r1, c1, r2, c2 in self.areas:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    yield ws.cell(r, c)

    @property
    def value(self) -> Any:
        ws = self.sheet.ws
        rows = [[_xl(ws.cell(r, c).value) for c in range(self.column, self.c2 + 1)]
                for r in range(self.row, self.r2 + 1)]
        if self.ndim == 2:
            return rows
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        if len(rows) == 1:
            return rows[0]
        if all(len(r) == 1 for r in rows):
            return [r[0] for r in rows]
        return rows

    @value.setter
    def value(self, v: Any) -> None:
        ws = self.sheet.ws
        rows = v if isinstance(v, list) and v and isinstance(v[0], list) else (
            [v] if isinstance(v, list) else [[v]])
        for i, row in enumerate(rows):
            for j, x in enumerate(row):
                if isinstance(x, str) and x.startswith("'"):  # Excel's text prefix
                    c = ws.cell(self.row + i, self.column + j)
                    c.value, c.data_type = x[1:], "s"
                    c.quotePrefix = True
                else:
                    ws.cell(self.row + i, self.column + j, x)

    number_format = property(lambda s: None,
                             lambda s, v: [setattr(c, "number_format", v) for c in s.cells()])
    color = property(lambda s: None, lambda s, v: [setattr(
        c, "fill", PatternFill("solid", fgColor="".join(f"{x:02X}" for x in v))) for c in s.cells()])

    @property
    def font(self) -> Font_:
        return Font_(self)

    @property
    def column_width(self) -> None:
        return None

    @column_width.setter
    def column_width(self, w: float) -> None:
        for c in range(self.column, self.c2 + 1):
            self.sheet.ws.column_dimensions[get_column_letter(c)].width = w

    @property
    def last_cell(self) -> Range:
        return Range(self.sheet, self.r2, self.c2, self.r2, self.c2)

    @property
    def address(self) -> str:
        return f"{get_column_letter(self.column)}{self.row}:{get_column_letter(self.c2)}{self.r2}"


class Tables:
    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet

    def add(self, source: Range, name: str, table_style_name: str = "", **_: Any) -> None:
        t = Table(displayName=name, ref=source.address)
        t.tableStyleInfo = TableStyleInfo(name=table_style_name, showRowStripes=True)
        self.sheet.ws.add_table(t)

    def __len__(self) -> int:
        return len(self.sheet.ws.tables)


_CELL = re.compile(r"^\$?([A-Z]+)\$?(\d+)$")


class Sheet:
    def __init__(self, book: Book, ws: Any) -> None:
        self.book, self.ws = book, ws
        self.tables = Tables(self)

    @property
    def name(self) -> str:
        return self.ws.title

    @name.setter
    def name(self, v: str) -> None:
        self.ws.title = v

    def delete(self) -> None:
        self.book.wb.remove(self.ws)

    def activate(self) -> None:
        self.book.wb.active = self.book.wb.worksheets.index(self.ws)

    @property
    def used_range(self) -> Range:
        return Range(self, 1, 1, max(self.ws.max_row, 1), max(self.ws.max_column, 1))

    def range(self, a: Any, b: Any = None) -> Range:
        if b is not None:
            return Range(self, a[0], a[1], b[0], b[1])
        if isinstance(a, tuple):
            return Range(self, a[0], a[1], a[0], a[1])
        areas = [self._area(part) for part in a.split(",")]
        r1, c1, r2, c2 = areas[0]
        return Range(self, r1, c1, r2, c2, areas=areas)

    def _area(self, text: str) -> tuple[int, int, int, int]:
        left, _, right = text.partition(":")
        right = right or left
        if left.isalpha():  # whole columns, e.g. "C:C"
            return (1, column_index_from_string(left), 1048576,
                    column_index_from_string(right))
        m1, m2 = _CELL.match(left), _CELL.match(right)
        return (int(m1.group(2)), column_index_from_string(m1.group(1)),
                int(m2.group(2)), column_index_from_string(m2.group(1)))


class Sheets:
    def __init__(self, book: Book) -> None:
        self.book = book

    def _all(self) -> list[Sheet]:
        return [Sheet(self.book, ws) for ws in self.book.wb.worksheets]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self.book.wb.worksheets)

    def __getitem__(self, key: int | str) -> Sheet:
        if isinstance(key, int):
            return self._all()[key]
        for s in self._all():
            if s.name.lower() == key.lower():
                return s
        raise KeyError(key)

    def add(self, name: str | None = None, before: Sheet | None = None,
            after: Sheet | None = None) -> Sheet:
        wb = self.book.wb
        if before is not None:
            index = wb.worksheets.index(before.ws)
        elif after is not None:
            index = wb.worksheets.index(after.ws) + 1
        else:
            index = 0
        return Sheet(self.book, wb.create_sheet(name, index))

    @property
    def active(self) -> Sheet:
        return Sheet(self.book, self.book.wb.active)


class Book:
    """`Book(path)` opens a real .xlsx/.xlsm the way Excel would hand it to xlwings."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.wb = load_workbook(self.path, keep_vba=self.path.suffix == ".xlsm")
        self.app = App(self)
        self.sheets = Sheets(self)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def fullname(self) -> str:
        return str(self.path)

    def save(self, path: str | Path | None = None) -> Path:
        p = Path(path or self.path)
        self.wb.save(p)
        return p
