"""Small public code lists and format checks: POS, modifiers, procedure-code and NPI formats.

Place of service: the CMS Place of Service code set. The modifier list itself is data
(modifiers.tsv.gz, see claimbook.codesets.hcpcs); here are only the modifier pairs that conflict.
See docs/codesets.md for provenance and limits.
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

X_MODIFIERS = frozenset({"XE", "XS", "XP", "XU"})
CONFLICTS = ((frozenset({"LT", "RT"}), "LT (left) and RT (right)"),
             (frozenset({"26", "TC"}), ("26 (professional component) and TC (technical "
                                       "component)")))

CPT_PATTERNS = {
    "CPT Category I": r"\d{5}", "CPT Category II": r"\d{4}F", "CPT Category III": r"\d{4}T",
    "CPT PLA": r"\d{4}U",
}
HCPCS_PATTERN = r"[A-V]\d{4}"
CPT_REGEX = "|".join(CPT_PATTERNS.values())
TAXONOMY_REGEX = r"[0-9]{3}[0-9A-Z]{6}X"


def npi_check_digit(nine: str) -> str:
    """The NPI check digit of 9 digits: Luhn over the prefix 80840 + the 9 digits."""
    total = 0
    for i, d in enumerate(int(c) for c in reversed("80840" + nine)):
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def luhn_npi_ok(npi: str) -> bool:
    """NPI check digit: Luhn over 80840 + the first 9 digits (1234567893 is valid)."""
    if not re.fullmatch(r"[12]\d{9}", npi or ""):
        return False
    return npi_check_digit(npi[:9]) == npi[9]


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
