"""``streammesh products``: publish, discover and manage the lifecycle of data products."""

from __future__ import annotations

from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from streammesh.cli.app import app, err, open_mesh, out
from streammesh.cli.render import product_table, product_view, search_view, violations_table
from streammesh.contracts.loader import dump_contract, load_contract
from streammesh.governance import PolicyViolationError
from streammesh.quality.health import RATE_WINDOW_S, ProductHealth
from streammesh.schemas import SchemaError, load_schema

__all__ = ["products_app"]

products_app = typer.Typer(help="Publish, find, inspect, deprecate and retire data products.", no_args_is_help=True)
app.add_typer(products_app, name="products")


class ListFormat(str, Enum):
    table = "table"
    json = "json"


class ShowFormat(str, Enum):
    text = "text"
    yaml = "yaml"
    json = "json"


def _print_violations(violations: list, title: str) -> None:
    err.print(violations_table(violations, title))


def _age(seconds: float) -> str:
    """An age as the product page writes it (``4.2 s``, ``3 min``, ``2 h 5 min``, ``1.5 days``)."""
    if seconds < 60:
        return f"{seconds:.{1 if seconds < 10 else 0}f} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h {round((seconds % 3600) / 60)} min"
    return f"{seconds / 86400:.1f} days"


def _health_view(h: ProductHealth) -> Table:
    """The live metrics of the product page, from the same health service, as a terminal table."""
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0), title="health", title_justify="left")
    if h.freshness_seconds is None:
        freshness = "no freshness promise"
    else:
        verdict = "" if h.fresh is None else (": within SLA" if h.fresh else ": [red]LATE[/]")
        freshness = f"SLA freshness {_age(h.freshness_seconds)}{verdict}"
    rows = [
        ("events", f"{h.events:,} retained in the stream"),
        (
            "events / s",
            f"{h.events_per_second:.{2 if h.events_per_second < 10 else 0}f} over the last {RATE_WINDOW_S} s",
        ),
        ("last event", "none yet" if h.age_seconds is None else f"{_age(h.age_seconds)} ago"),
        ("freshness", freshness),
        ("dead letters", f"{h.dead_letters:,}"),
        ("invalid rate", f"{h.invalid_rate * 100:.2f} % (dead letters / all events)"),
    ]
    for k, v in rows:
        table.add_row(f"[bold]{k}[/]", v)
    return table


@products_app.command(epilog="Example: streammesh products publish examples/orders.contract.yaml")
def publish(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Contract YAML file.")],
    draft: Annotated[bool, typer.Option("--draft", help="Save as a draft (not live; policies only warn).")] = False,
) -> None:
    """Publish a data product (or a new version of one) from its contract.

    Every federated policy must pass: all violations are listed at once with their fixes, and
    nothing is published while any fails.
    """
    mesh = open_mesh(ctx)
    contract = load_contract(file)
    try:
        outcome = mesh.publish(contract, draft=draft)
    except PolicyViolationError as e:
        _print_violations(e.violations, f"{contract.name}: {len(e.violations)} policy violation(s)")
        err.print(
            f"[bold red]error:[/] {contract.name} was not published: fix the "
            f"{len(e.violations)} problem(s) above and publish again"
        )
        raise SystemExit(1) from None
    if outcome.warnings:
        _print_violations(outcome.warnings, "saved as draft; these must be fixed before publishing")
    verbs = {"created": "Published", "updated": "Updated", "unchanged": "Unchanged:", "draft": "Saved draft"}
    p = outcome.product
    out.print(
        f"{verbs[outcome.action]} [bold]{p.name}[/] {p.contract.version} ({p.status}), "
        f"stream {p.stream} with {p.contract.partitions} partitions"
    )


@products_app.command(epilog="Example: streammesh products check my.contract.yaml")
def check(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Contract YAML file.")],
) -> None:
    """Check a contract against the mesh's policies without publishing it."""
    contract = load_contract(file)
    violations = open_mesh(ctx).check(contract)
    if violations:
        _print_violations(violations, f"{contract.name}: {len(violations)} policy violation(s)")
        raise SystemExit(1)
    out.print(f"[green]{contract.name} passes every policy[/]: ready to publish")


