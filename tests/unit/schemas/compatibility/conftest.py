"""Builders for schemas of each format, parsed the way contracts load them (``load_schema``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from streammesh.contracts.model import SchemaSpec
from streammesh.schemas import Schema, load_schema


@pytest.fixture
def avro() -> Callable[[Any], Schema]:
    """Parse an Avro definition (a dict, list or primitive name)."""
    return lambda definition: load_schema(SchemaSpec(format="avro", definition=definition))


@pytest.fixture
def record() -> Callable[..., Schema]:
    """An Avro record ``Order`` with the given fields (name and extra keys overridable)."""

    def make(*fields: dict[str, Any], name: str = "Order", **extra: Any) -> Schema:
        definition = {"type": "record", "name": name, "fields": list(fields), **extra}
        return load_schema(SchemaSpec(format="avro", definition=definition))

    return make


@pytest.fixture
def json_schema() -> Callable[[dict[str, Any]], Schema]:
    """Parse a JSON Schema definition."""
    return lambda definition: load_schema(SchemaSpec(format="json-schema", definition=definition))


@pytest.fixture
def obj() -> Callable[..., Schema]:
    """A JSON Schema object with ``properties``; ``closed=True`` sets additionalProperties: false."""

    def make(
        properties: dict[str, Any], *, required: list[str] | None = None, closed: bool = False, **extra: Any
    ) -> Schema:
        definition: dict[str, Any] = {"type": "object", "properties": properties, **extra}
        if required:
            definition["required"] = required
        if closed:
            definition["additionalProperties"] = False
        return load_schema(SchemaSpec(format="json-schema", definition=definition))

    return make


@pytest.fixture
def proto() -> Callable[..., Schema]:
    """Parse ``.proto`` text (proto3 unless the text declares a syntax)."""

    def make(body: str, *, message: str | None = None) -> Schema:
        text = body if body.lstrip().startswith("syntax") else f'syntax = "proto3";\n{body}'
        return load_schema(SchemaSpec(format="protobuf", definition=text, message=message))

    return make
