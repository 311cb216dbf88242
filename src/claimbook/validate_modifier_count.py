"""More than 4 modifiers on a service line (MOD-TOO-MANY).

An 837P service line (SV101-3..6) carries at most 4 modifiers. The reader puts a line's
modifiers in order into Mod1-Mod4 (from Mod5.. columns and cells such as "25,59") and keeps, per
line, `_mod_extra` (how many are beyond 4), `_mods` (all of them, as read) and `_mod_over` (the
column that holds the 5th). This check reports those lines; it loops only over the few columns
a 5th modifier can come from.
"""

from __future__ import annotations

import pandas as pd

from claimbook import findings as F
from claimbook.book import Book
from claimbook.rules import codes as R

MAX_MODIFIERS = 4


def modifier_count_findings(book: Book) -> pd.DataFrame:
    """MOD-TOO-MANY for every line of the Claims table with more than 4 modifiers."""
    letters = dict(book.sources["Claims"].columns) if "Claims" in book.sources else {}
    return too_many_modifiers(book.get("Claims"), book.sheet("Claims"), letters)


def too_many_modifiers(claims: pd.DataFrame, sheet: str = "Claims",
                       letters: dict[str, str] | None = None) -> pd.DataFrame:
    """MOD-TOO-MANY on a Claims frame as the reader returns it (with `_mod_extra`)."""
    if claims.empty or "_mod_extra" not in claims:
        return F.empty()
    extra = pd.to_numeric(claims["_mod_extra"], errors="coerce").fillna(0)
    too_many = extra.gt(0)
    if not too_many.any():
        return F.empty()
    letters = letters if letters is not None else claims.attrs.get("columns", {})
    count = (extra + MAX_MODIFIERS).astype("int64")
    over = claims["_mod_over"].astype(object).where(too_many, None)
    message = (f"Sheet '{sheet}' row {{_row}} (claim {{claim_id}}, line {{line_no}}) has "
               "{count} modifiers ({value}); at most 4 modifiers go on an 837P line: drop "
               "or move the rest (keep the 4 that affect payment, pricing modifiers first).")
    finds = []
    for field in over.dropna().unique():
        mask = too_many & over.eq(field)
        finds.append(F.from_mask(claims, mask, R.MOD_TOO_MANY, str(field), message,
                                 value=claims["_mods"], sheet=sheet,
                                 column=letters.get(str(field), ""), count=count))
    return F.concat(finds)
