"""More than 4 modifiers on a line (MOD-TOO-MANY), and modifiers spread from Mod5.. columns or
from one cell holding several ("25,59") into Mod1-Mod4."""

from __future__ import annotations

import pandas as pd
import pytest

from claimbook import rules as rulebook
from claimbook.io.reader import read_book_from_frames, read_book_from_values
from claimbook.validate import validate_claims
from claimbook.validate_modifier_count import modifier_count_findings
from tests.test_reader import sheets

HEAD = ["Claim ID", "Account #", "Payer ID", "DOS", "CPT", "Charge"]
BASE = ["C1", "P1", "SUMMT", "2026-03-15", "99213", 135]
MODS = [f"mod{i}" for i in range(1, 5)]


def book_with(mod_headers: list[str], *mod_rows: list) -> object:
    """A workbook whose Claims sheet has one line per entry of `mod_rows` (its Mod cells)."""
    rows = [[f"C{i + 1}", *BASE[1:], *mods] for i, mods in enumerate(mod_rows)]
    return read_book_from_values(sheets([HEAD + mod_headers, *rows]))


def modifiers(book, i: int = 0) -> list:
    return [v for v in book.tables["Claims"].loc[i, MODS] if v is not None]


def test_five_modifier_columns_fire_with_sheet_row_modifiers_and_fix():
    book = book_with(["Mod1", "Mod2", "Mod3", "Mod4", "Mod5"], ["25", "59", "LT", "GT", "XS"])
    f = modifier_count_findings(book)
    assert list(f["rule"]) == ["MOD-TOO-MANY"]
    r = f.iloc[0]
    assert r["severity"] == rulebook.get("MOD-TOO-MANY").severity
    assert (r["claim_id"], r["sheet"], r["row"], r["field"], r["column"]) == (
        "C1", "Claims", 2, "mod5", "K")
    assert r["value"] == "25,59,LT,GT,XS"
    msg = r["message"]
    assert "Sheet 'Claims' row 2" in msg and "5 modifiers (25,59,LT,GT,XS)" in msg
    assert "at most 4 modifiers go on an 837P line" in msg and "drop or move the rest" in msg


def test_five_modifiers_in_one_cell_fire():
    book = book_with(["Mod1"], ["25,59,LT,RT,XS"])
    assert modifiers(book) == ["25", "59", "LT", "RT"]
    f = modifier_count_findings(book)
    assert list(f["rule"]) == ["MOD-TOO-MANY"]
    assert (f.loc[0, "field"], f.loc[0, "column"], f.loc[0, "value"]) == (
        "mod1", "G", "25,59,LT,RT,XS")


def test_a_combined_modifiers_column_is_read_and_counted():
    book = book_with(["Modifiers"], ["25 59"], ["GC, KX, GA, AI, CR, Q6"])
    assert modifiers(book, 0) == ["25", "59"]
    f = modifier_count_findings(book)
    assert list(f["claim_id"]) == ["C2"] and "6 modifiers" in f.loc[0, "message"]


def test_four_modifiers_are_silent():
    book = book_with(["Mod1", "Mod2", "Mod3", "Mod4", "Mod5"], ["25", "59", "LT", "GT", None],
                     ["25,59", "LT", None, None, "GT"])
    assert modifiers(book, 1) == ["25", "59", "LT", "GT"]
    assert modifier_count_findings(book).empty


def test_two_modifiers_in_one_mod1_cell_are_two_known_modifiers():
    book = book_with(["Mod1"], ["25,59"])
    assert modifiers(book) == ["25", "59"]
    rules = set(validate_claims(book)["rule"])
    assert not rules & {"MOD-UNKNOWN", "MOD-TOO-MANY"}, rules


@pytest.mark.parametrize("mods", [["25", "59", "LT", "GT", "XS"], ["25,59,LT,RT,XS"]])
def test_validate_claims_emits_mod_too_many(mods):
    headers = [f"Mod{i}" for i in range(1, len(mods) + 1)]
    book = book_with(headers, mods)
    f = validate_claims(book)
    assert (f["rule"] == "MOD-TOO-MANY").sum() == 1


def test_frames_path_spreads_modifiers_too():
    """The demo's fast format goes through the same reader code."""
    claims = pd.DataFrame([{"claim_id": "C1", "patient": "P1", "payer_id": "SUMMT",
                            "dos_from": "2026-03-15", "code": "99213", "charge": 135.0,
                            "mod1": "25", "mod5": "XS", "mod2": "59", "mod3": "LT",
                            "mod4": "GT"}])
    book = read_book_from_frames({"Claims": claims})
    assert modifiers(book) == ["25", "59", "LT", "GT"]
    f = modifier_count_findings(book)
    assert list(f["rule"]) == ["MOD-TOO-MANY"] and f.loc[0, "value"] == "25,59,LT,GT,XS"


def test_lines_without_modifiers_have_no_count():
    book = book_with([], [])
    c = book.tables["Claims"]
    assert c["_mod_extra"].eq(0).all() and modifier_count_findings(book).empty
