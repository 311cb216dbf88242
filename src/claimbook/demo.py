"""A synthetic demo clinic: realistic, deterministic by seed, with an answer key of defects.

Maple Grove Family Medicine (a family practice with a cardiologist, an orthopaedist and a
dermatologist) bills Medicare, Medicaid, three commercial plans and self-pay patients. Visits
are a realistic mix of E/M, labs, injections with J-codes and NDCs, joint injections, skin
procedures, vaccines, telehealth and cardiology. Every patient is synthetic.

With `defects=True` a known set of defects (one per claim, covering the validator's and the
scrubber's rules) is seeded and written to `answer_key.csv` beside the workbook, so tests can
measure recall and precision. Cells are also made messy the way real exports are (NPIs as
numbers, ZIPs without leading zeros, codes without dots or in lower case, dates as text or Excel
serials, amounts as text): those are normalised, not defects.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from claimbook.template import build_template

KEY_COLUMNS = ["claim_id", "line", "sheet", "row", "rule", "field", "severity"]

PRACTICE = {
    "billing_name": "Maple Grove Family Medicine",
    "billing_ein": "043219876",
    "billing_taxonomy": "207Q00000X",
    "billing_address": "100 Maple Grove Rd",
    "billing_city": "Springfield",
    "billing_state": "MA",
    "billing_zip": "011031234",
    "billing_phone": "4135550100",
    "submitter_id": "MGFM0001",
    "submitter_name": "Maple Grove Family Medicine",
    "submitter_contact": "Billing Office",
    "submitter_phone": "4135550101",
    "submitter_email": "billing@example.org",
    "receiver_id": "DEMOCLEAR",
    "receiver_name": "Demo Clearinghouse",
    "usage": "T",
    "timely_filing_days": 90,
    "medicare_timely_filing_days": 365,
    "accept_assignment": "Y",
    "release_of_info": "Y",
    "underpayment_tolerance": 0.5,
    "no_remit_days": 45,
    "remit_name": "Maple Grove Family Medicine - Billing",
    "remit_address": "PO Box 4410, Springfield, MA 01101",
}

# payer_id, name, filing indicator, timely filing days, address, city, state, zip
PAYERS = [
    ("MCRB1", "Medicare Part B (Demo MAC)", "MB", 365, "PO Box 1000", "Hingham", "MA", "02043"),
    ("MCAID", "MassCare Medicaid (Demo)", "MC", 365, "PO Box 2000", "Boston", "MA", "02114"),
    ("SUMMT", "Summit Health Plan", "CI", 90, "PO Box 3000", "Hartford", "CT", "06101"),
    ("BLUER", "BlueRiver BCBS", "BL", 180, "PO Box 4000", "Providence", "RI", "02903"),
    ("HARBR", "Harbor Commercial Insurance", "CI", 120, "PO Box 5000", "Worcester", "MA",
     "01608"),
    ("SELF", "Self-pay", "09", None, None, None, None, None),
]
COMMERCIAL = ["SUMMT", "BLUER", "HARBR"]

# provider key, first, last, taxonomy, role, specialty
PROVIDERS = [
    ("fm1", "Avery", "Quinlan", "207Q00000X", "rendering", "fm"),
    ("fm2", "Jordan", "Castellano", "207Q00000X", "rendering", "fm"),
    ("np1", "Riley", "Okafor", "363LF0000X", "rendering", "fm"),
    ("card", "Morgan", "Halvorsen", "207RC0000X", "rendering", "cardio"),
    ("orth", "Casey", "Lindqvist", "207X00000X", "rendering", "ortho"),
    ("derm", "Taylor", "Bramwell", "207N00000X", "rendering", "derm"),
    ("ref1", "Drew", "Pemberton", "207R00000X", "referring", "ref"),
    ("ref2", "Skyler", "Ashdown", "207RG0100X", "referring", "ref"),
]

# standard charge per unit
FEES = {
    "99202": 120.0, "99203": 175.0, "99204": 260.0, "99205": 330.0,
    "99212": 95.0, "99213": 135.0, "99214": 195.0, "99215": 265.0,
    "99395": 250.0, "99396": 275.0, "99397": 295.0, "G0439": 190.0,
    "36415": 15.0, "80053": 45.0, "85025": 30.0, "83036": 40.0, "80061": 55.0,
    "81002": 12.0, "87880": 35.0, "96372": 35.0, "J1100": 3.0, "J3301": 8.0, "J1010": 0.3,
    "20610": 180.0, "20605": 150.0, "90686": 40.0, "90471": 30.0, "90472": 20.0,
    "99391": 180.0, "99392": 190.0, "99393": 190.0, "99394": 210.0,
    "93000": 65.0, "93010": 25.0, "93306": 650.0, "11102": 160.0, "11103": 60.0,
    "17000": 120.0, "17003": 15.0, "12001": 210.0,
}
ALLOWED_FACTOR = {"MCRB1": 0.42, "MCAID": 0.35, "SUMMT": 0.55, "BLUER": 0.6, "HARBR": 0.65}
ADDON = {"17003", "90472", "11103"}
EM = {c for c in FEES if c.startswith("992")}
NDC = {"J1100": ("63323016501", 1.0, "ML"), "J3301": ("00003029305", 1.0, "ML"),
       "J1010": ("00009307301", 1.0, "ML")}
# demo samples of clinic-loaded CMS tables (the clinic loads the real files)
NCCI_SAMPLE = [("93000", "93010", "0"), ("20610", "20605", "1"), ("11102", "11103", "9")]
MUE_SAMPLE = [("36415", 1), ("93000", 1), ("20610", 2), ("96372", 4), ("17003", 13)]
PRIOR_AUTH = [("SUMMT", "93306"), ("BLUER", "93306"), ("HARBR", "93306")]

CHRONIC = ["I10", "E11.9", "E78.5", "E03.9", "K21.9", "J45.909", "F41.1", "M10.9", "E66.9",
           "G43.909", "D64.9"]
ACUTE = ["J06.9", "J01.90", "J02.9", "R05.9", "N39.0", "R10.9", "M54.50", "M54.2", "R51.9",
         "K59.00", "B35.1", "L03.115", "R53.83", "H66.90", "U07.1"]

FIRST = ["Alex", "Blair", "Cameron", "Dana", "Elliot", "Frankie", "Gale", "Harper", "Indy",
         "Jesse", "Kendall", "Lane", "Marlow", "Noel", "Oakley", "Parker", "Quincy", "Reese",
         "Sage", "Tatum", "Umber", "Vale", "Wren", "Xen", "Yael", "Zion", "Ari", "Bellamy",
         "Corin", "Devon", "Emery", "Finley", "Greer", "Hollis", "Ira", "Jules", "Kit", "Linden",
         "Mika", "Nova", "Onyx", "Peyton", "Rowan", "Shay", "Tristan", "Vesper", "Winter",
         "Arden", "Brook", "Cove"]
LAST = ["Abernathy", "Birchwood", "Calloway", "Dunmore", "Everhart", "Fairweather", "Galloway",
        "Hawthorne", "Ingleby", "Jessup", "Kettering", "Larkspur", "Merriweather", "Northcott",
        "Oakhurst", "Pennington", "Quarrington", "Ravenscroft", "Silverton", "Thistlewood",
        "Underhill", "Vantongeren", "Whitlock", "Yardley", "Zellweger", "Ashcombe", "Brightwater",
        "Coldwell", "Draycott", "Elmsworth", "Foxley", "Greystone", "Holloway", "Ivybridge",
        "Juniper", "Kingsley", "Lockwood", "Moorcroft", "Netherby", "Orchard", "Pryce",
        "Redfern", "Stonebridge", "Tillingham", "Upton", "Waverly", "Westbrook", "Yewdale"]
STREETS = ["Maple", "Oak", "Birch", "Cedar", "Elm", "Willow", "Chestnut", "Spruce", "Hickory",
           "Laurel", "Aspen", "Juniper"]
TOWNS = [("Springfield", "MA", "011"), ("Chicopee", "MA", "010"), ("Holyoke", "MA", "010"),
         ("Westfield", "MA", "010"), ("Agawam", "MA", "010"), ("Enfield", "CT", "060"),
         ("Ludlow", "MA", "010"), ("Longmeadow", "MA", "011")]
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"


@dataclass
class DemoResult:
    folder: Path
    workbook: Path
    answer_key: Path
    as_of: dt.date
    remits: list[Path] = field(default_factory=list)
    tables_pickle: Path | None = None
    lines: int = 0
    claims: int = 0


def npi_with_check(nine: str) -> str:
    """Append the NPI check digit to 9 digits."""
    from claimbook.codesets.reference import npi_check_digit

    return nine + npi_check_digit(nine)


def _mbi(rng: np.random.Generator) -> str:
    def a() -> str:
        return MBI_LETTERS[rng.integers(len(MBI_LETTERS))]

    def n() -> str:
        return str(rng.integers(10))

    def an() -> str:
        return a() if rng.random() < 0.5 else n()

    return str(rng.integers(1, 10)) + a() + an() + n() + a() + an() + n() + a() + a() + n() + n()


def _age_on(dob: pd.Timestamp, day: pd.Timestamp) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class _Builder:
    def __init__(self, n_claims: int, seed: int, as_of: dt.date):
        self.rng = np.random.default_rng(seed)
        self.n_claims = n_claims
        self.as_of = pd.Timestamp(as_of)
        self.key: list[dict] = []

    # -- reference tables -----------------------------------------------------------------
    def providers(self) -> pd.DataFrame:
        rows = []
        self.npi = {}
        for i, (k, first, last, tax, role, spec) in enumerate(PROVIDERS):
            npi = npi_with_check(f"1{38204710 + i * 1117:08d}")
            self.npi[k] = npi
            rows.append({"npi": npi, "last_name": last, "first_name": first, "taxonomy": tax,
                         "role": role, "_spec": spec})
        self.practice_npi = npi_with_check("155443322")
        return pd.DataFrame(rows)

    def payers(self) -> pd.DataFrame:
        return pd.DataFrame([{"payer_id": p[0], "name": p[1], "filing_indicator": p[2],
                              "timely_filing_days": p[3], "address": p[4], "city": p[5],
                              "state": p[6], "zip": p[7]} for p in PAYERS])

    def fee_schedule(self) -> pd.DataFrame:
        rows = [{"payer_id": "*", "code": c, "standard_charge": f} for c, f in FEES.items()]
        for payer, factor in ALLOWED_FACTOR.items():
            for c, f in FEES.items():
                rows.append({"payer_id": payer, "code": c, "allowed": round(f * factor, 2)})
        fs = pd.DataFrame(rows)
        fs["prior_auth_required"] = None
        for payer, code in PRIOR_AUTH:
            m = fs["payer_id"].eq(payer) & fs["code"].eq(code)
            fs.loc[m, "prior_auth_required"] = "Y"
        return fs

    # -- patients and coverage --------------------------------------------------------------
    def patients(self) -> pd.DataFrame:
        rng = self.rng
        n = max(40, int(self.n_claims / 2.5))
        age_group = rng.choice(3, size=n, p=[0.15, 0.55, 0.30])
        ages = np.where(age_group == 0, rng.integers(0, 18, n),
                        np.where(age_group == 1, rng.integers(18, 65, n), rng.integers(65, 92, n)))
        dob = [self.as_of - pd.Timedelta(days=int(a * 365.25 + rng.integers(30, 330)))
               for a in ages]
        towns = rng.integers(len(TOWNS), size=n)
        rows = []
        for i in range(n):
            town, st, zp = TOWNS[towns[i]]
            rows.append({
                "account": f"P{100001 + i}",
                "last_name": LAST[rng.integers(len(LAST))],
                "first_name": FIRST[rng.integers(len(FIRST))],
                "dob": dob[i].normalize(),
                "sex": "F" if rng.random() < 0.54 else "M",
                "address": f"{rng.integers(10, 999)} {STREETS[rng.integers(len(STREETS))]} St",
                "city": town, "state": st, "zip": f"{zp}{rng.integers(0, 100):02d}",
                "phone": f"413555{rng.integers(0, 10000):04d}",
            })
        return pd.DataFrame(rows)

    def coverage(self, patients: pd.DataFrame) -> pd.DataFrame:
        rng = self.rng
        rows = []
        start = pd.Timestamp(self.as_of.year - 3, 1, 1)
        self.plan: dict[str, list[str]] = {}
        for p in patients.itertuples():
            age = _age_on(p.dob, self.as_of)
            r = rng.random()
            plans: list[tuple[str, str]] = []
            if r < 0.05:
                self.plan[p.account] = ["SELF"]
                continue
            if age >= 67:  # on Medicare for the whole demo window
                plans.append(("MCRB1", "primary"))
                if rng.random() < 0.4:
                    plans.append((COMMERCIAL[rng.integers(3)], "secondary"))
            elif r < 0.25:
                plans.append(("MCAID", "primary"))
            else:
                plans.append((COMMERCIAL[rng.integers(3)], "primary"))
            self.plan[p.account] = [x[0] for x in plans]
            for payer, prio in plans:
                dependent = payer in COMMERCIAL and age < 18
                if payer == "MCRB1":
                    member = _mbi(rng)
                elif payer == "MCAID":
                    member = f"MA{rng.integers(10**9, 10**10)}"
                else:
                    member = f"{payer[:3]}{rng.integers(10**8, 10**9)}"
                sub_dob = (p.dob - pd.Timedelta(days=int(rng.integers(22, 40) * 365.25))
                           ).normalize() if dependent else None
                eff_from = max(start, (p.dob + pd.Timedelta(days=1)).normalize()) \
                    if payer != "MCRB1" else max(start, p.dob + pd.DateOffset(years=65))
                rows.append({
                    "patient": p.account, "payer_id": payer, "member_id": member,
                    "group_number": f"G{rng.integers(1000, 9999)}" if payer in COMMERCIAL
                    else None,
                    "relationship": "child" if dependent else "self",
                    "subscriber_last": p.last_name if dependent else None,
                    "subscriber_first": FIRST[rng.integers(len(FIRST))] if dependent else None,
                    "subscriber_dob": sub_dob,
                    "subscriber_sex": ("F" if rng.random() < 0.5 else "M") if dependent
                    else None,
                    "priority": prio, "effective_from": pd.Timestamp(eff_from).normalize(),
                    "effective_to": None,
                    "copay": {"MCRB1": None, "MCAID": 0.0}.get(payer, float(
                        rng.choice([20, 25, 30, 40]))),
                    "deductible": {"MCRB1": 257.0, "MCAID": 0.0}.get(payer, float(
                        rng.choice([500, 1000, 1500, 2500]))),
                    "deductible_met": 0.0,
                    "coinsurance_pct": {"MCRB1": 20.0, "MCAID": 0.0}.get(payer, float(
                        rng.choice([10, 20, 30]))),
                    "prior_auth_required": None,
                })
        return pd.DataFrame(rows)

    # -- claims -----------------------------------------------------------------------------
    def claims(self, patients: pd.DataFrame) -> pd.DataFrame:
        rng = self.rng
        n = self.n_claims
        accounts = patients["account"].to_numpy()
        dobs = dict(zip(patients["account"], patients["dob"], strict=True))
        sexes = dict(zip(patients["account"], patients["sex"], strict=True))
        pat_idx = rng.integers(len(accounts), size=n)
        # DOS within the last 14 months, denser recently; weekdays only
        back = (rng.exponential(150, n).astype(int) % 419) + 1
        templates = ["em", "em", "em", "em", "em_new", "labs", "labs", "a1c", "injection",
                     "joint", "preventive", "flu", "tele", "ecg", "echo", "skin", "ak",
                     "laceration", "uti", "strep"]
        weights = np.array([8, 8, 8, 6, 5, 7, 7, 5, 5, 4, 5, 4, 5, 4, 2, 3, 2, 2, 3, 3], float)
        tpl = rng.choice(len(templates), size=n, p=weights / weights.sum())
        lines = []
        seen: set[tuple[str, pd.Timestamp]] = set()
        for i in range(n):
            acct = accounts[pat_idx[i]]
            dos = self.as_of - pd.Timedelta(days=int(back[i]))
            if dos.weekday() >= 5:
                dos -= pd.Timedelta(days=dos.weekday() - 4)
            dob = dobs[acct]
            if dos <= dob:
                dos = self.as_of - pd.Timedelta(days=3)
            # one visit per patient per day (a second same-day claim is a duplicate)
            while (acct, dos) in seen or dos.weekday() >= 5:
                dos -= pd.Timedelta(days=1)
            if dos <= dob:
                continue
            seen.add((acct, dos))
            age = _age_on(dob, dos)
            payer = self.plan[acct][0]
            claim_id = f"C{200001 + i}"
            sent = (self.as_of - dos).days > 21
            submitted = (dos + pd.Timedelta(days=int(rng.integers(1, 6)))) if sent else None
            t = templates[tpl[i]]
            spec_lines, dx, pos, prov, referring = self._visit(t, age, sexes[acct], payer)
            auth = f"AUTH{rng.integers(100000, 999999)}" if t == "echo" and payer in COMMERCIAL \
                else None
            for ln, (code, mods, units, ptr) in enumerate(spec_lines, start=1):
                row = {"claim_id": claim_id, "line_no": ln, "patient": acct, "payer_id": payer,
                       "rendering_npi": self.npi[prov], "referring_npi":
                       self.npi[referring] if referring else None, "pos": pos,
                       "dos_from": dos, "dos_to": None, "code": code,
                       "pointers": ptr, "units": float(units),
                       "charge": round(FEES[code] * units, 2), "ndc": None, "ndc_units": None,
                       "ndc_unit": None, "prior_auth": auth, "frequency": "1",
                       "original_claim_number": None, "submitted_on": submitted}
                for k in range(1, 13):
                    row[f"dx{k}"] = dx[k - 1] if k <= len(dx) else None
                for k in range(1, 5):
                    row[f"mod{k}"] = mods[k - 1] if k <= len(mods) else None
                if code in NDC:
                    row["ndc"], row["ndc_units"], row["ndc_unit"] = NDC[code]
                lines.append(row)
        return pd.DataFrame(lines)

    def _visit(self, t: str, age: int, sex: str, payer: str):
        rng = self.rng

        def pick(pool, k=1):
            return list(rng.choice(pool, size=k, replace=False))

        def em_est():
            return str(rng.choice(["99212", "99213", "99213", "99214", "99214", "99215"]))

        fm = str(rng.choice(["fm1", "fm2", "np1"]))
        pos = "11"
        ref = None
        chronic = CHRONIC if age >= 18 else ACUTE
        if age < 18 and t in ("a1c", "joint", "ecg", "echo", "skin", "ak", "tele"):
            t = "em"
        if t == "em":
            dx = pick(chronic + ACUTE if age >= 18 else ACUTE, int(rng.integers(1, 4)))
            ptr = ",".join(str(k) for k in range(1, len(dx) + 1))
            return [(em_est(), [], 1, ptr)], dx, pos, fm, ref
        if t == "em_new":
            dx = pick(ACUTE, int(rng.integers(1, 3)))
            ptr = ",".join(str(k) for k in range(1, len(dx) + 1))
            return [(str(rng.choice(["99202", "99203", "99204", "99205"])), [], 1, ptr)], dx, \
                pos, fm, ref
        if t == "labs":
            dx = pick(chronic, 2)
            return [(em_est(), [], 1, "1,2"), ("36415", [], 1, "1"), ("80053", [], 1, "1"),
                    ("85025", [], 1, "2")], dx, pos, fm, ref
        if t == "a1c":
            dx = [str(rng.choice(["E11.9", "E11.65", "R73.03"]))]
            return [(em_est(), [], 1, "1"), ("36415", [], 1, "1"), ("83036", [], 1, "1")], dx, \
                pos, fm, ref
        if t == "injection":
            dx = [str(rng.choice(["J45.909", "M54.50", "J01.90"]))]
            drug = str(rng.choice(["J1100", "J1010"]))
            units = 4 if drug == "J1100" else 40  # J1010: methylprednisolone acetate, per 1 mg
            return [(em_est(), ["25"], 1, "1"), ("96372", [], 1, "1"), (drug, [], units, "1")], \
                dx, pos, fm, ref
        if t == "joint":
            side = "RT" if rng.random() < 0.5 else "LT"
            dx = ["M17.11" if side == "RT" else "M17.12"]
            return [(em_est(), ["25"], 1, "1"), ("20610", [side], 1, "1"),
                    ("J3301", [], 4, "1")], dx, pos, "orth", "ref1"
        if t == "preventive":
            if payer == "MCRB1":
                return [("G0439", [], 1, "1")], ["Z00.00"], pos, fm, ref
            code = "99395" if age < 40 else ("99396" if age < 65 else "99397")
            if age < 18:
                kid = "99391" if age < 1 else "99392" if age < 5 else "99393" if age < 12 \
                    else "99394"
                return [(kid, [], 1, "1")], ["Z00.129"], pos, fm, ref
            return [(code, [], 1, "1,2"), ("36415", [], 1, "2"), ("80061", [], 1, "2")], \
                ["Z00.00", "Z13.220"], pos, fm, ref
        if t == "flu":
            return [("90686", [], 1, "1"), ("90471", [], 1, "1")], ["Z23"], pos, fm, ref
        if t == "tele":
            dx = [str(rng.choice(["F41.1", "F32.A", "I10"]))]
            return [("99213", ["95"], 1, "1")], dx, "10", fm, ref
        if t == "ecg":
            dx = pick(["R00.2", "I48.91", "R07.9", "I10"], 2)
            return [(em_est(), ["25"], 1, "1,2"), ("93000", [], 1, "1")], dx, pos, "card", "ref2"
        if t == "echo":
            dx = [str(rng.choice(["I50.9", "I25.10", "I48.91"]))]
            return [("93306", [], 1, "1")], dx, pos, "card", "ref2"
        if t == "skin":
            return [(em_est(), ["25"], 1, "1"), ("11102", [], 1, "1")], ["D48.5"], pos, \
                "derm", None
        if t == "ak":
            return [("17000", [], 1, "1"), ("17003", [], int(rng.integers(2, 6)), "1")], \
                ["L57.0"], pos, "derm", None
        if t == "laceration":
            return [("12001", [], 1, "1,2")], ["S61.411A", "W25.XXXA"], pos, fm, ref
        if t == "uti":
            return [(em_est(), [], 1, "1"), ("81002", [], 1, "1")], ["N39.0"], pos, fm, ref
        if t == "strep":
            return [(em_est(), [], 1, "1"), ("87880", ["QW"], 1, "1")], ["J02.9"], pos, fm, ref
        raise ValueError(t)


def build_tables(claims: int = 2000, seed: int = 42, defects: bool = True,
                 as_of: dt.date | None = None, messy: bool = True
                 ) -> tuple[dict[str, pd.DataFrame], dict, pd.DataFrame]:
    """The demo clinic's tables (canonical column names), Practice settings and answer key.
    Deterministic for a seed and as-of date (default today)."""
    if claims < 1:
        raise ValueError(f"a demo clinic needs at least 1 claim, not {claims}")
    as_of = as_of or dt.date.today()
    b = _Builder(claims, seed, as_of)
    providers = b.providers()
    practice = dict(PRACTICE, billing_npi=b.practice_npi)
    payers = b.payers()
    patients = b.patients()
    coverage = b.coverage(patients)
    lines = b.claims(patients)
    fees = b.fee_schedule()
    # the clinic's own code list: CPT codes it licenses plus the HCPCS codes it bills
    cpt = pd.DataFrame({"code": sorted(FEES)})
    cpt["addon"] = np.where(cpt["code"].isin(ADDON), "Y", None)
    cpt["em"] = np.where(cpt["code"].isin(EM), "Y", None)
    ncci = pd.DataFrame(NCCI_SAMPLE, columns=["column1", "column2", "modifier_indicator"])
    ncci["effective"] = pd.Timestamp("2020-01-01")
    mue = pd.DataFrame(MUE_SAMPLE, columns=["code", "max_units"])
    tables = {"Payers": payers, "Patients": patients, "Coverage": coverage,
              "Providers": providers.drop(columns=["_spec"]), "FeeSchedule": fees,
              "CPTCodes": cpt, "NCCI": ncci, "MUE": mue, "Claims": lines}
    key = pd.DataFrame(columns=KEY_COLUMNS)
    if defects:
        from claimbook.demo_defects import seed_defects

        key = seed_defects(tables, b.rng, b.as_of, b.npi)
    lines = tables["Claims"]
    # claim total column: the sum of the lines (defects that change charges keep it consistent)
    charges = pd.to_numeric(lines["charge"], errors="coerce").fillna(0)
    total = charges.groupby(lines["claim_id"]).transform("sum").round(2)
    if "claim_total" in lines and lines["claim_total"].notna().any():
        lines["claim_total"] = lines["claim_total"].where(lines["claim_total"].notna(), total)
    else:
        lines["claim_total"] = total
    lines = lines.sort_values(["claim_id", "line_no"], kind="stable").reset_index(drop=True)
    tables["Claims"] = lines
    _patient_side(tables, np.random.default_rng(seed + 3), pd.Timestamp(as_of), b.npi,
                  protect=set(key["claim_id"]))
    if len(key):
        key = _locate_rows(key, tables)
    if messy:
        _make_messy(tables, np.random.default_rng(seed + 7), protect=set(key["claim_id"]))
    return tables, practice, key


def _patient_side(tables: dict[str, pd.DataFrame], rng: np.random.Generator,
                  as_of: pd.Timestamp, npi: dict[str, str], protect: set[str]) -> None:
    """Upcoming appointments, copays collected at the desk, payment plans and disputes."""
    lines = tables["Claims"]
    cov = tables["Coverage"]
    pats = tables["Patients"]["account"].to_numpy()
    n_appt = max(10, len(pats) // 20)
    plans = ["99213", "99214,36415,80053", "99203", "93306", "99396,36415"]
    appts = pd.DataFrame({
        "patient": rng.choice(pats, n_appt, replace=False),
        "date": [_next_weekday(as_of + pd.Timedelta(days=int(d)))
                 for d in rng.integers(1, 15, n_appt)],
        "provider_npi": npi["fm1"],
        "planned_codes": rng.choice(plans, n_appt),
    })
    tables["Appointments"] = appts.sort_values(["date", "patient"]).reset_index(drop=True)
    first = lines.drop_duplicates("claim_id")
    sent = first[first["submitted_on"].notna() & ~first["claim_id"].isin(protect)
                 & first["payer_id"].isin(COMMERCIAL)]
    copay = cov[cov["priority"].eq("primary")].drop_duplicates("patient").set_index(
        "patient")["copay"]
    paid = sent.sample(n=min(len(sent), max(5, len(first) // 30)), random_state=int(
        rng.integers(1 << 30)))
    amounts = paid["patient"].map(copay).fillna(25.0)
    tables["PatientPayments"] = pd.DataFrame({
        "patient": paid["patient"].to_numpy(), "date": pd.to_datetime(paid["dos_from"]).to_numpy(),
        "amount": amounts.to_numpy(), "method": rng.choice(["card", "cash", "check"], len(paid)),
        "claim_id": paid["claim_id"].to_numpy(),
        "reference": [f"RCPT{100000 + i}" for i in range(len(paid))],
    }).sort_values(["date", "patient"]).reset_index(drop=True)
    pp = rng.choice(pats, 3, replace=False)
    tables["PaymentPlans"] = pd.DataFrame({
        "patient": pp, "balance": [300.00, 450.55, 1000.01], "down_payment": [50.0, 0.0, 250.0],
        "installments": [5, 6, 6], "frequency": ["monthly", "monthly", "biweekly"],
        "start_date": [as_of - pd.Timedelta(days=90), as_of - pd.Timedelta(days=40),
                       as_of - pd.Timedelta(days=20)]})
    disputed = sent[~sent["patient"].isin(pp)].head(2)
    tables["Disputes"] = pd.DataFrame({
        "patient": disputed["patient"].to_numpy(), "claim_id": disputed["claim_id"].to_numpy(),
        "reason": ["Patient says the visit was preventive (no cost share)",
                   "Patient disputes the lab charge"][:len(disputed)],
        "opened": as_of - pd.Timedelta(days=10), "status": "open"})


def _next_weekday(d: pd.Timestamp) -> pd.Timestamp:
    while d.weekday() >= 5:
        d += pd.Timedelta(days=1)
    return d


def _locate_rows(key: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Fill the Excel row of claim-line defects (header in row 1)."""
    lines = tables["Claims"]
    where = {(c, int(n)): i + 2 for i, (c, n) in enumerate(
        zip(lines["claim_id"], lines["line_no"], strict=True))}
    rows = []
    for r in key.itertuples(index=False):
        row = r.row
        if r.sheet == "Claims" and r.line is not None and not pd.isna(r.line):
            row = where.get((r.claim_id, int(r.line)), row)
        rows.append(row)
    key = key.copy()
    key["row"] = rows
    return key


