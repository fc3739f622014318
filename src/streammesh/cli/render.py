"""Rich renderings shared by commands: product summaries, search results, violations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Column, Table

from streammesh.catalog import Product, SearchResult
from streammesh.catalog.clusters import mask_cluster
from streammesh.contracts.durations import format_duration

__all__ = ["STATUS_STYLE", "product_table", "product_view", "search_view", "violations_table"]

STATUS_STYLE = {"draft": "yellow", "published": "green", "deprecated": "magenta", "retired": "dim"}


def _status(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def product_table(products: list[Product], title: str) -> Table:
    table = Table(
        Column("product", no_wrap=True), "status", "version", "owner", "tier", "quality", "description", title=title
    )
    for p in products:
        c = p.contract
        table.add_row(
            f"[bold]{p.name}[/]",
            _status(p.status),
            c.version,
            c.owner,
            c.sla.tier or "",
            c.quality or "",
            escape(_clip(c.title or c.description, 60)),
        )
    return table


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def search_view(result: SearchResult, query: str) -> Group:
    shown = f"{len(result.hits)} of {result.total}" if result.total > len(result.hits) else str(result.total)
    table = Table(
        "#",
        Column("product", no_wrap=True),
        "status",
        "domain",
        "owner",
        "tier",
        "score",
        "description",
        title=f"{shown} products match {query!r}" if query else f"{shown} products",
    )
    for i, hit in enumerate(result.hits, 1):
        p = hit.product
        table.add_row(
            str(i),
            f"[bold]{p.name}[/]",
            _status(p.status),
            p.domain,
            p.owner,
            p.contract.sla.tier or "",
            f"{hit.score:.2f}",
            escape(_clip(p.contract.title or p.contract.description, 50)),
        )
    facets = Table.grid(padding=(0, 2))
    for facet, counts in result.facets.items():
        if counts:
            facets.add_row(f"[bold]{facet}[/]", ", ".join(f"{escape(v)} ({n})" for v, n in list(counts.items())[:8]))
    return Group(table, Panel(facets, title="facets (filter with --domain, --tag, --tier, ...)", expand=False))


def product_view(
    p: Product, fields: list[Any], stats: dict[str, Any], versions: list[Any], consumers: list[Any]
) -> Group:
    c = p.contract
    info = Table.grid(padding=(0, 2))
    sla = c.sla
    last = stats.get("last_event_ms")
    rows = [
        ("status", _status(p.status)),
        ("version", c.version),
        ("domain", c.domain),
        ("owner", c.owner),
        (
            "stream",
            f"{p.stream} on {mask_cluster(p.cluster)}, {c.partitions} partitions, retention "
            f"{'infinite' if c.retention is None else format_duration(c.retention)}"
            + (", compacted" if c.compacted else ""),
        ),
        ("key", ", ".join(c.key) or "(none)"),
        ("tags", ", ".join(c.tags)),
        ("quality", c.quality or ""),
        (
            "SLA",
            ", ".join(
                x
                for x in [
                    sla.tier or "",
                    f"{sla.availability}% available" if sla.availability else "",
                    f"freshness {format_duration(sla.freshness)}" if sla.freshness else "",
                    f"restore in {format_duration(sla.time_to_restore)}" if sla.time_to_restore else "",
                    sla.support_hours or "",
                    "acknowledged" if sla.acknowledged else "NOT acknowledged",
                ]
                if x
            ),
        ),
        ("support", ", ".join(c.support.channels) + (f"; on call: {c.support.on_call}" if c.support.on_call else "")),
        ("events", f"{stats.get('events', 0):,}" + (f", newest {_ago(last)}" if last else "")),
    ]
    if c.deprecation:
        d = c.deprecation
        rows.append(
            (
                "deprecation",
                f"sunset {d.sunset}"
                + (f", use {d.replacement}" if d.replacement else "")
                + (f" ({d.reason})" if d.reason else ""),
            )
        )
    for k, v in rows:
        info.add_row(f"[bold]{k}[/]", escape(v) if "[" not in v else v)
    schema = Table(
        Column("field", no_wrap=True), "type", "classification", "description", title=f"schema ({c.schema_.format})"
    )
    for f in fields:
        cls = c.classifications.get(f.path, "")
        schema.add_row(
            f.path + (" [dim](key)[/]" if f.path in c.key else ""),
            escape(f.type),
            f"[red]{cls}[/]" if cls else "",
            escape(_clip(f.doc or "", 60)),
        )
    parts: list[Any] = [
        Panel(
            Group(f"[bold]{escape(c.title or c.name)}[/]\n{escape(c.description)}\n", info), title=p.name, expand=False
        ),
        schema,
    ]
    if versions:
        parts.append("versions: " + ", ".join(f"{v.version} ({v.created_at:%Y-%m-%d})" for v in versions))
    if consumers:
        parts.append(
            "consumers: " + ", ".join(f"{x.group} [dim]({', '.join(x.fields) or 'all fields'})[/]" for x in consumers)
        )
    return Group(*parts)


def _ago(ms: int) -> str:
    seconds = (datetime.now(UTC).timestamp() * 1000 - ms) / 1000
    if seconds < 120:
        return f"{seconds:.0f}s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f}h ago"
    return f"{seconds / 86400:.0f}d ago"


def violations_table(violations: list[Any], title: str) -> Table:
    table = Table("policy", "field", "problem", "fix", title=title, show_lines=True)
    for v in violations:
        table.add_row(v.policy, v.path, escape(v.message), escape(v.fix))
    return table
