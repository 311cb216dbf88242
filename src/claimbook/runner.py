"""Run ClaimBook on a workbook file: read, run the stages, write the results, audit.

`run_workbook` is what `claimbook run` calls; the other commands call it with `only=` a few
stages. The Excel jobs use the same pipeline on tables read through xlwings.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import claimbook
from claimbook.book import Book, as_date
from claimbook.io.reader import check_not_locked, read_book
from claimbook.io.writer import update_in_place, write_results
from claimbook.ledger import Ledger, open_ledger
from claimbook.pipeline import RunContext, run_stages, stages
from claimbook.results import ResultSheet, Section

# Result sheets in the order a coordinator reads them; others follow in stage order.
SHEET_ORDER = ["Summary", "Claim Status", "Findings", "Batches", "Exceptions", "Payments",
               "Provider Adjustments", "Aging Summary", "Aging", "Aging Reconciliation",
               "Dashboard", "Eligibility", "Statements", "Plan Schedule"]


@dataclass
class RunReport:
    workbook: Path
    output: Path | None
    as_of: pd.Timestamp
    ctx: RunContext
    seconds: dict[str, float] = field(default_factory=dict)
    backup: Path | None = None

    @property
    def findings(self) -> pd.DataFrame:
        return self.ctx.all_findings()


def default_output(workbook: Path) -> Path:
    return workbook.with_name(f"{workbook.stem}-results.xlsx")


def make_context(book: Book, *, workbook: Path | None, as_of: Any, ledger: Ledger | None,
                 out_dir: Path | None, options: dict[str, Any] | None = None) -> RunContext:
    return RunContext(book=book, as_of=as_of_ts(as_of), ledger=ledger, workbook_path=workbook,
                      out_dir=out_dir, options=dict(options or {}))


def as_of_ts(value: Any) -> pd.Timestamp:
    if isinstance(value, str):
        try:
            return pd.Timestamp(dt.date.fromisoformat(value))
        except ValueError:
            from claimbook.errors import ClaimBookError

            raise ClaimBookError(f"The as-of date '{value}' is not a date.",
                                 "Write it as YYYY-MM-DD, e.g. 2026-11-30.") from None
    return as_date(value)


def run_workbook(path: str | os.PathLike, *, out: str | os.PathLike | None = None,
                 as_of: Any = None, ledger: str | os.PathLike | None = None,
                 in_place: bool = False, only: set[str] | None = None,
                 options: dict[str, Any] | None = None, write: bool = True,
                 progress: Callable[[str, int, int], None] | None = None,
                 command: str = "run") -> RunReport:
    """Read `path`, run the stages (all, or `only`), write the results and audit the run."""
    wb = Path(path)
    seconds: dict[str, float] = {}
    selected = [s for s in stages() if only is None or s.name in only]
    total = len(selected) + 2
    step = 0

    def tick(label: str) -> None:
        nonlocal step
        if progress:
            progress(label, step, total)
        step += 1

    output = None if in_place else Path(out) if out else default_output(wb)
    if write and output is not None and output.resolve() == wb.resolve():
        from claimbook.errors import WorkbookError

        # refused before any work is done (write_results would refuse it at the end)
        raise WorkbookError(f"The results file {output.name} would overwrite the input "
                            "workbook.", "Choose another --out file name.")
    tick("read workbook")
    t0 = time.perf_counter()
    if in_place:
        check_not_locked(wb)
    book = read_book(wb)
    seconds["read"] = time.perf_counter() - t0
    opts = dict(options or {})
    if output is not None:
        rel = os.path.relpath(wb.resolve(), output.resolve().parent)
        opts.setdefault("link_prefix", f"{Path(rel).as_posix()}#")
    else:
        opts.setdefault("link_prefix", "#")
    lg = open_ledger(wb, ledger)
    try:
        ctx = make_context(book, workbook=wb, as_of=as_of, ledger=lg,
                           out_dir=(output.parent if output else wb.parent), options=opts)
        for st in selected:
            tick(st.name)
            t = time.perf_counter()
            run_stages(ctx, only={st.name})
            seconds[st.name] = time.perf_counter() - t
        ctx.add_sheet(summary_sheet(ctx, wb, seconds))
        tick("write results")
        backup = None
        t = time.perf_counter()
        if write:
            sheets = ordered_sheets(ctx.results)
            if in_place:
                backup = update_in_place(wb, sheets)
            else:
                write_results(output, sheets, protect=[wb])
        seconds["write"] = time.perf_counter() - t
        f = ctx.all_findings()
        counts = {
            "lines": int(len(book.get("Claims"))),
            "claims": int(book.get("Claims")["claim_id"].nunique()),
            "errors": int((f["severity"] == "error").sum()),
            "warnings": int((f["severity"] == "warning").sum()),
            "infos": int((f["severity"] == "info").sum()),
            "stage_failures": len(ctx.errors),
        }
        counts.update({k: v for k, v in ctx.summary.items() if isinstance(v, int | float)})
        lg.audit(command, wb, counts, outcome="ok" if not ctx.errors else "partial")
    except Exception:
        try:
            lg.audit(command, wb, {}, outcome="failed")
        finally:
            lg.close()
        raise
    lg.close()
    return RunReport(wb, output, ctx.as_of, ctx, seconds, backup)


def ordered_sheets(results: dict[str, ResultSheet]) -> list[ResultSheet]:
    rank = {n: i for i, n in enumerate(SHEET_ORDER)}
    names = sorted(results, key=lambda n: (rank.get(n, len(rank)), list(results).index(n)))
    return [results[n] for n in names]


def summary_sheet(ctx: RunContext, workbook: Path, seconds: dict[str, float]) -> ResultSheet:
    f = ctx.all_findings()
    claims = ctx.book.get("Claims")
    rows: list[tuple[str, Any]] = [
        ("Workbook", workbook.name),
        ("As of", ctx.as_of.date().isoformat()),
        ("Run at", dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
        ("ClaimBook version", claimbook.__version__),
        ("Service lines read", int(len(claims))),
        ("Claims read", int(claims["claim_id"].nunique())),
        ("Findings: errors", int((f["severity"] == "error").sum())),
        ("Findings: warnings", int((f["severity"] == "warning").sum())),
        ("Findings: info", int((f["severity"] == "info").sum())),
    ]
    for k, v in ctx.summary.items():
        rows.append((str(k), v if isinstance(v, int | float | str) else str(v)))
    frame = pd.DataFrame(rows, columns=["Item", "Value"])
    frame["Value"] = frame["Value"].astype(object)
    sections = [Section(frame, title="This run")]
    if ctx.errors:
        sections.append(Section(pd.DataFrame(ctx.errors, columns=["Step", "Problem"]),
                                title="Steps that could not finish"))
    timing = pd.DataFrame([(k, round(v, 3)) for k, v in seconds.items()],
                          columns=["Step", "Seconds"])
    sections.append(Section(timing, title="Timing", formats={"Seconds": "number"}))
    return ResultSheet("Summary", sections,
                       intro=["ClaimBook results",
                              f"Results for {workbook.name}. ClaimBook never changes your "
                              "input sheets; these sheets are replaced on every run."])
