"""``streammesh sql``: ask live data a question without deploying anything.

A push query (``SELECT … FROM stream``) prints matching records as they arrive, for a few seconds or a
few rows; a pull query (``SELECT … FROM table WHERE key = …``) prints a table's current rows once. Both
run in this process and leave nothing behind: no product, no consumer group, no state.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.table import Column, Table

from streammesh.cli.app import app, err, open_mesh, out
from streammesh.exceptions import ValidationError
from streammesh.processing.sql import SqlError

__all__ = ["sql", "sql_error"]


def sql_error(e: SqlError, *, source: str | None = None) -> ValidationError:
    """``e`` as a CLI error: the position, the problem, the offending line with a caret under it, the hint."""
    where = ", ".join(x for x in (source, f"line {e.line}, column {e.column}" if e.line is not None else None) if x)
    lines = [f"{where}: {e.message}" if where else e.message]
    if e.line is not None and e.sql:
        text = e.sql.splitlines()
        source_line = text[e.line - 1] if e.line <= len(text) else ""
        gutter = str(e.line)
        width = max(1, min(e.length, len(source_line) - (e.column or 1) + 1))
        lines.append(f"{gutter} | {source_line}")
        lines.append(f"{' ' * len(gutter)} | {' ' * ((e.column or 1) - 1)}{'^' * width}")
    return ValidationError("\n".join(lines), hint=e.hint)


def _json(value: dict[str, Any] | list[Any]) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _cell(value: Any) -> str:
    if value is None:
        return "[dim]null[/]"
    if isinstance(value, dict | list):
        return escape(_json(value))
    return escape(str(value))


@app.command(
    name="sql",
    epilog='Example: streammesh sql "SELECT order_id, total FROM sales.orders WHERE total > 500" --seconds 5',
)
def sql(
    ctx: typer.Context,
    statement: Annotated[str, typer.Argument(help="A SELECT statement ('-' reads it from stdin).")],
    seconds: Annotated[float, typer.Option(min=0.1, help="Push queries: stop after this many seconds.")] = 10.0,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many rows (default: the query's LIMIT, else 100).")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Pull queries: print JSON lines instead of a table.")] = False,
) -> None:
    """Query live data without deploying anything: push queries print rows as they come, pull queries a table's rows.

    A push query prints matching records as JSON lines for --seconds or --limit rows; a pull query on a
    table-like product (SELECT … FROM table WHERE key = …) prints its current rows once.
    """
    from streammesh.processing.apps import mesh_sql_catalog
    from streammesh.processing.sql import compile_sql

    if statement.strip() == "-":
        statement = sys.stdin.read()
    mesh = open_mesh(ctx)
    try:
        query = compile_sql(statement, mesh_sql_catalog(mesh))
    except SqlError as e:
        raise sql_error(e) from None
    if query.name is not None:
        raise ValidationError(
            f"CREATE {query.kind.upper()} {query.name} defines a derived product; 'sql' only "
            "runs transient SELECT queries",
            hint="put the statement in a file and deploy it with 'streammesh apps deploy app.sql'",
        )
    from streammesh.processing.runtime import preview, pull

    max_rows = limit or query.limit or 100
    if query.mode == "pull":
        rows = pull(mesh, query)[:max_rows]
        if json:
            for row in rows:
                out.print(_json(row), markup=False, highlight=False, soft_wrap=True)
        elif rows:
            names = [f.name for f in query.output_schema] or list(rows[0])
            table = Table(
                *(Column(n, overflow="fold") for n in names), title=f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
            )
            for row in rows:
                table.add_row(*(_cell(row.get(n)) for n in names))
            out.print(table)
        else:
            err.print("[dim]no rows match[/]")
        return
    err.print(
        f"[dim]reading {', '.join(query.inputs)} for up to {seconds:g} s or {max_rows} rows (Ctrl-C to stop) ...[/]"
    )
    count = 0
    try:
        for row in preview(mesh, query, seconds=seconds, max_rows=max_rows):
            out.print(_json(row), markup=False, highlight=False, soft_wrap=True)
            count += 1
    except KeyboardInterrupt:
        pass
    err.print(f"[dim]{count} row{'s' if count != 1 else ''}[/]")
