"""Rules raised while reading the workbook (cells the reader cannot use)."""

from claimbook.rules import define

AREA = "Workbook input"

BAD_DATE = define(
    "IO-DATE", "error", AREA, "A date cell cannot be read as a date",
    "Dates drive coverage, timely filing and code-set year; a date ClaimBook cannot read is "
    "as good as missing.",
    "Type the date as YYYY-MM-DD or MM/DD/YYYY, or format the cell as a date.")
BAD_NUMBER = define(
    "IO-NUMBER", "error", AREA, "A number cell cannot be read as a number",
    "Charges, units and amounts must be numbers to be totalled and sent.",
    "Type a plain number (e.g. 125.00); remove letters and extra symbols.")
BAD_ID = define(
    "IO-FORMAT", "error", AREA, "A value has the wrong shape for its column",
    "NPIs, ZIP codes, EINs, phone numbers and similar fields have a fixed shape; a payer "
    "rejects a claim that carries a malformed one.",
    "Type the value with the number of digits the column asks for (see the header comment).")
BAD_CHOICE = define(
    "IO-CHOICE", "error", AREA, "A value is not one of the column's allowed choices",
    "Columns such as Sex, Priority or Frequency take a fixed list of values.",
    "Pick a value from the drop-down list of the column.")
MISSING_KEY = define(
    "IO-REQUIRED", "error", AREA, "A required cell is empty",
    "Rows without their key (claim id, patient, payer...) cannot be linked to anything.",
    "Fill in the cell; every row of the table needs it.")
BAD_SETTING = define(
    "IO-SETTING", "warning", AREA, "A Practice setting is unknown",
    "A setting ClaimBook does not know is ignored; it is often a typo of a real one.",
    "Use a setting name from the template's Practice sheet.")
BAD_RULE_SETTING = define(
    "IO-RULE-SETTING", "warning", AREA, "A RuleSettings row names no known rule or severity",
    "A row ClaimBook cannot apply is ignored, so the rule keeps its default: a typo in a rule "
    "id would leave on a rule the clinic meant to switch off.",
    "Copy the rule id from `claimbook rules` (e.g. MONEY-NONPOSITIVE) and use error, warning "
    "or info as the severity.")
