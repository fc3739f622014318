"""Output rows as the derived product's events, rendered by DuckDB, and their placement on partitions.

Why render in SQL: a derived product's schema is JSON Schema, so an event is the 5-byte wire header
followed by JSON. DuckDB builds the JSON text, prepends the header and encodes the key for a whole batch
(``to_json(struct_pack(...))``, ``encode``) and hands the batch back as Arrow columns, which the log writes
without a Python object per event. Timestamps
are written as ISO-8601 UTC with milliseconds (``2024-05-01T10:00:00.000Z``), as the schema's
``date-time`` format says; non-finite doubles as null (JSON has no NaN).

Keys are the text :func:`~streammesh.schemas.serde.encode_key` would write for the key fields' values:
one field as its text, several as a JSON array; so a derived product is partitioned exactly as if an SDK
producer had written it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from streammesh.log.base import BaseLog, Headers, LogTransaction, OutgoingRecord
from streammesh.log.partitioner import partitions_for_keys
from streammesh.processing.runtime.ingest import quote
from streammesh.processing.sql.plan import Query

__all__ = ["OutputBatch", "key_sql", "render_sql", "value_sql"]

ISO_MS = "'%Y-%m-%dT%H:%M:%S.%gZ'"


def _json_value(expr: str, sql_type: str) -> str:
    if sql_type == "timestamp":
        return f"strftime({expr}, {ISO_MS})"
    if sql_type == "double":
        return f"(CASE WHEN isfinite(CAST({expr} AS DOUBLE)) THEN CAST({expr} AS DOUBLE) END)"
    return expr


def _text(expr: str, sql_type: str) -> str:
    if sql_type == "timestamp":
        return f"strftime({expr}, {ISO_MS})"
    if sql_type == "string":
        return f"CAST({expr} AS VARCHAR)"
    if sql_type == "boolean":
        return f"lower(CAST({expr} AS VARCHAR))"
    if sql_type in ("array", "record", "any"):
        return f"CAST(to_json({expr}) AS VARCHAR)"
    return f"CAST({expr} AS VARCHAR)"


def _exprs(query: Query, final: bool) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for p in query.projections:
        e = p.final if final else p.expr
        out[p.name] = (e.to_duckdb(), query.output(p.name).type)
    return out


def value_sql(query: Query, *, final: bool, header: bytes = b"") -> str:
    """A BLOB expression: ``header`` then the row's JSON (projections' ``final`` or ``expr`` forms)."""
    items = ", ".join(f"{quote(n)} := {_json_value(e, t)}" for n, (e, t) in _exprs(query, final).items())
    body = f"encode(CAST(to_json(struct_pack({items})) AS VARCHAR))"
    if not header:
        return body
    literal = "".join(f"\\x{b:02X}" for b in header)
    return f"('{literal}'::BLOB || {body})"


def key_sql(query: Query, *, final: bool) -> str:
    """A BLOB expression for the record key (NULL when the product has no key)."""
    if not query.key_fields:
        return "NULL::BLOB"
    exprs = _exprs(query, final)
    parts = [exprs[k] for k in query.key_fields if k in exprs]
    if len(parts) == 1:
        return f"encode({_text(*parts[0])})"
    items = ", ".join(_json_value(e, t) for e, t in parts)
    return f"encode(CAST(json_array({items}) AS VARCHAR))"


def render_sql(
    query: Query,
    rel: str,
    *,
    final: bool,
    header: bytes,
    ts: str,
    where: str = "true",
    tombstone: str = "false",
    order: str = "",
    key: str | None = None,
) -> str:
    """``(value, key, timestamp)`` rows of relation ``rel``: a value for rows passing ``where``, a tombstone
    (NULL value) for rows passing ``tombstone``, in ``order``."""
    value = value_sql(query, final=final, header=header)
    sql = (
        f"SELECT CASE WHEN {where} THEN {value} END AS v, {key or key_sql(query, final=final)} AS k, "
        f"CAST({ts} AS BIGINT) AS t FROM ({rel}) WHERE ({where}) OR ({tombstone})"
    )
    return sql + (f" ORDER BY {order}" if order else "")


class OutputBatch:
    """A micro-batch's output events in their deterministic order, as Arrow columns ``v`` (value), ``k`` (key)
    and ``t`` (timestamp), as DuckDB returns them. Keyed events are placed by Kafka's partitioner; keyless ones
    on ``fixed_partition`` (chosen from the batch number, so a replay finds them on the same partition).
    Dead letters carry ``headers`` and go through the log's record path."""

    __slots__ = ("fixed_partition", "headers", "table")

    def __init__(self, table: pa.Table, fixed_partition: int = 0, headers: list[Headers] | None = None) -> None:
        self.table = table
        self.fixed_partition = fixed_partition
        self.headers = headers

    @classmethod
    def from_arrow(cls, tables: Sequence[pa.Table], *, fixed_partition: int) -> OutputBatch:
        """From DuckDB results with columns ``v``, ``k``, ``t`` (in order)."""
        tables = [t for t in tables if t.num_rows]
        if not tables:
            return cls.empty(fixed_partition)
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        return cls(table.cast(_SCHEMA) if table.schema != _SCHEMA else table, fixed_partition)

    @classmethod
    def from_lists(
        cls, values: list[bytes | None], timestamps: list[int], *, fixed_partition: int, headers: list[Headers]
    ) -> OutputBatch:
        """Keyless events built in Python (dead letters)."""
        table = pa.table(
            {
                "v": pa.array(values, pa.binary()),
                "k": pa.nulls(len(values), pa.binary()),
                "t": pa.array(timestamps, pa.int64()),
            },
            schema=_SCHEMA,
        )
        return cls(table, fixed_partition, headers)

    @classmethod
    def empty(cls, fixed_partition: int = 0) -> OutputBatch:
        return cls(_SCHEMA.empty_table(), fixed_partition)

    def __len__(self) -> int:
        return self.table.num_rows

    @property
    def values(self) -> list[bytes | None]:
        return self.table.column("v").to_pylist()

    def partitions(self, partitions: int) -> np.ndarray:
        """Where each event goes: by key like Kafka's default partitioner, else ``fixed_partition``."""
        placed = partitions_for_keys(self.table.column("k").combine_chunks(), partitions)
        placed[placed < 0] = self.fixed_partition
        return placed

    def counts(self, partitions: int) -> dict[int, int]:
        """Events per partition."""
        placed = self.partitions(partitions)
        return {int(p): int(n) for p, n in zip(*np.unique(placed, return_counts=True))}

    def append_to(
        self,
        log: BaseLog | LogTransaction,
        topic: str,
        partitions: int,
        *,
        skip: dict[int, int] | None = None,
        tag: tuple[str, bytes] | None = None,
    ) -> int:
        """Append the events (in order per partition), leaving out the first ``skip[p]`` of partition ``p``
        (already on the log after a crash); returns how many were appended. With ``tag``, every event carries
        that header (the writer and batch, so a replay can find what it already appended).

        Plain events go per partition as Arrow columns (``Log.append_columns``); events with headers go as
        records in one append (one flush for every partition; the log keeps each partition's order). A
        transaction gets tagged events only: it has ``append``, not ``append_columns``."""
        if not len(self):
            return 0
        runs = self._runs(self.partitions(partitions), skip or {})
        if tag is None and self.headers is None and isinstance(log, BaseLog):
            for p, idx in runs:
                part = self.table.take(pa.array(idx)) if len(idx) < len(self) else self.table
                log.append_columns(
                    topic,
                    p,
                    keys=part.column("k").combine_chunks(),
                    values=part.column("v").combine_chunks(),
                    timestamps=part.column("t").combine_chunks(),
                )
            return sum(len(idx) for _p, idx in runs)
        values, keys = self.table.column("v").to_pylist(), self.table.column("k").to_pylist()
        stamps = self.table.column("t").to_pylist()
        extra = (tag,) if tag is not None else ()
        headers = self.headers
        records = [
            OutgoingRecord(values[i], keys[i], (*headers[i], *extra) if headers else extra, stamps[i], p)
            for p, idx in runs
            for i in idx.tolist()
        ]
        if records:
            log.append(topic, records)
        return len(records)

    @staticmethod
    def _runs(placed: np.ndarray, skip: dict[int, int]) -> list[tuple[int, np.ndarray]]:
        """Per partition, in partition order, the indexes of its events in batch order, less the first
        ``skip[p]``; partitions left with nothing are left out."""
        order = np.argsort(placed, kind="stable")
        runs = []
        for idx in np.split(order, np.flatnonzero(np.diff(placed[order])) + 1):
            p = int(placed[idx[0]])
            idx = idx[skip.get(p, 0) :]
            if len(idx):
                runs.append((p, idx))
        return runs


_SCHEMA = pa.schema([("v", pa.binary()), ("k", pa.binary()), ("t", pa.int64())])
