"""Errors a coordinator sees: each says what is wrong, where, and how to fix it."""

from __future__ import annotations


class ClaimBookError(Exception):
    """A problem the user can fix; the CLI prints it without a traceback (exit code 2)."""

    def __init__(self, message: str, fix: str = ""):
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} {self.fix}".strip()


class WorkbookError(ClaimBookError):
    """The workbook cannot be used: missing sheet or column, unreadable file."""


class WorkbookLockedError(ClaimBookError):
    """The workbook is open in Excel (its ~$ lock file exists)."""


class X12Error(ClaimBookError):
    """A malformed X12 file: names the segment number and what was expected."""
