"""Claim scrubber rules: what a payer would reject or underpay."""

from claimbook.rules import define

REQ = "Required claim data"
COV = "Coverage"
DATES = "Dates and timely filing"
DUP = "Duplicates"
MONEY = "Charges"
COMBO = "Code combinations"
AUTH = "Prior authorization"

REQ_MEMBER_ID = define(
    "REQ-MEMBER-ID", "error", REQ, "Subscriber member id missing",
    "The 837P needs the subscriber's member id (2010BA NM109).",
    "Fill in Member ID in the Coverage sheet for this patient and payer.")
REQ_PATIENT = define(
    "REQ-PATIENT", "error", REQ, "Patient demographics missing",
    "The claim must carry the patient's name, date of birth, sex and address.",
    "Fill in the named column in the Patients sheet.")
REQ_PAYER = define(
    "REQ-PAYER", "error", REQ, "Payer unknown or incomplete",
    "The payer must exist in the Payers sheet with a payer id and filing indicator.",
    "Add the payer to the Payers sheet, or fill in the named column.")
REQ_BILLING = define(
    "REQ-BILLING", "error", REQ, "Billing provider data missing",
    "The billing provider's NPI, EIN, taxonomy and street address are required on every claim.",
    "Fill in the named setting in the Practice sheet.")
REQ_RENDERING = define(
    "REQ-RENDERING", "error", REQ, "Rendering provider NPI missing",
    "Professional claims need the NPI of the provider who performed the service.",
    "Fill in Rendering NPI on the line.")
REQ_POS = define(
    "REQ-POS", "error", REQ, "Place of service missing",
    "Every claim needs a place of service (CLM05-1).", "Fill in POS on the line.")
REQ_CHARGE = define(
    "REQ-CHARGE", "error", REQ, "Charge missing",
    "Every service line needs a charge.", "Fill in Charge on the line.")

COV_NONE = define(
    "COV-NONE", "error", COV, "No active coverage on the date of service",
    "A claim sent to a payer that does not cover the patient on the DOS is denied.",
    "Check eligibility; add or correct the Coverage row (payer, effective dates), or bill the "
    "right payer or the patient.")
COV_NOT_PRIMARY = define(
    "COV-NOT-PRIMARY", "error", COV, "Billed payer is not the patient's primary",
    "Claims go to the primary payer first; the secondary denies a claim without the "
    "primary's adjudication.", "Bill the primary payer first, or fix Priority in Coverage.")
COV_SECONDARY_NO_PRIMARY = define(
    "COV-SECONDARY", "warning", COV, "Secondary claim with no primary adjudication",
    "A secondary payer needs the primary's payment information (its ERA) with the claim.",
    "Post the primary's remittance first, then bill the secondary.")
COV_MEMBER_FORMAT = define(
    "COV-MEMBER-FORMAT", "error", COV, "Member id does not match the payer's format",
    "Medicare requires an MBI (11 characters, e.g. 1EG4TE5MK73); other payers may define a "
    "pattern in the Payers sheet.",
    "Copy the member id from the insurance card, in capitals and without the dashes or spaces "
    "the card prints.")
COV_PATTERN_INVALID = define(
    "COV-PATTERN-INVALID", "warning", COV, "Member id pattern in Payers cannot be used",
    "The Member id pattern column holds a regular expression; one that cannot be read checks "
    "nothing, so wrong member ids would go out.",
    "Correct the pattern (a regular expression such as [A-Z]{3}[0-9]{9}) or clear the cell.")

DATE_FUTURE = define(
    "DATE-FUTURE", "error", DATES, "Date of service in the future",
    "A service cannot be billed before it happens.", "Correct the date of service.")
DATE_AFTER_SUBMIT = define(
    "DATE-AFTER-SUBMIT", "error", DATES, "Date of service after the submission date",
    "A claim cannot be submitted before the service date.",
    "Correct the date of service or the submitted-on date.")
DATE_RANGE = define(
    "DATE-RANGE", "error", DATES, "DOS from is after DOS to",
    "The service period is reversed.", "Swap or correct the dates.")
DATE_SPAN = define(
    "DATE-SPAN", "warning", DATES, "Line date outside the claim's other lines' span",
    "Lines of one claim normally share an encounter; a line months away is often on the wrong "
    "claim.", "Check the line's date; move it to its own claim if it is another visit.")
