"""One query's operators over one micro-batch, in DuckDB: ingest, join, filter, aggregate, render.

The engine is a pure function of (state tables, decoded input): it reads no clock and no log, and orders
every output explicitly, so a batch replayed after a crash produces the same events in the same order
per partition (the exactly-once protocol in :mod:`.processor` relies on it). The processor owns the log,
the checkpoints and the transaction; :func:`~streammesh.processing.runtime.interactive.preview` runs
an engine on an in-memory database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from streammesh.processing.runtime.aggregation import (
    WindowAggregation,
    assign_windows_sql,
)
from streammesh.processing.runtime.decoding import DecodedBatch
from streammesh.processing.runtime.errors import UnsupportedQueryError
from streammesh.processing.runtime.ingest import ingest, meta, quote
from streammesh.processing.runtime.output import OutputBatch, key_sql, render_sql
from streammesh.processing.runtime.relation import (
    HISTORY_MS,
    TableSide,
    joined_sql,
    split_filter,
)
from streammesh.processing.runtime.sessions import (
    SessionAggregation,
    assign_sessions_sql,
)
from streammesh.processing.runtime.streamjoin import StreamJoin
from streammesh.processing.sql.plan import Query
from streammesh.schemas.serde import dump_json

__all__ = ["Engine", "StepResult", "check_supported"]


def _arrow(con: Any, sql: str) -> pa.Table:
    """A query's result as an Arrow table (no Python object per row)."""
    return con.sql(sql).to_arrow_table()


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
    streams = [j for j in query.joins if j.mode == "stream-stream"]
    if streams and len(query.joins) > 1:
        raise UnsupportedQueryError(
            f"a stream-stream join (JOIN {streams[0].source.product} WITHIN …) must be the query's only join; "
            f"this one has {len(query.joins)}",
            hint="join the first two streams in their own STREAM, then join that stream with the next one (or "
            "with tables) in a second statement",
        )
    if query.kind == "table" and not query.aggregating and query.sources[0].key and not query.key_fields:
        raise UnsupportedQueryError(
            "a CREATE TABLE without GROUP BY must select its source's key fields",
            hint=f"select {', '.join(query.sources[0].key)}",
        )


