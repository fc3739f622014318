"""Contract field rules (min/max, enum, pattern, not_null, required, lengths) hold for generated values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from streammesh.schemas import Schema
from streammesh.schemas.generation import (
    FieldRule,
    GenerationError,
    ValueGenerator,
    as_rule,
    generate_values,
)
from tests.unit.schemas.generate.helpers import rule_problems

CASES: list[tuple[str, dict[str, dict[str, Any]]]] = [
    (
        "sales.orders",
        {
            "total": {"min": 10, "max": 20},
            "currency": {"enum": ["GBP"]},
            "promo_code": {"not_null": True, "pattern": "^PROMO-[0-9]{3}$"},
            "session_id": {"not_null": True},
            "customer_id": {"pattern": "^C00[0-9]{4}$"},
            "cancel_reason": {"not_null": True},
            "items": {"min_length": 2, "max_length": 2},
        },
    ),
    (
        "example:orders",
        {
            "total_amount": {"min": 100, "max": 200},
            "status": {"enum": ["paid", "shipped"]},
            "currency": {"enum": ["EUR", "GBP"]},
            "customer_email": {"pattern": "@example\\.org$"},
            "items[].quantity": {"min": 1, "max": 2},
            "shipping_address.country": {"enum": ["IE"]},
        },
    ),
    (
        "payments.payments",
        {
            "amount": {"min": 5, "max": 6, "required": True},
            "attempt": {"min": 1, "max": 1, "required": True},
            "status": {"enum": ["CAPTURED"], "required": True},
            "card_last4": {"pattern": "^42[0-9]{2}$", "required": True},
            "currency": {"required": True, "min_length": 3, "max_length": 3},
        },
    ),
    (
        "fulfilment.parcel_tracking",
        {
            "signed_by": {"not_null": True, "max_length": 12},
            "sequence": {"min": 1, "max": 3},
            "status": {"enum": ["DELIVERED"]},
        },
    ),
]


@pytest.mark.parametrize(("name", "rules"), CASES, ids=[c[0] for c in CASES])
def test_rules_hold_and_values_still_fit_the_schema(
    schema_of: Callable[[str], Schema], name: str, rules: dict[str, dict[str, Any]]
) -> None:
    schema = schema_of(name)
    for v in generate_values(schema, 300, seed=61, rules=rules):
        assert schema.validate(v) == []
        assert rule_problems(v, rules) == []


def test_required_and_not_null_override_optional_and_nullable(json_schema: Callable[[dict[str, Any]], Schema]) -> None:
    schema = json_schema(
        {
            "type": "object",
            "properties": {
                "note": {"type": "string"},
                "maybe": {"type": ["integer", "null"]},
                "tag": {"enum": ["a", None]},
            },
        }
    )
    free = list(generate_values(schema, 200, seed=1))
    assert any("note" not in v for v in free) and any(v.get("maybe", 0) is None for v in free)
    rules = {
        "note": {"required": True},
        "maybe": {"required": True, "not_null": True},
        "tag": {"required": True, "not_null": True},
    }
    for v in generate_values(schema, 200, seed=1, rules=rules):
        assert isinstance(v["note"], str) and isinstance(v["maybe"], int) and v["tag"] == "a"


def test_rules_narrow_schema_ranges_instead_of_replacing_them(json_schema: Callable[[dict[str, Any]], Schema]) -> None:
    schema = json_schema(
        {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 0, "maximum": 50}}}
    )
    values = {v["n"] for v in generate_values(schema, 200, seed=2, rules={"n": {"min": 40, "max": 1000}})}
    assert min(values) >= 40 and max(values) <= 50


def test_contract_model_rule_objects_are_accepted(schema_of: Callable[[str], Schema]) -> None:
    model = pytest.importorskip("streammesh.contracts.model")
    if not hasattr(model, "FieldRule"):
        pytest.skip("the contract model has no FieldRule yet")
    rules = {"quantity": model.FieldRule(min=3, max=4), "reason": model.FieldRule(enum=["damaged"])}
    for v in generate_values(schema_of("warehouse.goods_dispatched"), 100, seed=3, rules=rules):
        assert 3 <= v["quantity"] <= 4 and v["reason"] == "damaged"


def test_generated_values_pass_the_produce_time_rule_check(schema_of: Callable[[str], Schema]) -> None:
    quality = pytest.importorskip("streammesh.schemas.rules")
    model = pytest.importorskip("streammesh.contracts.model")
    raw = {
        "amount": {"min": -10, "max": 0},
        "currency": {"enum": ["EUR"]},
        "payment_id": {"not_null": True, "pattern": "^PAY"},
        "invoice_id": {"required": True, "min_length": 11, "max_length": 11},
    }
    rules = {path: model.FieldRule(**r) for path, r in raw.items()}
    for v in generate_values(schema_of("finance.accounts_receivable"), 200, seed=4, rules=rules):
        assert quality.check_rules(v, rules) == []


def test_field_rule_reads_dicts_and_objects() -> None:
    assert as_rule({"min": 1, "enum": ["a"]}) == FieldRule(min=1, enum=["a"])

    class Legacy:
        min = 2
        not_null = True

    assert as_rule(Legacy()) == FieldRule(min=2, not_null=True)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"totl": {"min": 1}}, "names no field"),
        ({"total": {"minimum": 1}}, "unknown key"),
        ({"total": {"min": "one"}}, "should be a valid number"),
        ({"currency": {"enum": "GBP"}}, "must be a list"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(
    schema_of: Callable[[str], Schema], rules: dict[str, Any], message: str
) -> None:
    with pytest.raises(GenerationError, match=message):
        ValueGenerator(schema_of("sales.orders"), rules=rules)
