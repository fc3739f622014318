"""``streammesh`` console script: wires the command modules onto the root app."""

from __future__ import annotations

from streammesh.cli import demo, events, products, setup, teams  # noqa: F401 - registers commands
from streammesh.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    app()


if __name__ == "__main__":
    main()
