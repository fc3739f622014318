"""Stream-stream joins (``JOIN s WITHIN …``): both sides buffered for the join interval.

A left row ``l`` and a right row ``r`` with equal keys join when ``r.ROWTIME`` lies in
``[l.ROWTIME − before, l.ROWTIME + after]``. Per micro-batch, new left rows join the buffered and new
right rows, and buffered left rows join the new right rows, so every pair is produced once, when its
second row arrives.

**Lateness and expiry.** Each side's partitions have watermarks (largest event time seen minus the grace:
the window's ``GRACE PERIOD``, or without a window the larger ``WITHIN`` bound). A row whose event time
is behind its partition's watermark is late: dead-lettered, never joined. A left row leaves the buffer
once ``l.ROWTIME + after`` is behind every right partition's watermark (no right row that is not late
can match it any more), a right row once ``r.ROWTIME + before`` is behind every left watermark. A
``LEFT JOIN`` writes an unmatched left row (right columns null) when it leaves the buffer. So the pairs
and the unmatched rows depend only on the logs, never on the micro-batches, and equal the batch
reference's. A joined row carries the left row's event time; windows over a join close only once the
right side's watermark minus ``after`` has passed them too, so no pair arrives after its window closed.
"""

from __future__ import annotations

from typing import Any

from streammesh.processing.runtime.ingest import meta, quote
from streammesh.processing.sql.plan import Join, Query
from streammesh.processing.sql.types import duckdb_type

__all__ = ["StreamJoin", "pair_seq", "within_sql"]

_NO_TIME = -(2**62)


def within_sql(query: Query, join: Join, left: str, right: str) -> str:
    """The ON condition of ``join`` between relations aliased ``left`` and ``right``."""
    a, b = query.sources[0].alias, join.source.alias
    w = join.within
    assert w is not None
    keys = [f"({lk.to_duckdb()}) = {right}.{rk.to_duckdb()}" for lk, rk in zip(join.left_keys, join.right_keys)]
    lt, rt = f"{left}.{meta(a, '$ts')}", f"{right}.{meta(b, '$ts')}"
    return " AND ".join([*keys, f"{rt} BETWEEN {lt} - {int(w.before_ms)} AND {lt} + {int(w.after_ms)}"])


def pair_seq(left: str, right: str, b: str) -> str:
    """A joined row's ``$seq``: the left row's, then the right row's (unique per pair, ordered by arrival)."""
    return f'CAST({left}."$seq" AS HUGEINT) * 17592186044416 + {right}.{meta(b, "$seq")}'


