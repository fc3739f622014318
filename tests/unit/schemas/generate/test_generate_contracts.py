"""Every packaged contract: generated values fit the schema, repeat with a seed, and vary without one."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from streammesh.schemas import Schema, load_schema
from streammesh.schemas.generation import ValueGenerator, generate_values
from tests.unit.schemas.generate.helpers import NOW, all_contracts

CONTRACTS = all_contracts()
IDS = [name for name, _ in CONTRACTS]


def test_every_demo_contract_and_example_is_covered() -> None:
    assert len([i for i in IDS if not i.startswith("example:")]) == 11
    assert {"example:orders", "example:customers"} <= set(IDS)
    assert {load_schema(c.schema_).format for _, c in CONTRACTS} == {"avro", "json-schema", "protobuf"}


@pytest.mark.parametrize(("name", "contract"), CONTRACTS, ids=IDS)
def test_300_values_fit_the_schema(name: str, contract: object) -> None:
    schema = load_schema(contract.schema_)  # type: ignore[attr-defined]
    values = list(generate_values(schema, 300, seed=11))
    assert len(values) == 300
    failures = [(v, schema.validate(v)) for v in values if schema.validate(v)]
    assert failures == [], f"{name}: {len(failures)} invalid, first: {failures[:1]}"


@pytest.mark.parametrize(("name", "contract"), CONTRACTS, ids=IDS)
def test_values_fit_without_a_seed(name: str, contract: object) -> None:
    schema = load_schema(contract.schema_)  # type: ignore[attr-defined]
    assert all(schema.validate(v) == [] for v in generate_values(schema, 50))


@pytest.mark.parametrize(("name", "contract"), CONTRACTS, ids=IDS)
def test_same_seed_same_values(name: str, contract: object) -> None:
    schema = load_schema(contract.schema_)  # type: ignore[attr-defined]
    first = list(generate_values(schema, 40, seed=2024, now=NOW))
    again = list(generate_values(schema, 40, seed=2024, now=NOW))
    other = list(generate_values(schema, 40, seed=2025, now=NOW))
    assert first == again
    assert first != other


def test_same_seed_same_values_with_the_default_clock(schema_of: Callable[[str], Schema]) -> None:
    schema = schema_of("sales.orders")
    assert list(generate_values(schema, 20, seed=5)) == list(generate_values(schema, 20, seed=5))


def test_values_differ_from_one_another(schema_of: Callable[[str], Schema]) -> None:
    values = list(generate_values(schema_of("customers.profiles"), 100, seed=3))
    assert len({v["customer_id"] for v in values}) > 90
    assert len({v["email"] for v in values}) > 90


def test_generator_one_and_iteration_continue_the_same_stream(schema_of: Callable[[str], Schema]) -> None:
    schema = schema_of("catalog.products")
    gen = ValueGenerator(schema, seed=9, now=NOW)
    stream = [gen.one(), gen.one(), *gen.many(3)]
    assert stream == list(generate_values(schema, 5, seed=9, now=NOW))
    it = iter(ValueGenerator(schema, seed=9, now=NOW))
    assert [next(it) for _ in range(5)] == stream


@pytest.mark.parametrize(
    ("name", "nullable"),
    [
        ("sales.orders", ["session_id", "promo_code", "cancel_reason"]),
        ("fulfilment.parcel_tracking", ["signed_by", "failure_reason"]),
        ("example:customers", ["phone", "birth_date"]),
    ],
)
def test_nullable_fields_are_sometimes_null_and_usually_not(
    schema_of: Callable[[str], Schema], name: str, nullable: list[str]
) -> None:
    values = list(generate_values(schema_of(name), 300, seed=1))
    for field in nullable:
        nulls = sum(v[field] is None for v in values)
        assert 10 < nulls < 150, f"{field}: {nulls} nulls in 300"


def test_proto3_fields_are_sometimes_unset(schema_of: Callable[[str], Schema]) -> None:
    values = list(generate_values(schema_of("payments.payments"), 300, seed=1))
    for field in ("payment_id", "amount", "card_brand"):
        present = sum(field in v for v in values)
        assert 180 < present < 300, f"{field}: present in {present} of 300"


def test_arrays_hold_one_to_four_items(schema_of: Callable[[str], Schema]) -> None:
    sizes = {len(v["items"]) for v in generate_values(schema_of("example:orders"), 200, seed=4)}
    assert sizes == {1, 2, 3, 4}
