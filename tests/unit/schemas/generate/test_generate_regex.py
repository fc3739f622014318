"""Strings from regular expressions, and what happens at the edges of that support."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

import pytest

from streammesh.schemas import Schema
from streammesh.schemas.base import Issue
from streammesh.schemas.generation import (
    GenerationError,
    ValueGenerator,
    generate_values,
)
from streammesh.schemas.generation.regex import matching_string, string_from_pattern

PATTERNS = [
    r"^[A-Z]{3}$",
    r"^C\d{6}$",
    r"^SKU-\d{4}$",
    r"^ARE[0-9]{8}$",
    r"^(GB|DE|FR)-[a-z0-9]{2,5}$",
    r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$",
    r"^(\w+)-\1$",
    r"^\+?[0-9 ]{7,15}$",
    r"ab*c?",
    r"^.{3}$",
    r"^(?=.*\d)[A-Za-z\d]{8,}$",
    r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$",
    r"(?i)^abc$",
    r"^[^0-9]{4}$",
    r"^WH-(MAN|LEJ|TIL|LYS)$",
    r"^\d{4}-\d{2}-\d{2}$",
    r"^[a-z]+(_[a-z]+)*$",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_generated_strings_match(pattern: str) -> None:
    rng = random.Random(1)
    for _ in range(50):
        s = matching_string([pattern], rng)
        assert s is not None and re.search(pattern, s), (pattern, s)


def test_strings_vary() -> None:
    rng = random.Random(2)
    assert len({string_from_pattern(r"^C\d{6}$", rng) for _ in range(100)}) > 95


def test_every_pattern_and_the_acceptance_test_must_hold() -> None:
    rng = random.Random(3)
    for _ in range(30):
        s = matching_string([r"^[a-z]{2,12}$", r"q"], rng, accept=lambda x: len(x) >= 6)
        assert s is not None and "q" in s and 6 <= len(s) <= 12


def test_patterns_python_cannot_read_yield_nothing() -> None:
    assert matching_string([r"\p{L}+"], random.Random(4)) is None
    assert matching_string([r"^a$", r"^b$"], random.Random(4)) is None  # contradictory: gives up


def test_unsatisfiable_constraints_still_give_a_string(json_schema: Callable[[dict[str, Any]], Schema]) -> None:
    """Documented limit: a pattern contradicting the length limits cannot be met; the fallback is words."""
    schema = json_schema({"type": "string", "pattern": "^[a-z]{10}$", "maxLength": 5})
    value = next(generate_values(schema, 1, seed=1))
    assert isinstance(value, str) and schema.validate(value) != []


class _XmlSchema(Schema):
    format = "xml"

    @property
    def fields(self) -> list[Any]:
        return []

    def validate(self, value: Any) -> list[Issue]:
        return []


def test_unknown_formats_and_bad_counts_are_refused(json_schema: Callable[[dict[str, Any]], Schema]) -> None:
    with pytest.raises(GenerationError, match="format 'xml'.*supported: avro, json-schema, protobuf"):
        generate_values(_XmlSchema(), 1)
    with pytest.raises(GenerationError, match="count must be 0 or more"):
        generate_values(json_schema({"type": "string"}), -1)
    assert list(generate_values(json_schema({"type": "string"}), 0)) == []
    assert isinstance(ValueGenerator(json_schema({"type": "integer"}), seed=1).one(), int)
