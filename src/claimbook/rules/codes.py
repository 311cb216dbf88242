"""Code-set rules: ICD-10-CM, CPT/HCPCS, modifiers, POS, NPI, taxonomy, NDC, units, pointers."""

from claimbook.rules import define

ICD = "Diagnosis codes (ICD-10-CM)"
PROC = "Procedure codes and modifiers"
LINE = "Service line fields"

ICD_UNKNOWN = define(
    "ICD-UNKNOWN", "error", ICD, "Diagnosis code does not exist in ICD-10-CM",
    "Payers reject a claim whose diagnosis is not in the code set in force on the date of "
    "service.", "Check the code for a typo and pick the exact code from the ICD-10-CM index.")
ICD_HEADER = define(
    "ICD-HEADER", "error", ICD, "Diagnosis code is a category header, not billable",
    "Only the most specific (leaf) codes are billable; E11 or E11.6 are headings.",
    "Choose one of the billable codes under the heading (the message lists examples).")
ICD_DATE = define(
    "ICD-DATE", "error", ICD, "Diagnosis code not valid on the date of service",
    "ICD-10-CM changes every October 1: a code added or deleted at the boundary is only "
    "valid on one side of it.",
    "Use the code valid for the fiscal year of the date of service (the message says which).")
ICD_FORMAT = define(
    "ICD-FORMAT", "info", ICD, "Diagnosis code written in a non-standard way was normalised",
    "Codes are sent with the dot removed, but a wrong-looking code in the sheet causes "
    "mistakes later.", "Nothing to do; optionally write it as shown (e.g. E11.65).")
ICD_EXCLUDES1 = define(
    "ICD-EXCLUDES1", "error", ICD, "Two diagnoses on the claim form an Excludes1 pair",
    "An Excludes1 note means the two conditions cannot occur together; payers deny the claim.",
    "Keep the code that describes the condition and remove the other.")
ICD_MANIFESTATION_FIRST = define(
    "ICD-CODEFIRST", "error", ICD, "Manifestation code listed first",
    "Manifestation codes ('code first' the underlying condition) may never be the first-listed "
    "diagnosis.", "Put the underlying condition in Dx1 and the manifestation after it.")
ICD_EXTERNAL_FIRST = define(
    "ICD-EXTERNAL-FIRST", "error", ICD, "External-cause code (V00-Y99) listed first",
    "External-cause codes explain how an injury happened and may never be first-listed.",
    "Put the injury or condition in Dx1 and the external-cause code after it.")
ICD_7TH = define(
    "ICD-7TH", "error", ICD, "Diagnosis code needs a 7th character",
    "Injury and some other categories require a 7th character (A initial, D subsequent, "
    "S sequela encounter).", "Add the 7th character (e.g. S52.521A for the initial encounter).")
ICD_AGE = define(
    "ICD-AGE", "error", ICD, "Diagnosis code conflicts with the patient's age",
    "Some codes only apply at certain ages (newborn Z38.*, maternity O* for ages 12-55).",
    "Check the patient's date of birth and the code.")
ICD_SEX = define(
    "ICD-SEX", "error", ICD, "Diagnosis code conflicts with the patient's sex",
    "Maternity and other sex-specific codes are denied for a patient of the other sex.",
    "Check the patient's sex in the Patients sheet and the code.")
DX_NONE = define(
    "DX-NONE", "error", ICD, "Claim has no diagnosis",
    "Every professional claim needs at least one diagnosis (HI segment).",
    "Fill in Dx1 on the claim's lines.")
DX_UNUSED = define(
    "DX-UNUSED", "warning", ICD, "Diagnosis that no service line points to",
    "A diagnosis no line points to supports nothing on the claim; often a pointer is missing.",
    "Point a line to it in Dx pointers, or remove it.")
DX_INCONSISTENT = define(
    "DX-INCONSISTENT", "error", ICD, "Lines of one claim list different diagnoses",
    "The claim carries one diagnosis list; lines that disagree make the pointers ambiguous.",
    "Copy the same Dx1-Dx12 onto every line of the claim.")

CPT_FORMAT = define(
    "CPT-FORMAT", "error", PROC, "Procedure code has an invalid format",
    "A procedure code is 5 characters: CPT 99213, 0001F, 0042T, 0001U or HCPCS A-V + 4 digits.",
    "Correct the code; check for a missing or extra digit.")
