"""A micro-batch's columns into a DuckDB relation named by the plan's conventions, through Arrow.

Why Arrow: DuckDB scans an Arrow table in place, so a batch decoded into Arrow arrays (see
:mod:`.avro_vector`) reaches SQL without a per-value conversion; columns that are still Python lists (JSON
products, the per-record Avro path) are converted once by pyarrow. Nested values (arrays, records, ``any``)
travel as JSON text and are cast to DuckDB's ``JSON`` in SQL. (Before, the columns went through an orjson
file and ``read_json``: ≈ 0.45 µs per bid against ≈ 0.05 µs now; see benchmarks/README.md.)

The relation holds, per row: every needed field as ``{alias}__{path}`` (typed by
:func:`~streammesh.processing.sql.types.duckdb_type`), the event time ``{alias}__$rowtime`` (TIMESTAMP)
and ``{alias}__$ts`` (its epoch milliseconds), the log position ``{alias}__$p`` / ``{alias}__$o``,
``{alias}__$del`` (a tombstone), ``{alias}__$key`` (record key text, table sources), and ``$seq``.

``$seq`` is the arrival order the plan's LATEST_BY_OFFSET / EARLIEST_BY_OFFSET use:
``offset * 1024 + partition``. Within a partition it is the log order; across partitions, records at
similar offsets interleave. It depends only on where a record is in the log, never on how the log was
cut into micro-batches, so a replayed batch and the batch reference compute the same values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import pyarrow as pa

from streammesh.processing.runtime.decoding import DecodedBatch
from streammesh.processing.sql.plan import Source
from streammesh.processing.sql.types import duckdb_type

__all__ = ["SEQ_PARTITIONS", "column_sql", "ingest", "meta", "quote", "rowtime_sql", "to_arrow"]

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
        return f"coalesce(TRY_CAST(TRY_CAST({ref} AS TIMESTAMPTZ) AS TIMESTAMP), epoch_ms(TRY_CAST({ref} AS BIGINT)))"
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


_ARROW = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "JSON": pa.string(),
}


def _tolerant(value: Any, duck: str) -> Any:
    """``value`` as the column's type, or null: a value of another type (possible in JSON products with a
    loose schema) must not fail the batch."""
    if value is None:
        return None
    if duck in ("VARCHAR", "JSON"):
        if isinstance(value, str) and duck == "VARCHAR":
            return value
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()
    if duck == "BOOLEAN":
        return value if isinstance(value, bool) else None
    try:
        number = float(value) if duck == "DOUBLE" else int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if duck == "BIGINT" and (not -(2**63) <= number < 2**63 or (isinstance(value, float) and value != number)):
        return None
    return number


def to_arrow(values: Sequence[Any] | pa.Array, duck: str) -> pa.Array:
    """One decoded column (a list or an Arrow array) as an Arrow array of DuckDB type ``duck``'s Arrow type."""
    target = _ARROW[duck]
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        if values.type == target or (duck == "VARCHAR" and values.type == pa.string_view()):
            return values  # DuckDB scans string views as they are
        return values.cast(target)
    if duck != "JSON":
        try:
            return pa.array(values, type=target)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            pass
    return pa.array([_tolerant(v, duck) for v in values], type=target)


def _column(values: Any, arrow_type: pa.DataType) -> pa.Array:
    if isinstance(values, pa.Array):
        return values if values.type == arrow_type else values.cast(arrow_type)
    return pa.array(values, type=arrow_type)


def ingest(
    con: Any, table: str, source: Source, batch: DecodedBatch, *, view: bool = False, extra: Sequence[str] = ()
) -> int:
    """(Re)create ``table`` from ``batch`` and return its row count.

    Args:
        con: a DuckDB connection (session time zone UTC).
        table: the table to create (replaced when it exists).
        source: the plan's source (alias, columns, time field).
        view: create a TEMP VIEW over the batch's Arrow table instead of a table (for relations scanned
            once: it saves materialising them; the Arrow table stays registered until the next call).
        extra: more ``expr AS name`` select items over the typed columns.
    """
    a = source.alias
    arrays: dict[str, pa.Array] = {}
    typed: dict[str, str] = {}
    items = []
    for i, (col, raw) in enumerate(zip(source.columns, batch.raw)):
        duck = _raw_type(col.type, raw)
        arrays[f"c{i}"] = to_arrow(batch.columns[i], duck)
        ref = quote(f"c{i}") if duck != "JSON" else f"CAST({quote(f'c{i}')} AS JSON)"
        items.append(f"{column_sql(ref, col.type, raw)} AS {quote(col.column)}")
        typed[col.path] = quote(col.column)
    arrays["p"] = _column(batch.partitions, pa.int32())
    arrays["o"] = _column(batch.offsets, pa.int64())
    arrays["t"] = _column(batch.timestamps, pa.int64())
    arrays["d"] = _column(batch.deleted, pa.bool_())
    items += [
        f'"p" AS {meta(a, "$p")}',
        f'"o" AS {meta(a, "$o")}',
        f'"d" AS {meta(a, "$del")}',
        f'"t" AS {meta(a, "$t")}',
    ]
    if batch.keys:
        arrays["k"] = pa.array(batch.keys, type=pa.string())
        items.append(f'"k" AS {meta(a, "$key")}')
    source_name = f"sm_arrow_{table}"
    con.register(source_name, pa.Table.from_pydict(arrays))
    inner = f"SELECT {', '.join(items)} FROM {quote(source_name)}"
    rowtime = rowtime_sql(source, typed, meta(a, "$t"))
    outer = [
        f"{rowtime} AS {meta(a, '$rowtime')}",
        f'{meta(a, "$o")} * {SEQ_PARTITIONS} + {meta(a, "$p")} AS "$seq"',
        *extra,
    ]
    sql = (
        f"CREATE OR REPLACE TEMP {'VIEW' if view else 'TABLE'} {quote(table)} AS "
        f"SELECT *, epoch_ms({meta(a, '$rowtime')}) AS {meta(a, '$ts')} FROM "
        f"(SELECT *, {', '.join(outer)} FROM ({inner}))"
    )
    con.execute(sql)
    if not view:
        con.unregister(source_name)
    return len(batch)