def _make_messy(tables: dict[str, pd.DataFrame], rng: np.random.Generator,
                protect: set[str]) -> None:
    """Real-life cell mess that ClaimBook normalises (never on defect claims)."""
    lines = tables["Claims"]
    ok = ~lines["claim_id"].isin(protect)
    n = len(lines)

    def some(p: float) -> np.ndarray:
        return (rng.random(n) < p) & ok.to_numpy()

    for c in ("rendering_npi", "referring_npi"):
        m = some(0.3) & lines[c].notna().to_numpy()
        lines[c] = lines[c].astype(object)
        lines.loc[m, c] = lines.loc[m, c].astype("int64").astype(float)
    m = some(0.05) & lines["dx1"].notna().to_numpy()
    lines.loc[m, "dx1"] = lines.loc[m, "dx1"].str.replace(".", "", regex=False)
    m = some(0.03)
    lines.loc[m, "code"] = " " + lines.loc[m, "code"].str.lower() + " "
    lines["charge"] = lines["charge"].astype(object)
    m = some(0.03) & lines["charge"].notna().to_numpy()
    lines.loc[m, "charge"] = lines.loc[m, "charge"].map(lambda v: f"${v:,.2f}")
    lines["dos_from"] = lines["dos_from"].astype(object)
    m = some(0.03)
    lines.loc[m, "dos_from"] = lines.loc[m, "dos_from"].map(
        lambda d: pd.Timestamp(d).strftime("%m/%d/%Y"))
    m = some(0.02) & ~lines["dos_from"].map(lambda v: isinstance(v, str)).to_numpy()
    lines.loc[m, "dos_from"] = lines.loc[m, "dos_from"].map(
        lambda d: int((pd.Timestamp(d) - pd.Timestamp("1899-12-30")).days))
    _text_export_mess(lines, some)
    pats = tables["Patients"]
    pats["zip"] = pats["zip"].astype(object)
    m = rng.random(len(pats)) < 0.4
    pats.loc[m, "zip"] = pats.loc[m, "zip"].astype(int)
    pats["sex"] = pats["sex"].astype(object)
    m = rng.random(len(pats)) < 0.1
    pats.loc[m, "sex"] = pats.loc[m, "sex"].map({"F": "female", "M": "Male"})


