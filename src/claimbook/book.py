"""The clinic workbook as the engine sees it: normalised tables plus where each cell came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from claimbook import findings as F
from claimbook.schemas import PRACTICE, TableSchema, table


class PracticeSettings(BaseModel):
    """The Practice sheet, normalised, with the defaults ClaimBook uses when a key is blank."""

    model_config = ConfigDict(extra="ignore")

    billing_name: str | None = None
    billing_npi: str | None = None
    billing_ein: str | None = None
    billing_taxonomy: str | None = None
    billing_address: str | None = None
    billing_city: str | None = None
    billing_state: str | None = None
    billing_zip: str | None = None
    billing_phone: str | None = None
    submitter_id: str | None = None
    submitter_name: str | None = None
    submitter_contact: str | None = None
    submitter_phone: str | None = None
    submitter_email: str | None = None
    receiver_id: str | None = None
    receiver_name: str | None = None
    usage: str = "T"
    timely_filing_days: int = 90
    medicare_timely_filing_days: int = 365
    accept_assignment: bool = True
    release_of_info: str = "Y"
    underpayment_tolerance: float = 0.50
    no_remit_days: int = 45
    remit_name: str | None = None
    remit_address: str | None = None


@dataclass
class TableSource:
    """Where a table was found: sheet, header row, and each field's Excel column letter."""

    sheet: str
    header_row: int  # 1-based Excel row of the header
    columns: dict[str, str] = field(default_factory=dict)  # field -> column letter
    headers: list[str] = field(default_factory=list)  # headers as found


@dataclass
class Book:
    """Normalised tables of one clinic workbook.

    Each table is a DataFrame with the schema's canonical column names (every column present,
    NA when absent in the sheet) and `_row`, the Excel row of the record. Dates are
    datetime64 (midnight), money float rounded to cents, codes upper-case strings.
    """

    tables: dict[str, pd.DataFrame]
    practice: PracticeSettings
    sources: dict[str, TableSource] = field(default_factory=dict)
    practice_rows: dict[str, int] = field(default_factory=dict)  # setting -> Excel row
    findings: pd.DataFrame = field(default_factory=F.empty)  # problems met while reading
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)  # normalised cells
    path: Path | None = None

    def get(self, name: str) -> pd.DataFrame:
        """The table, or an empty one with the schema's columns when the sheet is absent."""
        if name in self.tables:
            return self.tables[name]
        return empty_table(table(name))

    def has(self, name: str) -> bool:
        return name in self.tables

    def letter(self, table_name: str, field_name: str) -> str:
        src = self.sources.get(table_name)
        return src.columns.get(field_name, "") if src else ""

    def sheet(self, table_name: str) -> str:
        src = self.sources.get(table_name)
        return src.sheet if src else table_name

    def practice_cell(self, key: str) -> tuple[str, int | None]:
        """(sheet, Excel row) of a Practice setting, for findings."""
        return self.sheet(PRACTICE.name), self.practice_rows.get(key)


def empty_table(schema: TableSchema) -> pd.DataFrame:
    cols: dict[str, Any] = {"_row": pd.Series(dtype="int64")}
    for c in schema.columns:
        if c.kind == "date":
            cols[c.name] = pd.Series(dtype="datetime64[ns]")
        elif c.kind in ("money", "number", "percent"):
            cols[c.name] = pd.Series(dtype="float64")
        elif c.kind == "int":
            cols[c.name] = pd.Series(dtype="Int64")
        elif c.kind == "bool":
            cols[c.name] = pd.Series(dtype="boolean")
        else:
            cols[c.name] = pd.Series(dtype="object")
    return pd.DataFrame(cols)


def as_date(value: date | str | pd.Timestamp | None) -> pd.Timestamp:
    """An as-of date as a Timestamp (today when None)."""
    if value is None:
        return pd.Timestamp(date.today())
    return pd.Timestamp(value).normalize()
