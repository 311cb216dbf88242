"""Build the clinic workbook (empty template or demo) from the table schemas.

One sheet per table as an Excel Table, a comment on each header explaining the column,
drop-down lists (payers, POS, modifiers, sex, priority, ...), date/currency/text formats,
frozen headers, and an Instructions sheet. `claimbook new` and `claimbook demo` both use it,
and the Excel build (scripts/build_workbooks.py) starts from it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from claimbook.schemas import PRACTICE, Column, TableSchema, all_tables

INPUT_FORMATS = {
    "date": "mm/dd/yyyy", "money": "#,##0.00", "number": "0.###", "int": "0",
    "percent": "0.##", "id": "@", "code": "@", "icd": "@", "modifier": "@", "pos": "@",
    "npi": "@", "ein": "@", "taxonomy": "@", "zip": "@", "phone": "@", "ndc": "@",
    "pointers": "@",
}
COMMON_MODIFIERS = ("25", "59", "LT", "RT", "50", "26", "TC", "76", "77", "91", "95", "GT",
                    "XE", "XS", "XP", "XU", "GA", "GY", "GZ", "KX", "QW", "24", "57", "79")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
VALIDATION_ROWS = 5000

INSTRUCTIONS = [
    "ClaimBook clinic workbook",
    "",
    "First time on this computer:",
    "1. Install Python and ClaimBook (see the ClaimBook guide, Install on Windows / on a Mac).",
    ("2. Open the xlwings.conf sheet (the last sheet). Interpreter_Win (Windows) or "
    "Interpreter_Mac (Mac): the full path of python, or blank for the python on PATH. "
    "PYTHONPATH: the addin folder of your ClaimBook folder. Save the workbook."),
    ("3. Click Import functions on the ClaimBook tab once (Windows): the worksheet functions "
    "CB_ICD, CB_CHECK_CODES, CB_NPI, CB_TIMELY_DAYS, CB_AGING_BUCKET and CB_CLAIM_STATUS then "
    "work in any cell, e.g. =CB_ICD(\"E11.65\")."),
    "",
    "Fill in the sheets in this order (hover over a header to see what the column means):",
    ("1. Practice: your billing provider (name, NPI, EIN, taxonomy, address), submitter and "
    "clearinghouse ids, and T (test) or P (production)."),
    ("2. Payers: each insurance you bill, with its payer id, filing indicator and timely filing "
    "days."),
    "3. Providers: rendering and referring providers with their NPI and taxonomy.",
    ("4. Patients, then Coverage: each patient's insurance (primary first), member id and plan "
    "dates."),
    "5. FeeSchedule: your standard charge per code, and each payer's allowed amount.",
    ("6. Claims: one row per service line (claim id, patient, payer, DOS, diagnoses, code, "
    "modifiers, pointers, units, charge)."),
    ("Optional: CPTCodes (your licensed CPT list), NCCI and MUE (CMS files you load), "
    "RuleSettings (turn a rule off or change its severity), Deposits, PatientPayments, "
    "PaymentPlans, Disputes, Appointments, AgingImport."),
    "",
    "What the buttons on the ClaimBook tab do (work from left to right):",
    ("Validate codes - checks every diagnosis, procedure, modifier, POS, NPI and NDC "
    "(Findings sheet)."),
    ("Scrub claims - finds what a payer would reject and marks each claim Ready, Needs "
    "attention or Blocked (Claim Status sheet)."),
    ("Build batch - writes X12 837P files for the ready claims (Batches sheet). Save the "
    "workbook first: the files go into a batches folder next to it."),
    "Import remittances - asks for 835 files and posts them (Payments, Exceptions sheets).",
    "Aging report / Dashboard - A/R aging and the KPIs your office manager asks for.",
    "Statements - patient statements as PDF files next to the workbook.",
    ("Verify insurance - coverage on each appointment date, estimated patient share, missing "
    "prior authorization (Eligibility sheet)."),
    "Import functions - makes the CB_ worksheet functions available (once per workbook).",
    "Help - a short reminder of the above.",
    "",
    ("ClaimBook never changes the cells you type. It writes its own sheets (Findings, Claim "
    "Status, Batches, Payments, Exceptions, Aging, Dashboard...) and replaces them on each run."),
    ("A button that fails shows what is wrong and what to do. The same jobs also run outside "
    "Excel: claimbook run followed by the workbook's file name, in Command Prompt or Terminal."),
]


def _table_columns(schema: TableSchema, data: pd.DataFrame | None = None) -> list[Column]:
    """The schema's columns, less those not offered in a template (Mod5-Mod8) unless `data`
    fills them."""
    def used(c: Column) -> bool:
        return data is not None and c.name in data.columns and bool(data[c.name].notna().any())

    return [c for c in schema.columns if c.template or used(c)]


def cell_value(v: object) -> object:
    """A pandas/numpy value as openpyxl writes it: blanks (None, NaN, NaT, NA) as None,
    Timestamps as datetimes, numpy scalars as Python numbers."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


