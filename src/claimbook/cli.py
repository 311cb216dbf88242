"""The `claimbook` command line. Commands live in claimbook.commands (one module each)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

app = typer.Typer(
    name="claimbook",
    help="ClaimBook: validate codes, scrub claims, build 837P batches and reconcile 835 "
    "remittances in your clinic workbook.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    import claimbook.commands as pkg

    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        m = importlib.import_module(f"{pkg.__name__}.{mod.name}")
        register = getattr(m, "register", None)
        if register:
            register(app)


_register_commands()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
