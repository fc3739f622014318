"""Dumping contracts: readable YAML that parses back to an equal contract; the examples load."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from streammesh.contracts import Contract, dump_contract, load_contract, parse_contract

ROOT = Path(__file__).parents[3]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures" / "contracts"


@pytest.mark.parametrize("name", ["orders.contract.yaml", "customers.contract.yaml"])
def test_examples_load(name: str) -> None:
    contract = load_contract(EXAMPLES / name)
    assert contract.schema_.definition is not None
    assert contract.sla.acknowledged


def test_customers_example_reads_its_schema_file() -> None:
    contract = load_contract(EXAMPLES / "customers.contract.yaml")
    assert contract.schema_.file == "schemas/customer.avsc"
    assert contract.schema_.definition["name"] == "Customer"  # type: ignore[index]


@pytest.mark.parametrize(
    "path",
    [
        EXAMPLES / "orders.contract.yaml",
        EXAMPLES / "customers.contract.yaml",
        FIXTURES / "valid.contract.yaml",
        FIXTURES / "proto_file.contract.yaml",
    ],
)
def test_round_trip_dump_then_parse_is_equal(path: Path) -> None:
    contract = load_contract(path)
    text = dump_contract(contract)
    assert parse_contract(text) == contract
    assert parse_contract(text, base_dir=path.parent) == contract  # inline definition agrees with the file


def test_round_trip_keeping_schema_in_its_file() -> None:
    contract = load_contract(EXAMPLES / "customers.contract.yaml")
    text = dump_contract(contract, inline_schema=False)
    assert "definition" not in yaml.safe_load(text)["schema"]
    assert parse_contract(text, base_dir=EXAMPLES) == contract


def test_dump_is_readable_without_nulls_or_empty_sections() -> None:
    contract = Contract.model_validate(
        {
            "name": "sales.orders",
            "domain": "sales",
            "owner": "@sales-team",
            "description": "First line.\nSecond line.\n",
            "schema": {"format": "json-schema", "definition": {"type": "object"}},
        }
    )
    text = dump_contract(contract)
    data = yaml.safe_load(text)
    assert list(data)[:6] == ["apiVersion", "name", "version", "domain", "owner", "status"]
    assert list(data)[-1] == "schema"
    assert "null" not in text and "[]" not in text and "{}" not in text.replace("definition", "")
    assert "description: |" in text  # multi-line text as a block
    assert "tags" not in data and "support" not in data and "title" not in data
    assert parse_contract(text) == contract


def test_round_trip_of_awkward_text() -> None:
    base = load_contract(FIXTURES / "valid.contract.yaml")
    for description in ["word " * 60, "a: b # not a comment " * 10, "  leading and trailing  ", "x\n\n  y \n"]:
        contract = base.model_copy(update={"description": description})
        assert parse_contract(dump_contract(contract)) == contract, repr(description)
