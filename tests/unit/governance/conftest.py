"""Factories for governance tests: a contract that passes every default policy, changed per test."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from streammesh.contracts import Contract, contract_from_dict

TEAMS = ["@sales-team", "@web-team"]


def base_contract() -> dict[str, Any]:
    return {
        "name": "sales.orders",
        "domain": "sales",
        "owner": "@sales-team",
        "description": "One event per order placed in the web shop, emitted when the customer pays.",
        "quality": "curated",
        "key": ["order_id"],
        "timestamp_field": "placed_at",
        "sla": {"tier": "tier-2", "acknowledged": True},
        "classifications": {"customer.email": "pii"},
        "schema": {
            "format": "json-schema",
            "definition": {
                "type": "object",
                "properties": {
                    "order_id": {"type": "string"},
                    "customer": {
                        "type": "object",
                        "properties": {"id": {"type": "string"}, "email": {"type": "string"}},
                    },
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"sku": {"type": "string"}, "product_name": {"type": "string"}},
                        },
                    },
                    "amount": {"type": "number"},
                    "placed_at": {"type": "string", "format": "date-time"},
                },
            },
        },
    }


def _merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for k, v in changes.items():
        if v is _DELETE:
            target.pop(k, None)
        elif isinstance(v, dict) and isinstance(target.get(k), dict) and k not in ("definition", "classifications"):
            _merge(target[k], v)
        else:
            target[k] = v


_DELETE = object()


@pytest.fixture
def delete() -> object:
    """Marker: ``contract_factory(title=delete)`` removes a field."""
    return _DELETE


@pytest.fixture
def contract_factory() -> Callable[..., Contract]:
    """``contract_factory(sla={"tier": None})``: the passing contract with nested changes merged in."""

    def make(**changes: Any) -> Contract:
        data = copy.deepcopy(base_contract())
        _merge(data, changes)
        return contract_from_dict(data)

    return make


@pytest.fixture
def teams() -> list[str]:
    return list(TEAMS)
