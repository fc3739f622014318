"""Random but valid, realistic values for any schema: the engine behind ``streammesh generate``.

One builder per schema format, chosen through a registry keyed by ``Schema.format`` (third parties
register theirs the same way), all drawing from one seeded :class:`Context`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol

from streammesh.plugins import PluginNotFoundError, Registry
from streammesh.schemas.base import Schema
from streammesh.schemas.generation.context import Context
from streammesh.schemas.generation.rules import GenerationError, normalise_rules

__all__ = ["ValueBuilder", "ValueGenerator", "generate_values", "value_builders"]


class ValueBuilder(Protocol):
    """Builds one value per ``build()`` call for one schema; constructed as ``Builder(schema, ctx)``."""

    def build(self) -> Any: ...


#: schema format name -> builder class (``"module:Class"`` until first use)
value_builders: Registry[Any] = Registry("value_builders")
value_builders.register_lazy("json-schema", "streammesh.schemas.generation.jsonschema_values:JsonSchemaValues")
value_builders.register_lazy("avro", "streammesh.schemas.generation.avro_values:AvroValues")
value_builders.register_lazy("protobuf", "streammesh.schemas.generation.protobuf_values:ProtobufValues")


class ValueGenerator:
    """Makes values that fit ``schema`` (and ``rules``), realistic where a field's name says what it holds.

    The same seed (and ``now``) gives the same values. Without ``now``, times are drawn relative to the
    start of the current UTC day, so a seeded run repeats exactly within a day and stays "recent".

    Args:
        schema: the schema values must fit.
        seed: seed of the random stream; None draws a fresh one.
        rules: contract field rules by field path (``{"total": {"min": 0}, "items[].sku": {...}}``), as
            dicts or objects with the attributes ``min max enum pattern not_null required``.
        now: the reference time for "recent" timestamps.
        optional_rate: how often an optional field is present.
        null_rate: how often a nullable field is null.

    Raises:
        GenerationError: no builder for the schema's format, or a rule names an unknown field.

    Rule paths are schema field paths: ``customer.email``, ``items[].sku``; map values are ``counts.*``.

    Example:
        ```python
        gen = ValueGenerator(load_schema(contract.schema_), seed=7, rules={"total": {"min": 100}})
        order = gen.one()           # {"order_id": "O00012345", "customer_email": "lena.hoffmann@web.de", ...}
        batch = list(gen.many(50))  # the stream continues: the same seed repeats the same 51 values
        ```
    """

    def __init__(
        self,
        schema: Schema,
        *,
        seed: int | None = None,
        rules: Mapping[str, Any] | None = None,
        now: datetime | None = None,
        optional_rate: float = 0.8,
        null_rate: float = 0.15,
    ) -> None:
        try:
            builder_class = value_builders.get(schema.format)
        except PluginNotFoundError:
            raise GenerationError(
                f"cannot generate values for schema format {schema.format!r}; "
                f"supported: {', '.join(value_builders.names())}"
            ) from None
        self.schema = schema
        self.ctx = Context(
            seed=seed,
            now=now,
            rules=normalise_rules(rules, schema),
            optional_rate=optional_rate,
            null_rate=null_rate,
        )
        self._builder: ValueBuilder = builder_class(schema, self.ctx)

    def one(self) -> Any:
        """The next value (a new persona: its names, e-mail and address agree with each other)."""
        self.ctx.new_record()
        return self._builder.build()

    def many(self, count: int) -> Iterator[Any]:
        """The next ``count`` values, lazily."""
        if count < 0:
            raise GenerationError(f"count must be 0 or more, got {count}")
        return (self.one() for _ in range(count))

    def __iter__(self) -> Iterator[Any]:
        while True:
            yield self.one()


def generate_values(
    schema: Schema,
    count: int,
    *,
    seed: int | None = None,
    rules: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Iterator[Any]:
    """``count`` random values that fit ``schema`` and ``rules``; the same seed gives the same values.

    Raises:
        GenerationError: see :class:`ValueGenerator` (raised at once, not on first iteration).
    """
    return ValueGenerator(schema, seed=seed, rules=rules, now=now).many(count)
