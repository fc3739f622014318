"""Contract field rules that generated values must satisfy, on top of what the schema itself says.

A rule is keyed by field path, as :attr:`streammesh.schemas.SchemaField.path` spells it (``customer.email``,
``items[].sku``). Rules arrive as plain dicts today and as the contract model's field-rule objects later;
both are read through :meth:`FieldRule.of`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from streammesh.exceptions import ValidationError

if TYPE_CHECKING:
    from streammesh.schemas.base import Schema

__all__ = ["FieldRule", "GenerationError", "normalise_rules"]


class GenerationError(ValidationError):
    """Values cannot be generated as asked: an unknown format, a rule naming no field, a malformed rule.
    The message names the rule or format; fix the argument it quotes."""


@dataclass(frozen=True, slots=True)
class FieldRule:
    """What one field's generated values must satisfy.

    Attributes:
        min: smallest allowed number (inclusive).
        max: largest allowed number (inclusive).
        enum: the only allowed values.
        pattern: a regular expression every string must contain a match of (JSON Schema semantics).
        not_null: the field is never null.
        required: the field is always present.
        min_length: shortest allowed string or list.
        max_length: longest allowed string or list.
    """

    min: float | None = None
    max: float | None = None
    enum: tuple[Any, ...] | None = None
    pattern: str | None = None
    not_null: bool = False
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None

    @classmethod
    def of(cls, value: FieldRule | Mapping[str, Any] | object, *, path: str = "?") -> FieldRule:
        """Read a dict, a :class:`FieldRule` or any object with these attribute names.

        Raises:
            GenerationError: a dict has keys that are not rule names, or a value has the wrong type.
        """
        if isinstance(value, FieldRule):
            return value
        names = [f.name for f in fields(cls)]
        if isinstance(value, Mapping):
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise GenerationError(
                    f"rule for {path!r} has unknown key(s) {', '.join(unknown)}; valid: {', '.join(names)}"
                )
            raw = dict(value)
        else:
            raw = {n: getattr(value, n, None) for n in names}
        enum = raw.get("enum")
        if enum is not None and (isinstance(enum, (str, bytes)) or not hasattr(enum, "__iter__")):
            raise GenerationError(f"rule for {path!r}: enum must be a list of values, got {enum!r}")
        for bound in ("min", "max", "min_length", "max_length"):
            v = raw.get(bound)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise GenerationError(f"rule for {path!r}: {bound} must be a number, got {v!r}")
        return cls(
            min=raw.get("min"),
            max=raw.get("max"),
            enum=tuple(enum) if enum is not None else None,
            pattern=raw.get("pattern"),
            not_null=bool(raw.get("not_null")),
            required=bool(raw.get("required")),
            min_length=None if raw.get("min_length") is None else int(raw["min_length"]),
            max_length=None if raw.get("max_length") is None else int(raw["max_length"]),
        )

    def lengths(self, lo: int, hi: int | None) -> tuple[int, int | None]:
        """``lo``/``hi`` length limits narrowed by this rule's."""
        if self.min_length is not None:
            lo = max(lo, self.min_length)
        if self.max_length is not None:
            hi = self.max_length if hi is None else min(hi, self.max_length)
        return lo, hi

    @property
    def non_null_enum(self) -> list[Any] | None:
        return None if self.enum is None else [v for v in self.enum if v is not None]


def normalise_rules(rules: Mapping[str, Any] | None, schema: Schema) -> dict[str, FieldRule]:
    """Turn user rules into :class:`FieldRule` objects, refusing rules whose top-level field is unknown.

    Only the first path segment is checked: fields reached through JSON Schema ``$ref`` are not listed by
    every schema format, and a typo is almost always in the name a person wrote first.

    Raises:
        GenerationError: a rule names no field of the schema, or is malformed.
    """
    if not rules:
        return {}
    known = {f.path.split(".", 1)[0].removesuffix("[]") for f in schema.fields}
    out: dict[str, FieldRule] = {}
    for path, rule in rules.items():
        head = path.split(".", 1)[0].removesuffix("[]")
        if known and head not in known:
            raise GenerationError(
                f"rule for {path!r} names no field of the schema; top-level fields: {', '.join(sorted(known))}"
            )
        out[path] = FieldRule.of(rule, path=path)
    return out
