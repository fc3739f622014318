"""``streammesh`` console script: wires the command modules onto the root app."""

from __future__ import annotations

from streammesh.cli import apps, demo, events, lineage, migrate, products, schemas, setup, sql, streams, teams  # noqa: F401 - registration order = help order
from streammesh.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    app()


if __name__ == "__main__":
    main()
