"""Schema builders for the serde tests: real schemas through the real format plug-ins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from streammesh.schemas.avro_format import AvroFormat, AvroSchema
from streammesh.schemas.jsonschema_format import JsonSchema, JsonSchemaFormat
from streammesh.schemas.protobuf_format import ProtobufFormat, ProtobufSchema


@pytest.fixture
def avro() -> Callable[[Any], AvroSchema]:
    """Build an Avro schema from a definition (dict or JSON text)."""
    return lambda definition: AvroFormat().load(definition)


@pytest.fixture
def proto() -> Callable[..., ProtobufSchema]:
    """Build a Protobuf schema from ``.proto`` text and an optional message name."""
    return lambda text, message=None: ProtobufFormat().load(text, message=message)


@pytest.fixture
def json_schema() -> Callable[[Any], JsonSchema]:
    """Build a JSON Schema (draft 2020-12)."""
    return lambda definition: JsonSchemaFormat().load(definition)