# Code lists a clinic may need to extend (a new payer, POS, modifier or unit): a value not in
# the drop-down gets a warning the coordinator can accept. Fixed lists (sex, coverage
# priority, Y/N, relationship, role, frequency, severity...) stop a wrong value.
CODE_LISTS = frozenset({"filing_indicator", "ndc_unit"})


def _validation(col: Column, letter: str, payer_ref: str | None) -> DataValidation | None:
    rng = f"{letter}2:{letter}{VALIDATION_ROWS}"
    accept = "Click Yes to keep it, No to change it."
    if col.name == "payer_id" and payer_ref:
        dv = DataValidation(type="list", formula1=payer_ref, allow_blank=True)
        dv.errorStyle = "warning"
        dv.error = ("This payer id is not on the Payers sheet. Add the payer there first "
                    f"(payer id, name, filing indicator). {accept}")
    elif col.kind == "modifier":
        dv = DataValidation(type="list", formula1='"' + ",".join(COMMON_MODIFIERS) + '"',
                            allow_blank=True)
        dv.errorStyle = "warning"  # other modifiers are allowed
        dv.error = ("This modifier is not in the common list. Check it (Validate codes checks "
                    f"every modifier). {accept}")
    elif col.kind == "pos":
        dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"',
                            allow_blank=True)
        dv.errorStyle = "warning"
        dv.error = ("This place of service is not in the common list (two digits, e.g. 11 "
                    f"office, 02 telehealth). {accept}")
    elif col.choices:
        dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"',
                            allow_blank=True)
        allowed = ", ".join(col.choices)
        if col.name in CODE_LISTS:
            dv.errorStyle = "warning"
            dv.error = f"{col.header} is usually one of {allowed}. {accept}"
        else:
            dv.errorStyle = "stop"
            dv.error = (f"{col.header} must be one of: {allowed}. Pick one from the list "
                        "(the arrow at the right of the cell).")
    elif col.kind == "bool":
        dv = DataValidation(type="list", formula1='"Y,N"', allow_blank=True)
        dv.errorStyle = "stop"
        dv.error = f"{col.header} must be Y (yes) or N (no). Pick one from the list."
    else:
        return None
    dv.showErrorMessage = True
    dv.errorTitle = f"ClaimBook: {col.header}"[:32]
    dv.showInputMessage = True
    dv.promptTitle = col.header[:32]
    dv.prompt = col.description[:255]
    dv.error = dv.error[:225]
    dv.add(rng)
    return dv


def _write_table(wb: Workbook, schema: TableSchema, data: pd.DataFrame | None,
                 payer_ref: str | None) -> None:
    ws = wb.create_sheet(schema.name)
    cols = _table_columns(schema, data)
    n = 0 if data is None else len(data)
    for j, col in enumerate(cols):
        ws.column_dimensions[get_column_letter(j + 1)].width = col.display_width
    ws.freeze_panes = "A2"
    header = []
    for col in cols:
        c = WriteOnlyCell(ws, value=col.header)
        c.font = HEADER_FONT
        c.fill = HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="center")
        req = "Required. " if col.required else ""
        choices = f" Allowed: {', '.join(col.choices)}." if col.choices else ""
        c.comment = Comment(f"{req}{col.description}{choices}", "ClaimBook", width=320,
                            height=110)
        header.append(c)
    ws.append(header)
    fmts = [INPUT_FORMATS.get(c.kind) for c in cols]
    if n:
        arrays = [(data[c.name].to_numpy(dtype=object) if c.name in data.columns
                   else np.full(n, None, dtype=object)) for c in cols]
        for r in range(n):
            row = []
            for j in range(len(cols)):
                v = cell_value(arrays[j][r])
                cell = WriteOnlyCell(ws, value=v)
                if fmts[j] and v is not None:
                    if fmts[j] == "@" and not isinstance(v, str):
                        pass  # a number the user typed stays a number (messy demo cells)
                    elif isinstance(v, str) and fmts[j] != "@":
                        pass  # text in a date/number column stays text
                    else:
                        cell.number_format = fmts[j]
                row.append(cell)
            ws.append(row)
    else:
        row = []
        for j in range(len(cols)):
            cell = WriteOnlyCell(ws, value=None)
            if fmts[j]:
                cell.number_format = fmts[j]
            row.append(cell)
        ws.append(row)
    last = max(n, 1) + 1
    ref = f"A1:{get_column_letter(len(cols))}{last}"
    t = Table(displayName=f"tbl{schema.name}", ref=ref)
    t.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    t.tableColumns = [TableColumn(id=k + 1, name=c.header) for k, c in enumerate(cols)]
    t.autoFilter = AutoFilter(ref=ref)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # columns are set above
        ws.add_table(t)
    for j, col in enumerate(cols):
        dv = _validation(col, get_column_letter(j + 1),
                         payer_ref if schema.name != "Payers" else None)
        if dv is not None:
            ws.data_validations.append(dv)


