"""Output rows as the derived product's events, rendered by DuckDB, and their placement on partitions.

Why render in SQL: a derived product's schema is JSON Schema, so an event is the 5-byte wire header
followed by JSON. DuckDB builds the JSON text, prepends the header and encodes the key for a whole batch
(``to_json(struct_pack(...))``, ``encode``), so Python only moves ``bytes`` objects to the log. Timestamps
are written as ISO-8601 UTC with milliseconds (``2024-05-01T10:00:00.000Z``), as the schema's
``date-time`` format says; non-finite doubles as null (JSON has no NaN).

Keys are the text :func:`~streammesh.schemas.serde.encode_key` would write for the key fields' values:
one field as its text, several as a JSON array; so a derived product is partitioned exactly as if an SDK
producer had written it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streammesh.log.base import Headers, OutgoingRecord
from streammesh.log.partitioner import KeyPartitioner
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
    out = {}
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


def render_sql(query: Query, rel: str, *, final: bool, header: bytes, ts: str, where: str = "true",
               tombstone: str = "false", order: str = "", key: str | None = None) -> str:
    """``(value, key, timestamp)`` rows of relation ``rel``: a value for rows passing ``where``, a tombstone
    (NULL value) for rows passing ``tombstone``, in ``order``."""
    value = value_sql(query, final=final, header=header)
    sql = (f"SELECT CASE WHEN {where} THEN {value} END AS v, {key or key_sql(query, final=final)} AS k, "
           f"CAST({ts} AS BIGINT) AS t FROM ({rel}) WHERE ({where}) OR ({tombstone})")
    return sql + (f" ORDER BY {order}" if order else "")


class OutputBatch:
    """A micro-batch's output events in their deterministic order. Keyed events are placed by the log's
    partitioner; keyless ones on ``fixed_partition`` (chosen from the batch number, so a replay finds
    them on the same partition). :meth:`partitions` computes the placement only when a replay needs it."""

    __slots__ = ("fixed_partition", "headers", "keys", "stamps", "values")

    def __init__(self, values: list[bytes | None], keys: list[bytes | None], stamps: list[int],
                 fixed_partition: int = 0, headers: list[Headers] | None = None) -> None:
        self.values, self.keys, self.stamps = values, keys, stamps
        self.fixed_partition = fixed_partition
        self.headers = headers

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[Any, Any, Any]], *, fixed_partition: int) -> OutputBatch:
        """From ``(value, key, timestamp)`` rows."""
        if not rows:
            return cls([], [], [], fixed_partition)
        values, keys, stamps = (list(c) for c in zip(*rows))
        return cls(values, keys, stamps, fixed_partition)

    @classmethod
    def empty(cls) -> OutputBatch:
        return cls([], [], [])

    def __len__(self) -> int:
        return len(self.values)

    def partitions(self, partitioner: KeyPartitioner) -> list[int]:
        """Where each event goes: by key like Kafka's default partitioner, else ``fixed_partition``."""
        parts = partitioner.place(self.keys)
        if None in parts:
            parts = [self.fixed_partition if p is None else p for p in parts]
        return parts  # type: ignore[return-value]

    def records(self, *, skip: dict[int, int] | None = None,
                partitioner: KeyPartitioner | None = None) -> list[OutgoingRecord]:
        """The events to append, leaving out the first ``skip[p]`` of partition ``p`` (already there)."""
        n = len(self.values)
        headers = self.headers or [()] * n
        if None in self.keys:
            parts: list[int | None] = [self.fixed_partition if k is None else None for k in self.keys]
        else:
            parts = [None] * n
        if not skip or not any(skip.values()):
            return list(map(OutgoingRecord, self.values, self.keys, headers, self.stamps, parts))
        assert partitioner is not None
        left = dict(skip)
        out = []
        for v, k, h, t, p, where in zip(self.values, self.keys, headers, self.stamps, parts,
                                        self.partitions(partitioner)):
            if left.get(where, 0) > 0:
                left[where] -= 1
                continue
            out.append(OutgoingRecord(v, k, h, t, p))
        return out
