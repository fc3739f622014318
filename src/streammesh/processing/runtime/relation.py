"""The row relation of a micro-batch: the FROM rows, joined with tables, before grouping.

**Stream-table joins are temporal.** A table side keeps *versions*: every value its stream held, with
the event time it became valid (its ``ROWTIME``; a tombstone deletes from its record timestamp on).
A stream row joins the version of its key valid at the row's own event time (DuckDB ``ASOF JOIN``).
So the result does not depend on how the two streams were interleaved into micro-batches, a replayed
batch joins exactly as the first time, and the batch reference computes the same rows. Each step reads
the table's stream to its end before joining, so updates already on the log are always seen.

Versions superseded longer than :data:`HISTORY_MS` (or the window's grace, if longer) before the
stream's watermark are pruned: a stream row older than that joins the oldest version kept.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from streammesh.processing.runtime.ingest import meta, quote
from streammesh.processing.sql.functions import render_duckdb
from streammesh.processing.sql.plan import Join, Query, Source
from streammesh.processing.sql.types import duckdb_type

__all__ = ["HISTORY_MS", "TableSide", "joined_sql", "split_filter"]

#: how long superseded table versions are kept behind the stream's watermark
HISTORY_MS = 24 * 3600 * 1000


class TableSide:
    """The versioned state of one stream-table join's right side (DuckDB table ``tv_{alias}``)."""

    def __init__(self, join: Join) -> None:
        self.join = join
        self.source: Source = join.source
        a = self.source.alias
        self.table = quote(f"tv_{a}")
        self.keys = [quote(c.column) for c in self.source.columns if c.path in self.source.key]
        by_path = {c.path: c for c in self.source.columns}
        fills = []
        for i, k in enumerate(self.source.key):
            col = by_path.get(k)
            if col is None:
                continue
            raw = meta(a, "$key") if len(self.source.key) == 1 else f"json_extract_string({meta(a, '$key')}, '$[{i}]')"
            fills.append(
                f"coalesce({quote(col.column)}, TRY_CAST({raw} AS {duckdb_type(col.type)})) AS {quote(col.column)}"
            )
        self._fills = fills
        self.value_columns = [quote(c.column) for c in self.source.columns] + [meta(a, "$rowtime")]

    def _select(self, batch: str) -> str:
        a = self.source.alias
        others = [quote(c.column) for c in self.source.columns if c.path not in self.source.key]
        items = (
            self._fills
            + others
            + [meta(a, "$rowtime"), meta(a, "$ts"), meta(a, "$del"), f'"$seq" AS {meta(a, "$seq")}']
        )
        keys = ", ".join(self.keys) or "1"
        return (
            f"SELECT {', '.join(items)} FROM {quote(batch)} "
            f'QUALIFY row_number() OVER (PARTITION BY {keys}, {meta(a, "$ts")} ORDER BY "$seq" DESC) = 1'
        )

    def create(self, con: Any) -> None:
        a = self.source.alias
        by_path = {c.path: c for c in self.source.columns}
        cols = [by_path[k] for k in self.source.key if k in by_path]
        cols += [c for c in self.source.columns if c.path not in self.source.key]
        items = [f"{quote(c.column)} {duckdb_type(c.type)}" for c in cols]
        items += [
            f"{meta(a, '$rowtime')} TIMESTAMP",
            f"{meta(a, '$ts')} BIGINT",
            f"{meta(a, '$del')} BOOLEAN",
            f"{meta(a, '$seq')} BIGINT",
        ]
        con.execute(f"CREATE TABLE IF NOT EXISTS {self.table} ({', '.join(items)})")

    def upsert(self, con: Any, batch: str) -> None:
        """Add the batch's versions; a version at the same key and event time replaces the older one."""
        a = self.source.alias
        con.execute(f"CREATE OR REPLACE TEMP TABLE {quote('nv_' + a)} AS {self._select(batch)}")
        same = " AND ".join(f"{self.table}.{k} IS NOT DISTINCT FROM n.{k}" for k in self.keys)
        con.execute(
            f"DELETE FROM {self.table} USING {quote('nv_' + a)} n WHERE {same or 'true'} "
            f"AND {self.table}.{meta(a, '$ts')} = n.{meta(a, '$ts')}"
        )
        con.execute(f"INSERT INTO {self.table} BY NAME SELECT * FROM {quote('nv_' + a)}")

    def prune(self, con: Any, horizon_ms: int) -> None:
        """Drop versions superseded at or before ``horizon_ms``, and tombstones older than it."""
        a = self.source.alias
        keys = ", ".join(self.keys) or "1"
        ts = meta(a, "$ts")
        con.execute(
            f"DELETE FROM {self.table} WHERE rowid IN (SELECT rowid FROM (SELECT rowid, {ts}, {meta(a, '$del')} "
            f"AS d, lead({ts}) OVER (PARTITION BY {keys} ORDER BY {ts}) AS nxt FROM {self.table}) "
            f"WHERE nxt <= {int(horizon_ms)} OR (nxt IS NULL AND d AND {ts} <= {int(horizon_ms)}))"
        )


def split_filter(query: Query) -> tuple[str | None, str | None]:
    """The WHERE condition as (the part on FROM columns only, the rest): the first part is applied
    before the joins, so that rows it drops are never joined."""
    if query.filter is None:
        return None, None
    first = query.sources[0].alias

    def conjuncts(node: exp.Expression) -> list[exp.Expression]:
        if isinstance(node, exp.Paren):
            return conjuncts(node.this)
        if isinstance(node, exp.And):
            return conjuncts(node.this) + conjuncts(node.expression)
        return [node]

    own: list[str] = []
    rest: list[str] = []
    for c in conjuncts(query.filter.node):
        tables = {col.table for col in c.find_all(exp.Column)}
        (own if tables <= {first} and not c.find(exp.Subquery) else rest).append(f"({render_duckdb(c)})")
    return (" AND ".join(own) or None), (" AND ".join(rest) or None)


def joined_sql(
    query: Query, rows: str, tables: dict[str, TableSide], *, keep_deleted: bool = False, prefilter: str | None = None
) -> str:
    """SQL of the FROM rows of table ``rows`` joined with every stream-table join's versions.

    Args:
        keep_deleted: keep FROM tombstones (a CREATE TABLE over a table-like source deletes with them).
        prefilter: a condition on FROM columns applied before joining.
    """
    first = query.sources[0].alias
    conds = ([] if keep_deleted else [f"NOT {meta(first, '$del')}"]) + (
        [f"coalesce({prefilter}, false)"] if prefilter else []
    )
    rel = f"SELECT * FROM {quote(rows)}" + (f" WHERE {' AND '.join(conds)}" if conds else "")
    for j in query.joins:
        side = tables[j.source.alias]
        a = j.source.alias
        on = " AND ".join(f"({lk.to_duckdb()}) = r.{rk.to_duckdb()}" for lk, rk in zip(j.left_keys, j.right_keys))
        nulled = [f"CASE WHEN r.{meta(a, '$del')} THEN NULL ELSE r.{c} END AS {c}" for c in side.value_columns]
        match = f"coalesce(NOT r.{meta(a, '$del')}, false)"
        rel = (
            f"SELECT l.*, {', '.join(nulled)}, {match} AS {meta(a, '$match')} FROM ({rel}) l "
            f"ASOF LEFT JOIN {side.table} r ON {on} AND l.{meta(first, '$rowtime')} >= r.{meta(a, '$rowtime')}"
        )
        if j.kind == "inner":
            rel = f"SELECT * FROM ({rel}) WHERE {meta(a, '$match')}"
    return rel
