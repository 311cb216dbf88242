"""`claimbook run`: every capability, in order, over one workbook.

Capabilities plug in as stages: each module in `claimbook.stages` defines
`STAGE = Stage(name, order, run)`, where `run(ctx)` reads `ctx.book`, may use `ctx.ledger`,
and adds result sheets, findings and summary counts to the context. A stage that fails is
reported in the summary and the other stages still run.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from claimbook import findings as F
from claimbook.book import Book
from claimbook.ledger import Ledger
from claimbook.results import ResultSheet

log = logging.getLogger(__name__)


@dataclass
class RunContext:
    book: Book
    as_of: pd.Timestamp
    ledger: Ledger | None = None
    workbook_path: Path | None = None
    out_dir: Path | None = None  # where files (batches, statements) go
    options: dict[str, Any] = field(default_factory=dict)
    results: dict[str, ResultSheet] = field(default_factory=dict)
    findings: list[pd.DataFrame] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)  # label -> number or short text
    state: dict[str, Any] = field(default_factory=dict)  # data passed between stages
    errors: list[tuple[str, str]] = field(default_factory=list)  # (stage, message)
    finished: set[str] = field(default_factory=set)  # stages that ran to the end

    def add_sheet(self, sheet: ResultSheet) -> None:
        self.results[sheet.name] = sheet

    def all_findings(self) -> pd.DataFrame:
        """Reader findings plus every stage's, with RuleSettings applied, in stable order."""
        f = F.concat([self.book.findings, *self.findings])
        settings = self.book.tables.get("RuleSettings")
        return F.sort(F.apply_settings(f, settings, self.book.sheet("RuleSettings")))


@dataclass(frozen=True)
class Stage:
    name: str
    order: int
    run: Callable[[RunContext], None]
    description: str = ""


def stages() -> list[Stage]:
    import claimbook.stages as pkg

    found = []
    for mod in pkgutil.iter_modules(pkg.__path__):
        m = importlib.import_module(f"{pkg.__name__}.{mod.name}")
        st = getattr(m, "STAGE", None)
        if isinstance(st, Stage):
            found.append(st)
    return sorted(found, key=lambda s: (s.order, s.name))


def run_stages(ctx: RunContext, only: set[str] | None = None,
               progress: Callable[[str], None] | None = None) -> RunContext:
    """Run the stages in order; a failing stage is recorded and the others go on."""
    for st in stages():
        if only is not None and st.name not in only:
            continue
        if progress:
            progress(st.name)
        try:
            st.run(ctx)
        except Exception as exc:  # noqa: BLE001 - one broken stage must not stop the run
            log.debug("stage %s failed: %s", st.name, traceback.format_exc())
            ctx.errors.append((st.name, f"{type(exc).__name__}: {exc}"))
        else:
            ctx.finished.add(st.name)
    return ctx
