"""`claimbook import-837 FILE... --into WORKBOOK`: 837P files from another system into rows.

An existing workbook is never changed without a backup: a timestamped copy is taken, the new
rows are appended under each input table (cells already there are not touched, other sheets
are kept), and the result is written to a temporary file that replaces the workbook. Rows the
workbook already has are skipped (claims by claim id, patients by account or by name and date
of birth, coverage by patient and payer, payers by payer id, providers by NPI). A workbook that
does not exist is created from the template with the imported rows and Practice settings.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import typer

from claimbook.errors import ClaimBookError, WorkbookError
from claimbook.x12.read837 import Imported, read_837_files

ORDER = ("Payers", "Patients", "Coverage", "Providers", "Claims")
KEYS = {"Payers": ("payer_id",), "Patients": ("account",), "Coverage": ("patient", "payer_id"),
        "Providers": ("npi",), "Claims": ("claim_id",)}


@dataclass
class ImportReport:
    workbook: Path
    created: bool
    added: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    backup: Path | None = None
    notes: list[str] = field(default_factory=list)


def _key(frame: pd.DataFrame, cols: tuple[str, ...]) -> pd.Series:
    parts = [frame[c].astype(object).where(frame[c].notna(), "").astype(str).str.strip()
             .str.upper() for c in cols]
    out = parts[0]
    for p in parts[1:]:
        out = out + "|" + p
    return out


def new_rows(imp: Imported, book) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """The imported rows the workbook does not have yet (patients matched by name and DOB)."""
    tables = {k: v.copy() for k, v in imp.tables.items()}
    pats = book.get("Patients")
    if len(pats) and len(tables["Patients"]):
        who = _key(pats, ("last_name", "first_name")) + "|" + pats["dob"].dt.strftime(
            "%Y-%m-%d").fillna("")
        existing = dict(zip(who, pats["account"].astype(str)))
        imp_p = tables["Patients"]
        iwho = _key(imp_p, ("last_name", "first_name")) + "|" + pd.to_datetime(
            imp_p["dob"]).dt.strftime("%Y-%m-%d").fillna("")
        remap = {a: existing[w] for a, w in zip(imp_p["account"], iwho) if w in existing}
        if remap:
            for name, col in (("Patients", "account"), ("Coverage", "patient"),
                              ("Claims", "patient")):
                tables[name][col] = tables[name][col].replace(remap)
    skipped = {}
    for name, cols in KEYS.items():
        have = set(_key(book.get(name), cols)) if len(book.get(name)) else set()
        t = tables[name]
        keep = ~_key(t, cols).isin(have) if len(t) else pd.Series(dtype=bool)
        skipped[name] = int((~keep).sum()) if name != "Claims" else int(
            t.loc[~keep, "claim_id"].nunique()) if len(t) else 0
        tables[name] = t[keep].reset_index(drop=True) if len(t) else t
    return tables, skipped


def _cell(v: object) -> object:
    from claimbook.template import cell_value

    return cell_value(v)


def append_tables(path: Path, book, tables: dict[str, pd.DataFrame]) -> tuple[Path, list[str]]:
    """Append rows under each table's header in one save; backup first. Returns the backup."""
    from openpyxl import load_workbook
    from openpyxl.utils import column_index_from_string

    from claimbook.io.reader import check_not_locked
    from claimbook.io.writer import backup

    check_not_locked(path)
    try:
        wb = load_workbook(path, keep_vba=path.suffix.lower() in (".xlsm", ".xlam"),
                           keep_links=True, rich_text=True)
    except Exception as exc:  # noqa: BLE001
        raise WorkbookError(f"{path.name} cannot be opened for update ({exc}).",
                            "Save it as .xlsx or .xlsm in Excel and try again.") from None
    notes = []
    for name in ORDER:
        rows = tables.get(name)
        if rows is None or rows.empty:
            continue
        src = book.sources.get(name)
        if src is None or src.sheet not in wb.sheetnames:
            notes.append(f"The workbook has no {name} sheet: {len(rows)} {name} row(s) were "
                         f"not added (add the sheet from `claimbook new` and import again).")
            continue
        ws = wb[src.sheet]
        cols = {f: column_index_from_string(letter) for f, letter in src.columns.items()
                if letter}
        last = ws.max_row
        while last > src.header_row and all(
                ws.cell(last, c).value in (None, "") for c in cols.values()):
            last -= 1
        arrays = {f: rows[f].to_numpy(dtype=object) for f in cols if f in rows.columns}
        for i in range(len(rows)):
            for f, arr in arrays.items():
                v = _cell(arr[i])
                if v is None:
                    continue
                cell = ws.cell(last + 1 + i, cols[f], v)
                if isinstance(v, dt.datetime | dt.date):
                    cell.number_format = "mm/dd/yyyy"
        new_last = last + len(rows)
        for t in ws.tables.values():
            m = re.match(r"([A-Z]+)(\d+):([A-Z]+)(\d+)$", t.ref)
            if m and int(m.group(2)) == src.header_row:
                t.ref = f"{m.group(1)}{m.group(2)}:{m.group(3)}{max(new_last, int(m.group(4)))}"
                if t.autoFilter is not None:
                    t.autoFilter.ref = t.ref
    bak = backup(path)
    fd, tmp = tempfile.mkstemp(prefix=".~claimbook-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return bak, notes


def import_837(files: list[Path], workbook: Path) -> ImportReport:
    """Import 837P files into `workbook` (created when it does not exist)."""
    imp = read_837_files(files)
    if not workbook.exists():
        from claimbook.template import build_template

        build_template(workbook, imp.tables, imp.practice)
        added = {k: len(v) for k, v in imp.tables.items()}
        added["Claims"] = int(imp.tables["Claims"]["claim_id"].nunique())
        return ImportReport(workbook, True, added, {k: 0 for k in imp.tables})
    from claimbook.io.reader import read_book

    book = read_book(workbook)
    tables, skipped = new_rows(imp, book)
    added = {k: len(v) for k, v in tables.items()}
    added["Claims"] = int(tables["Claims"]["claim_id"].nunique()) if len(tables["Claims"]) else 0
    if not any(len(v) for v in tables.values()):
        return ImportReport(workbook, False, added, skipped,
                            notes=["Nothing new: the workbook already has every claim."])
    bak, notes = append_tables(workbook, book, tables)
    return ImportReport(workbook, False, added, skipped, bak, notes)


def register(app: typer.Typer) -> None:
    @app.command("import-837")
    def import_837_cmd(
        files: list[Path] = typer.Argument(..., help="837P files to import."),
        into: Path = typer.Option(..., "--into", help="Clinic workbook to add the rows to "
                                  "(created when it does not exist)."),
    ) -> None:
        """Read 837P claim files from another system into the workbook's input sheets."""
        from claimbook.commands.core import console, fail

        try:
            r = import_837(files, into)
        except ClaimBookError as exc:
            fail(exc)
        verb = "Created" if r.created else "Updated"
        console.print(f"{verb} {r.workbook}: " + ", ".join(
            f"{n} {k if k != 'Claims' else 'claims'}" for k, n in r.added.items()) + " added.",
                      soft_wrap=True)
        skipped = {k: n for k, n in r.skipped.items() if n}
        if skipped:
            console.print("Already in the workbook (not added): " + ", ".join(
                f"{n} {k}" for k, n in skipped.items()) + ".", soft_wrap=True)
        if r.backup:
            console.print(f"Backup of the workbook before the import: {r.backup}", soft_wrap=True)
        for note in r.notes:
            console.print(note, soft_wrap=True)
