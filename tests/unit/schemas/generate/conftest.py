"""Fixtures for value-generation tests: schemas of every format from inline definitions or by contract."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from streammesh.contracts.model import Contract
from streammesh.schemas import Schema, load_schema
from streammesh.schemas.avro_format import AvroFormat
from streammesh.schemas.jsonschema_format import JsonSchemaFormat
from streammesh.schemas.protobuf_format import ProtobufFormat
from tests.unit.schemas.generate.helpers import all_contracts


@pytest.fixture(scope="session")
def contracts_by_name() -> dict[str, Contract]:
    """Demo contracts by product name, examples as ``example:<file stem>``."""
    return dict(all_contracts())


@pytest.fixture(scope="session")
def schema_of(contracts_by_name: dict[str, Contract]) -> Callable[[str], Schema]:
    def get(name: str) -> Schema:
        return load_schema(contracts_by_name[name].schema_)

    return get


@pytest.fixture(scope="session")
def json_schema() -> Callable[[dict[str, Any]], Schema]:
    return lambda definition: JsonSchemaFormat().load(definition)


@pytest.fixture(scope="session")
def avro_schema() -> Callable[[Any], Schema]:
    return lambda definition: AvroFormat().load(definition)


@pytest.fixture(scope="session")
def proto_schema() -> Callable[..., Schema]:
    return lambda text, message=None: ProtobufFormat().load(text, message=message)
