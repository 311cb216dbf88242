"""A small synthetic clinic for the eligibility tests, and 271 responses to go with it."""

from __future__ import annotations

from tests.pb_book import book

PAYERS = [{"payer_id": "AETNA", "name": "Aetna Test", "filing_indicator": "CI"},
          {"payer_id": "BCBS", "name": "Blue Test", "filing_indicator": "BL"}]
COVERAGE = [
    {"patient": "P1", "payer_id": "AETNA", "member_id": "W123456789", "priority": "primary",
     "relationship": "self", "effective_from": "2026-01-01", "copay": 25.0,
     "deductible": 500.0, "deductible_met": 400.0, "coinsurance_pct": 20.0},
    {"patient": "P1", "payer_id": "BCBS", "member_id": "B999", "priority": "secondary",
     "relationship": "self", "effective_from": "2026-01-01"},
    {"patient": "P2", "payer_id": "AETNA", "member_id": "W222", "priority": "primary",
     "relationship": "self", "effective_from": "2025-01-01", "effective_to": "2025-12-31"},
    {"patient": "P4", "payer_id": "BCBS", "member_id": "B444", "priority": "primary",
     "relationship": "child", "subscriber_last": "Fixture", "subscriber_first": "Ed",
     "subscriber_dob": "1970-05-05", "subscriber_sex": "M", "effective_from": "2026-01-01",
     "copay": 0.0, "deductible": 1000.0, "deductible_met": 0.0, "coinsurance_pct": 30.0,
     "prior_auth_required": True},
]
FEES = [
    {"payer_id": "AETNA", "code": "99213", "standard_charge": 150.0, "allowed": 98.0},
    {"payer_id": "*", "code": "99213", "standard_charge": 150.0},
    {"payer_id": "*", "code": "36415", "standard_charge": 20.0},
    {"payer_id": "AETNA", "code": "36415", "standard_charge": 20.0, "allowed": 12.0},
    {"payer_id": "*", "code": "70551", "standard_charge": 900.0, "allowed": 612.34},
    {"payer_id": "BCBS", "code": "97110", "standard_charge": 80.0, "allowed": 55.55},
]
APPOINTMENTS = [
    {"patient": "P1", "date": "2026-12-03", "planned_codes": "99213, 36415"},
    {"patient": "P2", "date": "2026-12-03", "planned_codes": "99213"},
    {"patient": "P3", "date": "2026-12-04", "planned_codes": "99213"},
    {"patient": "P4", "date": "2026-12-04", "planned_codes": "97110;70551"},
    {"patient": "P4", "date": "2026-12-11", "planned_codes": "97110", "prior_auth": "AUTH1"},
    {"patient": "P9", "date": "2026-12-11", "planned_codes": "99213"},
    {"patient": "P1", "date": "2026-12-12", "planned_codes": "99213 J3490"},
]


def clinic():
    return book(Payers=PAYERS, Coverage=COVERAGE, FeeSchedule=FEES, Appointments=APPOINTMENTS)


def _isa(n: int) -> str:
    return (f"ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*MAPLE01        *261130*"
            f"0800*^*00501*{n:09d}*0*T*:~GS*HB*CLEARHOUSE*MAPLE01*20261130*0800*{n}*X*"
            "005010X279A1~ST*271*0001*005010X279A1~BHT*0022*11*R1*20261130*0800~")


def _tail(body: str, n: int) -> str:
    count = body.count("~") + 3  # ST, BHT and SE
    return body + f"SE*{count}*0001~GE*1*{n}~IEA*1*{n:09d}~"


SOURCE = ("HL*1**20*1~NM1*PR*2*AETNA TEST*****PI*AETNA~HL*2*1*21*1~"
          "NM1*1P*2*MAPLE STREET FAMILY PRACTICE*****XX*1234567893~")

# Active subscriber: in-network copay 25 (out-of-network 60 ignored), deductible 500 with
# 120 left, coinsurance 20 %, plan 2026-01-01..2026-12-31.
ACTIVE_271 = _isa(1) + _tail(
    SOURCE + "HL*3*2*22*0~TRN*2*P1-20261203*1123456789~"
    "NM1*IL*1*TESTA*ANN****MI*W123456789~DMG*D8*19800101*F~DTP*291*RD8*20260101-20261231~"
    "EB*1*IND*30**GOLD PPO~EB*B*IND*98****60*****N~EB*B*IND*98****25*****Y~"
    "EB*C*IND*30***23*500*****Y~EB*C*FAM*30***29*900*****Y~EB*C*IND*30***29*120*****Y~"
    "EB*A*IND*30*****0.2****Y~EB*A*IND*30*****0.4****N~", 1)

# The expired P2 coverage answered active again for a new plan year (by member id only).
RENEWED_271 = _isa(2) + _tail(
    SOURCE + "HL*3*2*22*0~NM1*IL*1*DEMO*BO****MI*W222~DTP*346*D8*20260101~"
    "EB*1*IND*30~EB*B*IND*30****35~", 2)

# Dependent response: the subscriber's loop, then the child's: inactive since 2026-11-30.
DEPENDENT_271 = _isa(3) + _tail(
    SOURCE.replace("AETNA TEST", "BLUE TEST").replace("PI*AETNA", "PI*BCBS")
    + "HL*3*2*22*1~NM1*IL*1*FIXTURE*ED****MI*B444~HL*4*3*23*0~TRN*2*P4-20261204*1123456789~"
    "NM1*03*1*FIXTURE*DI~DMG*D8*19800101*F~DTP*346*D8*20260101~DTP*347*D8*20261130~"
    "EB*6*IND*30~", 3)

# Rejected: member id not found.
REJECTED_271 = _isa(4) + _tail(
    SOURCE + "HL*3*2*22*0~TRN*2*P7-20261205*1123456789~NM1*IL*1*NOBODY*NO****MI*X0~"
    "AAA*Y**72*C~", 4)