def _write_practice(wb: Workbook, values: dict[str, object] | None) -> None:
    ws = wb.create_sheet(PRACTICE.name)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 36
    ws.column_dimensions["C"].width = 80
    ws.freeze_panes = "A2"
    head = []
    for h in ("Setting", "Value", "What it is"):
        c = WriteOnlyCell(ws, value=h)
        c.font = HEADER_FONT
        c.fill = HEADER_FILL
        head.append(c)
    ws.append(head)
    values = values or {}
    for col in PRACTICE.columns:
        v = cell_value(values.get(col.name))
        cell = WriteOnlyCell(ws, value=v)
        fmt = INPUT_FORMATS.get(col.kind)
        if fmt and v is not None and (fmt == "@") == isinstance(v, str):
            cell.number_format = fmt
        desc = ("Required. " if col.required else "") + col.description
        ws.append([WriteOnlyCell(ws, value=col.header), cell, WriteOnlyCell(ws, value=desc)])
    for row, col in enumerate(PRACTICE.columns, start=2):
        if col.name == "usage":
            dv = DataValidation(type="list", formula1='"T,P"', allow_blank=False)
            dv.errorStyle = "stop"
            dv.showErrorMessage = True
            dv.errorTitle = "ClaimBook: ISA15 usage"
            dv.error = "Type T (test files) or P (production files)."
            dv.add(f"B{row}")
        else:
            dv = _validation(col, "B", None)
            if dv is None:
                continue
            dv.sqref = MultiCellRange(f"B{row}")
        ws.data_validations.append(dv)


INSTRUCTIONS_WIDTH = 90  # column A, in characters
INSTRUCTIONS_LINE = 80  # longer instructions continue on the next row (indented)


def instruction_rows(lines: list[str] = INSTRUCTIONS) -> list[tuple[str, str]]:
    """(kind, text) per sheet row: each instruction split at INSTRUCTIONS_LINE characters, so
    every row shows in full on screen and on paper without relying on row heights (Excel
    and LibreOffice do not grow a row for wrapped text written this way)."""
    import textwrap

    rows: list[tuple[str, str]] = []
    for i, line in enumerate(lines):
        kind = "title" if i == 0 else "heading" if line.endswith(":") else "text"
        if not line or kind == "title":
            rows.append((kind, line))
            continue
        indent = "    " if line[:1].isdigit() else "  "
        for j, part in enumerate(textwrap.wrap(line, INSTRUCTIONS_LINE,
                                               subsequent_indent=indent)):
            rows.append((kind if j == 0 or kind == "heading" else "text", part))
    return rows


def _write_instructions(wb: Workbook) -> None:
    ws = wb.create_sheet("Instructions")
    ws.column_dimensions["A"].width = INSTRUCTIONS_WIDTH
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.page_margins = PageMargins(left=0.6, right=0.6, top=0.7, bottom=0.7)
    ws.sheet_view.showGridLines = False
    wrap = Alignment(wrap_text=True, vertical="top")
    fonts = {"title": Font(bold=True, size=16, color="1F4E78"), "heading": Font(bold=True)}
    for kind, text in instruction_rows():
        c = WriteOnlyCell(ws, value=text)
        c.alignment = wrap
        if kind in fonts:
            c.font = fonts[kind]
        ws.append([c])


def build_template(path: str | os.PathLike, data: dict[str, pd.DataFrame] | None = None,
                   practice: dict[str, object] | None = None, *,
                   tables: list[str] | None = None) -> Path:
    """Write the clinic workbook: every input table (or `tables`), filled from `data`.

    `data` maps table names to frames with the schema's canonical column names; values are
    written as given (so a demo can include the messy cells real exports have).
    """
    p = Path(path)
    data = data or {}
    wb = Workbook(write_only=True)
    _write_instructions(wb)
    _write_practice(wb, practice)
    schemas = [s for s in all_tables() if not s.key_value]
    if tables is not None:
        schemas = [s for s in schemas if s.name in tables]
    payers = data.get("Payers")
    n_payers = max(len(payers) if payers is not None else 0, 1)
    payer_ref = f"=Payers!$A$2:$A${max(n_payers + 1, 200)}"
    for schema in schemas:
        _write_table(wb, schema, data.get(schema.name), payer_ref)
    wb.properties.creator = "ClaimBook"
    fixed = dt.datetime(2026, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    from claimbook.io.writer import atomic_save

    atomic_save(wb, p)
    return p
