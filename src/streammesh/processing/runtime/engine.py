"""One query's operators over one micro-batch, in DuckDB: ingest, join, filter, aggregate, render.

The engine is a pure function of (state tables, decoded input): it reads no clock and no log, and orders
every output explicitly, so a batch replayed after a crash produces the same events in the same order
per partition (the exactly-once protocol in :mod:`.processor` relies on it). The processor owns the log,
the checkpoints and the transaction; :func:`~streammesh.processing.runtime.interactive.preview` runs
an engine on an in-memory database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streammesh.processing.runtime.aggregation import WindowAggregation, assign_windows_sql
from streammesh.processing.runtime.decoding import DecodedBatch
from streammesh.processing.runtime.errors import UnsupportedQueryError
from streammesh.processing.runtime.ingest import ingest, meta, quote
from streammesh.processing.runtime.output import OutputBatch, key_sql, render_sql
from streammesh.processing.runtime.relation import HISTORY_MS, TableSide, joined_sql
from streammesh.processing.runtime.sessions import SessionAggregation, assign_sessions_sql
from streammesh.processing.sql.plan import Query
from streammesh.schemas.serde import dump_json

__all__ = ["Engine", "StepResult", "check_supported"]

_PRUNE_EVERY = 64  # batches between prunes of table versions
_NO_TIME = -(2**62)


@dataclass
class StepResult:
    """What one micro-batch produced."""

    outputs: OutputBatch = field(default_factory=OutputBatch.empty)
    dead: list[tuple[bytes, list[tuple[str, bytes]], int]] = field(default_factory=list)
    read: int = 0
    late: int = 0
    errors: int = 0


def check_supported(query: Query) -> None:
    """Raise :class:`UnsupportedQueryError` for plans the runtime cannot execute."""
    for j in query.joins:
        if j.mode != "stream-table":
            raise UnsupportedQueryError(
                f"stream-stream joins (JOIN {j.source.product} WITHIN …) are not executed by the runtime yet",
                hint="join a table-like (compacted) product on its key, or aggregate each stream into its own "
                     "TABLE first")
    if query.kind == "table" and not query.aggregating and query.sources[0].key and not query.key_fields:
        raise UnsupportedQueryError("a CREATE TABLE without GROUP BY must select its source's key fields",
                                    hint=f"select {', '.join(query.sources[0].key)}")


class Engine:
    """Runs ``query`` on micro-batches against the state tables of DuckDB connection ``con``.

    Args:
        header: the wire-format header of output events (``b""``: plain JSON, for previews).
        partitions: the output stream's partition count.
    """

    def __init__(self, query: Query, con: Any, scratch: Path, *, header: bytes, partitions: int,
                 source_partitions: int) -> None:
        check_supported(query)
        self.query = query
        self.con = con
        self.scratch = scratch
        self.header = header
        self.partitions = max(1, partitions)
        self.first = query.sources[0]
        self.tables = {j.source.alias: TableSide(j) for j in query.joins}
        w = query.window
        self.windowed = w is not None
        self.sessions = SessionAggregation(query) if w is not None and w.kind == "session" else None
        self.groups = WindowAggregation(query) if query.aggregating and self.sessions is None else None
        self.copy_table = query.kind == "table" and not query.aggregating
        self.grace = int(w.grace_ms) if w is not None else 0
        for side in self.tables.values():
            side.create(con)
        self.source_partitions = source_partitions
        self.idle: frozenset[int] = frozenset()
        con.execute("CREATE TABLE IF NOT EXISTS sm_wm (p INTEGER PRIMARY KEY, max_ts BIGINT)")
        con.execute("CREATE TABLE IF NOT EXISTS sm_closed (id INTEGER PRIMARY KEY, wm BIGINT)")
        if self.copy_table:
            con.execute("CREATE TABLE IF NOT EXISTS sm_keys (k BLOB PRIMARY KEY)")

    # -- per batch ---------------------------------------------------------------------------------
    def process(self, batch: int, decoded: dict[str, DecodedBatch], *, idle: frozenset[int] = frozenset()) -> StepResult:
        """Apply one micro-batch (``alias -> decoded records``) and return its outputs.

        Args:
            idle: FROM partitions that have never held a record; they do not hold windows open.
        """
        con, q, a = self.con, self.query, self.first.alias
        self.idle = idle
        result = StepResult()
        self._decoded = decoded
        for s in q.sources:
            d = decoded.get(s.alias)
            if d is None:
                continue
            result.read += len(d) + len(d.errors)
            result.errors += len(d.errors)
            result.dead += [self._undecodable(s.product, e) for e in d.errors]
        for alias, side in self.tables.items():
            if alias in decoded and len(decoded[alias]):
                ingest(con, f"in_{alias}", side.source, decoded[alias], self.scratch)
                side.upsert(con, f"in_{alias}")
        rows = decoded.get(a)
        if rows is not None and len(rows):
            # a relation scanned once (no window, no table copy) is read straight from the batch file
            ingest(con, f"in_{a}", self.first, rows, self.scratch, view=not (self.windowed or self.copy_table))
            self._rows(batch, result)
            if self.tables and batch % _PRUNE_EVERY == 0 and rows.timestamps:
                newest = con.execute(f"SELECT max({meta(a, '$ts')}) FROM {quote(f'in_{a}')}").fetchone()[0]
                for side in self.tables.values():
                    if newest is not None:
                        side.prune(con, int(newest) - max(HISTORY_MS, self.grace))
        return result

    def _rows(self, batch: int, result: StepResult) -> None:
        con, q, a = self.con, self.query, self.first.alias
        ts, p, o = meta(a, "$ts"), meta(a, "$p"), meta(a, "$o")
        table = f"in_{a}"
        if self.windowed:
            before = f"max({ts}) OVER (PARTITION BY {p} ORDER BY {o} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
            # a row's watermark: its partition's largest earlier event time minus grace, and never behind
            # what was already closed (so a row for a closed window is always late)
            con.execute(f"CREATE OR REPLACE TEMP TABLE sm_rows AS SELECT i.*, greatest(greatest(coalesce({before}, "
                        f"{_NO_TIME}), coalesce(w.max_ts, {_NO_TIME})) - {self.grace}, coalesce((SELECT wm FROM "
                        f"sm_closed WHERE id = 0), {_NO_TIME})) AS \"$wmb\" FROM {quote(table)} i "
                        f"LEFT JOIN sm_wm w ON w.p = i.{p}")
            table = "sm_rows"
            con.execute(f"INSERT INTO sm_wm SELECT {p}, max({ts}) FROM {quote(f'in_{a}')} WHERE NOT {meta(a, '$del')} "
                        f"GROUP BY {p} ON CONFLICT (p) DO UPDATE SET max_ts = greatest(max_ts, excluded.max_ts)")
        rel = joined_sql(q, table, self.tables, keep_deleted=self.copy_table)
        if q.filter is not None and not self.copy_table:
            rel = f"SELECT * FROM ({rel}) WHERE coalesce(({q.filter.to_duckdb()}), false)"
        if self.copy_table:
            rows = self._copy_rows(rel)
        elif not q.aggregating:
            # without joins, DuckDB (one thread, insertion order kept) returns rows in the batch's canonical
            # order (partition, offset); a join may reorder, so it is sorted
            order = '"$seq"' if q.joins else ""
            rows = con.execute(render_sql(q, rel, final=False, header=self.header, ts=ts, order=order)).fetchall()
        else:
            rows = self._aggregate(rel, result)
        result.outputs = OutputBatch.from_rows(rows, fixed_partition=batch % self.partitions)

    def _aggregate(self, rel: str, result: StepResult) -> list[tuple[Any, ...]]:
        con, q = self.con, self.query
        agg = self.sessions or self.groups
        assert agg is not None
        assign = assign_sessions_sql(q, rel) if self.sessions else assign_windows_sql(q, rel)
        con.execute(f"CREATE OR REPLACE TEMP TABLE sm_a AS {assign}")
        if self.windowed:
            self._late(result)
        rows: list[tuple[Any, ...]] = []
        if self.sessions is not None:
            changed, replaced = self.sessions.update(con, "sm_a")
            if q.emit == "changes":
                rows += con.execute(render_sql(q, f"SELECT * FROM {replaced}", final=True, header=self.header,
                                               ts='"$maxts"', where="false", tombstone="true",
                                               order=agg.order())).fetchall()
        else:
            changed = self.groups.update(con, "sm_a")  # type: ignore[union-attr]
        if q.emit == "changes":
            rows += con.execute(render_sql(q, f"SELECT * FROM {changed}", final=True, header=self.header,
                                           ts='"$maxts"', where='"$pass"', tombstone='NOT "$pass" AND "$emitted"',
                                           order=agg.order())).fetchall()
        wm = self.watermark()
        if self.windowed and wm is not None:
            con.execute(f"INSERT INTO sm_closed VALUES (0, {wm}) ON CONFLICT (id) DO UPDATE SET wm = greatest(wm, {wm})")
            closed = agg.closing(con, wm)
            if closed is not None and q.emit == "final":
                rows += con.execute(render_sql(q, f"SELECT * FROM {closed}", final=True, header=self.header,
                                               ts='"$maxts"', where='"$pass"',
                                               order='"$we", ' + agg.order())).fetchall()
        return rows

    def _late(self, result: StepResult) -> None:
        """Late rows go to the dead-letter stream (their whole value, as JSON) with the reason, once each."""
        a = self.first.alias
        fields = ", ".join(f"{quote(c.path)} := {quote(c.column)}" for c in self.first.columns)
        sql = (f"SELECT to_json(struct_pack({fields})), {meta(a, '$p')}, {meta(a, '$o')}, {meta(a, '$ts')}, "
               f"\"$wmb\", min(\"$ws\"), min(\"$we\") FROM sm_a WHERE \"$late\" "
               f"GROUP BY ALL ORDER BY {meta(a, '$p')}, {meta(a, '$o')}")
        batch = self._decoded[a]
        for value, part, off, ts, wmb, ws, we in self.con.execute(sql).fetchall():
            whole = batch.original(part, off)
            if whole is not None:
                value = dump_json(whole).decode()
            if self.sessions is not None:
                why = f"late: event time {ts} ms is behind the watermark {wmb} ms (grace {self.grace} ms)"
            else:
                why = (f"late: window [{ws}, {we}) ms had closed; event time {ts} ms, watermark {wmb} ms "
                       f"(grace {self.grace} ms)")
            result.dead.append(self._dead(value.encode(), why, self.first.product, part, off, ts))
            result.late += 1

    def _copy_rows(self, rel: str) -> list[tuple[Any, ...]]:
        """CREATE TABLE over a table-like source without GROUP BY: a row that matches is upserted; one
        that stops matching (or a tombstone) deletes its key, if a row was out for it."""
        con, q, a = self.con, self.query, self.first.alias
        cond = f"coalesce(({q.filter.to_duckdb()}), false)" if q.filter is not None else "true"
        key = key_sql(q, final=False)
        prev = (f"coalesce(lag(\"$ok\") OVER (PARTITION BY \"$k\" ORDER BY \"$seq\"), "
                f"EXISTS (SELECT 1 FROM sm_keys WHERE sm_keys.k = \"$k\"))")
        base = (f"SELECT *, NOT {meta(a, '$del')} AND {cond} AS \"$ok\", coalesce({key}, encode({meta(a, '$key')})) "
                f"AS \"$k\" FROM ({rel})")
        con.execute(f"CREATE OR REPLACE TEMP TABLE sm_t AS SELECT *, {prev} AS \"$prev\" FROM ({base})")
        rows = con.execute(render_sql(q, "SELECT * FROM sm_t", final=False, header=self.header,
                                      ts=meta(a, "$ts"), where='"$ok"', tombstone='NOT "$ok" AND "$prev"',
                                      order='"$seq"', key='"$k"')).fetchall()
        last = "SELECT \"$k\" AS k, arg_max(\"$ok\", \"$seq\") AS ok FROM sm_t GROUP BY \"$k\""
        con.execute(f"DELETE FROM sm_keys WHERE k IN (SELECT k FROM ({last}) WHERE NOT ok)")
        con.execute(f"INSERT INTO sm_keys SELECT k FROM ({last}) WHERE ok ON CONFLICT DO NOTHING")
        return rows

    # -- helpers -----------------------------------------------------------------------------------
    def watermark(self) -> int | None:
        """The smallest partition watermark of the FROM source (epoch ms); ``None`` while a partition that
        is not idle has had no record yet."""
        idle = ", ".join(str(p) for p in self.idle) or "-1"
        row = self.con.execute(f"SELECT count(*), min(max_ts) FROM sm_wm WHERE p NOT IN ({idle})").fetchone()
        want = self.source_partitions - len(self.idle)
        if row is None or row[1] is None or row[0] < want:
            return None
        return int(row[1]) - self.grace

    def _dead(self, value: bytes, reason: str, product: str, partition: int, offset: int,
              ts: int) -> tuple[bytes, list[tuple[str, bytes]], int]:
        headers = [("dlq.reason", reason.encode()), ("dlq.product", (self.query.name or "query").encode()),
                   ("dlq.source.product", product.encode()), ("dlq.source.partition", str(partition).encode()),
                   ("dlq.source.offset", str(offset).encode())]
        return value, headers, ts

    def _undecodable(self, product: str, error: tuple[Any, ...]) -> tuple[bytes, list, int]:
        part, off, ts, _key, reason, raw = error
        return self._dead(raw or b"null", f"undecodable: {reason}", product, part, off, ts)
