"""What every ClaimBook button calls first: `RunPython "import claimbook_button; ...run('job')"`.

This module needs nothing but the Python standard library (and xlwings, which RunPython itself
imports before it gets here). It imports the real jobs (claimbook_jobs, which needs the
claimbook package, pandas, ...) inside try/except, so when ClaimBook is not installed for the
Python that Excel starts, the coordinator gets a ClaimBook message box with the install steps
instead of xlwings' Python traceback. The job itself never raises (claimbook_jobs.run_job turns
every problem into a message box); anything unexpected here is also shown as a message box.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

TITLE = "ClaimBook"
# What each button says (claimbook_jobs.JOBS has the same names; a test keeps them in step).
BUTTONS = {
    "validate_codes": "Validate codes",
    "scrub_claims": "Scrub claims",
    "build_batch": "Build batch",
    "reconcile_remittances": "Import remittances and reconcile",
    "aging_report": "Aging report",
    "dashboard": "Dashboard",
    "statements": "Statements",
    "verify_insurance": "Verify insurance",
}
ADDIN_DIR = Path(__file__).resolve().parent


def run(job: str, **kwargs: Any) -> Any:
    """Run one button's job; when ClaimBook cannot be imported, say how to install it."""
    name = BUTTONS.get(job, job)
    try:
        import claimbook_jobs
    except ImportError as exc:
        return _tell(install_message(name, exc))
    except Exception as exc:  # noqa: BLE001 - a broken copy must still explain itself
        return _tell(broken_message(name, exc))
    func = getattr(claimbook_jobs, job, None)
    if not callable(func):
        return _tell(f"{name} could not start: this copy of ClaimBook has no '{job}' job.\n\n"
                     "What to do: copy the addin folder of your ClaimBook version again (the "
                     "workbook and the .py files must come from the same version), then click "
                     "again.")
    try:
        return func(**kwargs)
    except Exception as exc:  # noqa: BLE001 - run_job never raises; this is the last guard
        return _tell(f"{name} could not finish: {type(exc).__name__}: {exc}\n\nWhat to do: "
                     "save the workbook, then run  claimbook run <your workbook>  in a "
                     "terminal to see the details; send them to your ClaimBook contact.")


def install_command() -> str:
    """The pip command for the Python Excel started (from the project folder when it is
    next to this file's folder, else the folder or wheel file the coordinator was given)."""
    root = ADDIN_DIR.parent
    target = (f'"{root}"' if (root / "pyproject.toml").exists()
              else '"<the ClaimBook folder or the claimbook-....whl file you were given>"')
    return f'"{sys.executable}" -m pip install {target}'


def install_message(name: str, exc: ImportError) -> str:
    missing = getattr(exc, "name", None) or str(exc)
    if missing in ("claimbook", "claimbook_jobs", "xl_writer", "xl_values"):
        what = ("ClaimBook is not installed for the Python that Excel starts "
                f"({sys.executable})." if missing == "claimbook" else
                f"the ClaimBook file {missing}.py is missing from {ADDIN_DIR}.")
    elif missing.startswith("claimbook."):
        what = (f"the addin files in {ADDIN_DIR} and the claimbook package installed for "
                f"{sys.executable} are different versions ({exc}).")
    else:
        what = (f"a part ClaimBook needs ({missing}) is not installed for the Python that "
                f"Excel starts ({sys.executable}).")
    return (f"{name} could not start: {what}\n\n"
            "What to do:\n"
            "1. Open Command Prompt (Windows) or Terminal (Mac) and run:\n"
            f"   {install_command()}\n"
            "2. If you use a different Python, put its full path in the Interpreter_Win "
            "(Windows) or Interpreter_Mac (Mac) line of the xlwings.conf sheet.\n"
            f"3. The PYTHONPATH line of that sheet must name the folder {ADDIN_DIR} (it holds "
            "claimbook_jobs.py).\n"
            "4. Save the workbook, close Excel, open the workbook again and click the button "
            "again.")


def broken_message(name: str, exc: Exception) -> str:
    return (f"{name} could not start: ClaimBook's Python files did not load "
            f"({type(exc).__name__}: {exc}).\n\n"
            "What to do: install ClaimBook again (in Command Prompt or Terminal run  "
            f"{install_command()} ) and copy the addin folder of the same version; then "
            "restart Excel and click again.")


def _tell(text: str) -> None:
    """Show `text` in an Excel message box; without Excel, on stderr (xlwings shows that)."""
    try:
        import xlwings as xw

        xw.Book.caller().app.alert(text, title=TITLE)
    except Exception:  # noqa: BLE001 - no Excel to show it in: xlwings shows stderr
        print(text, file=sys.stderr)
        raise SystemExit(1) from None
