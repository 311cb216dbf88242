"""ClaimBook jobs behind the workbook's buttons and ribbon (xlwings RunPython).

Each job reads the open workbook's sheets as 2-D lists through xlwings, hands them to the
engine's reader (`read_book_from_values`, the same normalisation as `claimbook run` on a
file), runs the same pipeline stages the command line runs, writes the ClaimBook-owned result
sheets back (addin.xl_writer), selects the Findings sheet and shows a short message. A
problem shows a message box saying what to do, never a traceback.

Classic xlwings: the VBA Sub calls
`RunPython("import claimbook_button; claimbook_button.run('scrub_claims')")` (claimbook_button
imports this module inside try/except, so a missing install becomes a message box) and the job
finds the workbook with `xw.Book.caller()` (the active workbook when called from the ClaimBook
add-in). xlwings Lite and tests pass the book: `scrub_claims(book)`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xl_writer
from pydantic import BaseModel

from claimbook.errors import ClaimBookError

log = logging.getLogger("claimbook.excel")
TITLE = "ClaimBook"
CONF_SHEETS = ("xlwings.conf", "claimbook.conf", "_xlwings.conf")


@dataclass(frozen=True)
class Job:
    name: str  # what the button says
    stages: frozenset[str]
    select: tuple[str, ...]  # first of these sheets that exists is shown afterwards
    writes_files: bool = False


JOBS: dict[str, Job] = {
    "validate_codes": Job("Validate codes", frozenset({"validate", "findings"}),
                          ("Findings", "Summary")),
    "scrub_claims": Job("Scrub claims", frozenset({"validate", "scrub", "findings"}),
                        ("Findings", "Claim Status", "Summary")),
    "build_batch": Job("Build batch", frozenset({"validate", "scrub", "findings", "batch"}),
                       ("Batches", "Findings", "Summary"), writes_files=True),
    "reconcile_remittances": Job("Import remittances and reconcile",
                                 frozenset({"reconcile"}),
                                 ("Exceptions", "Payments", "Summary"), writes_files=True),
    "aging_report": Job("Aging report", frozenset({"reconcile", "aging"}),
                        ("Aging Summary", "Aging", "Summary")),
    "dashboard": Job("Dashboard", frozenset({"reconcile", "aging", "dashboard"}),
                     ("Dashboard", "Summary")),
    "statements": Job("Statements", frozenset({"reconcile", "statements", "plans"}),
                      ("Statements", "Summary"), writes_files=True),
    "verify_insurance": Job("Verify insurance", frozenset({"eligibility"}),
                            ("Eligibility", "Summary")),
}


class JobResult(BaseModel):
    """What a job did, for the message box and for tests."""

    job: str
    ok: bool
    message: str
    sheets: list[str] = []
    shown: str | None = None
    counts: dict[str, float] = {}
    seconds: dict[str, float] = {}


# --- workbook access (xlwings objects, or anything with the same small API) -----------------

def caller_book(book: Any = None) -> Any:
    """The workbook to work on: `book` when given (xlwings Lite, tests), else the caller;
    from the ClaimBook add-in (.xlam) that is the active workbook."""
    if book is not None:
        return book
    import xlwings as xw

    b = xw.Book.caller()
    if str(b.name).lower().endswith(".xlam"):
        return xw.books.active
    return b


def sheet_values(sheet: Any) -> list[list[Any]]:
    """A sheet as a 2-D list, row 0 = Excel row 1 and column 0 = column A."""
    last = sheet.used_range.last_cell
    if last.row == 1 and last.column == 1 and sheet.range((1, 1)).value is None:
        return []
    return sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value


def read_sheets(book: Any) -> dict[str, list[list[Any]]]:
    """Every input sheet's values (ClaimBook's own sheets and settings sheets skipped)."""
    out = {}
    for sh in book.sheets:
        if xl_writer.owned(sh.name) or sh.name.lower() in CONF_SHEETS:
            continue
        out[sh.name] = sheet_values(sh)
    return out


def workbook_path(book: Any) -> Path | None:
    """The saved file behind the workbook (None for a new, unsaved or online workbook)."""
    full = str(getattr(book, "fullname", "") or "")
    if not full or "://" in full:
        return None
    p = Path(full)
    return p if p.exists() else None


def alert(book: Any, text: str) -> None:
    try:
        book.app.alert(text, title=TITLE)
    except Exception:  # noqa: BLE001 - no Excel window (tests, server): the result has it
        log.info("%s", text)


# --- running a job ------------------------------------------------------------------------------

def run_job(key: str, book: Any = None, *, as_of: Any = None,
            options: dict[str, Any] | None = None, quiet: bool = False) -> JobResult:
    """Run one job on the open workbook; never raises (a problem becomes the message)."""
    job = JOBS[key]
    wb = None
    try:
        wb = caller_book(book)
        result = _run(job, wb, as_of, options or {})
    except ClaimBookError as exc:
        result = JobResult(job=job.name, ok=False, message=_failed(job, exc.message, exc.fix))
    except Exception as exc:
        log.debug("job %s failed", key, exc_info=True)
        result = JobResult(job=job.name, ok=False, message=_failed(
            job, f"{type(exc).__name__}: {exc}",
            "Save the workbook, then in Command Prompt (Windows) or Terminal (Mac) run  "
            "claimbook run \"<your workbook>\"  to see the details; if it persists, send "
            "this message to your ClaimBook contact."))
    if wb is not None and not quiet:
        alert(wb, result.message)
    return result


def _failed(job: Job, what: str, fix: str) -> str:
    return f"{job.name} could not finish: {what}" + (f"\n\nWhat to do: {fix}" if fix else "")


def _run(job: Job, wb: Any, as_of: Any, options: dict[str, Any]) -> JobResult:
    from claimbook.io.reader import read_book_from_values
    from claimbook.ledger import Ledger, open_ledger
    from claimbook.pipeline import run_stages, stages
    from claimbook.runner import make_context, ordered_sheets, summary_sheet

    seconds: dict[str, float] = {}
    t = time.perf_counter()
    values = read_sheets(wb)
    seconds["read sheets"] = time.perf_counter() - t
    t = time.perf_counter()
    book = read_book_from_values(values, name=str(wb.name))
    path = workbook_path(wb)
    book.path = path
    seconds["read tables"] = time.perf_counter() - t
    if job.writes_files and path is None:
        raise ClaimBookError(
            f"{job.name} writes files next to the workbook, and this workbook has not been "
            "saved to a folder yet.", "Save the workbook (File > Save As) and click again.")
    available = {s.name for s in stages()}
    missing = sorted(job.stages - available - {"findings", "eligibility", "plans"})
    if missing:
        raise ClaimBookError(
            f"this copy of ClaimBook has no '{', '.join(missing)}' step yet.",
            "Install the current ClaimBook from its folder (python -m pip install .), copy "
            "its addin folder, and restart Excel.")
    ledger = open_ledger(path) if path is not None else Ledger(":memory:")
    opts = {"link_prefix": "#", **options}
    try:
        ctx = make_context(book, workbook=path, as_of=as_of, ledger=ledger,
                           out_dir=path.parent if path else None, options=opts)
        t = time.perf_counter()
        run_stages(ctx, only=set(job.stages))
        seconds["engine"] = time.perf_counter() - t
        ctx.add_sheet(summary_sheet(ctx, path or Path(str(wb.name)), seconds))
        t = time.perf_counter()
        inputs = [src.sheet for src in book.sources.values()]
        written = xl_writer.write_results(wb, ordered_sheets(ctx.results), inputs)
        seconds["write sheets"] = time.perf_counter() - t
        f = ctx.all_findings()
        counts = {"lines": float(len(book.get("Claims"))),
                  "errors": float((f["severity"] == "error").sum()),
                  "warnings": float((f["severity"] == "warning").sum()),
                  "infos": float((f["severity"] == "info").sum()),
                  "stage_failures": float(len(ctx.errors))}
        counts.update({str(k): float(v) for k, v in ctx.summary.items()
                       if isinstance(v, int | float) and not isinstance(v, bool)})
        ledger.audit(f"excel:{job.name}", path, counts,
                     outcome="ok" if not ctx.errors else "partial")
    finally:
        ledger.close()
    shown = _select(wb, job.select)
    return JobResult(job=job.name, ok=not ctx.errors, message=_message(job, ctx, counts, shown),
                     sheets=written, shown=shown, counts=counts, seconds=seconds)


def _select(wb: Any, names: Iterable[str]) -> str | None:
    present = {s.name.lower(): s for s in wb.sheets}
    for n in names:
        s = present.get(n.lower())
        if s is not None:
            try:
                s.activate()
            except Exception:  # noqa: BLE001 - showing the sheet is a courtesy
                log.debug("could not activate %s", n)
            return s.name
    return None


def _message(job: Job, ctx: Any, counts: dict[str, float], shown: str | None) -> str:
    lines = [f"{job.name}: done."]
    lines.append(f"{int(counts['lines']):,} service lines read; "
                 f"{int(counts['errors']):,} errors, {int(counts['warnings']):,} warnings.")
    for k, v in ctx.summary.items():
        if isinstance(v, int | float | str) and not isinstance(v, bool):
            lines.append(f"{k}: {v:,}" if isinstance(v, int) else f"{k}: {v}")
    if ctx.errors:
        lines.append("")
        lines.append("Some steps could not finish (see the Summary sheet):")
        lines += [f"- {stage}: {msg}" for stage, msg in ctx.errors]
    if shown:
        lines.append("")
        lines.append(f"See the '{shown}' sheet.")
    return "\n".join(lines[:25])


def _entry(key: str) -> Callable[..., JobResult]:
    def job(book: Any = None, as_of: Any = None) -> JobResult:
        return run_job(key, book, as_of=as_of)

    job.__name__ = key
    job.__doc__ = f"{JOBS[key].name} (button / ribbon)."
    return job


validate_codes = _entry("validate_codes")
scrub_claims = _entry("scrub_claims")
build_batch = _entry("build_batch")
aging_report = _entry("aging_report")
dashboard = _entry("dashboard")
statements = _entry("statements")
verify_insurance = _entry("verify_insurance")


def reconcile_remittances(book: Any = None, files: list[str] | str | None = None,
                          as_of: Any = None) -> JobResult:
    """Import remittances and reconcile: post the chosen 835 files (VBA passes the paths the
    coordinator picked; none: every *.835 in the workbook's remits folder)."""
    if isinstance(files, str):
        files = [f for f in files.split("|") if f]
    opts = {"era_files": list(files)} if files else {}
    return run_job("reconcile_remittances", book, as_of=as_of, options=opts)
