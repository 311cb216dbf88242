"""docs/workbook.md, generated from the table schemas (so the docs cannot drift)."""

from __future__ import annotations

from claimbook.schemas import all_tables


def workbook_markdown() -> str:
    out = ["# The clinic workbook", "",
           "Generated from `src/claimbook/schemas.py` by `claimbook schema --write-docs`; do not "
           "edit by hand.", "",
           "Headers are matched case-, space- and punctuation-insensitively, and any alias "
           "below works as a header. A table is found by its sheet name (or a sheet alias) or, "
           "failing that, by a sheet whose header row has the table's required columns. "
           "`claimbook new FILE` writes an empty workbook in this layout.", ""]
    for t in all_tables():
        kind = "optional" if t.optional else "required"
        out += [f"## {t.name} ({kind})", "", t.description, ""]
        if t.sheet_aliases:
            out += ["Sheet names also accepted: " + ", ".join(f"`{a}`" for a in t.sheet_aliases),
                    ""]
        if t.key_value:
            out += ["Key/value rows: the setting's name in one cell, its value in the cell to "
                    "its right.", ""]
        out += ["| Header | Field | Kind | Required | Aliases | Meaning |",
                "|---|---|---|---|---|---|"]
        for c in t.columns:
            aliases = ", ".join(c.aliases)
            meaning = c.description + (f" Allowed: {', '.join(c.choices)}." if c.choices else "")
            out.append(f"| {c.header} | `{c.name}` | {c.kind} | {'yes' if c.required else ''} | "
                       f"{aliases} | {meaning} |")
        out.append("")
    return "\n".join(out)