DATE_BEFORE_BIRTH = define(
    "DATE-BEFORE-BIRTH", "error", DATES, "Patient not yet born on the date of service",
    "The date of service is before the patient's date of birth.",
    "Correct the date of birth in Patients or the date of service.")
TF_NEAR = define(
    "TF-NEAR", "warning", DATES, "Timely filing limit within 30 days",
    "After the payer's filing limit the claim is denied (CO-29) and cannot be collected.",
    "Send this claim now.")
TF_PASSED = define(
    "TF-PASSED", "error", DATES, "Timely filing limit passed",
    "The payer will deny the claim as late (CO-29).",
    "Send only with proof of timely filing (e.g. an earlier submission report); otherwise "
    "write the balance off.")

DUP_LINE = define(
    "DUP-LINE", "error", DUP, "Duplicate service line",
    "The same patient, date, code and modifiers billed twice is denied as a duplicate (CO-18).",
    "Remove the duplicate line, or add the modifier that explains the repeat (76, 77, 91).")
DUP_SENT = define(
    "DUP-SENT", "error", DUP, "Service already sent on an earlier claim",
    "The ledger shows this patient, date, code and modifiers in a claim already submitted.",
    "Do not resend; for a correction use frequency 7 with the payer's claim number.")
DUP_CLAIM_ID = define(
    "DUP-CLAIM-ID", "error", DUP, "One claim id used for two patients",
    "A claim id (CLM01) identifies one patient's claim; payments would be posted to the wrong "
    "patient.", "Give each patient's claim its own claim id.")

CLAIM_ID_SENT_AS = define(
    "CLAIM-ID-CHANGED", "error", DUP, "The claim id is not sent as it is written",
    "The 837P carries the claim id (CLM01) in upper case, in the X12 basic character set, at "
    "most 38 characters; the payer's remittance answers with that form, so a claim id that "
    "changes on the way out cannot be matched back to its claim, and two ids that become the "
    "same one mix two claims.",
    "Rename the claim id in the Claims sheet to the form shown (capital letters, digits and "
    "- . / only), keeping it unique.")

MONEY_NONPOSITIVE = define(
    "MONEY-NONPOSITIVE", "error", MONEY, "Zero or negative charge",
    "Payers reject lines without a positive charge.", "Enter the line's charge.")
MONEY_FEE = define(
    "MONEY-FEE", "warning", MONEY, "Charge differs from the fee schedule",
    "Charging less than your standard fee loses money; more than it is often a typo.",
    "Use the standard charge from the FeeSchedule sheet, or correct the fee schedule.")
MONEY_TOTAL = define(
    "MONEY-TOTAL", "error", MONEY, "Claim total differs from the sum of its lines",
    "CLM02 must equal the sum of the line charges; otherwise the claim is rejected.",
    "Correct the line charges or the Claim total column.")

NCCI_PTP = define(
    "NCCI-PTP", "error", COMBO, "NCCI pair billed together",
    "NCCI procedure-to-procedure edits bundle the column-2 code into the column-1 code.",
    "Remove the column-2 code, or (indicator 1 only) add 59/XE/XS/XP/XU when the services "
    "were truly distinct.")
MUE_EXCEEDED = define(
    "MUE-EXCEEDED", "error", COMBO, "Units exceed the MUE limit",
    "Units above the medically unlikely edit for the code on one day are denied.",
    "Correct the units; bill more only with documentation and the payer's process.")
EM_NO_25 = define(
    "EM-NO-25", "error", COMBO, "E/M with a procedure on the same day without modifier 25",
    "An E/M on the day of a procedure is bundled into it unless modifier 25 says it was "
    "separately identifiable.", "Add modifier 25 to the E/M line if documented; else remove it.")
BILATERAL = define(
    "BILATERAL", "warning", COMBO, "Bilateral coding problem",
    "The same procedure on both sides is billed once with 50 (or LT and RT lines); the same "
    "code twice on a day without side modifiers looks like a duplicate or a missed 50.",
    "Use modifier 50, or LT and RT on separate lines, as the payer requires.")
ADDON_NO_PRIMARY = define(
    "ADDON-NO-PRIMARY", "error", COMBO, "Add-on code without its primary code",
    "Add-on codes are only paid with a primary procedure on the same claim.",
    "Add the primary procedure or remove the add-on code.")

AUTH_MISSING = define(
    "AUTH-MISSING", "error", AUTH, "Prior authorization number missing",
    "The payer requires authorization for this code; without the number the claim is denied.",
    "Enter the authorization number in Prior auth # (or obtain one).")
