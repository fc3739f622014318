"""Column lists into a DuckDB table named by the plan's conventions, in one call per source and batch.

Why ``read_json`` over a scratch file: without pyarrow or numpy, DuckDB's Python binding converts list
parameters value by value (``unnest(?)``: ≈ 1.3 µs per 7-column row, ``executemany``: ≈ 600 µs); orjson
writes the same columns as one JSON object in ≈ 0.07 µs per row and DuckDB's vectorised JSON reader
loads it in ≈ 0.1 µs per value (measured on 5,000-row batches of Nexmark bids; see benchmarks/README.md).

The table holds, per row: every needed field as ``{alias}__{path}`` (typed by
:func:`~streammesh.processing.sql.types.duckdb_type`), the event time ``{alias}__$rowtime`` (TIMESTAMP)
and ``{alias}__$ts`` (its epoch milliseconds), the log position ``{alias}__$p`` / ``{alias}__$o``,
``{alias}__$del`` (a tombstone), ``{alias}__$key`` (record key text, table sources), and ``$seq``.

``$seq`` is the arrival order the plan's LATEST_BY_OFFSET / EARLIEST_BY_OFFSET use:
``offset * 1024 + partition``. Within a partition it is the log order; across partitions, records at
similar offsets interleave. It depends only on where a record is in the log, never on how the log was
cut into micro-batches, so a replayed batch and the batch reference compute the same values.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from streammesh.processing.runtime.decoding import DecodedBatch
from streammesh.processing.sql.plan import Source
from streammesh.processing.sql.types import duckdb_type
from streammesh.schemas.serde import dump_json

__all__ = ["SEQ_PARTITIONS", "column_sql", "ingest", "meta", "quote", "rowtime_sql"]

#: partitions a source may have for ``$seq = offset * SEQ_PARTITIONS + partition`` to stay unique
SEQ_PARTITIONS = 1024


def quote(name: str) -> str:
    """A double-quoted DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def meta(alias: str, what: str) -> str:
    """The quoted name of a per-source meta column (``$p``, ``$o``, ``$ts``, ``$del``, ``$key``, ``$rowtime``)."""
    return quote(f"{alias}__{what}")


def _raw_type(sql_type: str, raw: str) -> str:
    if raw in ("ms", "us", "days"):
        return "BIGINT"
    if sql_type in ("timestamp", "date"):
        return "VARCHAR"
    return duckdb_type(sql_type)  # type: ignore[arg-type]


def column_sql(ref: str, sql_type: str, raw: str) -> str:
    """The typed value of a raw ingested column ``ref``."""
    if sql_type == "timestamp":
        if raw == "ms":
            return f"epoch_ms({ref})"
        if raw == "us":
            return f"make_timestamp({ref})"
        return (f"coalesce(TRY_CAST(TRY_CAST({ref} AS TIMESTAMPTZ) AS TIMESTAMP), "
                f"epoch_ms(TRY_CAST({ref} AS BIGINT)))")
    if sql_type == "date":
        if raw == "days":
            return f"CAST(DATE '1970-01-01' + CAST({ref} AS INTEGER) AS DATE)"
        return f"TRY_CAST({ref} AS DATE)"
    return ref


def rowtime_sql(source: Source, columns: dict[str, str], record_ts: str) -> str:
    """The event time (TIMESTAMP) of a row: the time field parsed as the docs say (ISO-8601 text or epoch
    milliseconds; seconds when small, as producers read it), else the record's timestamp."""
    fallback = f"epoch_ms({record_ts})"
    ts = source.timestamp
    if ts.field is None or ts.field not in columns:
        return fallback
    col = columns[ts.field]
    if ts.type == "timestamp":
        value = col
    elif ts.type == "date":
        value = f"CAST({col} AS TIMESTAMP)"
    elif ts.type == "int":
        value = f"epoch_ms(CASE WHEN abs({col}) > 100000000000 THEN {col} ELSE {col} * 1000 END)"
    else:
        value = column_sql(f"CAST({col} AS VARCHAR)", "timestamp", "value")
    return f"coalesce({value}, {fallback})"


def ingest(con: Any, table: str, source: Source, batch: DecodedBatch, scratch: Path, *, view: bool = False,
           extra: Sequence[str] = ()) -> int:
    """(Re)create ``table`` from ``batch`` and return its row count.

    Args:
        con: a DuckDB connection (session time zone UTC).
        table: the table to create (replaced when it exists).
        source: the plan's source (alias, columns, time field).
        scratch: a folder for the JSON file DuckDB reads.
        view: create a TEMP VIEW over the scratch file instead of a table (for relations scanned once:
            it saves materialising them; the file stays until the next call for this table).
        extra: more ``expr AS name`` select items over the typed columns.
    """
    a = source.alias
    spec: dict[str, str] = {}
    payload: dict[str, list[Any]] = {}
    for i, (col, raw) in enumerate(zip(source.columns, batch.raw)):
        spec[f"c{i}"] = _raw_type(col.type, raw) + "[]"
        payload[f"c{i}"] = batch.columns[i]
    for name, typ, values in (("p", "INTEGER[]", batch.partitions), ("o", "BIGINT[]", batch.offsets),
                              ("t", "BIGINT[]", batch.timestamps), ("d", "BOOLEAN[]", batch.deleted)):
        spec[name] = typ
        payload[name] = values
    if batch.keys:
        spec["k"] = "VARCHAR[]"
        payload["k"] = batch.keys
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f"in_{os.getpid()}_{table}.json"
    path.write_bytes(dump_json(payload))
    unnest = ", ".join(f"unnest({quote(n)}) AS {quote(n)}" for n in spec)
    columns_spec = "{" + ", ".join(f"{quote(n)}: '{t}'" for n, t in spec.items()) + "}"
    typed: dict[str, str] = {}
    items = []
    for i, (col, raw) in enumerate(zip(source.columns, batch.raw)):
        items.append(f"{column_sql(quote(f'c{i}'), col.type, raw)} AS {quote(col.column)}")
        typed[col.path] = quote(col.column)
    items += [f'"p" AS {meta(a, "$p")}', f'"o" AS {meta(a, "$o")}', f'"d" AS {meta(a, "$del")}',
              f'"t" AS {meta(a, "$t")}']
    if batch.keys:
        items.append(f'"k" AS {meta(a, "$key")}')
    inner = (f"SELECT {', '.join(items)} FROM (SELECT {unnest} FROM read_json('{path}', format='newline_delimited', records=true, "
             f"columns={columns_spec}))")
    rowtime = rowtime_sql(source, typed, meta(a, "$t"))
    outer = [f"{rowtime} AS {meta(a, '$rowtime')}", f"{meta(a, '$o')} * {SEQ_PARTITIONS} + {meta(a, '$p')} AS \"$seq\"",
             *extra]
    sql = (f"CREATE OR REPLACE TEMP {'VIEW' if view else 'TABLE'} {quote(table)} AS "
           f"SELECT *, epoch_ms({meta(a, '$rowtime')}) AS {meta(a, '$ts')} FROM "
           f"(SELECT *, {', '.join(outer)} FROM ({inner}))")
    con.execute(sql)
    if not view:
        path.unlink(missing_ok=True)
    return len(batch)