CPT_UNKNOWN = define(
    "CPT-UNKNOWN", "error", PROC, "Procedure code not in the code list",
    "HCPCS Level II codes are checked against the CMS file; CPT codes against the CPTCodes "
    "sheet when the clinic loaded one.", "Correct the code or add it to your CPTCodes sheet.")
MOD_UNKNOWN = define(
    "MOD-UNKNOWN", "error", PROC, "Unknown modifier",
    "A modifier that does not exist makes the payer reject the line.",
    "Use a valid CPT or HCPCS modifier (e.g. 25, 59, LT, RT, GT, 95).")
MOD_DUPLICATE = define(
    "MOD-DUPLICATE", "error", PROC, "Same modifier twice on a line",
    "A modifier may appear once per line.", "Remove the repeated modifier.")
MOD_TOO_MANY = define(
    "MOD-TOO-MANY", "error", PROC, "More than 4 modifiers",
    "The 837P carries at most 4 modifiers per line.",
    "Keep the 4 that affect payment most (pricing modifiers first).")
MOD_CONFLICT = define(
    "MOD-CONFLICT", "error", PROC, "Conflicting modifiers on one line",
    "LT with RT, 26 with TC, or 59 with an X{EPSU} modifier contradict each other.",
    "Keep one of them; for both sides use 50 or two lines.")
MOD_25_NOT_EM = define(
    "MOD-25-NOT-EM", "error", PROC, "Modifier 25 on a code that is not E/M",
    "Modifier 25 marks a separately identifiable E/M service; on other codes it is invalid.",
    "Move modifier 25 to the E/M line (99202-99499) or remove it.")
POS_INVALID = define(
    "POS-INVALID", "error", LINE, "Invalid place of service",
    "The place-of-service code must be one of the CMS codes.",
    "Use a 2-digit CMS place-of-service code (11 office, 02/10 telehealth, 22 outpatient...).")
NPI_INVALID = define(
    "NPI-INVALID", "error", LINE, "NPI fails the check digit",
    "An NPI is 10 digits starting with 1 or 2 with a Luhn check digit; payers reject a wrong one.",
    "Copy the NPI from the NPPES registry; check for swapped digits.")
TAXONOMY_INVALID = define(
    "TAXONOMY-INVALID", "error", LINE, "Invalid provider taxonomy code",
    "A taxonomy code is 10 characters ending in X (e.g. 207Q00000X).",
    "Use the provider's taxonomy code from NPPES.")
NDC_FORMAT = define(
    "NDC-FORMAT", "info", LINE, "NDC normalised to 11-digit 5-4-2 format",
    "Claims carry the NDC as 11 digits in 5-4-2 form.",
    "Nothing to do; optionally write the NDC as shown.")
NDC_INVALID = define(
    "NDC-INVALID", "error", LINE, "NDC cannot be read",
    "An NDC has 10 or 11 digits (4-4-2, 5-3-2, 5-4-1 or 5-4-2).",
    "Copy the NDC from the drug package.")
NDC_MISSING = define(
    "NDC-MISSING", "error", LINE, "Drug (J-code) line without an NDC",
    "Payers require the NDC of the drug administered on J-code lines.",
    "Enter the 11-digit NDC of the vial used.")
UNITS_INVALID = define(
    "UNITS-INVALID", "error", LINE, "Units are not a positive number",
    "Units of service must be a positive number.", "Enter the units (usually 1).")
PTR_NONE = define(
    "PTR-NONE", "error", LINE, "Service line has no diagnosis pointer",
    "Each line must point to at least one of the claim's diagnoses.",
    "Enter 1 (or the numbers of the diagnoses this line treats) in Dx pointers.")
PTR_TOO_MANY = define(
    "PTR-TOO-MANY", "error", LINE, "More than 4 diagnosis pointers",
    "The 837P carries at most 4 pointers per line.", "Keep the 4 most relevant diagnoses.")
PTR_EMPTY = define(
    "PTR-EMPTY", "error", LINE, "Diagnosis pointer points to an empty slot",
    "A pointer must name a Dx column that has a code.",
    "Fix the pointer or fill in the diagnosis it points to.")
HCPCS_DATE = define(
    "HCPCS-DATE", "error", PROC, "HCPCS code not valid on the date of service",
    "CMS adds and deletes HCPCS Level II codes every quarter; a code deleted before the date of "
    "service (e.g. J1030, replaced by J1010 on 2024-04-01) is rejected.",
    "Use the code in force on the date of service (the message gives the code's validity "
    "dates; `claimbook codes hcpcs CODE --dos DATE` checks one).")
