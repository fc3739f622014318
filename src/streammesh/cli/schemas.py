"""``streammesh schemas`` and ``streammesh products evolve``: safe schema change."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from streammesh.catalog.evolution import SchemaChange
from streammesh.cli.app import app, err, open_mesh, out
from streammesh.cli.products import products_app
from streammesh.contracts.loader import load_contract
from streammesh.contracts.model import Contract
from streammesh.exceptions import ValidationError

__all__ = ["schemas_app"]

schemas_app = typer.Typer(help="Inspect registered schemas and check schema changes.", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")

_SCHEMA_SUFFIXES = {".avsc": "avro", ".proto": "protobuf", ".json": "json-schema"}


def _proposed(mesh: Any, name: str, file: Path) -> Contract:
    """The product's contract with the schema from ``file`` (a contract YAML or a bare schema file)."""
    if not file.is_file():
        raise ValidationError(f"no such file: {file}")
    if file.suffix.lower() in (".yaml", ".yml"):
        return load_contract(file)
    fmt = _SCHEMA_SUFFIXES.get(file.suffix.lower())
    if fmt is None:
        raise ValidationError(f"{file}: expected a contract (.yaml) or a schema file ({', '.join(_SCHEMA_SUFFIXES)})")
    text = file.read_text()
    if fmt == "protobuf":
        definition: Any = text
    else:
        try:
            definition = orjson.loads(text)
        except orjson.JSONDecodeError as e:
            raise ValidationError(f"{file} is not valid JSON: {e}") from None
    current = mesh.product(name).contract
    schema = current.schema_.model_copy(update={"format": fmt, "definition": definition, "file": None})
    return current.model_copy(update={"schema_": schema})


def _show_change(change: SchemaChange) -> None:
    if change.compatible:
        out.print(f"[green]compatible[/]: the new schema of {change.product} passes {change.level}")
        return
    table = Table(
        "field", "old", "new", "rule", "why", title=f"{change.product}: not {change.level} compatible", show_lines=True
    )
    for i in change.issues:
        table.add_row(
            escape(i.path or "$"), escape(str(i.old or "")), escape(str(i.new or "")), i.rule, escape(i.message)
        )
    err.print(table)
    if change.impacted:
        who = Table("consumer group", "affected fields it reads", title="impacted consumers")
        for x in change.impacted:
            who.add_row(x.group, ", ".join(x.fields))
        err.print(who)
    else:
        err.print("No registered consumer reads the affected fields.")
    if change.derived:
        err.print("Derived products reading them (their SQL may break): " + ", ".join(change.derived))


@schemas_app.command("check", epilog="Example: streammesh schemas check sales.orders orders-v2.contract.yaml")
def check(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Published product.")],
    file: Annotated[Path, typer.Argument(help="New contract (.yaml) or schema file (.avsc, .json, .proto).")],
) -> None:
    """Say whether a new schema is compatible with a product's, explain every incompatibility and
    list the consumers that read the affected fields. Exits 1 when incompatible."""
    mesh = open_mesh(ctx)
    change = mesh.assess(name, _proposed(mesh, name, file))
    _show_change(change)
    if not change.compatible:
        raise SystemExit(1)


@schemas_app.command("list")
def list_subjects(ctx: typer.Context) -> None:
    """List registry subjects with their latest version and schema id."""
    registry = open_mesh(ctx).registry
    table = Table("subject", "versions", "latest id", "format", "compatibility", title="schema registry subjects")
    for subject in registry.subjects():
        latest = registry.latest(subject)
        table.add_row(
            subject,
            str(len(registry.versions(subject))),
            str(latest.schema.id if latest else ""),
            latest.schema.format if latest else "",
            registry.compatibility(subject),
        )
    out.print(table)


@products_app.command(
    "evolve", epilog="Example: streammesh products evolve sales.orders orders-v2.contract.yaml --sunset 2027-03-31"
)
def evolve(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Published product to change.")],
    file: Annotated[Path, typer.Argument(help="The new contract (.yaml).")],
    sunset: Annotated[
        str | None,
        typer.Option(help="For a new major version: when the old stream retires (YYYY-MM-DD, default in 90 days)."),
    ] = None,
) -> None:
    """Change a product's contract. A compatible change updates it in place; an incompatible one is
    refused unless the contract raises the major version, which releases it as a new stream
    (NAME.vN) beside the old one, deprecates the old one and shows its consumers how to move."""
    when = None
    if sunset:
        try:
            when = date.fromisoformat(sunset)
        except ValueError:
            raise typer.BadParameter(f"{sunset!r} is not a date; write YYYY-MM-DD", param_hint="--sunset") from None
    mesh = open_mesh(ctx)
    outcome = mesh.evolve(name, _proposed(mesh, name, file), sunset=when)
    p = outcome.product
    if outcome.action == "unchanged":
        out.print(f"Unchanged: {name} already has this contract")
    elif outcome.action == "updated":
        out.print(
            f"Updated [bold]{name}[/] to {p.contract.version}: the schema change is compatible ({outcome.change.level})"
        )
    else:
        _show_change(outcome.change)
        old = outcome.previous
        sunset_text = old.contract.deprecation.sunset if old and old.contract.deprecation else "?"
        out.print(
            f"Released [bold]{p.name}[/] {p.contract.version} beside {name}; {name} is deprecated until {sunset_text}."
        )
        consumers = mesh.store.list_consumers(name)
        if consumers:
            out.print("Consumers to move: " + ", ".join(c.group for c in consumers))
        out.print(
            f"How to move: read [cyan]{p.name}[/] instead of {name} (e.g. streammesh consume {p.name} "
            f"--from-beginning --group <your group>), adapting to the changes above."
        )
