"""Late events (behind the watermark by more than the grace period) are counted and dead-lettered with a
reason, never silently dropped; the output still equals the batch reference."""

from __future__ import annotations

import pytest

from streammesh.processing.runtime import Processor
from tests.integration.processing.helpers import (
    BASE_MS,
    assert_matches_batch,
    deploy,
    drain,
    iso,
    orders_contract,
    output_rows,
    produce,
    run,
)

SECOND = 1000


def _order(i: int, at_s: int, customer: str = "C1", amount: float = 10.0) -> dict:
    return {
        "order_id": f"O{i:04d}",
        "customer_id": customer,
        "amount": amount,
        "quantity": 1,
        "status": "placed",
        "channel": None,
        "placed_at": iso(BASE_MS + at_s * SECOND),
    }


def _timeline() -> list[dict]:
    """Orders every 5 s for 5 minutes, a few out of order within the grace period, then two late ones."""
    times = list(range(0, 300, 5))
    times[10], times[11] = times[11], times[10]  # 55 s before 50 s: within grace
    times[30], times[33] = times[33], times[30]  # 165 s before 150 s: within grace
    out = [_order(i, t, customer=f"C{i % 3}") for i, t in enumerate(times)]
    out.append(_order(900, 30, customer="C0"))  # 270 s behind: its minute closed long ago
    out.append(_order(901, 236, customer="C1"))  # window [180, 240) ended at 240 <= 295 - 10
    out.append(_order(902, 290, customer="C2"))  # within grace: counted
    return out


@pytest.mark.parametrize("emit", ["CHANGES", "FINAL"])
@pytest.mark.parametrize("window", ["TUMBLING (SIZE 1 MINUTE)", "HOPPING (SIZE 1 MINUTE, ADVANCE BY 20 SECONDS)"])
def test_late_events_go_to_the_dead_letter_stream(shop, state, window, emit):
    shop.publish(orders_contract())
    query = deploy(
        shop,
        "CREATE TABLE analytics.orders_per_minute AS SELECT customer_id, WINDOWSTART AS ws, "
        f"COUNT(*) AS n, SUM(amount) AS total FROM shop.orders WINDOW {window} "
        f"GRACE PERIOD 10 SECONDS GROUP BY customer_id EMIT {emit}",
    )
    produce(shop, "shop.orders", _timeline())
    with Processor(shop, query, app="late", state_dir=state(), batch_size=4) as proc:
        drain(proc)
        metrics = proc.metrics()
    dead = shop.dead_letters("analytics.orders_per_minute")
    assert metrics["late"] == len(dead) == 2
    assert {d["value"]["order_id"] for d in dead} == {"O0900", "O0901"}
    assert all(d["reason"].startswith("late: window") for d in dead)
    rows = assert_matches_batch(shop, query)
    if window.startswith("TUMBLING"):
        # 60 in time + 1 within grace are counted; EMIT FINAL shows the minutes closed by the watermark
        # (290 s - 10 s): those before 240 s, 48 orders
        assert sum(r["n"] for r in rows) == (61 if emit == "CHANGES" else 48)


def test_late_events_of_sessions(shop, state):
    shop.publish(orders_contract())
    query = deploy(
        shop,
        "CREATE TABLE analytics.sessions AS SELECT customer_id, COUNT(*) AS n FROM shop.orders "
        "WINDOW SESSION (30 SECONDS) GRACE PERIOD 20 SECONDS GROUP BY customer_id EMIT FINAL",
    )
    produce(shop, "shop.orders", _timeline())
    run(shop, query, state(), batch_size=5)
    dead = shop.dead_letters("analytics.sessions")
    assert {d["value"]["order_id"] for d in dead} == {"O0900", "O0901"}
    assert all(d["reason"].startswith("late: event time") for d in dead)
    assert_matches_batch(shop, query)


def test_having_that_stops_matching_deletes_the_row(shop, state):
    shop.publish(orders_contract())
    query = deploy(
        shop,
        "CREATE TABLE analytics.cheap_free AS SELECT customer_id, MIN(amount) AS cheapest, "
        "COUNT(*) AS n FROM shop.orders GROUP BY customer_id HAVING MIN(amount) > 15 EMIT CHANGES",
    )
    produce(shop, "shop.orders", [_order(1, 0, "C1", 30.0), _order(2, 1, "C2", 40.0)])
    run(shop, query, state())
    assert {r["customer_id"] for r in output_rows(shop, query)} == {"C1", "C2"}
    produce(shop, "shop.orders", [_order(3, 2, "C1", 5.0)])
    run(shop, query, state())
    events = list(shop.consumer("analytics.cheap_free", from_beginning=True))
    assert [e.value for e in events if e.key == "C1"][-1] is None, "C1 stopped matching: tombstone"
    assert {r["customer_id"] for r in output_rows(shop, query)} == {"C2"}
    assert_matches_batch(shop, query)


def test_undecodable_records_are_dead_lettered_and_processing_goes_on(shop, state):
    from streammesh.log.base import OutgoingRecord

    shop.publish(orders_contract())
    query = deploy(shop, "CREATE STREAM analytics.amounts AS SELECT order_id, amount FROM shop.orders")
    produce(shop, "shop.orders", [_order(1, 0)])
    stream = shop.product("shop.orders").stream
    shop.log.append(stream, [OutgoingRecord(b"\x00\x00\x00\x00\x01{not json", b"O0002")])
    produce(shop, "shop.orders", [_order(3, 2)])
    with Processor(shop, query, app="bad", state_dir=state(), batch_size=10) as proc:
        drain(proc)
        assert proc.metrics()["errors"] == 1
    assert [r["order_id"] for r in output_rows(shop, query)] == ["O0001", "O0003"]
    dead = shop.dead_letters("analytics.amounts")
    assert len(dead) == 1 and dead[0]["reason"].startswith("undecodable") and dead[0]["source_offset"] == "1"
