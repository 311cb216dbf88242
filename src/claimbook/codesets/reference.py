"""Small public code lists and format checks: POS, modifiers, procedure-code and NPI formats.

Place of service: the CMS Place of Service code set. Modifiers: CPT Level I modifier codes
(codes only, no AMA descriptors) and HCPCS Level II modifiers (CMS, public domain). See
docs/codesets.md for provenance and limits.
"""

from __future__ import annotations

import re

POS_CODES: dict[str, str] = {
    "01": "Pharmacy", "02": "Telehealth provided other than in patient's home", "03": "School",
    "04": "Homeless shelter", "05": "Indian Health Service free-standing facility",
    "06": "Indian Health Service provider-based facility",
    "07": "Tribal 638 free-standing facility", "08": "Tribal 638 provider-based facility",
    "09": "Prison/correctional facility", "10": "Telehealth provided in patient's home",
    "11": "Office", "12": "Home", "13": "Assisted living facility", "14": "Group home",
    "15": "Mobile unit", "16": "Temporary lodging", "17": "Walk-in retail health clinic",
    "18": "Place of employment-worksite", "19": "Off campus-outpatient hospital",
    "20": "Urgent care facility", "21": "Inpatient hospital",
    "22": "On campus-outpatient hospital", "23": "Emergency room-hospital",
    "24": "Ambulatory surgical center", "25": "Birthing center",
    "26": "Military treatment facility", "27": "Outreach site/street",
    "31": "Skilled nursing facility", "32": "Nursing facility", "33": "Custodial care facility",
    "34": "Hospice", "41": "Ambulance-land", "42": "Ambulance-air or water",
    "49": "Independent clinic", "50": "Federally qualified health center",
    "51": "Inpatient psychiatric facility", "52": "Psychiatric facility-partial hospitalization",
    "53": "Community mental health center",
    "54": "Intermediate care facility/individuals with intellectual disabilities",
    "55": "Residential substance abuse treatment facility",
    "56": "Psychiatric residential treatment center",
    "57": "Non-residential substance abuse treatment facility",
    "58": "Non-residential opioid treatment facility", "60": "Mass immunization center",
    "61": "Comprehensive inpatient rehabilitation facility",
    "62": "Comprehensive outpatient rehabilitation facility",
    "65": "End-stage renal disease treatment facility",
    "66": "Programs of all-inclusive care for the elderly (PACE) center",
    "71": "Public health clinic", "72": "Rural health clinic", "81": "Independent laboratory",
    "99": "Other place of service",
}

_CPT_MODIFIERS = ("22 23 24 25 26 27 32 33 47 50 51 52 53 54 55 56 57 58 59 62 63 66 73 74 76 77 "
                  "78 79 80 81 82 90 91 92 93 95 96 97 99 P1 P2 P3 P4 P5 P6").split()
_HCPCS_MODIFIERS = (
    "A1 A2 A3 A4 A5 A6 A7 A8 A9 AA AD AE AF AG AH AI AJ AK AM AO AP AQ AR AS AT AU AV AW AX AY "
    "AZ BA BL BO BP BR BU CA CB CG CH CI CJ CK CL CM CN CR CS CT DA E1 E2 E3 E4 EA EB EC ED EE "
    "EJ EM EP ER ET EX EY F1 F2 F3 F4 F5 F6 F7 F8 F9 FA FB FC FP FQ FR FS FT FX FY G0 G1 G2 G3 "
    "G4 G5 G6 G7 G8 G9 GA GB GC GE GF GG GH GJ GK GL GM GN GO GP GQ GR GS GT GU GV GW GX GY GZ "
    "H9 HA HB HC HD HE HF HG HH HI HJ HK HL HM HN HO HP HQ HR HS HT HU HV HW HX HY HZ J1 J2 J3 "
    "J4 JA JB JC JD JE JG JW JZ K0 K1 K2 K3 K4 KA KB KC KD KE KF KG KH KI KJ KK KL KM KN KO KP "
    "KQ KR KS KT KU KV KW KX KY KZ LC LD LL LM LR LS LT LU M2 MS N1 N2 N3 NB NR NU PA PB PC PD "
    "PI PL PM PN PO PS PT Q0 Q1 Q2 Q3 Q4 Q5 Q6 Q7 Q8 Q9 QA QB QC QD QE QF QG QH QJ QK QL QM QN "
    "QP QQ QR QS QT QW QX QY QZ RA RB RC RD RE RI RR RT SA SB SC SD SE SF SG SH SJ SL SM SN SQ SS "
    "ST SU SV SW SY SZ T1 T2 T3 T4 T5 T6 T7 T8 T9 TA TB TC TD TE TF TG TH TJ TK TL TM TN TP TQ TR "
    "TS TT TU TV TW U1 U2 U3 U4 U5 U6 U7 U8 U9 UA UB UC UD UE UF UG UH UJ UK UN UP UQ UR US V1 V2 "
    "V3 VM VP X1 X2 X3 X4 X5 XE XP XS XU ZA ZB ZC").split()
MODIFIERS: frozenset[str] = frozenset(_CPT_MODIFIERS) | frozenset(_HCPCS_MODIFIERS)
X_MODIFIERS = frozenset({"XE", "XS", "XP", "XU"})
CONFLICTS = ((frozenset({"LT", "RT"}), "LT (left) and RT (right)"),
             (frozenset({"26", "TC"}), "26 (professional component) and TC (technical "
                                       "component)"))

CPT_PATTERNS = {
    "CPT Category I": r"\d{5}", "CPT Category II": r"\d{4}F", "CPT Category III": r"\d{4}T",
    "CPT PLA": r"\d{4}U",
}
HCPCS_PATTERN = r"[A-V]\d{4}"
CPT_REGEX = "|".join(CPT_PATTERNS.values())
TAXONOMY_REGEX = r"[0-9]{3}[0-9A-Z]{6}X"


def luhn_npi_ok(npi: str) -> bool:
    """NPI check digit: Luhn over 80840 + the first 9 digits (1234567893 is valid)."""
    if not re.fullmatch(r"[12]\d{9}", npi or ""):
        return False
    digits = [int(d) for d in "80840" + npi[:9]]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def is_em(code: str) -> bool:
    """E/M codes: 99202-99499 (CPT evaluation and management range)."""
    return bool(re.fullmatch(r"99[2-4]\d\d", code or "")) and "99202" <= code <= "99499"


def procedure_kind(code: str) -> str | None:
    for name, pat in CPT_PATTERNS.items():
        if re.fullmatch(pat, code or ""):
            return name
    if re.fullmatch(HCPCS_PATTERN, code or ""):
        return "HCPCS Level II"
    return None


def ndc11(text: str) -> str | None:
    """NDC in 11-digit 5-4-2 billing form, or None when it cannot be read.

    Hyphenated labels 4-4-2, 5-3-2 and 5-4-1 are padded in the right segment; 11 plain digits
    are kept; 10 plain digits are ambiguous (which segment lost its zero?) and rejected.
    """
    s = (text or "").strip().replace(" ", "")
    m = re.fullmatch(r"(\d{4,5})-(\d{3,4})-(\d{1,2})", s)
    if m:
        a, b, c = m.groups()
        if len(a) + len(b) + len(c) not in (10, 11):
            return None
        return a.zfill(5) + b.zfill(4) + c.zfill(2)
    if re.fullmatch(r"\d{11}", s):
        return s
    return None