class Engine:
    """Runs ``query`` on micro-batches against the state tables of DuckDB connection ``con``.

    Args:
        header: the wire-format header of output events (``b""``: plain JSON, for previews).
        partitions: the output stream's partition count.
    """

    def __init__(
        self, query: Query, con: Any, *, header: bytes, partitions: int, source_partitions: int | dict[str, int]
    ) -> None:
        check_supported(query)
        self.query = query
        self.con = con
        self.header = header
        self.partitions = max(1, partitions)
        self.first = query.sources[0]
        self.tables = {j.source.alias: TableSide(j) for j in query.joins if j.mode == "stream-table"}
        w = query.window
        self.windowed = w is not None
        ss = next((j for j in query.joins if j.mode == "stream-stream"), None)
        self.sessions = SessionAggregation(query) if w is not None and w.kind == "session" else None
        self.groups = WindowAggregation(query) if query.aggregating and self.sessions is None else None
        self.copy_table = query.kind == "table" and not query.aggregating
        within = max(ss.within.before_ms, ss.within.after_ms) if ss is not None and ss.within else 0
        self.grace = int(w.grace_ms) if w is not None else int(within)
        self.streams = StreamJoin(query, ss, self.grace) if ss is not None else None
        self.needs_watermarks = self.windowed or self.streams is not None
        for side in self.tables.values():
            side.create(con)
        if self.streams is not None:
            self.streams.setup(con)
        parts = source_partitions if isinstance(source_partitions, dict) else {self.first.alias: source_partitions}
        self.source_partitions = parts
        self.idle: dict[str, frozenset[int]] = {}
        con.execute("CREATE TABLE IF NOT EXISTS sm_wm (p INTEGER PRIMARY KEY, max_ts BIGINT)")
        con.execute("CREATE TABLE IF NOT EXISTS sm_closed (id INTEGER PRIMARY KEY, wm BIGINT)")
        if self.copy_table:
            con.execute("CREATE TABLE IF NOT EXISTS sm_keys (k BLOB PRIMARY KEY)")

    # -- per batch ---------------------------------------------------------------------------------
    def process(
        self,
        batch: int,
        decoded: dict[str, DecodedBatch],
        *,
        idle: frozenset[int] | dict[str, frozenset[int]] = frozenset(),
    ) -> StepResult:
        """Apply one micro-batch (``alias -> decoded records``) and return its outputs.

        Args:
            idle: per source alias (or for the FROM source), the partitions that have never held a record;
                they hold no window or join buffer open.
        """
        con, q, a = self.con, self.query, self.first.alias
        self.idle = idle if isinstance(idle, dict) else {a: idle}
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
                ingest(con, f"in_{alias}", side.source, decoded[alias])
                side.upsert(con, f"in_{alias}")
        right = None
        if self.streams is not None:
            b = self.streams.b
            if b in decoded and len(decoded[b]):
                ingest(con, f"in_{b}", self.streams.join.source, decoded[b])
                right = f"in_{b}"
            self.streams.right_rows(con, right)
            self._dead_rows(result, self.streams.join.source, "ss_rnew", '"$late"', "join")
        rows = decoded.get(a)
        has_left = rows is not None and len(rows) > 0
        if has_left:
            # the batch's Arrow table is scanned where the relation is first used (no separate load)
            ingest(con, f"in_{a}", self.first, rows, view=True)  # type: ignore[arg-type]
        if has_left or right is not None:
            self._rows(batch, result, has_left=has_left)
        if has_left and self.tables and batch % _PRUNE_EVERY == 0:
            newest = con.execute(f"SELECT max({meta(a, '$ts')}) FROM {quote(f'in_{a}')}").fetchone()[0]
            for side in self.tables.values():
                if newest is not None:
                    side.prune(con, int(newest) - max(HISTORY_MS, self.grace))
        return result

    def _rows(self, batch: int, result: StepResult, *, has_left: bool = True) -> None:
        con, q, a = self.con, self.query, self.first.alias
        ts, p, o = meta(a, "$ts"), meta(a, "$p"), meta(a, "$o")
        table = f"in_{a}"
        if self.needs_watermarks and has_left:
            before = f"max({ts}) OVER (PARTITION BY {p} ORDER BY {o} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
            # a row's watermark: its partition's largest earlier event time minus grace, and never behind
            # what was already closed (so a row for a closed window is always late)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE sm_rows AS SELECT i.*, greatest(greatest(coalesce({before}, "
                f"{_NO_TIME}), coalesce(w.max_ts, {_NO_TIME})) - {self.grace}, coalesce((SELECT wm FROM "
                f'sm_closed WHERE id = 0), {_NO_TIME})) AS "$wmb" FROM {quote(table)} i '
                f"LEFT JOIN sm_wm w ON w.p = i.{p}"
            )
            table = "sm_rows"
            con.execute(
                f"INSERT INTO sm_wm SELECT {p}, max({ts}) FROM sm_rows WHERE NOT {meta(a, '$del')} "
                f"GROUP BY {p} ON CONFLICT (p) DO UPDATE SET max_ts = greatest(max_ts, excluded.max_ts)"
            )
        if self.streams is not None:
            rel = self._join_streams(result, has_left)
            if rel is None:
                return
        elif self.copy_table:
            rel = joined_sql(q, table, self.tables, keep_deleted=True)
        else:
            own, rest = split_filter(q)
            rel = joined_sql(q, table, self.tables, prefilter=own)
            if rest is not None:
                rel = f"SELECT * FROM ({rel}) WHERE coalesce({rest}, false)"
        if self.copy_table:
            rows = [self._copy_rows(rel)]
        elif not q.aggregating:
            # without joins, DuckDB (one thread, insertion order kept) returns rows in the batch's canonical
            # order (partition, offset); a join may reorder, so it is sorted
            order = '"$seq"' if q.joins else ""
            rows = [_arrow(con, render_sql(q, rel, final=False, header=self.header, ts=ts, order=order))]
        else:
            rows = self._aggregate(rel, result)
        result.outputs = OutputBatch.from_arrow(rows, fixed_partition=batch % self.partitions)

    def _join_streams(self, result: StepResult, has_left: bool) -> str | None:
        """The stream-stream join's new pairs (and expired unmatched left rows, for LEFT JOIN)."""
        con, q, a = self.con, self.query, self.first.alias
        streams = self.streams
        assert streams is not None
        own, rest = split_filter(q)
        if has_left:
            self._dead_rows(result, self.first, "sm_rows", f'{meta(a, "$ts")} < "$wmb"', "join")
            left = f'SELECT * FROM sm_rows WHERE NOT {meta(a, "$del")} AND {meta(a, "$ts")} >= "$wmb"' + (
                f" AND coalesce({own}, false)" if own else ""
            )
        elif con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ss_left'").fetchone()[0]:
            left = 'SELECT * EXCLUDE ("$matched") FROM ss_left WHERE false'
        else:  # nothing on the left yet: just buffer the right rows
            con.execute(
                'INSERT INTO ss_right BY NAME SELECT * EXCLUDE ("$late", "$wmb") FROM ss_rnew WHERE NOT "$late"'
            )
            return None
        closed = f"coalesce((SELECT wm FROM sm_closed WHERE id = 0), {_NO_TIME})"
        pairs = streams.step(con, left, closed, self.watermark(), self.watermark(streams.b, "sm_wm_right"))
        return f"SELECT * FROM {pairs}" + (f" WHERE coalesce({rest}, false)" if rest else "")

    def _dead_rows(self, result: StepResult, source: Any, table: str, condition: str, what: str) -> None:
        """Rows of ``table`` (of ``source``) that are late for a join go to the dead-letter stream."""
        b = source.alias
        sql = (
            f'SELECT {meta(b, "$p")}, {meta(b, "$o")}, {meta(b, "$ts")}, "$wmb" FROM {table} WHERE {condition} '
            f"ORDER BY {meta(b, '$p')}, {meta(b, '$o')}"
        )
        batch = self._decoded.get(b)
        for part, off, ts, wmb in self.con.execute(sql).fetchall():
            whole = batch.original(part, off) if batch is not None else None
            why = f"late: event time {ts} ms is behind the watermark {wmb} ms (grace {self.grace} ms) of the {what}"
            result.dead.append(self._dead(dump_json(whole), why, source.product, part, off, ts))
            result.late += 1

    def _aggregate(self, rel: str, result: StepResult) -> list[pa.Table]:
        con, q = self.con, self.query
        agg = self.sessions or self.groups
        assert agg is not None
        assign = assign_sessions_sql(q, rel) if self.sessions else assign_windows_sql(q, rel)
        # a row can only be late when its event time is behind its watermark: usually none is, and the
        # assigned rows then go straight into the aggregation without being materialised
        a = self.first.alias
        rows_of = f"({rel})" if self.streams is not None else "sm_rows"
        behind = (
            self.windowed
            and con.execute(f'SELECT count(*) FROM {rows_of} WHERE {meta(a, "$ts")} < "$wmb"').fetchone()[0]
        )
        if behind:
            con.execute(f"CREATE OR REPLACE TEMP TABLE sm_a AS {assign}")
            self._late(result)
            assign = "SELECT * FROM sm_a"
        rows: list[pa.Table] = []
        if self.sessions is not None:
            changed, replaced = self.sessions.update(con, assign)
            if q.emit == "changes":
                rows.append(
                    _arrow(
                        con,
                        render_sql(
                            q,
                            f"SELECT * FROM {replaced}",
                            final=True,
                            header=self.header,
                            ts='"$maxts"',
                            where="false",
                            tombstone="true",
                            order=agg.order(),
                        ),
                    )
                )
        else:
            changed = self.groups.update(con, assign)  # type: ignore[union-attr]
        if q.emit == "changes":
            rows.append(
                _arrow(
                    con,
                    render_sql(
                        q,
                        f"SELECT * FROM {changed}",
                        final=True,
                        header=self.header,
                        ts='"$maxts"',
                        where='"$pass"',
                        tombstone='NOT "$pass" AND "$emitted"',
                        order=agg.order(),
                    ),
                )
            )
        wm = self.closing_watermark()
        if self.windowed and wm is not None:
            con.execute(
                f"INSERT INTO sm_closed VALUES (0, {wm}) ON CONFLICT (id) DO UPDATE SET wm = greatest(wm, {wm})"
            )
            closed = agg.closing(con, wm)
            if closed is not None and q.emit == "final":
                rows.append(
                    _arrow(
                        con,
                        render_sql(
                            q,
                            f"SELECT * FROM {closed}",
                            final=True,
                            header=self.header,
                            ts='"$maxts"',
                            where='"$pass"',
                            order='"$we", ' + agg.order(),
                        ),
                    )
                )
        return rows

    def _late(self, result: StepResult) -> None:
        """Late rows go to the dead-letter stream (their whole value, as JSON) with the reason, once each."""
        a = self.first.alias
        fields = ", ".join(f"{quote(c.path)} := {quote(c.column)}" for c in self.first.columns)
        sql = (
            f"SELECT to_json(struct_pack({fields})), {meta(a, '$p')}, {meta(a, '$o')}, {meta(a, '$ts')}, "
            f'"$wmb", min("$ws"), min("$we") FROM sm_a WHERE "$late" '
            f"GROUP BY ALL ORDER BY {meta(a, '$p')}, {meta(a, '$o')}"
        )
        batch = self._decoded[a]
        for value, part, off, ts, wmb, ws, we in self.con.execute(sql).fetchall():
            whole = batch.original(part, off)
            if whole is not None:
                value = dump_json(whole).decode()
            if self.sessions is not None:
                why = f"late: event time {ts} ms is behind the watermark {wmb} ms (grace {self.grace} ms)"
            else:
                why = (
                    f"late: window [{ws}, {we}) ms had closed; event time {ts} ms, watermark {wmb} ms "
                    f"(grace {self.grace} ms)"
                )
            result.dead.append(self._dead(value.encode(), why, self.first.product, part, off, ts))
            result.late += 1

    def _copy_rows(self, rel: str) -> pa.Table:
        """CREATE TABLE over a table-like source without GROUP BY: a row that matches is upserted; one
        that stops matching (or a tombstone) deletes its key, if a row was out for it."""
        con, q, a = self.con, self.query, self.first.alias
        cond = f"coalesce(({q.filter.to_duckdb()}), false)" if q.filter is not None else "true"
        key = key_sql(q, final=False)
        prev = (
            'coalesce(lag("$ok") OVER (PARTITION BY "$k" ORDER BY "$seq"), '
            'EXISTS (SELECT 1 FROM sm_keys WHERE sm_keys.k = "$k"))'
        )
        base = (
            f'SELECT *, NOT {meta(a, "$del")} AND {cond} AS "$ok", coalesce({key}, encode({meta(a, "$key")})) '
            f'AS "$k" FROM ({rel})'
        )
        con.execute(f'CREATE OR REPLACE TEMP TABLE sm_t AS SELECT *, {prev} AS "$prev" FROM ({base})')
        rows = _arrow(
            con,
            render_sql(
                q,
                "SELECT * FROM sm_t",
                final=False,
                header=self.header,
                ts=meta(a, "$ts"),
                where='"$ok"',
                tombstone='NOT "$ok" AND "$prev"',
                order='"$seq"',
                key='"$k"',
            ),
        )
        last = 'SELECT "$k" AS k, arg_max("$ok", "$seq") AS ok FROM sm_t GROUP BY "$k"'
        con.execute(f"DELETE FROM sm_keys WHERE k IN (SELECT k FROM ({last}) WHERE NOT ok)")
        con.execute(f"INSERT INTO sm_keys SELECT k FROM ({last}) WHERE ok ON CONFLICT DO NOTHING")
        return rows

    # -- helpers -----------------------------------------------------------------------------------
    def closing_watermark(self) -> int | None:
        """Up to where windows may close: the FROM watermark, and with a stream-stream join also the right
        side's watermark minus the join's ``after`` bound (a buffered left row may still be paired, or
        written unmatched, until then)."""
        wm = self.watermark()
        if self.streams is None or wm is None:
            return wm
        right = self.watermark(self.streams.b, "sm_wm_right")
        return None if right is None else min(wm, right - self.streams.after)

    def watermark(self, alias: str | None = None, table: str = "sm_wm") -> int | None:
        """The smallest partition watermark of a source (default: FROM), epoch ms; ``None`` while a
        partition that is not idle has had no record yet."""
        alias = alias or self.first.alias
        idle_set = self.idle.get(alias, frozenset())
        idle = ", ".join(str(p) for p in idle_set) or "-1"
        row = self.con.execute(f"SELECT count(*), min(max_ts) FROM {table} WHERE p NOT IN ({idle})").fetchone()
        want = self.source_partitions.get(alias, 1) - len(idle_set)
        if row is None or row[1] is None or row[0] < want:
            return None
        return int(row[1]) - self.grace

    def _dead(
        self, value: bytes, reason: str, product: str, partition: int, offset: int, ts: int
    ) -> tuple[bytes, list[tuple[str, bytes]], int]:
        headers = [
            ("dlq.reason", reason.encode()),
            ("dlq.product", (self.query.name or "query").encode()),
            ("dlq.source.product", product.encode()),
            ("dlq.source.partition", str(partition).encode()),
            ("dlq.source.offset", str(offset).encode()),
        ]
        return value, headers, ts

    def _undecodable(self, product: str, error: tuple[Any, ...]) -> tuple[bytes, list, int]:
        part, off, ts, _key, reason, raw = error
        return self._dead(raw or b"null", f"undecodable: {reason}", product, part, off, ts)
