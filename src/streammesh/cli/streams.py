"""``streammesh streams``: the log's streams, and which of them nobody has published as a product yet."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated

import orjson
import typer
from rich.table import Column, Table

from streammesh.catalog.streams import DEFAULT_SAMPLE, StreamInfo
from streammesh.cli.app import app, open_mesh, out

__all__ = ["streams"]


class StreamsFormat(str, Enum):
    table = "table"
    json = "json"


def _age(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = max(0, int(datetime.now(UTC).timestamp() - ms / 1000))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def _schema_text(s: StreamInfo) -> str:
    if s.encoding == "json":
        return f"inferred from {s.sampled} JSON event(s): {len(s.fields)} field(s)"
    if s.encoding == "wire-format" and s.schema:
        return f"registered {s.schema['format']} schema id {s.schema_id}: {len(s.fields)} field(s)"
    if s.encoding == "empty":
        return "no events yet"
    return f"[yellow]undecodable[/]: {s.note or ''}"


@app.command("streams", epilog="Example: streammesh streams --unpublished --domain sales")
def streams(
    ctx: typer.Context,
    unpublished: Annotated[bool, typer.Option("--unpublished", help="Only streams no product publishes yet.")] = False,
    domain: Annotated[str | None, typer.Option(help="Only streams named '<domain>.…'.")] = None,
    sample: Annotated[
        int, typer.Option(min=0, max=1000, help="Newest events decoded per stream to find its schema (0: counts only).")
    ] = DEFAULT_SAMPLE,
    format: Annotated[
        StreamsFormat, typer.Option("--format", "-f", help="table, or json with each stream's schema.")
    ] = StreamsFormat.table,
) -> None:
    """List the log's streams; with --unpublished, those no data product publishes yet.

    Each with partitions, events, newest event and schema (registered, or inferred from sampled JSON
    events). Publish one by writing a contract with the same name: its events are kept.
    """
    found = open_mesh(ctx).catalog.streams(unpublished=unpublished, domain=domain, sample=sample)
    if format == StreamsFormat.json:
        out.print_json(orjson.dumps([s.to_dict() for s in found]).decode())
        return
    if not found:
        out.print(
            "Every stream on the log is published as a data product." if unpublished else "No streams on the log yet."
        )
        return
    title = f"{len(found)} {'unpublished ' if unpublished else ''}stream(s)"
    table = Table(
        Column("stream", no_wrap=True),
        "partitions",
        "events",
        "newest event",
        "product",
        "schema",
        "suggested key",
        title=title,
    )
    for s in found:
        table.add_row(
            s.name,
            str(s.partitions),
            f"{s.events:,}",
            _age(s.last_event_ms),
            s.product or "[yellow]not published[/]",
            _schema_text(s),
            ", ".join(s.suggested_key),
        )
    out.print(table)
    if any(s.product is None for s in found):
        out.print(
            "Publish one with a contract of the same name and partitions ([cyan]streammesh products "
            "publish FILE[/]); see its inferred schema with [cyan]--format json[/]."
        )
