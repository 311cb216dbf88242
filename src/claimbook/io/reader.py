"""Read the clinic workbook into normalised tables.

Files are read with python-calamine (several times faster than openpyxl); Excel ranges handed
over by xlwings go through `read_book_from_values`, the same code from the cell values on.
Each table is found by its sheet name (or aliases) or, failing that, by a sheet whose header
row matches the table's columns. Headers match case-, space- and punctuation-insensitively
with aliases. Cells are normalised by column kind; a cell that cannot be used becomes a
finding (sheet, Excel row, column, value) and the other rows go on. A missing required sheet
or column is one WorkbookError naming what is missing and listing what was found.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from claimbook import findings as F
from claimbook import normalize as N
from claimbook.book import Book, PracticeSettings, TableSource, empty_table
from claimbook.errors import WorkbookError, WorkbookLockedError
from claimbook.rules import io as R
from claimbook.schemas import OWNED_SHEETS, PRACTICE, TableSchema, all_tables, header_key

# Tables a workbook must have; the others are optional.
REQUIRED_TABLES = ("Practice", "Payers", "Patients", "Coverage", "Claims")
# Rows whose key is blank are dropped (reported IO-REQUIRED); other listed cells are reported.
KEYS: dict[str, tuple[str, ...]] = {
    "Claims": ("claim_id",), "Patients": ("account",), "Payers": ("payer_id",),
    "Coverage": ("patient", "payer_id"), "Providers": ("npi",), "FeeSchedule": ("code",),
    "CPTCodes": ("code",), "NCCI": ("column1", "column2"), "MUE": ("code",),
    "RuleSettings": ("rule",),
}
NOT_BLANK: dict[str, tuple[str, ...]] = {"Claims": ("patient", "dos_from", "code")}
HEADER_SCAN_ROWS = 30
# An 837P service line carries at most 4 modifiers; Claims columns mod1, mod2, ... hold them.
MOD_SLOTS = 4
MOD_COLUMN = re.compile(r"mod\d+")

_BAD_RULE = {"date": R.BAD_DATE, "money": R.BAD_NUMBER, "number": R.BAD_NUMBER,
             "int": R.BAD_NUMBER, "percent": R.BAD_NUMBER, "enum": R.BAD_CHOICE,
             "sex": R.BAD_CHOICE, "bool": R.BAD_CHOICE}
_SHAPES = {"npi": "10 digits", "ein": "9 digits (12-3456789)", "zip": "5 or 9 digits",
           "phone": "10 digits", "state": "2 letters (e.g. MA)", "date": "a date",
           "money": "an amount", "number": "a number", "int": "a whole number",
           "percent": "a percentage between 0 and 100", "bool": "Y or N",
           "sex": "M, F or U"}


def check_not_locked(path: str | os.PathLike) -> None:
    """Excel keeps `~$name.xlsx` beside a workbook it has open; refuse to clash with it."""
    p = Path(path)
    lock = p.with_name("~$" + p.name)
    # Excel shortens long names in the lock file: ~$ replaces the first two characters.
    lock2 = p.with_name("~$" + p.name[2:])
    if lock.exists() or (len(p.name) > 2 and lock2.exists()):
        raise WorkbookLockedError(
            f"{p.name} is open in Excel (its lock file {lock.name if lock.exists() else lock2.name}"
            " exists).",
            "Save and close it in Excel, then run ClaimBook again; or run the job from the "
            "ClaimBook buttons inside Excel.")


def read_raw(path: str | os.PathLike) -> dict[str, list[list]]:
    """Every sheet as a list of rows, row 0 = Excel row 1, column 0 = column A."""
    from python_calamine import CalamineWorkbook

    p = Path(path)
    if not p.exists():
        raise WorkbookError(f"The workbook {p} does not exist.",
                            "Check the file name and folder.")
    try:
        wb = CalamineWorkbook.from_path(str(p))
    except Exception as exc:  # noqa: BLE001 - calamine raises various errors
        raise WorkbookError(f"{p.name} cannot be read as a workbook ({exc}).",
                            "Save it as .xlsx (Excel Workbook) and try again.") from None
    out = {}
    try:
        for name in wb.sheet_names:
            try:
                sheet = wb.get_sheet_by_name(name)
                out[name] = sheet.to_python(skip_empty_area=False)
            except Exception:  # noqa: BLE001 - a chart sheet or similar: nothing to read
                out[name] = []
    finally:
        wb.close()
    return out


def read_book(path: str | os.PathLike, *, check_lock: bool = False) -> Book:
    """Read a workbook file into a Book."""
    if check_lock:
        check_not_locked(path)
    book = read_book_from_values(read_raw(path), name=Path(path).name)
    book.path = Path(path)
    return book


def read_book_from_values(sheets: dict[str, Sequence[Sequence]], name: str = "") -> Book:
    """Build a Book from sheets given as 2-D lists of cell values (xlwings, calamine)."""
    owned = {header_key(s) for s in OWNED_SHEETS}
    candidates = {s: rows for s, rows in sheets.items() if header_key(s) not in owned}
    tables: dict[str, pd.DataFrame] = {}
    sources: dict[str, TableSource] = {}
    findings: list[pd.DataFrame] = []
    changes: list[pd.DataFrame] = []
    missing: list[str] = []
    used: set[str] = set()
    practice = PracticeSettings()
    practice_rows: dict[str, int] = {}

    schemas = all_tables()
    # Pass 1: sheets found by name; pass 2: sheets found by their header row.
    located: dict[str, tuple[str, int, dict[int, str]]] = {}
    for schema in schemas:
        sheet = _sheet_by_name(schema, candidates, used)
        if sheet is not None:
            used.add(sheet)
            located[schema.name] = (sheet, *_header(schema, candidates[sheet]))
    for schema in schemas:
        if schema.name in located or schema.key_value:
            continue
        hit = _sheet_by_header(schema, candidates, used)
        if hit is not None:
            used.add(hit[0])
            located[schema.name] = hit

    for schema in schemas:
        if schema.name not in located:
            if schema.name in REQUIRED_TABLES:
                missing.append(f"the sheet '{schema.name}'")
            continue
        sheet, header_idx, mapping = located[schema.name]
        rows = candidates[sheet]
        if schema.key_value:
            practice, practice_rows, f = _read_practice(sheet, rows)
            findings.append(f)
            sources[schema.name] = TableSource(sheet, 1, {})
            continue
        found_cols = set(mapping.values())
        lacking = [c for c in schema.required_columns if c.name not in found_cols]
        if lacking:
            headers = [str(h) for h in rows[header_idx] if h not in (None, "")] if rows else []
            missing.append(
                f"in sheet '{sheet}' the column{'s' if len(lacking) > 1 else ''} "
                + ", ".join(f"'{c.header}'" for c in lacking)
                + f" (headers found in row {header_idx + 1}: "
                + (", ".join(headers) if headers else "none") + ")")
            continue
        frame, source, f, ch = _read_table(schema, sheet, rows, header_idx, mapping)
        tables[schema.name] = frame
        sources[schema.name] = source
        findings.append(f)
        changes.append(ch)

    if missing:
        found = ", ".join(f"'{s}'" for s in sheets) or "none"
        raise WorkbookError(
            f"The workbook {name or ''} is missing " + "; ".join(missing)
            + f". Sheets found: {found}.".replace("  ", " "),
            "Add what is missing (run `claimbook new FILE` to see the expected layout), or "
            "rename your sheet or header to one of the names in docs/workbook.md.")
    ch = pd.concat([c for c in changes if len(c)], ignore_index=True) if any(
        len(c) for c in changes) else pd.DataFrame(
        columns=["table", "sheet", "row", "column", "field", "raw", "value"])
    return Book(tables=tables, practice=practice, sources=sources, practice_rows=practice_rows,
                findings=F.concat(findings), changes=ch)


def read_book_from_frames(frames: dict[str, pd.DataFrame], practice: dict | None = None
                          ) -> Book:
    """A Book from frames with canonical column names (the demo's fast format at 1M lines),
    normalised exactly like a workbook's cells."""
    tables: dict[str, pd.DataFrame] = {}
    sources: dict[str, TableSource] = {}
    finds: list[pd.DataFrame] = []
    changes: list[pd.DataFrame] = []
    for schema in all_tables():
        if schema.key_value or schema.name not in frames:
            continue
        df = frames[schema.name]
        cols = [c.name for c in schema.columns if c.name in df.columns]
        raw = df[cols].astype(object)
        raw.columns = range(len(cols))
        raw.index = np.arange(2, 2 + len(raw))
        mapping = dict(enumerate(cols))
        frame, src, f, ch = _read_table(schema, schema.name, raw, 0, mapping)
        tables[schema.name], sources[schema.name] = frame, src
        finds.append(f)
        changes.append(ch)
    settings = PracticeSettings()
    if practice:
        rows = [[PRACTICE.column(k).header, v] for k, v in practice.items()]
        settings, _, f = _read_practice(PRACTICE.name, rows)
        finds.append(f)
    ch = [c for c in changes if len(c)]
    return Book(tables=tables, practice=settings, sources=sources, findings=F.concat(finds),
                changes=pd.concat(ch, ignore_index=True) if ch else pd.DataFrame())


def _names_for(schema: TableSchema) -> set[str]:
    return {header_key(schema.name)} | {header_key(a) for a in schema.sheet_aliases}


def _sheet_by_name(schema: TableSchema, sheets: dict, used: set[str]) -> str | None:
    keys = _names_for(schema)
    for s in sheets:
        if s not in used and header_key(s) in keys:
            return s
    return None


def _column_keys(schema: TableSchema) -> dict[str, str]:
    keys: dict[str, str] = {}
    for c in schema.columns:
        for k in (c.header, c.name, *c.aliases):
            keys.setdefault(header_key(k), c.name)
    return keys


def _header(schema: TableSchema, rows: Sequence[Sequence]) -> tuple[int, dict[int, str]]:
    """Best header row in the first rows of a sheet, and column index -> field name."""
    keys = _column_keys(schema)
    best, best_map = 0, {}
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        mapping: dict[int, str] = {}
        for j, cell in enumerate(row):
            if cell is None or cell == "":
                continue
            name = keys.get(header_key(cell))
            if name and name not in mapping.values():
                mapping[j] = name
        if len(mapping) > len(best_map):
            best, best_map = i, mapping
    return best, best_map


def _sheet_by_header(schema: TableSchema, sheets: dict, used: set[str]
                     ) -> tuple[str, int, dict[int, str]] | None:
    required = {c.name for c in schema.required_columns}
    for s, rows in sheets.items():
        if s in used or not rows:
            continue
        idx, mapping = _header(schema, rows)
        if required and required <= set(mapping.values()) and len(mapping) >= 2:
            return s, idx, mapping
    return None


def _read_table(schema: TableSchema, sheet: str, rows: Sequence[Sequence], header_idx: int,
                mapping: dict[int, str]
                ) -> tuple[pd.DataFrame, TableSource, pd.DataFrame, pd.DataFrame]:
    if isinstance(rows, pd.DataFrame):  # already a frame (fast path for benchmarks)
        raw = rows
        rows = [list(raw.columns)]
        header_idx = 0
    else:
        body = rows[header_idx + 1:]
        width = max((len(r) for r in body), default=0)
        width = max(width, max(mapping, default=-1) + 1)
        if body:
            raw = pd.DataFrame(list(body), dtype=object)
            raw = raw.reindex(columns=range(width))
        else:
            raw = pd.DataFrame(columns=range(width), dtype=object)
        raw.index = np.arange(header_idx + 2, header_idx + 2 + len(raw))  # Excel rows
    # drop fully blank rows (in the mapped columns)
    cols_idx = sorted(mapping)
    if len(raw) and cols_idx:
        sub = raw[cols_idx]
        nonblank = ~pd.concat([N.blank_mask(sub[c]) for c in cols_idx], axis=1).all(axis=1)
        raw = raw[nonblank]
    letters = {name: get_column_letter(j + 1) for j, name in mapping.items()}
    by_name = {name: j for j, name in mapping.items()}
    out: dict[str, pd.Series] = {"_row": pd.Series(raw.index.to_numpy(), index=raw.index)}
    finds: list[pd.DataFrame] = []
    changes: list[pd.DataFrame] = []
    bad_cells: dict[str, np.ndarray] = {}
    for col in schema.columns:
        if col.name not in by_name:
            out[col.name] = empty_table(schema)[col.name].reindex(raw.index)
            continue
        cells = raw[by_name[col.name]]
        values, bad = N.by_kind(col.kind, cells, col.choices)
        bad_cells[col.name] = bad.to_numpy()
        if bad.any():
            finds.append(_bad_cells(schema, sheet, col, letters[col.name], cells, bad, out))
            if col.kind not in ("date", "money", "number", "int", "percent", "bool"):
                values = values.where(~bad, None)
        if col.kind == "icd":
            raw_txt = N.ident(cells)[0]
            diff = raw_txt.notna() & values.notna() & (raw_txt != values)
            if diff.any():
                changes.append(pd.DataFrame({
                    "table": schema.name, "sheet": sheet, "row": raw.index[diff.to_numpy()],
                    "column": letters[col.name], "field": col.name,
                    "raw": raw_txt[diff].to_numpy(), "value": values[diff].to_numpy()}))
        out[col.name] = values
    frame = pd.DataFrame(out)
    frame = frame.reset_index(drop=True)
    unreadable = {k: pd.Series(v) for k, v in bad_cells.items()}
    frame.attrs["columns"] = letters
    frame.attrs["sheet"] = sheet

    # keys: rows without them are reported and dropped; listed cells reported, row kept
    for key in KEYS.get(schema.name, ()):
        if key in frame:
            blank = frame[key].isna()
            for k in unreadable:
                unreadable[k] = unreadable[k][~blank.to_numpy()].reset_index(drop=True)
            if blank.any():
                finds.append(F.from_mask(
                    frame, blank, R.MISSING_KEY, key,
                    f"Row {{_row}} of sheet '{sheet}' has no {schema.column(key).header}; "
                    "the row is skipped.", sheet=sheet, column=letters.get(key, "")))
                frame = frame[~blank].reset_index(drop=True)
                frame.attrs["columns"] = letters
                frame.attrs["sheet"] = sheet
    for col in NOT_BLANK.get(schema.name, ()):
        if col in frame and col in by_name:
            blank = frame[col].isna() & ~unreadable.get(
                col, pd.Series(False, index=frame.index)).to_numpy()
            if blank.any():
                finds.append(F.from_mask(
                    frame, blank, R.MISSING_KEY, col,
                    f"{schema.column(col).header} is empty in sheet '{sheet}' row {{_row}}.",
                    sheet=sheet, column=letters.get(col, "")))
    if schema.name == "Claims":
        frame = spread_modifiers(frame)
    if schema.name == "Claims" and len(frame):
        frame = _fill_line_numbers(frame)
        frame.attrs["columns"] = letters
        frame.attrs["sheet"] = sheet
    headers = [str(rows[header_idx][j]) for j in cols_idx] if rows else []
    change_frame = pd.concat(changes, ignore_index=True) if changes else pd.DataFrame()
    return frame, TableSource(sheet, header_idx + 1, letters, headers), F.concat(finds), \
        change_frame


def spread_modifiers(frame: pd.DataFrame) -> pd.DataFrame:
    """Put a line's modifiers in order into Mod1, Mod2, ...: Mod1 to ModN, and within a cell
    ('25,59') left to right. Adds `_mod_extra` (how many are beyond the 837P's 4), and for
    those lines `_mods` (all of them, as read) and `_mod_over` (the column of the 5th)."""
    cols = [c for c in frame.columns if MOD_COLUMN.fullmatch(str(c))]
    frame["_mod_extra"] = np.zeros(len(frame), dtype="int64")
    frame["_mods"] = np.full(len(frame), None, dtype=object)
    frame["_mod_over"] = np.full(len(frame), None, dtype=object)
    if not len(frame) or not cols:
        return frame
    moves = _lines_to_spread(frame, cols)
    if moves.any():
        tokens = _modifier_tokens(frame.loc[moves, cols].astype(object))
        _fill_modifier_slots(frame, cols, frame.index[moves], tokens)
        _count_extra_modifiers(frame, tokens)
    return frame


def _lines_to_spread(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Lines with a cell holding several modifiers or a modifier beyond Mod4's column."""
    moves = np.zeros(len(frame), dtype=bool)
    for j, c in enumerate(cols):
        filled = frame[c].notna().to_numpy()
        if not filled.any():
            continue
        if j >= MOD_SLOTS:
            moves |= filled
        moves[filled] |= frame[c][filled].astype(str).str.contains(",", regex=False) \
            .to_numpy(bool)
    return moves


def _modifier_tokens(mods: pd.DataFrame) -> pd.DataFrame:
    """One row per modifier in reading order: line (frame index), column, modifier, slot
    (0 = the line's first modifier)."""
    s = mods.stack().dropna().str.split(",").explode()
    s = s[s.notna() & s.ne("")]
    t = pd.DataFrame({"line": s.index.get_level_values(0), "column": s.index.get_level_values(1),
                      "modifier": s.to_numpy(object)})
    t["slot"] = t.groupby("line", sort=False).cumcount()
    return t


def _fill_modifier_slots(frame: pd.DataFrame, cols: list[str], rows: pd.Index,
                         tokens: pd.DataFrame) -> None:
    for k, c in enumerate(cols):
        if frame[c].dtype != object:
            frame[c] = frame[c].astype(object)
        at = tokens[tokens["slot"].eq(k)]
        values = pd.Series(at["modifier"].to_numpy(object), index=at["line"]).reindex(rows)
        frame.loc[rows, c] = values.astype(object).where(values.notna(), None)


def _count_extra_modifiers(frame: pd.DataFrame, tokens: pd.DataFrame) -> None:
    count = tokens.groupby("line")["slot"].max().add(1)
    extra = (count - MOD_SLOTS).clip(lower=0)
    extra = extra[extra.gt(0)]
    if extra.empty:
        return
    frame.loc[extra.index, "_mod_extra"] = extra.astype("int64")
    over = tokens[tokens["line"].isin(extra.index)]
    frame.loc[extra.index, "_mods"] = over.groupby("line")["modifier"].agg(",".join)
    fifth = over[over["slot"].eq(MOD_SLOTS)].set_index("line")["column"]
    frame.loc[fifth.index, "_mod_over"] = fifth


def _fill_line_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    blank = frame["line_no"].isna()
    if blank.any():
        seq = frame.groupby("claim_id", sort=False).cumcount() + 1
        frame["line_no"] = frame["line_no"].fillna(seq.astype("Int64"))
    return frame


def _bad_cells(schema: TableSchema, sheet: str, col, letter: str, cells: pd.Series,
               bad: pd.Series, out: dict[str, pd.Series]) -> pd.DataFrame:
    rule = _BAD_RULE.get(col.kind, R.BAD_ID)
    shape = _SHAPES.get(col.kind)
    if col.choices:
        expected = "one of " + ", ".join(col.choices)
    else:
        expected = shape or f"a valid {col.header}"
    tmp = pd.DataFrame({"_row": out["_row"], "_raw": cells})
    for key in ("claim_id", "line_no"):
        if key in out:
            tmp[key] = out[key]
    return F.from_mask(
        tmp, bad, rule, col.name,
        f"{col.header} '{{value}}' in sheet '{sheet}' cell {letter}{{_row}} is not "
        f"{expected}; the cell is ignored.",
        value=cells.map(lambda v: "" if v is None else str(v)), sheet=sheet, column=letter)


def _read_practice(sheet: str, rows: Sequence[Sequence]
                   ) -> tuple[PracticeSettings, dict[str, int], pd.DataFrame]:
    """Key/value settings: the first non-empty cell of a row names the setting, the next
    non-empty cell is its value. A header row such as 'Setting | Value' is skipped."""
    keys = _column_keys(PRACTICE)
    values: dict[str, object] = {}
    where: dict[str, int] = {}
    finds: list[pd.DataFrame] = []
    for i, row in enumerate(rows):
        first = next((j for j, c in enumerate(row) if c is not None and str(c).strip() != ""),
                     None)
        if first is None:
            continue
        value = row[first + 1] if first + 1 < len(row) else None
        if isinstance(value, str) and not value.strip():
            value = None
        cells = [row[first], value]
        k = header_key(cells[0])
        if k in ("setting", "settings", "key", "name", "field", "practicesettings"):
            continue
        name = keys.get(k)
        if name is None:
            finds.append(F.one(R.BAD_SETTING, f"Sheet '{sheet}' row {i + 1}: the setting "
                               f"'{cells[0]}' is not one ClaimBook knows; it is ignored.",
                               sheet=sheet, row=i + 1, column="A", value=cells[0]))
            continue
        values[name] = value
        where[name] = i + 1
    clean: dict[str, object] = {}
    for name, raw in values.items():
        col = PRACTICE.column(name)
        v, bad = N.by_kind(col.kind, pd.Series([raw], dtype=object), col.choices)
        if bool(bad.iloc[0]):
            finds.append(F.one(
                _BAD_RULE.get(col.kind, R.BAD_ID),
                f"Setting '{col.header}' in sheet '{sheet}' row {where[name]} is '{raw}', not "
                f"{('one of ' + ', '.join(col.choices)) if col.choices else _SHAPES.get(col.kind, 'valid')}; "
                "the default is used.", sheet=sheet, row=where[name], column="B",
                field=name, value=raw))
            continue
        val = v.iloc[0]
        if val is None or (not isinstance(val, str) and pd.isna(val)):
            continue
        if isinstance(val, np.generic):
            val = val.item()
        clean[name] = val
    return PracticeSettings(**clean), where, F.concat(finds)
