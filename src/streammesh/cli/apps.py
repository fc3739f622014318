"""``streammesh apps``: deploy streaming-SQL scripts as derived products and run them as worker processes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Column, Table

from streammesh.cli.app import app, err, open_mesh, out
from streammesh.cli.render import violations_table
from streammesh.cli.sql import sql_error
from streammesh.contracts.durations import format_duration
from streammesh.exceptions import ValidationError
from streammesh.governance import PolicyViolationError
from streammesh.model.catalog import App
from streammesh.processing.sql import SqlError

__all__ = ["apps_app"]

apps_app = typer.Typer(
    help="Deploy streaming-SQL apps (derived products) and run, watch and stop them.", no_args_is_help=True
)
app.add_typer(apps_app, name="apps")

_STATUS = {"running": "green", "starting": "cyan", "stopping": "yellow", "stopped": "dim", "failed": "bold red"}


def _status(status: str) -> str:
    return f"[{_STATUS.get(status, 'white')}]{status}[/]"


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"no such file: {file}", hint="pass the path of a .sql script") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ValidationError(f"cannot read {file}: {e}") from None


def _plan(mesh: Any, file: Path, sql: str, owner: str | None, name: str | None) -> tuple[list[Any], str]:
    from streammesh.processing.apps import plan_app_owned

    try:
        return plan_app_owned(mesh, sql, owner=owner, app=name, owner_hint="pass --owner @your-team")
    except SqlError as e:
        raise sql_error(e, source=str(file)) from None


def _app_name(file: Path) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", file.stem.lower()).strip("-_") or "app"


def _policy_failure(e: PolicyViolationError) -> None:
    err.print(violations_table(e.violations, f"{e.product}: {len(e.violations)} policy violation(s)"))
    err.print(f"[bold red]error:[/] nothing was deployed: fix the {len(e.violations)} problem(s) above")
    raise SystemExit(1)


@apps_app.command(epilog="Example: streammesh apps deploy high_value.sql --owner @sales-team")
def deploy(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="SQL script: one or more CREATE STREAM|TABLE … AS SELECT …;")],
    name: Annotated[str | None, typer.Option(help="App name (default: the file name).")] = None,
    owner: Annotated[
        str | None, typer.Option(help="Team owning the derived products (default: the team of their domain).")
    ] = None,
    start: Annotated[bool, typer.Option("--start/--no-start", help="Start the worker now.")] = True,
    instances: Annotated[
        int,
        typer.Option(
            min=1, help="Worker processes sharing the input partitions (Kafka only; the embedded log runs one)."
        ),
    ] = 1,
) -> None:
    """Publish the products a SQL script creates and start a worker that keeps them up to date.

    Schema, key, lineage, SLA and classifications are derived from the SQL and every policy is checked
    before anything is published.
    """
    from streammesh.processing.apps import deploy as deploy_app
    from streammesh.processing.apps import log_path

    mesh = open_mesh(ctx)
    sql = _read(file)
    app_name = name or _app_name(file)
    _, owner = _plan(mesh, file, sql, owner, app_name)
    try:
        deployed = deploy_app(mesh, sql, name=app_name, owner=owner, start=start, instances=instances)
    except SqlError as e:
        raise sql_error(e, source=str(file)) from None
    except PolicyViolationError as e:
        _policy_failure(e)
    out.print(f"Deployed app [bold]{deployed.name}[/] for {deployed.owner}: {', '.join(deployed.products)}")
    if deployed.status == "failed":
        err.print(f"[bold red]error:[/] the worker failed: {escape(deployed.error or 'no report')}")
        err.print(f"[dim]hint: see {log_path(mesh, deployed.name)}[/]")
        raise SystemExit(1)
    if start:
        many = f"{instances} instances, first " if instances > 1 else ""
        out.print(
            f"Worker {_status(deployed.status)} ({many}pid {deployed.pid}). Watch it with "
            f"[cyan]streammesh apps status {deployed.name}[/]"
        )
    else:
        out.print(f"Not started; start it with [cyan]streammesh apps restart {deployed.name}[/]")


def _schema_table(p: Any) -> Table:
    classes = dict(p.derivation.classifications)
    key = set(p.query.key_fields)
    table = Table("field", "type", "null", "class", "description", title="schema", title_justify="left")
    for f in p.query.output_schema:
        table.add_row(
            f"[bold]{f.name}[/]" + (" [cyan](key)[/]" if f.name in key else ""),
            str(f.type),
            "yes" if f.nullable else "",
            classes.get(f.name, ""),
            escape(f.description or ""),
        )
    return table


def _sla_line(p: Any) -> str:
    sla, limits = p.contract.sla, p.derivation.sla.limited_by
    parts = []
    for attr, shown in (
        ("tier", sla.tier),
        ("availability", f"{sla.availability}%" if sla.availability else None),
        ("freshness", format_duration(sla.freshness) if sla.freshness else None),
        ("time_to_restore", format_duration(sla.time_to_restore) if sla.time_to_restore else None),
    ):
        by = limits.get(attr)
        parts.append(f"{attr} {shown or '[dim]open[/]'}" + (f" [dim](from {', '.join(by)})[/]" if by and shown else ""))
    return "; ".join(parts)


def _lineage_table(p: Any) -> Table:
    table = Table("output", Column("input", overflow="fold"), "kind", title="field lineage", title_justify="left")
    for e in p.derivation.edges:
        table.add_row(e.output or "[dim](rows)[/]", f"{e.product}.{e.field}", e.kind)
    return table


@apps_app.command(epilog="Example: streammesh apps validate high_value.sql")
def validate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="SQL script to check.")],
    owner: Annotated[str | None, typer.Option(help="Team that would own the products.")] = None,
    name: Annotated[str | None, typer.Option(help="App name (to check a redeploy of an existing app).")] = None,
) -> None:
    """Check a SQL script and show the contracts it would publish, without deploying anything.

    Prints each derived product's schema, key, classifications, SLA and field lineage, and every policy
    it would break.
    """
    mesh = open_mesh(ctx)
    sql = _read(file)
    planned, owner = _plan(mesh, file, sql, owner, name or _app_name(file))
    broken = 0
    for p in planned:
        c, q = p.contract, p.query
        head = (
            f"{q.kind.upper()} [bold]{c.name}[/]  owner {c.owner}  key ({', '.join(c.key) or 'none'})"
            f"{'  compacted' if c.compacted else ''}  quality {c.quality or '[dim]none[/]'}\n"
            f"inputs: {', '.join(p.derivation.inputs)}\nSLA: {_sla_line(p)}"
        )
        if c.timestamp_field:
            head += f"\nevent time: {c.timestamp_field}"
        out.print(Panel(Group(head, _schema_table(p), _lineage_table(p)), title=c.name, title_align="left"))
        violations = mesh.catalog.check(c)
        if violations:
            broken += 1
            err.print(violations_table(violations, f"{c.name}: {len(violations)} policy violation(s)"))
    if broken:
        err.print(f"[bold red]error:[/] {broken} of {len(planned)} product(s) would be refused")
        raise SystemExit(1)
    out.print(f"[green]{file} is valid[/]: {len(planned)} derived product(s), every policy passes")


def _metric(app_: App, key: str, fmt: str = "{:,}") -> str:
    value = app_.metrics.get(key)
    return fmt.format(value) if isinstance(value, int | float) else ""


@apps_app.command(name="list")
def list_apps(ctx: typer.Context) -> None:
    """Every deployed app with its status, products, lag, throughput and errors."""
    from streammesh.processing.apps import status

    mesh = open_mesh(ctx)
    apps = [status(mesh, a.name) for a in mesh.store.list_apps()]
    if not apps:
        out.print("No apps deployed. Deploy one with [cyan]streammesh apps deploy app.sql[/]")
        return
    table = Table(
        Column("app", no_wrap=True),
        Column("status", no_wrap=True),
        Column("products", no_wrap=True),
        Column("lag", justify="right"),
        Column("events/s", justify="right"),
        Column("errors", justify="right"),
        title=f"{len(apps)} app(s)",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    for a in apps:
        errors = _metric(a, "errors")
        if a.status == "failed" and a.error:
            errors = f"{errors} {escape(a.error[:60])}{'…' if len(a.error) > 60 else ''}".strip()
        table.add_row(
            f"[bold]{a.name}[/]",
            _status(a.status),
            "\n".join(a.products),
            _metric(a, "lag"),
            _metric(a, "events_per_s", "{:,.1f}") if a.status == "running" else "",
            f"[red]{errors}[/]" if errors not in ("", "0") else errors,
        )
    out.print(table)


_COUNTERS = (
    ("processed", "processed"),
    ("emitted", "emitted"),
    ("late", "late"),
    ("errors", "errors"),
    ("events/s", "events_per_s"),
    ("lag", "lag"),
)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


@apps_app.command(name="status", epilog="Example: streammesh apps status high-value")
def status_(ctx: typer.Context, name: Annotated[str, typer.Argument(help="App name.")]) -> None:
    """One app: its worker, metrics per product, last error and log file."""
    from streammesh.processing.apps import log_path, status

    mesh = open_mesh(ctx)
    a = status(mesh, name)
    lines = [f"status {_status(a.status)}" + (f"  pid {a.pid}" if a.pid else "") + f"  owner {a.owner}"]
    if a.started_at:
        lines.append(f"started {a.started_at:%Y-%m-%d %H:%M:%S} UTC")
    if a.metrics.get("reported_at"):
        lines.append(f"metrics reported {a.metrics['reported_at']}")
    lines.append(f"log {log_path(mesh, name)}")
    from streammesh.processing.runtime.partitioned import guarantee

    lines.append(f"guarantee {a.metrics.get('guarantee') or guarantee(mesh)}")
    for k, inst in sorted((a.metrics.get("instances") or {}).items()):
        owned = "; ".join(
            f"{p}: partitions {', '.join(map(str, ps or [])) or 'none'}"
            for p, ps in (inst.get("partitions") or {}).items()
        )
        lines.append(f"instance {k}  pid {inst.get('pid')}  {owned}")
    if a.error:
        lines.append(f"[bold red]last error:[/] {escape(a.error)}")
    per_product = a.metrics.get("products") or {}
    for product in a.products:
        m = per_product.get(product, {})
        lines.append(f"\n[bold]{product}[/]")
        counts = [f"{label} {_number(m.get(key))}" for label, key in _COUNTERS if m.get(key) is not None]
        lines.append("  " + ("  ".join(counts) if counts else "[dim]no metrics reported yet[/]"))
        if m.get("parallelism"):
            lines.append(f"  parallelism {escape(str(m['parallelism']))}")
        if m.get("last_checkpoint"):
            lines.append(
                f"  last checkpoint {m['last_checkpoint']}" + (f" (batch {m['batch']})" if "batch" in m else "")
            )
    out.print(Panel("\n".join(lines), title=f"app {a.name}", title_align="left"))


@apps_app.command(epilog="Example: streammesh apps stop high-value")
def stop(ctx: typer.Context, name: Annotated[str, typer.Argument(help="App name.")]) -> None:
    """Stop an app's worker after its current batch and a final checkpoint; its products stay published."""
    from streammesh.processing.apps import get_app
    from streammesh.processing.apps import stop as stop_app

    mesh = open_mesh(ctx)
    get_app(mesh, name)
    a = stop_app(mesh, name)
    out.print(f"Stopped app [bold]{a.name}[/]" + (f" [yellow]({escape(a.error)})[/]" if a.error else ""))


@apps_app.command(epilog="Example: streammesh apps restart high-value")
def restart(ctx: typer.Context, name: Annotated[str, typer.Argument(help="App name.")]) -> None:
    """Stop the app's worker if it runs and start it again; it resumes from its last checkpoint."""
    from streammesh.processing.apps import log_path
    from streammesh.processing.apps import restart as restart_app

    mesh = open_mesh(ctx)
    a = restart_app(mesh, name)
    if a.status == "failed":
        err.print(f"[bold red]error:[/] app {a.name} failed: {escape(a.error or 'no report')}")
        err.print(f"[dim]hint: see {log_path(mesh, a.name)}[/]")
        raise SystemExit(1)
    out.print(f"Restarted app [bold]{a.name}[/]: {_status(a.status)} (pid {a.pid})")
