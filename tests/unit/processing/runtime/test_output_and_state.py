"""Output keys are what an SDK producer would write; the state store's intent and fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.processing.runtime.errors import IncompatibleStateError
from streammesh.processing.runtime.output import key_sql, value_sql
from streammesh.processing.runtime.state import Intent, StateStore, connect_duckdb
from streammesh.schemas.keys import key_of
from streammesh.schemas.serde import encode_key


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE STREAM a.k1 AS SELECT order_id, total FROM sales.orders",
        "CREATE STREAM a.k2 AS SELECT item_count, order_id FROM sales.orders PARTITION BY item_count",
        "CREATE STREAM a.k3 AS SELECT customer_id, placed_at, total FROM sales.orders PARTITION BY customer_id, placed_at",
        (
            "CREATE TABLE a.k4 AS SELECT currency, WINDOWSTART AS hs, COUNT(*) AS n FROM sales.orders "
            "WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY currency"
        ),
    ],
)
def test_keys_match_the_producers_encoding(compile_one, sql):
    import orjson

    q = compile_one(sql)
    con = connect_duckdb()
    final = q.aggregating
    cols = {c.column for s in q.sources for c in s.columns}
    types = {c.column: c.type for s in q.sources for c in s.columns}
    duck = {"string": "VARCHAR", "int": "BIGINT", "double": "DOUBLE", "timestamp": "TIMESTAMP"}
    if final:
        rel = (
            'SELECT \'EUR\' AS "$key0", 3 AS "$agg0", TIMESTAMP \'2024-05-01 10:00:00\' AS "$window_start", '
            "TIMESTAMP '2024-05-01 11:00:00' AS \"$window_end\""
        )
    else:
        sample = {
            "order_id": "'O1'",
            "total": "12.5",
            "item_count": "3",
            "customer_id": "'C\"é'",
            "placed_at": "TIMESTAMP '2024-05-01 10:00:00.5'",
            "updated_at": "TIMESTAMP '2024-05-01 10:00:00'",
        }
        rel = "SELECT " + ", ".join(f'CAST({sample[c.split("__", 1)[1]]} AS {duck[types[c]]}) AS "{c}"' for c in cols)
    value, key = con.execute(f"SELECT {value_sql(q, final=final)}, {key_sql(q, final=final)} FROM ({rel})").fetchone()
    assert key == encode_key(key_of(orjson.loads(value), list(q.key_fields)))


def test_intent_round_trip_and_fingerprint(tmp_path: Path):
    store = StateStore(tmp_path, query_sql="CREATE STREAM a.b AS SELECT x FROM y")
    store.write_intent(Intent(4, {"o": {0: (10, 20), 1: (5, 5)}}, {"t": {0: (7, 0)}}, {"o": [2]}))
    assert store.read_intent() == Intent(4, {"o": {0: (10, 20), 1: (5, 5)}}, {"t": {0: (7, 0)}}, {"o": [2]})
    store.begin()
    ckpt = store.checkpoint()
    ckpt.batch = 4
    store.commit(ckpt)
    store.close()
    with pytest.raises(IncompatibleStateError):
        StateStore(tmp_path, query_sql="CREATE STREAM a.b AS SELECT x, z FROM y")
    again = StateStore(tmp_path, query_sql="CREATE  STREAM a.b AS  SELECT x FROM y")  # whitespace is not a change
    assert again.checkpoint().batch == 4
