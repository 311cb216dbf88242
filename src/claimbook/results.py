"""Result sheets as the engine describes them; the openpyxl and xlwings writers render them.

A ResultSheet is a list of Sections written top to bottom, each an Excel Table with a title
row. Column formats are named by kind (money, date, int, percent, text); a Section may carry
hyperlinks per row and native charts over its own columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

Format = Literal["text", "money", "date", "int", "number", "percent", "datetime"]

# Headers that read better than their words; any other snake_case name is spelt out,
# with the acronyms below in capitals.
_LABELS = {
    "writeoff": "Write-off", "patient_resp": "Patient responsibility",
    "age_days": "Age (days)", "sheet_row": "Sheet row", "remit_claim": "Claim in remittance",
    "matched_by": "Matched by", "next_action": "Next action",
}
_ACRONYMS = {"dos": "DOS", "id": "ID", "icn": "ICN", "npi": "NPI", "kpi": "KPI", "plb": "PLB",
             "pr": "PR", "co": "CO", "oa": "OA", "pi": "PI", "carc": "CARC", "rarc": "RARC"}


def header_label(column: object) -> str:
    """The header a coordinator reads for an engine column: 'insurance_balance' becomes
    'Insurance balance', 'dos' 'DOS'; names already written for people are kept as they are."""
    name = str(column)
    if name in _LABELS:
        return _LABELS[name]
    if not name or name != name.lower() or not name.replace("_", "").isalnum():
        return name  # 'Claim ID', '31-60', '120+': already a label
    words = [_ACRONYMS.get(w, w) for w in name.split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if words and words[0] not in _ACRONYMS else text


@dataclass
class Chart:
    """A native Excel chart over columns of the section it belongs to."""

    kind: Literal["bar", "col", "line", "pie"]
    title: str
    category: str  # column with the category labels
    values: list[str]  # columns plotted as series
    stacked: bool = False
    y_title: str = ""


@dataclass
class Section:
    frame: pd.DataFrame
    title: str = ""
    formats: dict[str, Format] = field(default_factory=dict)
    links: dict[str, pd.Series] = field(default_factory=dict)  # column -> link target per row
    severity_column: str | None = None  # colour rows by error/warning/info
    status_column: str | None = None  # colour Ready/Needs attention/Blocked
    charts: list[Chart] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # column -> header comment


@dataclass
class ResultSheet:
    name: str
    sections: list[Section]
    intro: list[str] = field(default_factory=list)  # lines written above the first section
    freeze: bool = True

    @classmethod
    def single(cls, name: str, frame: pd.DataFrame, **kw) -> ResultSheet:
        intro = kw.pop("intro", [])
        return cls(name, [Section(frame, **kw)], intro=intro)

    @property
    def frame(self) -> pd.DataFrame:
        return self.sections[0].frame


def guess_formats(frame: pd.DataFrame) -> dict[str, Format]:
    """Formats from dtypes and column names (amounts end in charge/paid/balance/...)."""
    out: dict[str, Format] = {}
    money_words = ("charge", "paid", "balance", "amount", "allowed", "adjust", "due", "total",
                   "responsib", "deductible", "copay", "coinsurance", "payment", "writeoff")
    for c in frame.columns:
        dt = frame[c].dtype
        lc = str(c).lower()
        if pd.api.types.is_datetime64_any_dtype(dt):
            out[c] = "date"
        elif pd.api.types.is_bool_dtype(dt):
            out[c] = "text"
        elif pd.api.types.is_integer_dtype(dt):
            out[c] = "int"
        elif pd.api.types.is_float_dtype(dt):
            if any(w in lc for w in money_words):
                out[c] = "money"
            elif "%" in lc or "rate" in lc or "pct" in lc:
                out[c] = "percent"
            else:
                out[c] = "number"
        else:
            out[c] = "text"
    return out
