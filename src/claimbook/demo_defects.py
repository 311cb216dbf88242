"""Seed known defects into the demo clinic and record them in an answer key.

Each defect goes on its own claim (or patient/payer/provider row) and is chosen so that it
triggers exactly the rules listed for it, so tests can measure recall and precision.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimbook import rules as rulebook


class _NoVictim(Exception):
    pass


# valid CPT/HCPCS modifiers that do not conflict: five of them is one too many for the 837P
FIVE_MODIFIERS = ("GC", "KX", "GA", "AI", "CR")
# HCPCS codes CMS ended (hcpcs.tsv.gz): care management by RHC/FQHC (ended 2025-12-31), then
# artificial saliva (ended 2025-03-31) for demos anchored before 2026
ENDED_HCPCS = ("G0511", "G0512", "A9155")


class _Seeder:
    def __init__(self, tables: dict[str, pd.DataFrame], rng: np.random.Generator,
                 as_of: pd.Timestamp, npi: dict[str, str]):
        self.t = tables
        self.rng = rng
        self.as_of = as_of
        self.npi = npi
        self.used: set[str] = set()
        self.used_patients: set[str] = set()
        self.key: list[dict] = []
        rulebook.load_all()

    def step(self):
        """Context for one defect: skipped when the demo has no claim that fits it."""
        from contextlib import suppress

        return suppress(_NoVictim)

    @property
    def lines(self) -> pd.DataFrame:
        return self.t["Claims"]

    def add(self, claim_id: str, rule: str, field: str, line: int | None = None,
            sheet: str = "Claims", row: int | None = None) -> None:
        self.key.append({"claim_id": claim_id, "line": line, "sheet": sheet, "row": row,
                         "rule": rule, "field": field,
                         "severity": rulebook.CATALOGUE[rule].severity})

    def pick(self, mask: pd.Series | None = None, sent: bool | None = True,
             single_line: bool | None = None) -> str:
        """A claim id meeting `mask` (on lines), not used yet, whose patient is not used."""
        df = self.lines
        m = ~df["claim_id"].isin(self.used) & ~df["patient"].isin(self.used_patients)
        m &= df["payer_id"].ne("SELF")
        if mask is not None:
            m &= mask
        if sent is True:
            m &= df["submitted_on"].notna()
        elif sent is False:
            m &= df["submitted_on"].isna()
        ids = df.loc[m, "claim_id"].unique()
        if single_line is not None:
            counts = df.groupby("claim_id")["line_no"].count()
            ids = ids[(counts.reindex(ids).to_numpy() == 1) == single_line]
        if len(ids) == 0:
            raise _NoVictim  # a small demo has no claim for this defect: skip it
        cid = str(ids[self.rng.integers(len(ids))])
        self.used.add(cid)
        return cid

    def choose(self, items: list):
        """One of `items` at random; _NoVictim (skip the defect) when there is none."""
        if not len(items):
            raise _NoVictim
        return items[int(self.rng.integers(len(items)))]

    def rows(self, cid: str) -> pd.Index:
        return self.lines.index[self.lines["claim_id"].eq(cid)]

    def line_of(self, cid: str, code: str | None = None) -> tuple[int, int]:
        """(DataFrame index, line number) of the claim's line with `code` (else first)."""
        idx = self.rows(cid)
        if code is not None:
            idx = [i for i in idx if self.lines.at[i, "code"] == code]
        i = idx[0]
        return i, int(self.lines.at[i, "line_no"])

    def set_claim(self, cid: str, **values: object) -> None:
        for k, v in values.items():
            self.lines.loc[self.rows(cid), k] = v

    def patient_of(self, cid: str) -> str:
        return str(self.lines.loc[self.rows(cid)[0], "patient"])

    def patient_age(self, account: str) -> int:
        p = self.t["Patients"].set_index("account").loc[account]
        d, b = self.as_of, p["dob"]
        return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def seed_defects(tables: dict[str, pd.DataFrame], rng: np.random.Generator,
                 as_of: pd.Timestamp, npi: dict[str, str]) -> pd.DataFrame:
    s = _Seeder(tables, rng, as_of, npi)
    L = s.lines
    for c in ("charge", "units", "claim_total", "dos_to", "submitted_on", "dos_from",
              "pointers", "referring_npi", "frequency", "prior_auth", "ndc", "pos",
              "rendering_npi", "patient", "code"):
        if c in L:
            L[c] = L[c].astype(object)
    for k in range(1, 13):
        L[f"dx{k}"] = L[f"dx{k}"].astype(object)
    for k in range(1, 6):
        L[f"mod{k}"] = L[f"mod{k}"].astype(object) if f"mod{k}" in L else None
    L["claim_total"] = None
    single_dx = L["dx2"].isna()
    em_line = L["code"].str.match(r"^992[01]\d$")
    pats = s.t["Patients"]
    adults = pats.loc[pats["dob"] < as_of - pd.Timedelta(days=365 * 30), "account"]
    commercial = L["payer_id"].isin(["SUMMT", "BLUER", "HARBR"])
    per_patient = L.groupby("patient")["claim_id"].nunique()
    one_claim = per_patient[per_patient.eq(1)].index

    # ---------------- diagnoses ----------------
    with s.step():
        cid = s.pick(single_dx & em_line, single_line=True)
        s.set_claim(cid, dx1="E11.99")
        s.add(cid, "ICD-UNKNOWN", "dx1")

    with s.step():
        cid = s.pick(single_dx & em_line, single_line=True)
        s.set_claim(cid, dx1="E11")
        s.add(cid, "ICD-HEADER", "dx1")

    with s.step():
        cid = s.pick(single_dx & em_line & L["patient"].isin(adults) & commercial,
                     single_line=True)
        dos = pd.Timestamp("2025-09-16")
        s.set_claim(cid, dx1="E11.A", dos_from=dos, submitted_on=dos + pd.Timedelta(days=3))
        s.add(cid, "ICD-DATE", "dx1")

    with s.step():
        cid = s.pick(single_dx & em_line, single_line=True)
        s.set_claim(cid, dx1=" e1165")
        s.add(cid, "ICD-FORMAT", "dx1")

    with s.step():
        cid = s.pick(single_dx & em_line, single_line=True)
        s.set_claim(cid, dx1="E11.9", dx2="E10.9", pointers="1,2")
        s.add(cid, "ICD-EXCLUDES1", "dx2")

    with s.step():
        cid = s.pick(single_dx & em_line & L["patient"].isin(adults), single_line=True)
        s.set_claim(cid, dx1="F02.80", dx2="G30.9", pointers="1,2")
        s.add(cid, "ICD-CODEFIRST", "dx1")

    with s.step():
        cid = s.pick(L["code"].eq("12001"))
        s.set_claim(cid, dx1="W25.XXXA", dx2="S61.411A")
        s.add(cid, "ICD-EXTERNAL-FIRST", "dx1")

    with s.step():
        cid = s.pick(single_dx & em_line, single_line=True)
        s.set_claim(cid, dx1="S52.521", dx2="W19.XXXA", pointers="1,2")
        s.add(cid, "ICD-7TH", "dx1")

    with s.step():
        cid = s.pick(single_dx & em_line & L["patient"].isin(adults), single_line=True)
        s.set_claim(cid, dx1="Z38.00")
        s.add(cid, "ICD-AGE", "dx1")

    with s.step():
        men = pats.loc[pats["sex"].eq("M") & pats["dob"].between(
            as_of - pd.Timedelta(days=365 * 50), as_of - pd.Timedelta(days=365 * 20)), "account"]
    with s.step():
        cid = s.pick(single_dx & em_line & L["patient"].isin(men), single_line=True)
        s.set_claim(cid, dx1="O21.0")
        s.add(cid, "ICD-SEX", "dx1")

    with s.step():
        cid = s.pick(single_dx & em_line, single_line=True)
        s.set_claim(cid, dx1=None)
        s.add(cid, "DX-NONE", "dx1")
        s.add(cid, "PTR-EMPTY", "pointers", line=1)

    with s.step():
        cid = s.pick(single_dx & em_line, single_line=True)
        s.set_claim(cid, dx2="Z79.899")
        s.add(cid, "DX-UNUSED", "dx2")

    with s.step():
        multi = L["code"].eq("36415") & L["dx2"].notna()
        cid = s.pick(multi)
        i, ln = s.line_of(cid, "36415")
        L.at[i, "dx2"] = "R53.83"
        s.add(cid, "DX-INCONSISTENT", "dx2", line=ln)

    # ---------------- procedures and modifiers ----------------
    with s.step():
        cid = s.pick(em_line, single_line=True)
        s.set_claim(cid, code="9921")
        s.add(cid, "CPT-FORMAT", "code", line=1)

    with s.step():
        cid = s.pick(L["code"].eq("J1100"))
        i, ln = s.line_of(cid, "J1100")
        L.at[i, "code"] = "J1101"
        s.add(cid, "CPT-UNKNOWN", "code", line=ln)

    with s.step():
        cid = s.pick(em_line & L["mod1"].isna(), single_line=True)
        s.set_claim(cid, mod1="Y9")
        s.add(cid, "MOD-UNKNOWN", "mod1", line=1)

    with s.step():
        cid = s.pick(L["code"].eq("20610"))
        i, ln = s.line_of(cid, "20610")
        L.at[i, "mod2"] = L.at[i, "mod1"]
        s.add(cid, "MOD-DUPLICATE", "mod2", line=ln)

    with s.step():
        cid = s.pick(L["code"].eq("20610"))
        i, ln = s.line_of(cid, "20610")
        L.at[i, "mod1"], L.at[i, "mod2"] = "LT", "RT"
        s.add(cid, "MOD-CONFLICT", "mod2", line=ln)

    with s.step():
        cid = s.pick(L["code"].eq("36415"))
        i, ln = s.line_of(cid, "36415")
        L.at[i, "mod1"] = "25"
        s.add(cid, "MOD-25-NOT-EM", "mod1", line=ln)

    with s.step():  # five modifiers in Mod1-Mod5 (an export with a 5th modifier column)
        cid = s.pick(em_line & L["mod1"].isna(), single_line=True)
        s.set_claim(cid, **{f"mod{k}": m for k, m in enumerate(FIVE_MODIFIERS, start=1)})
        s.add(cid, "MOD-TOO-MANY", "mod5", line=1)

    with s.step():  # six modifiers in one cell
        cid = s.pick(em_line & L["mod1"].isna(), single_line=True)
        s.set_claim(cid, mod1=", ".join(FIVE_MODIFIERS + ("Q6",)))
        s.add(cid, "MOD-TOO-MANY", "mod1", line=1)

    with s.step():  # a HCPCS code billed after CMS ended it
        code, dos = _outdated_hcpcs(as_of)
        cid = s.pick(em_line & L["mod1"].isna() & L["patient"].isin(one_claim)
                     & L["patient"].isin(adults), single_line=True)
        s.set_claim(cid, code=code, dos_from=dos, submitted_on=dos + pd.Timedelta(days=3))
        s.add(cid, "HCPCS-DATE", "code", line=1)

    with s.step():
        cid = s.pick(em_line, single_line=True)
        s.set_claim(cid, pos="88")
        s.add(cid, "POS-INVALID", "pos", line=1)

    with s.step():
        cid = s.pick(em_line, single_line=True)
        good = str(L.loc[s.rows(cid)[0], "rendering_npi"])
        bad = good[:-1] + str((int(good[-1]) + 1) % 10)
        s.set_claim(cid, rendering_npi=bad)
        s.add(cid, "NPI-INVALID", "rendering_npi", line=1)

    with s.step():
        prov = s.t["Providers"]
        j = prov.index[prov["npi"].eq(npi["ref2"])][0]
        prov["taxonomy"] = prov["taxonomy"].astype(object)
        prov.at[j, "taxonomy"] = "207RG010X"
        s.add("", "TAXONOMY-INVALID", "taxonomy", sheet="Providers", row=int(j) + 2)

    with s.step():
        for rule, value in (("NDC-FORMAT", "0009-3073-01"), ("NDC-INVALID", "12345"),
                            ("NDC-MISSING", None)):
            cid = s.pick(L["code"].eq("J1010"))
            i, ln = s.line_of(cid, "J1010")
            L.at[i, "ndc"] = value
            s.add(cid, rule, "ndc", line=ln)

    with s.step():
        cid = s.pick(L["code"].eq("80053"))
        i, ln = s.line_of(cid, "80053")
        L.at[i, "units"] = 0.0
        s.add(cid, "UNITS-INVALID", "units", line=ln)

    with s.step():
        cid = s.pick(L["code"].eq("80053"))
        i, ln = s.line_of(cid, "80053")
        L.at[i, "pointers"] = None
        s.add(cid, "PTR-NONE", "pointers", line=ln)

    with s.step():
        cid = s.pick(single_dx & em_line, single_line=True)
        s.set_claim(cid, dx1="I10", dx2="E78.5", dx3="K21.9", dx4="E03.9", dx5="M10.9",
                    pointers="1,2,3,4,5")
        s.add(cid, "PTR-TOO-MANY", "pointers", line=1)

    with s.step():
        cid = s.pick(single_dx & em_line, single_line=True)
        s.set_claim(cid, pointers="1,3")
        s.add(cid, "PTR-EMPTY", "pointers", line=1)

    # ---------------- required data ----------------
    with s.step():
        cov = s.t["Coverage"]
        cov["member_id"] = cov["member_id"].astype(object)
    with s.step():
        com_only = cov.groupby("patient")["payer_id"].agg(list)
        com_only = com_only[com_only.map(lambda x: len(x) == 1 and x[0] in ("SUMMT", "BLUER"))]
        cid = s.pick(L["patient"].isin(com_only.index))
        acct = s.patient_of(cid)
        s.used_patients.add(acct)
        _claims_of_patient(s, acct, "REQ-MEMBER-ID", "member_id")
        cov.loc[cov["patient"].eq(acct), "member_id"] = None

    with s.step():
        cid = s.pick(None)
        acct = s.patient_of(cid)
        s.used_patients.add(acct)
        pats["address"] = pats["address"].astype(object)
        pats.loc[pats["account"].eq(acct), "address"] = None
        _claims_of_patient(s, acct, "REQ-PATIENT", "address")

        # a workers' comp payer with no filing indicator, used by one patient's one claim
    with s.step():
        cid = s.pick(em_line & commercial & L["patient"].isin(one_claim), single_line=True)
        payers = s.t["Payers"]
        payers.loc[len(payers)] = {"payer_id": "LAKWC", "name": "Lakeside Workers Comp",
                                   "filing_indicator": None, "timely_filing_days": 180,
                                   "address": "PO Box 6000", "city": "Springfield", "state": "MA",
                                   "zip": "01103"}
        acct = s.patient_of(cid)
        s.used_patients.add(acct)
        wc_day = pd.Timestamp(L.loc[s.rows(cid)[0], "dos_from"])
        # a work injury: the workers' comp plan covers that one day
        cov.loc[len(cov)] = {"patient": acct, "payer_id": "LAKWC", "member_id": "WC5521907",
                             "relationship": "self", "priority": "primary",
                             "effective_from": wc_day, "effective_to": wc_day}
        s.set_claim(cid, payer_id="LAKWC")
        s.add(cid, "REQ-PAYER", "filing_indicator")

    with s.step():
        cid = s.pick(None)
        i, ln = s.line_of(cid)
        L.at[i, "rendering_npi"] = None
        s.add(cid, "REQ-RENDERING", "rendering_npi", line=ln)

    with s.step():
        cid = s.pick(em_line, single_line=True)
        s.set_claim(cid, pos=None)
        s.add(cid, "REQ-POS", "pos", line=1)

    with s.step():
        cid = s.pick(L["code"].eq("85025"))
        i, ln = s.line_of(cid, "85025")
        L.at[i, "charge"] = None
        s.add(cid, "REQ-CHARGE", "charge", line=ln)

    # ---------------- coverage ----------------
    with s.step():
        one_plan = cov.groupby("patient")["payer_id"].count()
    with s.step():
        one_plan = one_plan[one_plan.eq(1)].index
        cid = s.pick(L["patient"].isin(one_plan) & L["payer_id"].isin(["SUMMT", "BLUER", "HARBR"]))
        acct = s.patient_of(cid)
        s.used_patients.add(acct)
        dos = pd.Timestamp(L.loc[s.rows(cid)[0], "dos_from"])
        cov.loc[cov["patient"].eq(acct), "effective_to"] = dos - pd.Timedelta(days=10)
        later = L["patient"].eq(acct) & (pd.to_datetime(L["dos_from"]) > dos - pd.Timedelta(days=10))
        for c in L.loc[later, "claim_id"].unique():
            s.add(str(c), "COV-NONE", "payer_id")
            s.used.add(str(c))
        s.used.update(L.loc[L["patient"].eq(acct), "claim_id"])

    with s.step():
        sec = cov.loc[cov["priority"].eq("secondary") & cov["payer_id"].ne("LAKWC")]
        cid = s.pick(L["patient"].isin(sec["patient"]) & L["payer_id"].eq("MCRB1")
                     & ~L["claim_id"].isin(L.loc[L["code"].eq("93306"), "claim_id"]), sent=None)
        acct = s.patient_of(cid)
        sec_payer = sec.loc[sec["patient"].eq(acct), "payer_id"].iloc[0]
        s.set_claim(cid, payer_id=sec_payer)
        s.add(cid, "COV-NOT-PRIMARY", "payer_id")

    with s.step():
        age_days = (as_of - pd.to_datetime(L["dos_from"])).dt.days
        cid = s.pick(L["patient"].isin(sec["patient"]) & L["payer_id"].eq("MCRB1")
                     & age_days.between(22, 50), sent=True)
        acct = s.patient_of(cid)
        sec_payer = sec.loc[sec["patient"].eq(acct), "payer_id"].iloc[0]
        copy = L.loc[s.rows(cid)].copy()
        new_id = cid + "S"
        copy["claim_id"] = new_id
        copy["payer_id"] = sec_payer
        copy["submitted_on"] = None
        L2 = pd.concat([L, copy], ignore_index=True)
        s.t["Claims"] = L2
        L = L2
        s.used.add(new_id)
        s.add(new_id, "COV-SECONDARY", "payer_id")

    with s.step():
        mcr = cov.index[cov["payer_id"].eq("MCRB1") & ~cov["patient"].isin(s.used_patients)]
    with s.step():
        free = set(L.loc[~L["claim_id"].isin(s.used), "patient"])  # once, not per row
        mcr = [i for i in mcr if cov.at[i, "patient"] in free]
        j = s.choose(mcr)
        acct = str(cov.at[j, "patient"])
        cov.at[j, "member_id"] = "123456789A"
        s.used_patients.add(acct)
        _claims_of_patient(s, acct, "COV-MEMBER-FORMAT", "member_id", payer="MCRB1")

    # ---------------- dates ----------------
    with s.step():
        cid = s.pick(em_line, sent=False, single_line=True)
        s.set_claim(cid, dos_from=as_of + pd.Timedelta(days=7))
        s.add(cid, "DATE-FUTURE", "dos_from")

    with s.step():
        cid = s.pick(em_line, single_line=True)
        dos = pd.Timestamp(L.loc[s.rows(cid)[0], "dos_from"])
        s.set_claim(cid, submitted_on=dos - pd.Timedelta(days=5))
        s.add(cid, "DATE-AFTER-SUBMIT", "submitted_on")

    with s.step():
        cid = s.pick(em_line, single_line=True)
        dos = pd.Timestamp(L.loc[s.rows(cid)[0], "dos_from"])
        s.set_claim(cid, dos_to=dos - pd.Timedelta(days=2))
        s.add(cid, "DATE-RANGE", "dos_to")

    with s.step():
        cid = s.pick(L["code"].eq("85025") & L["patient"].isin(adults))
        i, ln = s.line_of(cid, "85025")
        L.at[i, "dos_from"] = pd.Timestamp(L.at[i, "dos_from"]) - pd.Timedelta(days=60)
        s.add(cid, "DATE-SPAN", "dos_from", line=ln)

    with s.step():
        kids = pats.loc[pats["dob"] > as_of - pd.Timedelta(days=365 * 10), "account"]
        cid = s.pick(em_line & L["patient"].isin(kids), single_line=True)
        acct = s.patient_of(cid)
        s.used_patients.add(acct)
        dos = pd.Timestamp(L.loc[s.rows(cid)[0], "dos_from"])
        pats.loc[pats["account"].eq(acct), "dob"] = dos + pd.Timedelta(days=20)
        before = L["patient"].eq(acct) & (pd.to_datetime(L["dos_from"]) < dos + pd.Timedelta(days=20))
        for c in L.loc[before, "claim_id"].unique():
            s.add(str(c), "DATE-BEFORE-BIRTH", "dos_from")
            s.used.add(str(c))
        s.used.update(L.loc[L["patient"].eq(acct), "claim_id"])

    with s.step():
        cid = s.pick(em_line & L["payer_id"].eq("SUMMT"), sent=False, single_line=True)
        s.set_claim(cid, dos_from=_weekday(as_of - pd.Timedelta(days=75)))
        s.add(cid, "TF-NEAR", "dos_from")

    with s.step():
        cid = s.pick(em_line & L["payer_id"].eq("SUMMT"), sent=False, single_line=True)
        s.set_claim(cid, dos_from=_weekday(as_of - pd.Timedelta(days=100)))
        s.add(cid, "TF-PASSED", "dos_from")

    # ---------------- duplicates ----------------
    em_line = L["code"].astype(str).str.match(r"^992[01]\d$")
    commercial = L["payer_id"].isin(["SUMMT", "BLUER", "HARBR"])
    with s.step():
        cid = s.pick(em_line, single_line=True)
        dup = L.loc[s.rows(cid)].copy()
        dup["line_no"] = 2
        L = pd.concat([L, dup], ignore_index=True)
        s.t["Claims"] = L
        s.add(cid, "DUP-LINE", "code", line=2)

        em_line = L["code"].astype(str).str.match(r"^992[01]\d$")
    with s.step():
        cid = s.pick(L.groupby("claim_id")["line_no"].transform("count").ge(2))
        acct = s.patient_of(cid)
        payer = str(L.loc[s.rows(cid)[0], "payer_id"])
        same = cov.loc[cov["payer_id"].eq(payer) & cov["priority"].eq("primary")
                       & cov["effective_to"].isna() & ~cov["patient"].isin(s.used_patients)
                       & cov["patient"].isin(adults) & cov["relationship"].eq("self")
                       & cov["patient"].ne(acct), "patient"]
        other = str(s.choose(list(same)))
        s.used_patients.add(other)
        i = s.rows(cid)[-1]
        L.at[i, "patient"] = other
        s.add(cid, "DUP-CLAIM-ID", "patient")

    with s.step():  # an export that wrote the claim id in lower case: CLM01 would change
        cid = s.pick(sent=False)
        low = cid.lower()
        s.set_claim(cid, claim_id=low)
        s.used.add(low)
        s.add(low, "CLAIM-ID-CHANGED", "claim_id")

    # ---------------- charges ----------------
    with s.step():
        cid = s.pick(L["code"].eq("80053"))
        i, ln = s.line_of(cid, "80053")
        L.at[i, "charge"] = 0.0
        s.add(cid, "MONEY-NONPOSITIVE", "charge", line=ln)

    with s.step():
        cid = s.pick(em_line, single_line=True)
        i, ln = s.line_of(cid)
        L.at[i, "charge"] = float(L.at[i, "charge"]) + 20.0
        s.add(cid, "MONEY-FEE", "charge", line=ln)

    with s.step():
        cid = s.pick(em_line, single_line=True)
        i, ln = s.line_of(cid)
        L.at[i, "claim_total"] = round(float(L.at[i, "charge"]) + 10.0, 2)
        s.add(cid, "MONEY-TOTAL", "claim_total", line=ln)

    # ---------------- code combinations ----------------
    with s.step():
        cid = s.pick(L["code"].eq("93000"))
        row = L.loc[s.line_of(cid, "93000")[0]].copy()
        row["code"], row["line_no"], row["charge"] = "93010", int(
            L.loc[s.rows(cid), "line_no"].max()) + 1, 25.0
        L.loc[len(L)] = row
        s.add(cid, "NCCI-PTP", "code", line=int(row["line_no"]))

    with s.step():
        cid = s.pick(L["code"].eq("36415"))
        i, ln = s.line_of(cid, "36415")
        L.at[i, "units"] = 3.0
        L.at[i, "charge"] = 45.0
        s.add(cid, "MUE-EXCEEDED", "units", line=ln)

    with s.step():
        cid = s.pick(L["code"].eq("96372"))
        i, ln = s.line_of(cid)
        L.at[i, "mod1"] = None
        s.add(cid, "EM-NO-25", "mod1", line=ln)

    with s.step():
        cid = s.pick(L["code"].eq("20610"))
        i, ln = s.line_of(cid, "20610")
        L.at[i, "mod1"] = "50"
        L.at[i, "units"] = 2.0
        L.at[i, "charge"] = 360.0
        s.add(cid, "BILATERAL", "mod1", line=ln)

    with s.step():
        cid = s.pick(L["code"].eq("17003"))
        i, _ = s.line_of(cid, "17000")
        j, ln = s.line_of(cid, "17003")
        L = L.drop(index=i).reset_index(drop=True)
        s.t["Claims"] = L
        s.add(cid, "ADDON-NO-PRIMARY", "code", line=ln)

    with s.step():
        cid = s.pick(L["code"].eq("93306") & L["payer_id"].isin(["SUMMT", "BLUER", "HARBR"]),
                     sent=None)
        em_line = L["code"].astype(str).str.match(r"^992[01]\d$")
        s.set_claim(cid, prior_auth=None)
        s.add(cid, "AUTH-MISSING", "prior_auth", line=1)

    # ---------------- unreadable cells ----------------
    with s.step():
        cid = s.pick(em_line, single_line=True)
        s.set_claim(cid, dos_to="31/31/2025")
        s.add(cid, "IO-DATE", "dos_to", line=1)

    with s.step():
        cid = s.pick(em_line, single_line=True)
        s.set_claim(cid, claim_total="abc")
        s.add(cid, "IO-NUMBER", "claim_total", line=1)

    with s.step():
        cid = s.pick(L["referring_npi"].notna())
        i, ln = s.line_of(cid)
        L.at[i, "referring_npi"] = "12345"
        s.add(cid, "IO-FORMAT", "referring_npi", line=ln)

    with s.step():
        cid = s.pick(em_line, single_line=True)
        s.set_claim(cid, frequency="X")
        s.add(cid, "IO-CHOICE", "frequency", line=1)

    with s.step():  # a line whose procedure code cell is empty (the reader reports it)
        cid = s.pick(L["code"].eq("80053"), sent=False)
        i, ln = s.line_of(cid, "80053")
        L.at[i, "code"] = None
        s.add(cid, "IO-REQUIRED", "code", line=ln)

    s.t["Claims"] = L
    return pd.DataFrame(s.key, columns=["claim_id", "line", "sheet", "row", "rule", "field",
                                        "severity"])


