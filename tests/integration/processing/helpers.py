"""Builders for the streaming-SQL runtime tests: small purpose-built products, deploying a query as a
derived product, reading its output back, and comparing it with the batch reference."""

from __future__ import annotations

import copy
import math
import random
from pathlib import Path
from typing import Any

from streammesh.log.base import OutgoingRecord
from streammesh.processing.runtime import batch_result, run_to_end
from streammesh.processing.sql import (
    Query,
    SqlCatalog,
    compile_sql,
    derive,
    derived_contract,
)
from streammesh.schemas.serde import encode_key
from streammesh.sdk.mesh import Mesh
from tests.factories import contract_dict

__all__ = [
    "BASE_MS",
    "assert_matches_batch",
    "assert_same",
    "catalog_of",
    "customers_contract",
    "deploy",
    "drain",
    "iso",
    "orders_contract",
    "output_rows",
    "payments_contract",
    "produce",
    "run",
    "shuffled_locally",
]

BASE_MS = 1_714_557_600_000  # 2024-05-01T10:00:00Z

ORDERS: dict[str, Any] = {
    "type": "object",
    "required": ["order_id", "customer_id", "amount", "quantity", "status", "placed_at"],
    "properties": {
        "order_id": {"type": "string"},
        "customer_id": {"type": "string"},
        "amount": {"type": "number"},
        "quantity": {"type": "integer"},
        "status": {"type": "string", "enum": ["placed", "paid", "cancelled"]},
        "channel": {"type": ["string", "null"]},
        "placed_at": {"type": "string", "format": "date-time"},
    },
    "additionalProperties": False,
}

CUSTOMERS: dict[str, Any] = {
    "type": "object",
    "required": ["customer_id", "label", "region", "tier", "updated_at"],
    "properties": {
        "customer_id": {"type": "string"},
        "label": {"type": "string"},
        "region": {"type": "string"},
        "tier": {"type": "integer"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
    "additionalProperties": False,
}


PAYMENTS: dict[str, Any] = {
    "type": "object",
    "required": ["payment_id", "order_id", "paid", "paid_at"],
    "properties": {
        "payment_id": {"type": "string"},
        "order_id": {"type": "string"},
        "paid": {"type": "number"},
        "method": {"type": ["string", "null"]},
        "paid_at": {"type": "string", "format": "date-time"},
    },
    "additionalProperties": False,
}


def payments_contract(*, partitions: int = 2, name: str = "shop.payments") -> dict[str, Any]:
    return contract_dict(
        name,
        title="Shop payments",
        key=["payment_id"],
        timestamp_field="paid_at",
        partitions=partitions,
        classifications={},
        schema={"format": "json-schema", "definition": copy.deepcopy(PAYMENTS)},
    )


def iso(ms: int) -> str:
    from streammesh.demo.generators.events import iso as _iso

    return _iso(ms)


def orders_contract(*, partitions: int = 1, name: str = "shop.orders") -> dict[str, Any]:
    return contract_dict(
        name,
        title="Shop orders",
        key=["order_id"],
        timestamp_field="placed_at",
        partitions=partitions,
        classifications={},
        schema={"format": "json-schema", "definition": copy.deepcopy(ORDERS)},
    )


def customers_contract(*, partitions: int = 1, name: str = "shop.customers") -> dict[str, Any]:
    return contract_dict(
        name,
        title="Shop customers",
        key=["customer_id"],
        timestamp_field="updated_at",
        partitions=partitions,
        compacted=True,
        classifications={},
        schema={"format": "json-schema", "definition": copy.deepcopy(CUSTOMERS)},
    )


def catalog_of(mesh: Mesh) -> SqlCatalog:
    return SqlCatalog.from_contracts([p.contract for p in mesh.products() if p.status != "retired"])


def deploy(mesh: Mesh, sql: str, *, owner: str = "@analytics-team") -> Query:
    """Compile ``sql`` against the mesh's products and publish its derived product."""
    catalog = catalog_of(mesh)
    query = compile_sql(sql, catalog)
    mesh.publish(derived_contract(query, derive(query, catalog), owner=owner, acknowledge_sla=True))
    return query


def produce(mesh: Mesh, product: str, values: list[Any]) -> None:
    """Append values, ``(key, value)`` pairs, or ``(key, None, timestamp_ms)`` tombstones."""
    with mesh.producer(product, linger=100_000) as p:
        for item in values:
            key, value = item[:2] if isinstance(item, tuple) else (None, item)
            if value is None:
                p.flush()
                stamp = item[2] if len(item) > 2 else None
                mesh.log.append(p.product.stream, [OutgoingRecord(None, encode_key(key), timestamp=stamp)])
            else:
                p.send(key, value)


def run(mesh: Mesh, query: Query, state_dir: Path, *, batch_size: int = 50) -> int:
    return run_to_end(mesh, query, app=f"test-{query.name}", state_dir=state_dir, batch_size=batch_size)


def output_rows(mesh: Mesh, query: Query) -> list[dict[str, Any]]:
    """What the output product holds: every event of a STREAM; the latest value per key of a TABLE."""
    events = list(mesh.consumer(query.name, from_beginning=True))
    if query.kind == "stream":
        return [e.value for e in events]
    latest: dict[Any, Any] = {}
    for e in sorted(events, key=lambda e: (e.partition, e.offset)):
        latest[e.key] = e.value
    return [v for v in latest.values() if v is not None]


def drain(proc: Any) -> None:
    """Step a :class:`Processor` until it has read its inputs to their end (on Kafka, a step that reads
    nothing may just be waiting for the consumer's first fetch)."""
    while True:
        stats = proc.step(timeout=0.05)
        if stats.read == 0 and not proc.replaying and proc.lag() == 0:
            return


def _norm(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 6) if math.isfinite(v) else str(v)
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in sorted(v.items())}
    return v


def assert_same(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    """Equal as multisets of rows (floats to 6 decimals: sums of doubles depend on the order added)."""
    a = sorted((_norm(r) for r in actual), key=repr)
    e = sorted((_norm(r) for r in expected), key=repr)
    missing = [r for r in e if r not in a][:3]
    extra = [r for r in a if r not in e][:3]
    assert a == e, f"{len(a)} rows, expected {len(e)}; missing {missing}; unexpected {extra}"


def assert_matches_batch(mesh: Mesh, query: Query) -> list[dict[str, Any]]:
    expected = batch_result(mesh, query)
    assert_same(output_rows(mesh, query), expected)
    return expected


def shuffled_locally(items: list[Any], *, window: int, seed: int = 1) -> list[Any]:
    """``items`` out of order within runs of ``window`` (the lateness a grace period absorbs)."""
    rng = random.Random(seed)
    out = list(items)
    for i in range(0, len(out), window):
        chunk = out[i : i + window]
        rng.shuffle(chunk)
        out[i : i + window] = chunk
    return out
