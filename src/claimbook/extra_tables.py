"""Optional input tables used by reconciliation, patient billing and eligibility."""

from __future__ import annotations

from claimbook.schemas import Column, TableSchema, register_table

DEPOSITS = register_table(TableSchema(
    "Deposits",
    "Optional: bank deposits (EFT/check) to match against remittances.",
    columns=(
        Column("date", "Date", "date", "Deposit date.", required=True,
               aliases=("deposit date",)),
        Column("amount", "Amount", "money", "Amount deposited.", required=True),
        Column("trace", "Trace #", "id", "EFT trace or check number (835 TRN02).",
               required=True, aliases=("trace number", "check number", "eft trace", "trn02")),
        Column("payer_id", "Payer ID", "id", "Payer, when known.", aliases=("payer",)),
    ),
    sheet_aliases=("Bank Deposits",),
    optional=True,
))

AGING_IMPORT = register_table(TableSchema(
    "AgingImport",
    "Optional: an aging report exported from a practice system, to reconcile against.",
    columns=(
        Column("claim_id", "Claim ID", "id", "Claim number (or leave blank and give patient).",
               aliases=("claim",)),
        Column("patient", "Account #", "id", "Patient account number.",
               aliases=("account", "patient account")),
        Column("payer_id", "Payer ID", "id", "Payer.", aliases=("payer",)),
        Column("balance", "Balance", "money", "Balance the other system shows.", required=True,
               aliases=("amount", "outstanding")),
        Column("bucket", "Bucket", "text", "Aging bucket the other system shows (e.g. 31-60).",
               aliases=("aging bucket", "age")),
    ),
    sheet_aliases=("Aging Import", "External Aging"),
    optional=True,
))

PATIENT_PAYMENTS = register_table(TableSchema(
    "PatientPayments",
    "Optional: payments received from patients (cash, card, check).",
    columns=(
        Column("patient", "Account #", "id", "Patient account number.", required=True,
               aliases=("account", "patient account")),
        Column("date", "Date", "date", "Date received.", required=True,
               aliases=("payment date",)),
        Column("amount", "Amount", "money", "Amount received.", required=True),
        Column("method", "Method", "enum", "cash, card, check.",
               choices=("cash", "card", "check", "other")),
        Column("claim_id", "Claim ID", "id", "Claim to apply it to (blank: oldest first).",
               aliases=("claim",)),
        Column("reference", "Reference", "id", "Check or receipt number."),
    ),
    sheet_aliases=("Patient Payments",),
    optional=True,
))

PAYMENT_PLANS = register_table(TableSchema(
    "PaymentPlans",
    "Optional: payment plans agreed with patients.",
    columns=(
        Column("patient", "Account #", "id", "Patient account number.", required=True,
               aliases=("account",)),
        Column("balance", "Balance", "money", "Balance the plan covers.", required=True),
        Column("down_payment", "Down payment", "money", "Paid at signing."),
        Column("installments", "Installments", "int", "Number of installments.",
               required=True, aliases=("number of installments", "payments")),
        Column("frequency", "Frequency", "enum", "weekly, biweekly or monthly.",
               choices=("weekly", "biweekly", "monthly")),
        Column("start_date", "Start date", "date", "First installment due.", required=True,
               aliases=("start", "first due")),
    ),
    sheet_aliases=("Payment Plan", "Plans"),
    optional=True,
))

DISPUTES = register_table(TableSchema(
    "Disputes",
    "Optional: balances a patient disputes; no statement is sent for them while open.",
    columns=(
        Column("patient", "Account #", "id", "Patient account number.", required=True,
               aliases=("account",)),
        Column("claim_id", "Claim ID", "id", "Disputed claim (blank: all of the patient's).",
               aliases=("claim",)),
        Column("reason", "Reason", "text", "What the patient disputes."),
        Column("opened", "Opened", "date", "Date opened."),
        Column("status", "Status", "enum", "open or closed.", choices=("open", "closed")),
    ),
    optional=True,
))

APPOINTMENTS = register_table(TableSchema(
    "Appointments",
    "Optional: upcoming visits to verify insurance for.",
    columns=(
        Column("patient", "Account #", "id", "Patient account number.", required=True,
               aliases=("account",)),
        Column("date", "Date", "date", "Appointment date.", required=True,
               aliases=("appointment date", "visit date")),
        Column("provider_npi", "Provider NPI", "npi", "Rendering provider.",
               aliases=("provider", "npi")),
        Column("planned_codes", "Planned codes", "text",
               "Procedure codes planned, separated by commas.",
               aliases=("codes", "planned cpt", "procedures")),
        Column("prior_auth", "Prior auth #", "id",
               "Authorization number when the payer requires one for a planned code.",
               aliases=("prior authorization", "authorization", "auth", "auth number")),
    ),
    optional=True,
))
