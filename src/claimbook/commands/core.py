"""`claimbook demo`, `claimbook new` and `claimbook run`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from claimbook.errors import ClaimBookError

console = Console()
err = Console(stderr=True)


def fail(exc: ClaimBookError) -> None:
    err.print(f"[bold red]Error:[/] {exc.message}")
    if exc.fix:
        err.print(f"[bold]What to do:[/] {exc.fix}")
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        out: Path = typer.Option(Path("demo"), "--out", help="Folder for the demo clinic "
                                 "(created if needed; must not be a file)."),
        claims: int = typer.Option(2000, "--claims", min=1,
                                   help="Number of claims to generate (at least 1)."),
        seed: int = typer.Option(42, "--seed", min=0, help="Random seed: the same seed and as-of "
                                 "date give the same clinic."),
        as_of: str = typer.Option(None, "--as-of", help="Date the demo is anchored to "
                                  "(YYYY-MM-DD, default today: another day gives another "
                                  "clinic for the same seed)."),
        clean: bool = typer.Option(False, "--clean", help="No seeded defects."),
        fast: bool = typer.Option(False, "--fast-format", help="Write the tables as a pickle "
                                  "instead of xlsx (benchmarks at 1M lines)."),
    ) -> None:
        """Write a synthetic demo clinic workbook with seeded defects and an answer key.

        The clinic is deterministic for a seed and as-of date (--as-of defaults to today)."""
        from claimbook.demo import generate

        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError:
            fail(ClaimBookError(f"--as-of '{as_of}' is not a date.", "Use YYYY-MM-DD."))
        _check_demo_folder(out)
        try:
            with console.status("Generating the demo clinic..."):
                r = generate(out, claims=claims, seed=seed, defects=not clean, as_of=day,
                             xlsx=not fast)
        except OSError as exc:
            fail(ClaimBookError(f"The demo cannot be written to {out} ({exc.strerror or exc}).",
                                "Choose another folder with --out."))
        console.print(f"Demo clinic: [bold]{r.workbook if not fast else r.tables_pickle}[/] "
                      f"({r.claims:,} claims, {r.lines:,} service lines, as of {r.as_of})")
        console.print(f"Answer key of seeded defects: {r.answer_key}")
        if r.remits:
            console.print(f"Demo remittances (835): {len(r.remits)} files in {r.remits[0].parent}")
        if not fast:
            console.print(f"Next: [bold]claimbook run {r.workbook}[/]")

    def _check_demo_folder(out: Path) -> None:
        blocker = next((p for p in (out, *out.parents) if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            fail(ClaimBookError(f"--out {out}: {blocker} is a file, not a folder.",
                                "Give a folder for the demo clinic (it is created if needed), "
                                "e.g. --out demo."))

    @app.command()
    def new(file: Path = typer.Argument(..., help="Workbook to create (.xlsx)."),
            force: bool = typer.Option(False, "--force", help="Replace an existing file "
                                       "(a backup is kept).")) -> None:
        """Write an empty clinic workbook with every table, header and format."""
        from claimbook.io.writer import backup
        from claimbook.template import build_template

        if file.exists():
            if not force:
                fail(ClaimBookError(f"{file} already exists.",
                                    "Choose another name, or add --force (a backup is kept)."))
            b = backup(file)
            console.print(f"Backup of the old file: {b}")
        build_template(file)
        console.print(f"Empty clinic workbook written: [bold]{file}[/]")

    @app.command()
    def run(
        workbook: Path = typer.Argument(..., help="The clinic workbook (.xlsx/.xlsm)."),
        out: Path = typer.Option(None, "--out", help="Results workbook (default: "
                                 "<workbook>-results.xlsx beside it)."),
        as_of: str = typer.Option(None, "--as-of", help="As-of date YYYY-MM-DD (default "
                                  "today)."),
        ledger: Path = typer.Option(None, "--ledger", help="Ledger file (default: "
                                    "$CLAIMBOOK_LEDGER or claimbook-ledger.sqlite beside the "
                                    "workbook)."),
        in_place: bool = typer.Option(False, "--in-place", help="Write the result sheets into "
                                      "the workbook itself (a timestamped backup is kept)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Build batches in a temporary "
                                     "folder without recording them in the ledger."),
        include_warnings: bool = typer.Option(False, "--include-warnings", help="Also send "
                                              "claims whose worst finding is a warning."),
    ) -> None:
        """Run every capability on a workbook and write the results workbook."""
        from claimbook.runner import run_workbook

        options = {"dry_run": dry_run, "include_warnings": include_warnings}
        try:
            with Progress(TextColumn("[bold]{task.description:<24}"), BarColumn(),
                          TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                          console=console, transient=False,
                          disable=not sys.stdout.isatty() and False) as bar:
                task = bar.add_task("starting", total=1)

                def progress(label: str, step: int, total: int) -> None:
                    bar.update(task, description=label, completed=step, total=total)

                report = run_workbook(workbook, out=out, as_of=as_of, ledger=ledger,
                                      in_place=in_place, options=options, progress=progress)
                bar.update(task, description="done", completed=bar.tasks[0].total)
        except ClaimBookError as exc:
            fail(exc)
        print_summary(report)

    def print_summary(report) -> None:  # noqa: ANN001
        f = report.findings
        t = Table(title=f"ClaimBook run on {report.workbook.name} (as of "
                  f"{report.as_of.date()})")
        t.add_column("Item")
        t.add_column("Value", justify="right")
        claims = report.ctx.book.get("Claims")
        t.add_row("Service lines", f"{len(claims):,}")
        t.add_row("Claims", f"{claims['claim_id'].nunique():,}")
        for sev in ("error", "warning", "info"):
            t.add_row(f"Findings: {sev}", f"{int((f['severity'] == sev).sum()):,}")
        for k, v in report.ctx.summary.items():
            t.add_row(str(k), f"{v:,}" if isinstance(v, int) else
                      f"{v:,.2f}" if isinstance(v, float) else str(v))
        console.print(t)
        for stage, problem in report.ctx.errors:
            err.print(f"[yellow]Step '{stage}' could not finish:[/] {problem}")
        if report.output:
            console.print(f"Results workbook: [bold]{report.output}[/]")
        if report.backup:
            console.print(f"Updated in place; backup: {report.backup}")
