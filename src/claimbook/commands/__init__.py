"""CLI commands: each module defines `register(app: typer.Typer) -> None`."""
