"""Builders for test data shared across the suite."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["ORDERS_SCHEMA", "contract_dict", "order"]

ORDERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["order_id", "customer_id", "total", "status"],
    "properties": {
        "order_id": {"type": "string", "description": "Order identifier"},
        "customer_id": {"type": "string"},
        "customer_email": {"type": "string", "format": "email"},
        "total": {"type": "number", "minimum": 0},
        "currency": {"type": "string", "enum": ["EUR", "USD", "GBP"]},
        "status": {"type": "string", "enum": ["placed", "paid", "cancelled"]},
        "placed_at": {"type": "string", "format": "date-time"},
    },
    "additionalProperties": False,
}


def contract_dict(name: str = "sales.orders", **overrides: Any) -> dict[str, Any]:
    """A contract that passes every default policy when ``@sales-team`` is registered."""
    domain = name.split(".", 1)[0]
    data: dict[str, Any] = {
        "name": name,
        "domain": domain,
        "owner": f"@{domain}-team",
        "title": "Orders",
        "description": "Every order placed in the web shop or the app, emitted once when the customer confirms "
        "checkout. Use it to count orders and revenue.",
        "key": ["order_id"],
        "schema": {"format": "json-schema", "definition": copy.deepcopy(ORDERS_SCHEMA)},
        "tags": ["orders", "revenue"],
        "classifications": {"customer_email": "pii"},
        "quality": "curated",
        "sla": {
            "tier": "tier-2",
            "availability": 99.5,
            "freshness": "5m",
            "time_to_restore": "4h",
            "support_hours": "business-hours",
            "acknowledged": True,
        },
        "support": {"channels": ["#sales-data"], "on_call": "sales-oncall@acme.example"},
        "partitions": 3,
        "timestamp_field": "placed_at",
    }
    for key, value in overrides.items():
        data[key] = value
    return data


def order(i: int, **extra: Any) -> dict[str, Any]:
    value = {
        "order_id": f"O{i:06d}",
        "customer_id": f"C{i % 50:04d}",
        "customer_email": f"c{i}@example.com",
        "total": round(10 + i * 1.5, 2),
        "currency": "EUR",
        "status": "placed",
        "placed_at": f"2026-11-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
    }
    value.update(extra)
    return value
