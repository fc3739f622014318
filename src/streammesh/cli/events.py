"""``streammesh produce`` and ``streammesh consume``: events in and out as JSON lines."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import IO, Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from streammesh.catalog.consumer import Event, ProductDeprecatedWarning
from streammesh.cli.app import app, err, open_mesh, out
from streammesh.exceptions import ValidationError
from streammesh.schemas import RecordInvalidError
from streammesh.schemas.serde import dump_json

__all__ = ["consume", "produce"]


class EventFormat(str, Enum):
    json = "json"
    table = "table"


def _lines(stream: IO[bytes], source: str) -> Iterator[tuple[int, Any]]:
    """Parsed JSON lines with their line numbers; blank lines are skipped."""
    for number, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        try:
            yield number, orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise ValidationError(
                f"{source}:{number}: not valid JSON ({e})", hint="each line must hold one JSON object (JSON Lines)"
            ) from None


@app.command(
    epilog="Examples: streammesh produce sales.orders --file orders.jsonl\n\n"
    'echo \'{"order_id": "O-1", ...}\' | streammesh produce sales.orders'
)
def produce(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Product to write to.")],
    file: Annotated[Path | None, typer.Option("--file", help="JSON Lines file (default: standard input).")] = None,
) -> None:
    """Append events (one JSON value per line) to a product, validated against its contract.

    The key comes from the contract's key fields. With --file, every line is checked first and
    nothing is written if any is invalid; from stdin, events are written in chunks and an invalid
    line stops the run, saying how many were written before it.
    """
    mesh = open_mesh(ctx)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProductDeprecatedWarning)
        producer = mesh.producer(name)
    if file is None:
        if sys.stdin.isatty():
            err.print("[dim]reading JSON lines from standard input; end with Ctrl-D[/]")
        try:
            count = producer.send_many(value for _, value in _lines(sys.stdin.buffer, "<stdin>"))
        except RecordInvalidError as e:
            raise ValidationError(e.message, hint="fix that event and send the rest again") from None
        _report_produced(producer, count)
        return
    if not file.is_file():
        raise ValidationError(f"no such file: {file}")
    size = file.stat().st_size
    bad: list[str] = []
    total = 0
    with _progress(transfer=True) as progress, file.open("rb") as fh:
        task = progress.add_task("checking", total=size)
        for number, value in _lines(fh, str(file)):
            total += 1
            issues = producer.check(value) if producer.dead_letter is None else []
            if issues:
                bad.append(f"{file}:{number}: " + "; ".join(str(i) for i in issues[:3]))
            progress.update(task, completed=fh.tell())
    if bad:
        raise ValidationError(
            f"{len(bad)} of {total} events do not fit {name}'s schema; nothing was written:\n"
            + "\n".join(bad[:10])
            + (f"\n... and {len(bad) - 10} more" if len(bad) > 10 else ""),
            hint=f"see the schema with 'streammesh products show {name}'",
        )
    with _progress() as progress, file.open("rb") as fh:
        task = progress.add_task(f"appending to {name}", total=total)
        count = producer.send_many(
            (v for _, v in _lines(fh, str(file))), progress=lambda n: progress.update(task, completed=n)
        )
    _report_produced(producer, count)


def _report_produced(producer: Any, count: int) -> None:
    out.print(f"Appended {count:,} events to [bold]{producer.product.name}[/]")
    if producer.dead_lettered:
        err.print(
            f"[yellow]{producer.dead_lettered:,} invalid events went to the dead-letter stream "
            f"{producer.dead_letter}[/]; see them with: streammesh consume {producer.product.name} --dead-letter"
        )


def _progress(*, transfer: bool = False) -> Progress:
    """A progress bar on stderr, shown only when stderr is a terminal (never mixed into data)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TransferSpeedColumn() if transfer else MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


