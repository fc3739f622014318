"""Test data: random but valid, realistic values from a product's schema (``streammesh generate``)."""

from __future__ import annotations

from streammesh.schemas.generation.generator import (
    ValueGenerator,
    generate_values,
    value_builders,
)
from streammesh.schemas.generation.rules import FieldRule, GenerationError, as_rule

__all__ = ["FieldRule", "GenerationError", "ValueGenerator", "as_rule", "generate_values", "value_builders"]
