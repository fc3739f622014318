"""Turn a contract's schema section into a :class:`Schema`, via the schema-format registry."""

from __future__ import annotations

from functools import lru_cache

import orjson

from streammesh.contracts.model import SchemaSpec
from streammesh.plugins import PluginNotFoundError, schema_formats
from streammesh.schemas.base import Schema, SchemaError

__all__ = ["load_schema"]


@lru_cache(maxsize=256)
def _load_cached(fmt: str, definition_json: bytes, message: str | None) -> Schema:
    plugin = schema_formats.get(fmt)()
    definition = orjson.loads(definition_json)
    return plugin.load(definition, message=message)


def load_schema(spec: SchemaSpec) -> Schema:
    """Parse the schema a contract declares (its file must already be read into ``definition``).

    Raises:
        SchemaError: unknown format, missing definition, or a definition invalid in its format.
    """
    if spec.definition is None:
        raise SchemaError(f"schema file {spec.file!r} was not read; load the contract with load_contract()")
    try:
        schema_formats.get(spec.format)
    except PluginNotFoundError:
        raise SchemaError(
            f"unknown schema format {spec.format!r}; valid: {', '.join(schema_formats.names())}"
        ) from None
    return _load_cached(spec.format, orjson.dumps(spec.definition), spec.message)
