"""Validation on produce with field rules, and the dead-letter stream."""

from __future__ import annotations

import pytest

from streammesh.schemas import RecordInvalidError
from streammesh.schemas.wire import decode_wire
from tests.factories import contract_dict, order

RULES = {
    "total": {"min": 1, "max": 10_000},
    "customer_email": {"pattern": r"^[^@]+@[^@]+$", "not_null": True},
    "status": {"enum": ["placed", "paid"]},
    "customer_id": {"required": True},
}


def test_rules_refuse_with_field_path_and_reason(mesh):
    mesh.publish(contract_dict(rules=RULES))
    p = mesh.producer("sales.orders")
    with pytest.raises(RecordInvalidError, match=r"total: 0.5 is below the minimum 1"):
        p.send(None, order(1, total=0.5))
    with pytest.raises(RecordInvalidError, match=r"customer_email: 'nobody' does not match"):
        p.send(None, order(1, customer_email="nobody"))
    with pytest.raises(RecordInvalidError, match=r"status: 'cancelled' is not one of 'placed', 'paid'"):
        p.send(None, order(1, status="cancelled"))
    p.send(None, order(2))
    p.flush()
    assert mesh.stats("sales.orders")["events"] == 1


def test_dead_letter_keeps_valid_events_and_explains_invalid_ones(mesh):
    mesh.publish(contract_dict(rules=RULES, on_invalid="dead-letter"))
    values = [order(i) for i in range(10)]
    values[3] = order(3, total=-1)  # breaks the schema (minimum 0) and the rule
    values[7] = order(7, currency="DOGE")  # breaks the schema's enum
    with mesh.producer("sales.orders") as p:
        assert p.send_many(values) == 8
    assert p.dead_lettered == 2
    good = sorted(e.value["order_id"] for e in mesh.consumer("sales.orders", from_beginning=True))
    assert good == sorted(f"O{i:06d}" for i in range(10) if i not in (3, 7))
    dead = mesh.dead_letters("sales.orders")
    assert [d["source_offset"] for d in dead] == ["3", "7"]
    assert "total" in dead[0]["reason"] and "currency" in dead[1]["reason"]
    assert dead[0]["value"]["order_id"] == "O000003"
    assert dead[0]["schema_id"] == str(p.schema_id)


def test_events_are_written_in_the_confluent_wire_format(mesh):
    mesh.publish(contract_dict())
    with mesh.producer("sales.orders") as p:
        p.send(None, order(1))
    with mesh.log.consumer(["sales.orders"]) as raw:
        records = raw.poll(timeout=1.0)
    frame = decode_wire(records[0].value)
    assert frame.schema_id == p.schema_id
    assert mesh.registry.by_id(frame.schema_id).format == "json-schema"
