"""Producing and consuming through the SDK on the real embedded log."""

from __future__ import annotations

import time
import warnings
from datetime import date, timedelta

import pytest

from streammesh.catalog.consumer import ProductDeprecatedWarning
from streammesh.exceptions import ConflictError, ValidationError
from streammesh.log.partitioner import partition_for_key
from streammesh.schemas import RecordInvalidError
from tests.factories import contract_dict, order


def test_round_trip_with_projection(mesh):
    mesh.publish(contract_dict())
    with mesh.producer("sales.orders") as p:
        for i in range(200):
            p.send(None, order(i))
    events = list(mesh.consumer("sales.orders", from_beginning=True, fields=["order_id", "total"]))
    assert len(events) == 200
    assert {e.value["order_id"] for e in events} == {f"O{i:06d}" for i in range(200)}
    assert all(set(e.value) == {"order_id", "total"} for e in events)
    # the key comes from the contract's key field and places the event like Kafka would
    for e in events:
        assert e.key == e.value["order_id"]
        assert e.partition == partition_for_key(e.key.encode(), 3)
    # the event time comes from timestamp_field
    first = next(e for e in events if e.value["order_id"] == "O000001")
    assert first.time.isoformat().startswith("2026-11-02T10:01:00")


def test_send_many_is_validated_before_anything_is_written(mesh):
    mesh.publish(contract_dict())
    with mesh.producer("sales.orders") as p:
        assert p.send_many([order(1), order(2)]) == 2
        bad = order(3, total="lots")
        with pytest.raises(RecordInvalidError) as info:
            p.send_many([order(4), bad, order(5)])
    assert info.value.index == 1
    assert "total" in str(info.value) and "'lots' is not of type 'number'" in str(info.value)
    assert mesh.stats("sales.orders")["events"] == 2  # nothing of the failing chunk


def test_invalid_send_names_field_and_keeps_earlier_events(mesh):
    mesh.publish(contract_dict())
    p = mesh.producer("sales.orders")
    p.send(None, order(1))
    with pytest.raises(RecordInvalidError, match=r"currency: 'XYZ' is not one of"):
        p.send(None, order(2, currency="XYZ"))
    p.flush()
    assert [e.value["order_id"] for e in mesh.consumer("sales.orders", from_beginning=True)] == ["O000001"]


def test_unknown_projection_field_lists_available(mesh):
    mesh.publish(contract_dict())
    with pytest.raises(ValidationError) as info:
        mesh.consumer("sales.orders", fields=["order_id", "amount"])
    assert "amount" in info.value.message and "total" in (info.value.hint or "")


def test_group_resumes_after_restart(mesh):
    mesh.publish(contract_dict())
    with mesh.producer("sales.orders") as p:
        p.send_many(order(i) for i in range(100))
    seen = []
    with mesh.consumer("sales.orders", group="billing", from_beginning=True) as c:
        for e in c:
            seen.append(e.value["order_id"])
            if len(seen) == 40:
                break
        c.commit()
    with mesh.producer("sales.orders") as p:
        p.send_many(order(i) for i in range(100, 120))
    with mesh.consumer("sales.orders", group="billing", from_beginning=True) as c:
        rest = [e.value["order_id"] for e in c]
    assert len(seen) + len(rest) == 120
    assert set(seen) | set(rest) == {f"O{i:06d}" for i in range(120)}
    assert not set(seen) & set(rest)
    assert [x.group for x in mesh.store.list_consumers("sales.orders")] == ["billing"]


def test_latest_only_by_default(mesh):
    mesh.publish(contract_dict())
    with mesh.producer("sales.orders") as p:
        p.send(None, order(1))
    consumer = mesh.consumer("sales.orders")
    assert list(consumer) == []
    with mesh.producer("sales.orders") as p:
        p.send(None, order(2))
    assert [e.value["order_id"] for e in consumer] == ["O000002"]


def test_lifecycle_rules_for_writers_and_readers(mesh):
    mesh.publish(contract_dict())
    mesh.publish(contract_dict("sales.orders_v2", title="Orders v2"))
    with mesh.producer("sales.orders") as p:
        p.send(None, order(1))
    mesh.deprecate("sales.orders", sunset=date.today() + timedelta(days=30), replacement="sales.orders_v2")
    with pytest.warns(ProductDeprecatedWarning, match=r"deprecated \(sunset .*\); use sales.orders_v2"):
        events = list(mesh.consumer("sales.orders", from_beginning=True))
    assert len(events) == 1
    with mesh.producer("sales.orders") as p:  # deprecated products still accept writes until retired
        p.send(None, order(2))
    with pytest.raises(ConflictError, match="promised to consumers until"):
        mesh.retire("sales.orders")
    mesh.retire("sales.orders", force=True)
    with pytest.raises(ConflictError, match="retired and accepts no writes"):
        mesh.producer("sales.orders")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert len(list(mesh.consumer("sales.orders", from_beginning=True))) == 2  # history stays readable


def test_draft_has_no_stream_until_published(mesh):
    outcome = mesh.publish(contract_dict(), draft=True)
    assert outcome.action == "draft" and outcome.product.status == "draft"
    with pytest.raises(ConflictError, match="not published yet"):
        mesh.producer("sales.orders")
    assert "sales.orders" not in mesh.log.topics()
    outcome = mesh.publish(contract_dict())
    assert outcome.product.status == "published"
    assert "sales.orders" in mesh.log.topics()


def test_latest_samples_newest_first(mesh):
    mesh.publish(contract_dict())
    with mesh.producer("sales.orders") as p:
        for i in range(30):
            p.send(None, order(i), timestamp=1_700_000_000_000 + i)
    latest = mesh.latest("sales.orders", 5)
    assert [e.value["order_id"] for e in latest] == [f"O{i:06d}" for i in range(29, 24, -1)]
    assert mesh.stats("sales.orders")["events"] == 30


def test_member_too_slow_between_polls_loses_partitions_but_nothing_is_lost(mesh):
    mesh.publish(contract_dict())
    with mesh.producer("sales.orders") as p:
        p.send_many(order(i) for i in range(60))
    slow = mesh.consumer("sales.orders", group="g", from_beginning=True, session_timeout_ms=300)
    events = iter(slow)
    first = [next(events) for _ in range(5)]  # the whole backlog is prefetched; 5 handed out
    time.sleep(0.5)  # longer than the session: the group may hand this member's partitions to another
    with mesh.consumer("sales.orders", group="g", from_beginning=True, session_timeout_ms=300) as other:
        taken = [e.value["order_id"] for e in other]
    with pytest.warns(RuntimeWarning, match="continuing"):
        rest = [e.value["order_id"] for e in events]
    slow.close()
    seen = {e.value["order_id"] for e in first} | set(taken) | set(rest)
    assert seen == {f"O{i:06d}" for i in range(60)}  # at least once: nothing lost
    assert len(taken) > 0  # the other member really took over partitions


def test_breaking_out_of_a_loop_and_iterating_again_loses_nothing(mesh):
    mesh.publish(contract_dict())
    with mesh.producer("sales.orders") as p:
        p.send_many(order(i) for i in range(50))
    consumer = mesh.consumer("sales.orders", from_beginning=True)
    first = []
    for e in consumer:
        first.append(e.value["order_id"])
        if len(first) == 7:
            break
    assert consumer.lag() == 43
    rest = [e.value["order_id"] for e in consumer]
    assert len(first) + len(rest) == 50 and set(first) | set(rest) == {f"O{i:06d}" for i in range(50)}
    assert [e.value["order_id"] for e in consumer.poll()] == []  # nothing left, nothing repeated
