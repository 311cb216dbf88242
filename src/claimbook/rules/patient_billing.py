"""Rules raised by patient billing (payments, plans, disputes) and insurance verification."""

from claimbook.rules import define

BILL = "Patient billing"
ELIG = "Insurance verification"

PAY_PATIENT = define(
    "PAY-PATIENT", "error", BILL, "Patient payment for an unknown patient",
    "A payment can only be posted to a patient listed in the Patients sheet.",
    "Correct the Account # of the payment in the PatientPayments sheet.")
PAY_AMOUNT = define(
    "PAY-AMOUNT", "error", BILL, "Patient payment amount missing or not positive",
    "Only a positive amount can be posted; refunds are not payments.",
    "Type the amount received (e.g. 25.00) in the PatientPayments sheet.")
PAY_CLAIM = define(
    "PAY-CLAIM", "warning", BILL, "Patient payment names a claim that is not the patient's",
    "A payment meant for a claim that does not exist or belongs to another patient cannot be "
    "posted to it; ClaimBook posted it to the patient's oldest balances instead.",
    "Correct the Claim ID of the payment, or leave it blank to pay the oldest balance first.")
PAY_CREDIT = define(
    "PAY-CREDIT", "info", BILL, "Patient payment left as a credit",
    "Part of the payment found no patient balance to pay (the claim may still be waiting on "
    "insurance); it is kept as a credit on the patient's account.",
    "Leave it until the remittance arrives, or refund the credit to the patient.")
DISPUTE_CLAIM = define(
    "DISPUTE-CLAIM", "warning", BILL, "Dispute names a claim that is not the patient's",
    "A dispute holds statements only for a claim of that patient.",
    "Correct the Claim ID of the dispute in the Disputes sheet (blank: all the patient's "
    "claims).")
PLAN_INVALID = define(
    "PLAN-INVALID", "error", BILL, "Payment plan cannot be scheduled",
    "A plan needs a positive balance, a down payment no larger than the balance, at least one "
    "installment and a start date.",
    "Correct the named column of the plan in the PaymentPlans sheet.")
PLAN_SPLIT = define(
    "PLAN-SPLIT", "warning", BILL, "Payment plan has more installments than cents",
    "An amount smaller than one cent per installment cannot be split that many ways; the "
    "schedule keeps only the installments that carry at least one cent.",
    "Lower the number of installments in the PaymentPlans sheet.")
PLAN_MISSED = define(
    "PLAN-MISSED", "warning", BILL, "Payment plan installment missed",
    "An installment is past its due date (plus the grace days) and the patient's payments do "
    "not cover it.",
    "Call the patient; record the payment in PatientPayments or agree a new plan.")
ELIG_NO_COVERAGE = define(
    "ELIG-NO-COVERAGE", "warning", ELIG, "No insurance coverage on file",
    "The patient has no row in the Coverage sheet: the visit would be self-pay.",
    "Ask the patient for an insurance card and add it to the Coverage sheet, or confirm "
    "self-pay.")
ELIG_EXPIRED = define(
    "ELIG-EXPIRED", "error", ELIG, "Coverage not active on the appointment date",
    "Every coverage of the patient ends before, or starts after, the appointment date (or the "
    "payer's 271 response says the coverage is inactive).",
    "Ask the patient for current insurance and update the Coverage sheet, or send a 270.")
ELIG_PRIOR_AUTH = define(
    "ELIG-PRIOR-AUTH", "error", ELIG, "Prior authorization missing",
    "The payer requires prior authorization for a planned code and the appointment has no "
    "authorization number.",
    "Obtain the authorization from the payer and type its number in the Appointments sheet.")
ELIG_NO_PRICE = define(
    "ELIG-NO-PRICE", "info", ELIG, "No price for a planned code",
    "Without an allowed amount or standard charge the patient's share cannot be estimated.",
    "Add the code to the FeeSchedule sheet.")
ELIG_PATIENT = define(
    "ELIG-PATIENT", "error", ELIG, "Appointment for an unknown patient",
    "An appointment must name a patient listed in the Patients sheet.",
    "Correct the Account # of the appointment.")
