"""The ledger: the little state that must outlive a workbook, in one SQLite file.

It holds the audit trail (each run: time, user, command, workbook name, counts; never patient
data), X12 control numbers, claim batches and submissions, posted remittances and payments,
provider-level adjustments, remittance imbalances and statement runs. Its schema is versioned: each migration is
applied once, in order, and recorded in `schema_migrations`.

Location: `--ledger PATH`, else the environment variable CLAIMBOOK_LEDGER, else
`claimbook-ledger.sqlite` beside the workbook.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LEDGER_NAME = "claimbook-ledger.sqlite"

# (version, name, sql). Append only: never edit a shipped migration, add a new one.
MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "audit and counters", """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            command TEXT NOT NULL,
            workbook TEXT,
            counts TEXT NOT NULL DEFAULT '{}',
            outcome TEXT NOT NULL DEFAULT 'ok'
        );
        CREATE TABLE counters (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
    """),
    (2, "claim batches and submissions", """
        CREATE TABLE batches (
            batch_id TEXT PRIMARY KEY,
            file TEXT NOT NULL,
            payer_id TEXT NOT NULL,
            billing_npi TEXT NOT NULL,
            claims INTEGER NOT NULL,
            lines INTEGER NOT NULL,
            total_charge_cents INTEGER NOT NULL,
            isa13 INTEGER NOT NULL UNIQUE,
            gs06 INTEGER NOT NULL,
            st02_first INTEGER NOT NULL,
            st02_last INTEGER NOT NULL,
            usage TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        );
        CREATE TABLE submissions (
            claim_id TEXT NOT NULL,
            batch_id TEXT NOT NULL REFERENCES batches(batch_id),
            payer_id TEXT NOT NULL,
            patient TEXT NOT NULL,
            frequency TEXT NOT NULL DEFAULT '1',
            total_charge_cents INTEGER NOT NULL,
            first_dos TEXT,
            submitted_at TEXT NOT NULL,
            PRIMARY KEY (claim_id, batch_id)
        );
        CREATE INDEX submissions_claim ON submissions(claim_id);
        CREATE TABLE submitted_lines (
            claim_id TEXT NOT NULL,
            batch_id TEXT NOT NULL,
            line_no INTEGER NOT NULL,
            line_control TEXT NOT NULL UNIQUE,
            patient TEXT NOT NULL,
            dos TEXT NOT NULL,
            code TEXT NOT NULL,
            modifiers TEXT NOT NULL DEFAULT '',
            charge_cents INTEGER NOT NULL,
            units REAL NOT NULL DEFAULT 1
        );
        CREATE INDEX submitted_lines_key ON submitted_lines(patient, dos, code, modifiers);
    """),
    (3, "remittances and postings", """
        CREATE TABLE remittances (
            remit_id INTEGER PRIMARY KEY AUTOINCREMENT,
            payer_key TEXT NOT NULL,
            payer_name TEXT,
            trace TEXT NOT NULL,
            paid_cents INTEGER NOT NULL,
            payment_method TEXT,
            payment_date TEXT,
            file TEXT,
            file_sha256 TEXT,
            posted_at TEXT NOT NULL,
            posted_by TEXT NOT NULL,
            UNIQUE (payer_key, trace, paid_cents)
        );
        CREATE TABLE claim_payments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            remit_id INTEGER NOT NULL REFERENCES remittances(remit_id),
            claim_id TEXT,
            remit_claim_id TEXT NOT NULL,
            status TEXT NOT NULL,
            payer_claim_number TEXT,
            charge_cents INTEGER NOT NULL,
            paid_cents INTEGER NOT NULL,
            patient_resp_cents INTEGER NOT NULL,
            matched_by TEXT,
            posted_at TEXT NOT NULL
        );
        CREATE INDEX claim_payments_claim ON claim_payments(claim_id);
        CREATE TABLE line_payments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            claim_payment_id INTEGER NOT NULL REFERENCES claim_payments(id),
            claim_id TEXT,
            line_no INTEGER,
            line_control TEXT,
            code TEXT,
            modifiers TEXT,
            dos TEXT,
            charge_cents INTEGER NOT NULL,
            allowed_cents INTEGER,
            paid_cents INTEGER NOT NULL,
            contractual_cents INTEGER NOT NULL DEFAULT 0,
            deductible_cents INTEGER NOT NULL DEFAULT 0,
            coinsurance_cents INTEGER NOT NULL DEFAULT 0,
            copay_cents INTEGER NOT NULL DEFAULT 0,
            other_pr_cents INTEGER NOT NULL DEFAULT 0,
            other_adj_cents INTEGER NOT NULL DEFAULT 0,
            carc TEXT,
            rarc TEXT,
            matched_by TEXT
        );
        CREATE INDEX line_payments_claim ON line_payments(claim_id, line_no);
        CREATE TABLE provider_adjustments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            remit_id INTEGER NOT NULL REFERENCES remittances(remit_id),
            provider_id TEXT,
            fiscal_period TEXT,
            reason TEXT NOT NULL,
            reference TEXT,
            amount_cents INTEGER NOT NULL
        );
    """),
    (4, "patient billing", """
        CREATE TABLE statement_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            workbook TEXT,
            statements INTEGER NOT NULL,
            total_due_cents INTEGER NOT NULL,
            files TEXT NOT NULL DEFAULT '[]'
        );
    """),
    (20, "remittance adjustment detail and reversals", """
        ALTER TABLE claim_payments ADD COLUMN reversed_by INTEGER;
        ALTER TABLE claim_payments ADD COLUMN payer_id TEXT;
        ALTER TABLE claim_payments ADD COLUMN remarks TEXT;
        ALTER TABLE line_payments ADD COLUMN units REAL;
        CREATE TABLE payment_adjustments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            claim_payment_id INTEGER NOT NULL REFERENCES claim_payments(id),
            line_payment_id INTEGER REFERENCES line_payments(id),
            group_code TEXT NOT NULL,
            reason TEXT NOT NULL,
            amount_cents INTEGER NOT NULL,
            quantity REAL
        );
        CREATE INDEX payment_adjustments_claim ON payment_adjustments(claim_payment_id);
    """),
    (21, "remittance imbalances", """
        CREATE TABLE remittance_imbalances (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            remit_id INTEGER NOT NULL REFERENCES remittances(remit_id),
            level TEXT NOT NULL,
            claim_payment_id INTEGER REFERENCES claim_payments(id),
            line_payment_id INTEGER REFERENCES line_payments(id),
            segment INTEGER NOT NULL,
            expected_cents INTEGER NOT NULL,
            found_cents INTEGER NOT NULL,
            message TEXT NOT NULL
        );
        CREATE INDEX remittance_imbalances_remit ON remittance_imbalances(remit_id);
    """),
]


def resolve_path(workbook: str | os.PathLike | None = None,
                 ledger: str | os.PathLike | None = None) -> Path:
    """Where the ledger lives: explicit path, then CLAIMBOOK_LEDGER, then beside the workbook."""
    if ledger:
        return Path(ledger)
    env = os.environ.get("CLAIMBOOK_LEDGER")
    if env:
        return Path(env)
    if workbook:
        return Path(workbook).resolve().parent / LEDGER_NAME
    return Path.cwd() / LEDGER_NAME


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "unknown"


class Ledger:
    """A connection to the ledger file with its schema brought up to date."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.migrate()

    # -- schema -------------------------------------------------------------------------
    def migrate(self) -> None:
        c = self.conn
        c.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                  "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        done = {r[0] for r in c.execute("SELECT version FROM schema_migrations")}
        for version, name, sql in sorted(MIGRATIONS):
            if version in done:
                continue
            with self.transaction():
                for stmt in [s for s in sql.split(";") if s.strip()]:
                    c.execute(stmt)
                c.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                          (version, name, now_iso()))

    @property
    def schema_version(self) -> int:
        row = self.conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # -- counters (X12 control numbers, line control numbers) ---------------------------
    def next_numbers(self, name: str, count: int = 1, start: int = 1) -> list[int]:
        """Reserve `count` increasing numbers of counter `name`; never handed out twice.

        Call inside a transaction to tie the reservation to what uses it.
        """
        c = self.conn
        own = not c.in_transaction
        if own:
            c.execute("BEGIN IMMEDIATE")
        try:
            row = c.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
            first = (row[0] + 1) if row else start
            last = first + count - 1
            c.execute("INSERT INTO counters(name, value) VALUES (?, ?) "
                      "ON CONFLICT(name) DO UPDATE SET value = excluded.value", (name, last))
            if own:
                c.execute("COMMIT")
        except BaseException:
            if own:
                c.execute("ROLLBACK")
            raise
        return list(range(first, last + 1))

    def peek(self, name: str) -> int:
        row = self.conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else 0

    # -- audit ----------------------------------------------------------------------------
    def audit(self, command: str, workbook: str | os.PathLike | None, counts: dict,
              outcome: str = "ok") -> None:
        """Record a run. `counts` holds numbers only; the workbook is recorded by file name."""
        safe = {str(k): v for k, v in counts.items() if isinstance(v, int | float)}
        self.conn.execute(
            "INSERT INTO audit(at, user, command, workbook, counts, outcome) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (now_iso(), current_user(), command, Path(workbook).name if workbook else None,
             json.dumps(safe, sort_keys=True), outcome))

    def audit_rows(self) -> list[dict]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM audit ORDER BY id")]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_ledger(workbook: str | os.PathLike | None = None,
                ledger: str | os.PathLike | None = None) -> Ledger:
    return Ledger(resolve_path(workbook, ledger))