class StreamJoin:
    """The buffers of one stream-stream join: ``ss_left`` and ``ss_right`` (DuckDB state tables)."""

    def __init__(self, query: Query, join: Join, grace: int) -> None:
        self.query, self.join, self.grace = query, join, grace
        self.a, self.b = query.sources[0].alias, join.source.alias
        w = join.within
        assert w is not None
        self.before, self.after = int(w.before_ms), int(w.after_ms)

    def setup(self, con: Any) -> None:
        b = self.b
        items = [f"{quote(c.column)} {duckdb_type(c.type)}" for c in self.join.source.columns]
        items += [
            f"{meta(b, m)} {t}"
            for m, t in (
                ("$p", "INTEGER"),
                ("$o", "BIGINT"),
                ("$del", "BOOLEAN"),
                ("$t", "BIGINT"),
                ("$rowtime", "TIMESTAMP"),
                ("$seq", "BIGINT"),
                ("$ts", "BIGINT"),
            )
        ]
        con.execute(f"CREATE TABLE IF NOT EXISTS ss_right ({', '.join(items)})")
        con.execute("CREATE TABLE IF NOT EXISTS sm_wm_right (p INTEGER PRIMARY KEY, max_ts BIGINT)")

    def right_rows(self, con: Any, batch: str | None) -> None:
        """Temp table ``ss_rnew``: the batch's right rows with ``$late``; advances the right watermarks."""
        b = self.b
        if batch is None:
            con.execute(
                'CREATE OR REPLACE TEMP TABLE ss_rnew AS SELECT *, false AS "$late", 0::BIGINT AS "$wmb" '
                "FROM ss_right LIMIT 0"
            )
            return
        ts, p, o = meta(b, "$ts"), meta(b, "$p"), meta(b, "$o")
        before = f"max({ts}) OVER (PARTITION BY {p} ORDER BY {o} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
        wmb = f"greatest(coalesce({before}, {_NO_TIME}), coalesce(w.max_ts, {_NO_TIME})) - {self.grace}"
        con.execute(
            f'CREATE OR REPLACE TEMP TABLE ss_rnew AS SELECT * EXCLUDE ("$seq"), "$seq" AS {meta(b, "$seq")}, '
            f'{ts} < "$wmb" AS "$late" FROM (SELECT i.*, {wmb} AS "$wmb" FROM {quote(batch)} i '
            f"LEFT JOIN sm_wm_right w ON w.p = i.{p}) WHERE NOT {meta(b, '$del')}"
        )
        con.execute(
            f"INSERT INTO sm_wm_right SELECT {p}, max({ts}) FROM ss_rnew GROUP BY {p} "
            f"ON CONFLICT (p) DO UPDATE SET max_ts = greatest(max_ts, excluded.max_ts)"
        )

    def step(self, con: Any, left: str, closed: str, wm_left: int | None, wm_right: int | None) -> str:
        """Join the new left rows (relation ``left``: not late, filtered) with the buffers; buffer them;
        expire what can no longer match. Returns the temp table of joined rows (``$seq`` per pair)."""
        a, b = self.a, self.b
        new_right = 'SELECT * EXCLUDE ("$late", "$wmb") FROM ss_rnew WHERE NOT "$late"'
        con.execute(f"CREATE OR REPLACE TEMP TABLE ss_lnew AS {left}")
        con.execute('CREATE TABLE IF NOT EXISTS ss_left AS SELECT *, false AS "$matched" FROM ss_lnew LIMIT 0')
        rights = f"SELECT * FROM ss_right UNION ALL BY NAME {new_right}"
        fresh = (
            f'SELECT l.* REPLACE ({pair_seq("l", "r", b)} AS "$seq"), r.* FROM ss_lnew l '
            f"JOIN ({rights}) r ON {within_sql(self.query, self.join, 'l', 'r')}"
        )
        old = (
            f'SELECT l.* EXCLUDE ("$matched") REPLACE ({pair_seq("l", "r", b)} AS "$seq", '
            f'greatest(l."$wmb", {closed}) AS "$wmb"), r.* FROM ss_left l JOIN ({new_right}) r '
            f"ON {within_sql(self.query, self.join, 'l', 'r')}"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE ss_pairs AS {fresh} UNION ALL BY NAME {old}")
        matched = '(SELECT CAST("$seq" // 17592186044416 AS BIGINT) FROM ss_pairs)'
        con.execute(f'UPDATE ss_left SET "$matched" = true WHERE "$seq" IN {matched}')
        con.execute(f'INSERT INTO ss_left BY NAME SELECT *, "$seq" IN {matched} AS "$matched" FROM ss_lnew')
        con.execute(f"INSERT INTO ss_right BY NAME {new_right}")
        if wm_right is not None:
            gone = f"{meta(a, '$ts')} + {self.after} < {int(wm_right)}"
            if self.join.kind == "left":
                nulls = (
                    f'SELECT l.* EXCLUDE ("$matched") REPLACE (CAST(l."$seq" AS HUGEINT) * 17592186044416 AS '
                    f'"$seq", greatest(l."$wmb", {closed}) AS "$wmb"), r.* FROM ss_left l LEFT JOIN '
                    f'(SELECT * FROM ss_right LIMIT 0) r ON false WHERE NOT l."$matched" AND {gone}'
                )
                con.execute(f"INSERT INTO ss_pairs BY NAME {nulls}")
            con.execute(f"DELETE FROM ss_left WHERE {gone}")
        if wm_left is not None:
            con.execute(f"DELETE FROM ss_right WHERE {meta(b, '$ts')} + {self.before} < {int(wm_left)}")
        return "ss_pairs"
