"""Contract field rules that generated values must satisfy, on top of what the schema itself says.

A rule is keyed by field path, as :attr:`streammesh.schemas.SchemaField.path` spells it (``customer.email``,
``items[].sku``). Rules arrive as plain dicts today and as the contract model's field-rule objects later;
both are read through :func:`as_rule` into the contract's one :class:`FieldRule` model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError as PydanticValidationError

from streammesh.contracts.model import FieldRule
from streammesh.exceptions import ValidationError

if TYPE_CHECKING:
    from streammesh.schemas.base import Schema

__all__ = ["FieldRule", "GenerationError", "as_rule", "normalise_rules"]


class GenerationError(ValidationError):
    """Values cannot be generated as asked: an unknown format, a rule naming no field, a malformed rule.
    The message names the rule or format; fix the argument it quotes."""


def as_rule(value: FieldRule | Mapping[str, Any] | object, *, path: str = "?") -> FieldRule:
    """The contract's :class:`FieldRule` from a dict, a FieldRule, or an object with its attribute names.

    Raises:
        GenerationError: a dict has keys that are not rule names, or a value has the wrong type.
    """
    if isinstance(value, FieldRule):
        return value
    names = list(FieldRule.model_fields)
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise GenerationError(
                f"rule for {path!r} has unknown key(s) {', '.join(unknown)}; valid: {', '.join(names)}"
            )
        raw = {k: v for k, v in value.items() if v is not None}
    else:
        raw = {n: getattr(value, n) for n in names if getattr(value, n, None) is not None}
    enum = raw.get("enum")
    if enum is not None and (isinstance(enum, (str, bytes)) or not hasattr(enum, "__iter__")):
        raise GenerationError(f"rule for {path!r}: enum must be a list of values, got {enum!r}")
    if enum is not None:
        raw["enum"] = list(enum)
    try:
        return FieldRule.model_validate(raw)
    except PydanticValidationError as e:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])} {err['msg']}" for err in e.errors())
        raise GenerationError(f"rule for {path!r}: {problems}") from None


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
        out[path] = as_rule(rule, path=path)
    return out