@products_app.command("list")
def list_products(
    ctx: typer.Context,
    domain: Annotated[str | None, typer.Option(help="Only this domain.")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status: draft, published, deprecated, retired.")] = None,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.table,
) -> None:
    """List data products."""
    products = open_mesh(ctx).products(domain=domain, status=status)
    if format == ListFormat.json:
        for p in products:
            out.out(
                orjson.dumps(
                    {
                        "name": p.name,
                        "status": p.status,
                        "version": p.contract.version,
                        "domain": p.domain,
                        "owner": p.owner,
                    }
                ).decode(),
                highlight=False,
            )
        return
    if not products:
        out.print("No products yet. Publish one with [cyan]streammesh products publish FILE[/]")
        return
    out.print(product_table(products, f"{len(products)} data products"))


@products_app.command(epilog="Example: streammesh products search customer email --tier tier-1")
def search(
    ctx: typer.Context,
    query: Annotated[
        list[str] | None,
        typer.Argument(help="Words to look for (name, description, tags, domain, owner, field names)."),
    ] = None,
    domain: Annotated[list[str] | None, typer.Option(help="Filter: domain (repeatable).")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Filter: tag (repeatable).")] = None,
    tier: Annotated[list[str] | None, typer.Option(help="Filter: SLA tier.")] = None,
    quality: Annotated[list[str] | None, typer.Option(help="Filter: quality level.")] = None,
    status: Annotated[list[str] | None, typer.Option(help="Filter: lifecycle status.")] = None,
    classification: Annotated[list[str] | None, typer.Option(help="Filter: has fields of this classification.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many hits to show.")] = 20,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.table,
) -> None:
    """Search the catalog: ranked hits and facet counts."""
    text = " ".join(query or [])
    result = open_mesh(ctx).search(
        text,
        limit=limit,
        domain=domain or [],
        tag=tag or [],
        tier=tier or [],
        quality=quality or [],
        status=status or [],
        classification=classification or [],
    )
    if format == ListFormat.json:
        out.out(
            orjson.dumps(
                {
                    "total": result.total,
                    "facets": result.facets,
                    "hits": [
                        {
                            "name": h.product.name,
                            "score": round(h.score, 4),
                            "status": h.product.status,
                            "domain": h.product.domain,
                            "owner": h.product.owner,
                        }
                        for h in result.hits
                    ],
                }
            ).decode(),
            highlight=False,
        )
        return
    out.print(search_view(result, text))


@products_app.command(epilog="Example: streammesh products show sales.orders")
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Product name, e.g. sales.orders.")],
    format: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="text, or the contract as yaml/json.")
    ] = ShowFormat.text,
) -> None:
    """Everything about a product: owner, SLA, schema with classifications, health, versions, consumers.

    Health is the product page's live metrics: events, events per second over the last minute,
    the newest event's age against the SLA's freshness, dead letters and the invalid rate.
    """
    mesh = open_mesh(ctx)
    p = mesh.product(name)
    if format == ShowFormat.yaml:
        out.out(dump_contract(p.contract), highlight=False)
        return
    if format == ShowFormat.json:
        out.out(orjson.dumps(p.contract.to_dict(), option=orjson.OPT_INDENT_2).decode(), highlight=False)
        return
    try:
        fields = load_schema(p.contract.schema_).fields
    except SchemaError:
        fields = []
    catalog = mesh.context.catalog
    out.print(product_view(p, fields, mesh.stats(name), catalog.versions(name), catalog.consumers(name)))
    out.print(_health_view(mesh.context.health.of(name)))
    if p.status != "draft":
        out.print(f"schema registry: {mesh.schema_summary(name)}")


@products_app.command(
    epilog="Example: streammesh products deprecate sales.orders --sunset 2027-03-31 --replacement sales.orders.v2"
)
def deprecate(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Product name.")],
    sunset: Annotated[str, typer.Option(help="Date (YYYY-MM-DD) until which the product stays available.")],
    replacement: Annotated[str | None, typer.Option(help="Product consumers should move to.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why, in a sentence.")] = None,
) -> None:
    """Deprecate a product: readers are warned and told the sunset date and replacement."""
    try:
        when = date.fromisoformat(sunset)
    except ValueError:
        raise typer.BadParameter(f"{sunset!r} is not a date; write YYYY-MM-DD", param_hint="--sunset") from None
    mesh = open_mesh(ctx)
    consumers = mesh.context.catalog.consumers(name)
    p = mesh.deprecate(name, sunset=when, replacement=replacement, reason=reason)
    out.print(f"Deprecated [bold]{p.name}[/]; sunset {when}" + (f", replacement {replacement}" if replacement else ""))
    if consumers:
        out.print(f"Tell its {len(consumers)} consumer group(s): " + ", ".join(c.group for c in consumers))


@products_app.command(epilog="Example: streammesh products retire sales.orders")
def retire(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Product name.")],
    force: Annotated[bool, typer.Option("--force", help="Retire before the sunset date.")] = False,
) -> None:
    """Retire a deprecated product: it accepts no more writes; its history stays readable."""
    p = open_mesh(ctx).retire(name, force=force)
    out.print(f"Retired [bold]{p.name}[/]: it accepts no more writes")