def _text_export_mess(lines: pd.DataFrame, some: Callable[[float], np.ndarray]) -> None:
    """Numbers and dates that went through text: '99213.0', '1234567893.0',
    '2026-03-15T00:00:00'."""
    m = some(0.02) & lines["code"].astype(object).str.fullmatch(r"\d{5}").fillna(False) \
        .to_numpy(bool)
    lines.loc[m, "code"] = lines.loc[m, "code"] + ".0"
    npi = lines["rendering_npi"]
    m = some(0.05) & npi.map(lambda v: isinstance(v, str)).to_numpy(bool)
    lines.loc[m, "rendering_npi"] = npi[m] + ".0"
    dos = lines["dos_from"]
    m = some(0.02) & dos.map(lambda v: isinstance(v, pd.Timestamp)).to_numpy(bool)
    lines.loc[m, "dos_from"] = dos[m].map(lambda d: d.strftime("%Y-%m-%dT00:00:00"))


def generate(out_dir: str | Path = "demo", claims: int = 2000, seed: int = 42,
             defects: bool = True, as_of: dt.date | None = None, remits: bool = True,
             xlsx: bool = True, messy: bool = True) -> DemoResult:
    """Write the demo clinic workbook, its answer key and (when available) demo 835 files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    as_of = as_of or dt.date.today()
    tables, practice, key = build_tables(claims, seed, defects, as_of, messy=messy)
    wb = out / "clinic.xlsx"
    if xlsx:
        build_template(wb, tables, practice)
    key_path = out / "answer_key.csv"
    key.to_csv(key_path, index=False)
    (out / "demo.json").write_text(json.dumps({
        "as_of": as_of.isoformat(), "seed": seed, "claims": claims, "defects": defects,
        "lines": int(len(tables["Claims"])), "note": "Synthetic patients only."}, indent=2))
    pkl = None
    if not xlsx:
        pkl = out / "tables.pkl"
        with open(pkl, "wb") as f:
            pickle.dump({"tables": tables, "practice": practice}, f, protocol=5)
    result = DemoResult(out, wb, key_path, as_of, tables_pickle=pkl,
                        lines=int(len(tables["Claims"])),
                        claims=int(tables["Claims"]["claim_id"].nunique()))
    if remits and xlsx:
        result.remits = _write_remits(wb, out, seed)
    return result


def _write_remits(workbook: Path, out: Path, seed: int) -> list[Path]:
    try:
        from claimbook.demo_remits import write_demo_remittances
    except ImportError:
        return []
    from claimbook.io.reader import read_book

    book = read_book(workbook)
    return list(write_demo_remittances(book, out / "remits", seed))