def _outdated_hcpcs(as_of: pd.Timestamp) -> tuple[str, pd.Timestamp]:
    """A HCPCS code and a DOS after CMS ended it (shipped CMS file), 1-2 months before
    `as_of`; _NoVictim when no code had ended by then."""
    from claimbook.codesets.hcpcs import OPEN_END, hcpcs_table

    spans = hcpcs_table().spans
    for code in ENDED_HCPCS:
        ends = [b for _, b in spans.get(code, ()) if b != OPEN_END]
        if not ends:
            continue
        after_end = pd.Timestamp(max(ends)) + pd.Timedelta(days=1)
        dos = _next_weekday(max(after_end, as_of - pd.Timedelta(days=60)))
        if dos <= as_of - pd.Timedelta(days=30):
            return code, dos
    raise _NoVictim


def _next_weekday(d: pd.Timestamp) -> pd.Timestamp:
    while d.weekday() >= 5:
        d += pd.Timedelta(days=1)
    return d


def _weekday(d: pd.Timestamp) -> pd.Timestamp:
    while d.weekday() >= 5:
        d -= pd.Timedelta(days=1)
    return d


def _claims_of_patient(s: _Seeder, acct: str, rule: str, field: str,
                       payer: str | None = None) -> None:
    L = s.lines
    m = L["patient"].eq(acct)
    if payer:
        m &= L["payer_id"].eq(payer)
    for c in L.loc[m, "claim_id"].unique():
        s.add(str(c), rule, field)
    s.used.update(L.loc[L["patient"].eq(acct), "claim_id"])
