"""Transient queries that deploy nothing: push previews of live data, and pull lookups on tables.

A preview runs the same engine as a deployed app, on an in-memory DuckDB with no checkpoint and no
output product: it reads the FROM product from *now* on (joined tables from their beginning, as their
current values matter) and yields the rows it would have written. A pull query reads a table-like
product's stream once, keeps the latest value per key and returns the rows that match.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson

from streammesh.context import SupportsContext
from streammesh.processing.runtime.decoding import SourceDecoder
from streammesh.processing.runtime.engine import Engine
from streammesh.processing.runtime.errors import ProcessingError
from streammesh.processing.runtime.ingest import ingest, meta, quote
from streammesh.processing.runtime.output import value_sql
from streammesh.processing.runtime.reading import SourceReader
from streammesh.processing.runtime.state import connect_duckdb
from streammesh.processing.sql.plan import Query
from streammesh.schemas import load_schema

__all__ = ["preview", "pull"]


def preview(mesh: SupportsContext, query: Query, *, seconds: float, max_rows: int) -> Iterator[dict[str, Any]]:
    """Rows of ``query`` over live records from now on, for up to ``seconds`` or ``max_rows`` rows
    (or the query's ``LIMIT``), as JSON values. Aggregations yield each group's row when it changes.

    Example:
        >>> for row in preview(ctx, compile_sql("SELECT order_id, total FROM sales.orders", cat),
        ...                    seconds=10, max_rows=20):                              # doctest: +SKIP
        ...     print(row)
    """
    ctx = mesh.context
    limit = min(max_rows, query.limit) if query.limit is not None else max_rows
    if limit <= 0:
        return
    deadline = time.monotonic() + seconds
    first = query.sources[0]
    con = connect_duckdb(None)
    readers: dict[str, SourceReader] = {}
    decoders: dict[str, SourceDecoder] = {}
    try:
        for s in query.sources:
            product = ctx.catalog.get(s.product)
            # tables from their beginning (their current values matter), streams from now
            readers[s.alias] = SourceReader(ctx.log, product.stream, from_end=s.role == "stream")
            keys = s.role == "table" or (s is first and query.kind == "table" and not query.aggregating)
            decoders[s.alias] = SourceDecoder(ctx.registry, load_schema(product.contract.schema_), s.columns, keys=keys)
        parts = {s.alias: ctx.log.topic_spec(ctx.catalog.get(s.product).stream).partitions for s in query.sources}
        engine = Engine(query, con, header=b"", partitions=1, source_partitions=parts)
        sent, batch = 0, 0
        while sent < limit and time.monotonic() < deadline:
            wait = min(0.2, max(0.0, deadline - time.monotonic()))
            views = {
                s.alias: (
                    readers[s.alias].read_all()
                    if s.role == "table"
                    else readers[s.alias].read(5000, wait if s is first else 0.0)
                )
                for s in query.sources
            }
            if not any(views.values()):
                continue
            batch += 1
            result = engine.process(batch, {a: decoders[a].decode(v) for a, v in views.items()})
            for value in result.outputs.values:
                if value is None:
                    continue
                yield orjson.loads(value)
                sent += 1
                if sent >= limit:
                    return
    finally:
        for r in readers.values():
            r.close()
        con.close()


def pull(mesh: SupportsContext, query: Query) -> list[dict[str, Any]]:
    """The current rows of a table-like product that match a pull query (``SELECT … FROM table WHERE
    key = …``): the latest value per key, tombstones removed, filtered and projected.

    Raises:
        ProcessingError: the query is not a pull query over a table-like product.
    """
    ctx = mesh.context
    if query.mode != "pull" or query.joins or query.aggregating:
        raise ProcessingError(
            "a pull query reads one table by key: SELECT … FROM <table> WHERE <key> = …",
            hint="use preview() for other queries",
        )
    source = query.sources[0]
    product = ctx.catalog.get(source.product)
    if not (product.contract.compacted or product.contract.key):
        raise ProcessingError(
            f"{product.name} is not table-like (it has no key)",
            hint="pull queries look up derived TABLEs or compacted products",
        )
    reader = SourceReader(ctx.log, product.stream)
    try:
        views = reader.read_all(limit=1 << 62)
    finally:
        reader.close()
    decoded = SourceDecoder(ctx.registry, load_schema(product.contract.schema_), source.columns, keys=True).decode(
        views
    )
    con = connect_duckdb(None)
    try:
        ingest(con, "in_t", source, decoded)
        a = source.alias
        latest = (
            f"SELECT * FROM {quote('in_t')} QUALIFY row_number() OVER (PARTITION BY {meta(a, '$key')} "
            f'ORDER BY "$seq" DESC) = 1'
        )
        where = f" AND coalesce(({query.filter.to_duckdb()}), false)" if query.filter is not None else ""
        sql = (
            f'SELECT {value_sql(query, final=False)} FROM ({latest}) WHERE NOT {meta(a, "$del")}{where} ORDER BY "$seq"'
        )
        rows = [orjson.loads(v) for (v,) in con.execute(sql).fetchall()]
    finally:
        con.close()
    return rows[: query.limit] if query.limit is not None else rows
