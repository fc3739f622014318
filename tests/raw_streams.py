"""Raw streams written to a mesh's log by applications before anyone published them as products."""

from __future__ import annotations

import orjson

from streammesh.log.base import OutgoingRecord, TopicSpec
from streammesh.schemas.codecs.serializer import Serializer
from streammesh.sdk.mesh import Mesh
from tests.factories import contract_dict

__all__ = ["raw_streams", "returns"]

AVRO = orjson.dumps(
    {
        "type": "record",
        "name": "Payment",
        "fields": [{"name": "payment_id", "type": "string"}, {"name": "amount", "type": "double"}],
    }
).decode()


def returns(i: int) -> dict:
    value = {
        "return_id": f"R{i:04d}",
        "order_id": f"O{i:06d}",
        "amount": 10 + i,
        "received_at": f"2026-11-0{1 + i % 9}T10:00:00Z",
        "reason": None if i % 2 else "damaged",
        "lines": [{"sku": f"S{i}", "qty": 1}],
    }
    if i % 3:
        value["note"] = "ok"
    return value


def raw_streams(mesh: Mesh) -> None:
    """Raw topics written by applications before anyone published them (JSON, Avro wire format, text),
    plus internal ones and one a product owns."""
    log = mesh.log
    log.create_topic(TopicSpec("sales.returns", partitions=2))
    log.append(
        "sales.returns",
        [
            OutgoingRecord(orjson.dumps(returns(i)), returns(i)["return_id"].encode(), timestamp=1_790_000_000_000 + i)
            for i in range(30)
        ],
    )
    version = mesh.registry.register("finance.payments-value", AVRO, fmt="avro")
    ser = Serializer(version.schema.id, mesh.registry.schema_object(version.schema.id))
    log.create_topic(TopicSpec("finance.payments", partitions=1))
    log.append(
        "finance.payments",
        [OutgoingRecord(ser.serialize({"payment_id": f"P{i}", "amount": 1.5 * i}), f"P{i}".encode()) for i in range(5)],
    )
    log.create_topic(TopicSpec("web.legacy_log", partitions=1))
    log.append("web.legacy_log", [OutgoingRecord(b"GET /index.html 200"), OutgoingRecord(b"GET /x 404")])
    log.create_topic(TopicSpec("web.empty", partitions=4))
    for internal in ("sales.returns.dlq", "_schemas", "app-agg-changelog"):
        log.create_topic(TopicSpec(internal, partitions=1))
    mesh.publish(contract_dict())  # sales.orders: a product