@app.command(
    epilog="Examples: streammesh consume sales.orders --from-beginning --limit 10 --format table\n\n"
    "streammesh consume sales.orders --group billing --fields order_id,total --follow"
)
def consume(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Product to read.")],
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Replay from the first event (default: only new events).")
    ] = False,
    fields: Annotated[str | None, typer.Option(help="Comma-separated fields to keep, e.g. order_id,total.")] = None,
    group: Annotated[
        str | None, typer.Option(help="Consumer group: share partitions, resume where it stopped.")
    ] = None,
    follow: Annotated[bool, typer.Option("--follow", help="Keep waiting for new events (Ctrl-C to stop).")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many events.")] = None,
    format: Annotated[
        EventFormat, typer.Option("--format", "-f", help="json (one line per event) or table.")
    ] = EventFormat.json,
    dead_letter: Annotated[
        bool,
        typer.Option("--dead-letter", help="Read the events the contract refused instead, with the reason for each."),
    ] = False,
) -> None:
    """Read a product's events as JSON lines (or a table), replaying or following."""
    mesh = open_mesh(ctx)
    if dead_letter:
        for item in mesh.dead_letters(name, limit=limit):
            sys.stdout.buffer.write(dump_json(item) + b"\n")
        return
    wanted = [f.strip() for f in fields.split(",") if f.strip()] if fields else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ProductDeprecatedWarning)
        consumer = mesh.consumer(name, group=group, from_beginning=from_beginning, fields=wanted, follow=follow)
    for w in caught:
        err.print(f"[yellow]warning:[/] {escape(str(w.message))}")
    rows: list[Event] = []
    count = 0
    show_progress = from_beginning and not follow and err.is_terminal and not sys.stdout.isatty()
    with consumer, _progress() as progress:
        task = progress.add_task(
            f"replaying {name}", total=limit or consumer.remaining() or None, visible=show_progress
        )
        try:
            for event in consumer:
                count += 1
                if format == EventFormat.json:
                    sys.stdout.buffer.write(dump_json(event.to_dict()) + b"\n")
                else:
                    rows.append(event)
                    if follow and len(rows) >= 20:
                        out.print(_table(rows, wanted))
                        rows = []
                if count % 1000 == 0:
                    progress.update(task, completed=count)
                if limit is not None and count >= limit:
                    break
        finally:
            sys.stdout.flush()
    if format == EventFormat.table and (rows or count == 0):
        out.print(_table(rows, wanted))
    if group:
        err.print(f"[dim]{count:,} events read; group {group} committed its position[/]")


def _table(events: list[Event], fields: list[str] | None) -> Table:
    columns = list(fields or [])
    if not columns:
        for e in events:
            if isinstance(e.value, dict):
                columns.extend(k for k in e.value if k not in columns)
    table = Table("p", "offset", "time", "key", *columns, title=f"{len(events)} events")
    for e in events:
        value = e.value if isinstance(e.value, dict) else {"value": e.value}
        table.add_row(
            str(e.partition),
            str(e.offset),
            e.time.strftime("%Y-%m-%d %H:%M:%S"),
            escape(e.key or ""),
            *(escape(_cell(value.get(c))) for c in columns),
        )
    return table


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        return dump_json(v).decode()[:40]
    return str(v)


@app.command(
    epilog="Examples: streammesh generate sales.orders --count 5\n\n"
    "streammesh generate sales.orders --count 10000 --produce"
)
def generate(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Product whose schema the events follow.")],
    count: Annotated[int, typer.Option(min=1, help="How many events.")] = 10,
    seed: Annotated[int | None, typer.Option(help="Seed, for the same events every time.")] = None,
    produce: Annotated[bool, typer.Option("--produce", help="Append them to the product instead of printing.")] = False,
) -> None:
    """Make valid random events from a product's schema and field rules (realistic values where a
    field's name suggests one), printed as JSON lines or appended with --produce."""
    from streammesh.schemas import load_schema
    from streammesh.schemas.generation import generate_values

    mesh = open_mesh(ctx)
    contract = mesh.product(name).contract
    rules = {path: rule.model_dump(exclude_none=True) for path, rule in contract.rules.items()}
    values = generate_values(load_schema(contract.schema_), count, seed=seed, rules=rules or None)
    if not produce:
        for value in values:
            sys.stdout.buffer.write(dump_json(value) + b"\n")
        return
    with mesh.producer(name) as producer, _progress() as progress:
        task = progress.add_task(f"generating into {name}", total=count)
        done = producer.send_many(values, progress=lambda n: progress.update(task, completed=n))
    _report_produced(producer, done)
