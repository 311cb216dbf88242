"""The clinic workbook's tables, defined once.

Every table the coordinator fills in is described here: its sheet name, its columns (canonical
name, header shown in the template, kind of value, required or optional, header aliases, a
one-line description, drop-down choices). The reader, the writer, the template builder and the
docs all work from these definitions, so the schema has exactly one home.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal[
    "text",  # free text, stripped
    "id",  # identifier: stripped, floats like 1001.0 become "1001"
    "code",  # procedure code (CPT/HCPCS): upper case, no spaces, 5 chars
    "icd",  # ICD-10-CM diagnosis: upper case, dot after 3 chars
    "modifier",  # 2-character modifier
    "pos",  # 2-digit place of service
    "npi",  # 10-digit NPI
    "ein",  # 9-digit employer identification number
    "taxonomy",  # 10-character provider taxonomy code
    "zip",  # 5 or 9 digit ZIP
    "phone",  # 10 digits
    "state",  # 2-letter state
    "ndc",  # national drug code, normalised by the validator
    "pointers",  # diagnosis pointers such as "1,2" or "AB"
    "sex",  # M / F / U
    "date",
    "money",
    "number",
    "int",
    "percent",  # 0..100 (20 or 0.2 both mean 20 %)
    "bool",
    "enum",
]


@dataclass(frozen=True)
class Column:
    """One column of a workbook table."""

    name: str
    header: str
    kind: Kind
    description: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    width: int = 0
    template: bool = True  # False: read when present, not offered in an empty workbook

    @property
    def display_width(self) -> int:
        if self.width:
            return self.width
        return max(10, min(40, len(self.header) + 4))


@dataclass(frozen=True)
class TableSchema:
    """One table (one sheet) of the clinic workbook."""

    name: str
    description: str
    columns: tuple[Column, ...]
    sheet_aliases: tuple[str, ...] = ()
    optional: bool = False
    key_value: bool = False  # Practice-style settings: rows of (setting, value)
    extra: dict = field(default_factory=dict)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def header_key(text: object) -> str:
    """Case-, space- and punctuation-insensitive key used to match headers and aliases."""
    return re.sub(r"[^a-z0-9#%]", "", str(text).lower()) if text is not None else ""


SEX = ("M", "F", "U")
PRIORITY = ("primary", "secondary", "tertiary")
RELATIONSHIP = ("self", "spouse", "child", "other")
ROLE = ("rendering", "referring", "billing")
FILING = ("MB", "MA", "MC", "CI", "BL", "HM", "12", "13", "14", "15", "16", "17", "AM", "CH",
          "DS", "FI", "LM", "OF", "TV", "VA", "WC", "ZZ")
FREQUENCY = ("1", "7", "8")
POS_COMMON = ("11", "02", "10", "12", "19", "21", "22", "23", "31", "32", "81")


def _dx_columns() -> tuple[Column, ...]:
    cols = []
    for i in range(1, 13):
        aliases = (f"diagnosis {i}", f"diag {i}", f"icd {i}", f"icd10 {i}", f"dx code {i}",
                   f"diagnosis code {i}")
        if i == 1:
            aliases += ("primary diagnosis", "principal diagnosis", "dx")
        cols.append(Column(
            f"dx{i}", f"Dx{i}", "icd",
            f"ICD-10-CM diagnosis {i} of the claim (dx1 is the first-listed); "
            "repeat the claim's diagnoses on each of its lines.",
            aliases=aliases, width=9))
    return tuple(cols)


# A single "Modifiers" column (or any Mod cell) may hold several modifiers: "25,59", "25 59".
_COMBINED_MODIFIER_ALIASES = ("modifiers", "mods", "modifier", "procedure modifiers",
                              "cpt modifiers", "all modifiers")
# Mod5.. exist for exports with more than 4 modifiers: the reader moves them up into free
# Mod1-Mod4 slots, and the validator reports lines that still have more than 4 (MOD-TOO-MANY).
# They come last in the Claims sheet so the usual columns keep their letters.
MAX_MODIFIER_COLUMNS = 8


def _modifier_column(i: int) -> Column:
    aliases = (f"modifier {i}", f"modifier{i}", f"mod {i}", f"m{i}")
    if i <= 4:
        return Column(f"mod{i}", f"Mod{i}", "modifier",
                      f"Procedure modifier {i} (e.g. 25, 59, LT, RT); a cell may hold several "
                      "(25,59).", aliases=aliases + (_COMBINED_MODIFIER_ALIASES if i == 1
                                                    else ()), width=7)
    return Column(f"mod{i}", f"Mod{i}", "modifier",
                  f"Extra modifier {i}, only for exports with more than 4: an 837P line carries "
                  "at most 4 (MOD-TOO-MANY).", aliases=aliases, width=7, template=False)


def _modifier_columns() -> tuple[Column, ...]:
    return tuple(_modifier_column(i) for i in range(1, 5))


def _extra_modifier_columns() -> tuple[Column, ...]:
    return tuple(_modifier_column(i) for i in range(5, MAX_MODIFIER_COLUMNS + 1))


PRACTICE = TableSchema(
    "Practice",
    "Practice settings as key/value rows: the billing provider, the submitter and receiver of "
    "claim files, and defaults.",
    columns=(
        Column("billing_name", "Billing provider name", "text",
               "Legal name of the billing provider (2010AA NM103).", required=True,
               aliases=("practice name", "billing provider", "organization name")),
        Column("billing_npi", "Billing provider NPI", "npi",
               "Group/organisation NPI that bills the claims.", required=True,
               aliases=("practice npi", "group npi", "billing npi")),
        Column("billing_ein", "Billing provider EIN", "ein", "Federal tax id (9 digits).",
               required=True, aliases=("ein", "tax id", "tin", "federal tax id")),
        Column("billing_taxonomy", "Billing provider taxonomy", "taxonomy",
               "Provider taxonomy code (10 characters, e.g. 207Q00000X family medicine).",
               required=True, aliases=("taxonomy", "billing taxonomy")),
        Column("billing_address", "Billing address", "text", "Street address (no PO box).",
               required=True, aliases=("address", "address 1", "street")),
        Column("billing_city", "Billing city", "text", "City.", required=True, aliases=("city",)),
        Column("billing_state", "Billing state", "state", "2-letter state.", required=True,
               aliases=("state",)),
        Column("billing_zip", "Billing ZIP", "zip", "ZIP+4 preferred (9 digits).",
               required=True, aliases=("zip", "zip code", "postal code")),
        Column("billing_phone", "Billing phone", "phone", "Phone number.",
               aliases=("phone",)),
        Column("submitter_id", "Submitter id", "id",
               "Your submitter id at the clearinghouse (ISA06 / 1000A NM109).", required=True,
               aliases=("sender id", "isa06", "etin")),
        Column("submitter_name", "Submitter name", "text", "Submitter organisation name.",
               required=True),
        Column("submitter_contact", "Submitter contact", "text",
               "Contact person for claim questions (1000A PER02).", required=True,
               aliases=("contact name", "contact")),
        Column("submitter_phone", "Submitter phone", "phone", "Contact phone (1000A PER04).",
               required=True, aliases=("contact phone",)),
        Column("submitter_email", "Submitter email", "text", "Contact email (optional).",
               aliases=("contact email", "email")),
        Column("receiver_id", "Receiver id", "id",
               "Clearinghouse receiver id (ISA08 / 1000B NM109).", required=True,
               aliases=("clearinghouse id", "isa08")),
        Column("receiver_name", "Receiver name", "text", "Clearinghouse name (1000B NM103).",
               required=True, aliases=("clearinghouse", "clearinghouse name")),
        Column("usage", "ISA15 usage (T/P)", "enum",
               "T sends test files, P production files.", required=True, choices=("T", "P"),
               aliases=("isa15", "test or production", "usage indicator")),
        Column("timely_filing_days", "Default timely filing days", "int",
               "Filing limit for payers that have none in the Payers sheet (default 90).",
               aliases=("timely filing", "default timely filing")),
        Column("medicare_timely_filing_days", "Medicare timely filing days", "int",
               "Filing limit for Medicare (filing indicator MB/MA; default 365)."),
        Column("accept_assignment", "Accept assignment (Y/N)", "bool",
               "CLM07/CLM08: provider accepts assignment and benefits are assigned.",
               aliases=("assignment",)),
        Column("release_of_info", "Release of information (Y/I)", "enum",
               "CLM09: patient signature on file for release of information.",
               choices=("Y", "I")),
        Column("underpayment_tolerance", "Underpayment tolerance", "money",
               "Payments this far below the contract amount are not flagged (default 0.50)."),
        Column("no_remit_days", "Follow-up after days", "int",
               "A claim sent with no remittance after this many days is listed (default 45)."),
        Column("remit_name", "Remit-to name", "text", "Name on patient statements' remit slip."),
        Column("remit_address", "Remit-to address", "text",
               "Address patients send payments to (statements)."),
    ),
    sheet_aliases=("Settings", "Practice Settings", "Clinic"),
    key_value=True,
)

PAYERS = TableSchema(
    "Payers",
    "Every insurance payer the clinic bills, with its X12 payer id and filing limit.",
    columns=(
        Column("payer_id", "Payer ID", "id", "Payer id used in claim files (2010BB NM109).",
               required=True, aliases=("payer", "payer code", "payerid", "id")),
        Column("name", "Payer name", "text", "Payer name (2010BB NM103).", required=True,
               aliases=("payer name", "insurance", "insurance name", "carrier")),
        Column("filing_indicator", "Filing indicator", "enum",
               "Claim filing indicator code: MB Medicare Part B, MC Medicaid, CI commercial, "
               "BL Blue Cross/Blue Shield, HM HMO, 09 self-pay...", required=True,
               choices=FILING + ("09",),
               aliases=("claim filing indicator", "sbr09", "filing code", "plan type")),
        Column("timely_filing_days", "Timely filing days", "int",
               "Days from DOS the payer accepts a claim (e.g. Medicare 365, UHC 90).",
               aliases=("timely filing", "filing limit", "tfl")),
        Column("address", "Address", "text", "Payer claims address.", aliases=("address 1",)),
        Column("city", "City", "text", "City."),
        Column("state", "State", "state", "2-letter state."),
        Column("zip", "ZIP", "zip", "ZIP code.", aliases=("zip code",)),
        Column("member_id_pattern", "Member id pattern", "text",
               "Optional regular expression member ids must match (Medicare's MBI is built in)."),
    ),
    sheet_aliases=("Payer", "Insurance", "Insurances", "Carriers"),
)

PATIENTS = TableSchema(
    "Patients",
    "One row per patient (synthetic in the demo).",
    columns=(
        Column("account", "Account #", "id", "Patient account number used on claims.",
               required=True, aliases=("account number", "patient id", "acct", "mrn",
                                       "patient account", "patient", "account no")),
        Column("last_name", "Last name", "text", "Patient last name.", required=True,
               aliases=("last", "surname", "patient last name")),
        Column("first_name", "First name", "text", "Patient first name.", required=True,
               aliases=("first", "given name", "patient first name")),
        Column("dob", "DOB", "date", "Date of birth.", required=True,
               aliases=("date of birth", "birth date", "birthdate")),
        Column("sex", "Sex", "sex", "M, F or U.", required=True, choices=SEX,
               aliases=("gender",)),
        Column("address", "Address", "text", "Street address.",
               aliases=("address 1", "street")),
        Column("city", "City", "text", "City."),
        Column("state", "State", "state", "2-letter state."),
        Column("zip", "ZIP", "zip", "ZIP code.", aliases=("zip code", "postal code")),
        Column("phone", "Phone", "phone", "Phone number.", aliases=("phone number",)),
    ),
    sheet_aliases=("Patient", "Demographics"),
)

COVERAGE = TableSchema(
    "Coverage",
    "Insurance coverage per patient and payer, with the plan's cost-sharing.",
    columns=(
        Column("patient", "Account #", "id", "Patient account number.", required=True,
               aliases=("account", "patient account", "account number", "patient id")),
        Column("payer_id", "Payer ID", "id", "Payer id from the Payers sheet.", required=True,
               aliases=("payer",)),
        Column("member_id", "Member ID", "id", "Subscriber's member id on the insurance card.",
               required=True, aliases=("subscriber id", "policy number", "insured id", "mbi")),
        Column("group_number", "Group #", "id", "Group number.",
               aliases=("group", "group no", "group number")),
        Column("relationship", "Relationship", "enum",
               "Patient's relationship to the subscriber.", choices=RELATIONSHIP,
               aliases=("relationship to subscriber", "relation")),
        Column("subscriber_last", "Subscriber last name", "text",
               "When the patient is not the subscriber."),
        Column("subscriber_first", "Subscriber first name", "text",
               "When the patient is not the subscriber."),
        Column("subscriber_dob", "Subscriber DOB", "date",
               "When the patient is not the subscriber."),
        Column("subscriber_sex", "Subscriber sex", "sex",
               "When the patient is not the subscriber.", choices=SEX),
        Column("priority", "Priority", "enum", "primary, secondary or tertiary.",
               required=True, choices=PRIORITY, aliases=("order", "coverage order")),
        Column("effective_from", "Effective from", "date", "First day of coverage.",
               aliases=("effective date", "start date", "from")),
        Column("effective_to", "Effective to", "date", "Last day of coverage (blank: open).",
               aliases=("termination date", "end date", "to", "term date")),
        Column("copay", "Copay", "money", "Office-visit copay."),
        Column("deductible", "Deductible", "money", "Annual deductible."),
        Column("deductible_met", "Deductible met", "money", "Deductible met so far this year."),
        Column("coinsurance_pct", "Coinsurance %", "percent",
               "Patient coinsurance (20 or 20% or 0.2).", aliases=("coinsurance",)),
        Column("prior_auth_required", "Prior auth required", "bool",
               "Y when this plan requires prior authorization for non-office services.",
               aliases=("prior auth", "pa required", "auth required")),
    ),
    sheet_aliases=("Insurance Coverage", "Policies", "Insurance Policies"),
)

PROVIDERS = TableSchema(
    "Providers",
    "Rendering, referring and billing providers.",
    columns=(
        Column("npi", "NPI", "npi", "10-digit NPI.", required=True),
        Column("last_name", "Last name / organisation", "text", "Provider last name.",
               required=True, aliases=("name", "provider name", "last")),
        Column("first_name", "First name", "text", "Provider first name.",
               aliases=("first",)),
        Column("taxonomy", "Taxonomy", "taxonomy", "Provider taxonomy code (10 characters).",
               aliases=("taxonomy code", "specialty code")),
        Column("role", "Role", "enum", "rendering, referring or billing.", choices=ROLE,
               aliases=("type", "provider role")),
    ),
    sheet_aliases=("Provider", "Doctors", "Physicians"),
    optional=True,
)

CLAIMS = TableSchema(
    "Claims",
    "One row per service line, the flat shape practice systems export.",
    columns=(
        Column("claim_id", "Claim ID", "id", "Your claim number (CLM01, patient control number).",
               required=True, aliases=("claim", "claim number", "claim no", "claim #",
                                       "patient control number", "encounter", "encounter id")),
        Column("line_no", "Line", "int", "Service line number within the claim.",
               aliases=("line number", "line no", "ln", "line #")),
        Column("patient", "Account #", "id", "Patient account number (Patients sheet).",
               required=True, aliases=("account", "patient account", "patient id",
                                       "account number", "acct")),
        Column("payer_id", "Payer ID", "id", "Payer billed (Payers sheet).", required=True,
               aliases=("payer", "insurance", "payer code")),
        Column("rendering_npi", "Rendering NPI", "npi", "NPI of the provider who performed it.",
               aliases=("provider npi", "rendering provider npi", "rendering")),
        Column("referring_npi", "Referring NPI", "npi", "NPI of the referring provider.",
               aliases=("referring provider npi", "referring")),
        Column("pos", "POS", "pos", "Place of service (11 office, 02/10 telehealth...).",
               aliases=("place of service",), choices=POS_COMMON),
        Column("dos_from", "DOS", "date", "Date of service (from).", required=True,
               aliases=("date of service", "service date", "dos from", "from date",
                        "date of service from", "svc date")),
        Column("dos_to", "DOS to", "date", "Last date of service (blank: same day).",
               aliases=("date of service to", "to date", "service date to", "thru")),
        *_dx_columns(),
        Column("code", "CPT/HCPCS", "code", "Procedure code (CPT or HCPCS Level II).",
               required=True, aliases=("cpt", "hcpcs", "procedure", "procedure code", "cpt code",
                                       "cpt/hcpcs code", "service code")),
        *_modifier_columns(),
        Column("pointers", "Dx pointers", "pointers",
               "Which diagnoses this line treats: 1-4 pointers such as 1,2 or AB.",
               aliases=("diagnosis pointers", "dx pointer", "pointer", "diagnosis pointer")),
        Column("units", "Units", "number", "Units of service.",
               aliases=("qty", "quantity", "days or units", "unit")),
        Column("charge", "Charge", "money", "Line charge in dollars.", required=True,
               aliases=("charges", "amount", "billed", "billed amount", "fee", "line charge")),
        Column("claim_total", "Claim total", "money",
               "Optional: the claim's total charge as your system shows it (checked against "
               "the sum of its lines).", aliases=("total charge", "total")),
        Column("ndc", "NDC", "ndc", "National drug code for drug (J-code) lines.",
               aliases=("ndc code", "national drug code")),
        Column("ndc_units", "NDC qty", "number", "Drug quantity for the NDC.",
               aliases=("ndc quantity", "drug quantity")),
        Column("ndc_unit", "NDC unit", "enum", "Drug unit: UN, ML, GR, F2, ME.",
               choices=("UN", "ML", "GR", "F2", "ME")),
        Column("prior_auth", "Prior auth #", "id", "Prior authorization number (REF*G1).",
               aliases=("prior authorization", "authorization", "auth", "auth number")),
        Column("frequency", "Frequency", "enum",
               "Claim frequency: 1 original, 7 replacement, 8 void.", choices=FREQUENCY,
               aliases=("frequency code", "claim frequency", "resubmission code")),
        Column("original_claim_number", "Original payer claim #", "id",
               "Payer's claim number (ICN) of the claim being replaced or voided (REF*F8).",
               aliases=("original claim", "icn", "payer claim number", "original icn")),
        Column("submitted_on", "Submitted on", "date",
               "Date the claim was sent (blank: not yet sent).",
               aliases=("submitted", "submission date", "billed date", "date billed")),
        *_extra_modifier_columns(),
    ),
    sheet_aliases=("Charges", "Service Lines", "Claim Lines", "Encounters"),
)

FEE_SCHEDULE = TableSchema(
    "FeeSchedule",
    "Standard charges and contracted (allowed) amounts per payer and code.",
    columns=(
        Column("payer_id", "Payer ID", "id", "Payer id, or * for every payer.", required=True,
               aliases=("payer",)),
        Column("code", "CPT/HCPCS", "code", "Procedure code.", required=True,
               aliases=("cpt", "hcpcs", "procedure code")),
        Column("modifier", "Modifier", "modifier", "Modifier this price applies to (blank: any).",
               aliases=("mod",)),
        Column("standard_charge", "Standard charge", "money", "The clinic's list price.",
               aliases=("charge", "fee", "price")),
        Column("allowed", "Allowed", "money", "The payer's contracted allowed amount.",
               aliases=("allowed amount", "contract amount", "contracted")),
        Column("prior_auth_required", "Prior auth required", "bool",
               "Y when this payer requires authorization for this code.",
               aliases=("prior auth", "auth required")),
    ),
    sheet_aliases=("Fee Schedule", "Fees", "Prices"),
    optional=True,
)

CPT_LIST = TableSchema(
    "CPTCodes",
    "Optional: the CPT codes your clinic licenses (AMA). When present, codes are checked for "
    "existence, not only format.",
    columns=(
        Column("code", "Code", "code", "CPT code.", required=True, aliases=("cpt", "cpt code")),
        Column("description", "Description", "text", "Your own description (not shipped)."),
        Column("addon", "Add-on", "bool", "Y for add-on codes (need a primary code)."),
        Column("em", "E/M", "bool", "Y for evaluation and management codes."),
    ),
    sheet_aliases=("CPT", "CPT List", "CPT Codes"),
    optional=True,
)

NCCI_PTP = TableSchema(
    "NCCI",
    "Optional: NCCI procedure-to-procedure pairs loaded from the CMS file.",
    columns=(
        Column("column1", "Column 1", "code", "Comprehensive code.", required=True,
               aliases=("column 1", "col1", "comprehensive code", "code 1")),
        Column("column2", "Column 2", "code", "Component code (not billable with column 1).",
               required=True, aliases=("column 2", "col2", "component code", "code 2")),
        Column("effective", "Effective", "date", "Edit effective date.",
               aliases=("effective date",)),
        Column("deletion", "Deletion", "date", "Edit deletion date (blank: active).",
               aliases=("deletion date",)),
        Column("modifier_indicator", "Modifier indicator", "enum",
               "0 never together, 1 allowed with 59/XE/XS/XP/XU, 9 not applicable.",
               required=True, choices=("0", "1", "9"), aliases=("modifier", "mod indicator")),
    ),
    sheet_aliases=("NCCI PTP", "PTP", "NCCI Edits"),
    optional=True,
)

MUE = TableSchema(
    "MUE",
    "Optional: medically unlikely edits (max units per code per day) from the CMS file.",
    columns=(
        Column("code", "Code", "code", "Procedure code.", required=True,
               aliases=("hcpcs/cpt code", "cpt", "hcpcs")),
        Column("max_units", "MUE value", "number", "Maximum units per day.", required=True,
               aliases=("mue", "mue values", "practitioner mue values", "max units")),
    ),
    sheet_aliases=("MUE Limits", "MUEs"),
    optional=True,
)

RULE_SETTINGS = TableSchema(
    "RuleSettings",
    "Optional: turn a rule off or change its severity without any code change.",
    columns=(
        Column("rule", "Rule", "id", "Rule id from `claimbook rules`.", required=True,
               aliases=("rule id", "id")),
        Column("enabled", "Enabled", "bool", "N turns the rule off.",
               aliases=("active", "on")),
        Column("severity", "Severity", "enum", "error, warning or info.",
               choices=("error", "warning", "info")),
    ),
    sheet_aliases=("Rules", "Rule Settings"),
    optional=True,
)

INPUT_TABLES: tuple[TableSchema, ...] = (
    PRACTICE, PAYERS, PATIENTS, COVERAGE, PROVIDERS, CLAIMS, FEE_SCHEDULE,
    CPT_LIST, NCCI_PTP, MUE, RULE_SETTINGS,
)

_EXTRA: dict[str, TableSchema] = {}


def register_table(schema: TableSchema) -> TableSchema:
    """Add an input table defined by a capability module (e.g. Deposits, Appointments)."""
    _EXTRA[schema.name] = schema
    return schema


def all_tables() -> tuple[TableSchema, ...]:
    """Every input table: the core ones plus those registered by capability modules."""
    import claimbook.extra_tables  # noqa: F401  (registers the optional tables)

    return INPUT_TABLES + tuple(_EXTRA.values())


def table(name: str) -> TableSchema:
    for t in all_tables():
        if t.name.lower() == name.lower():
            return t
    raise KeyError(name)

# Names of the sheets ClaimBook writes; the reader never treats them as input and a re-run
# replaces them.
OWNED_SHEETS: tuple[str, ...] = (
    "Summary", "Findings", "Claim Status", "Rule Summary", "Batches", "Payments",
    "Provider Adjustments", "Exceptions", "Aging", "Aging Summary", "Aging Reconciliation",
    "Dashboard", "Statements", "Plan Schedule", "Eligibility", "Receipts",
)
