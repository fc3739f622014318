"""Values for JSON Schema (draft 2020-12) definitions.

Supported: ``type`` (single or list, ``null`` included), ``const``, ``enum``, ``properties`` / ``required``
(optional properties present most of the time), ``additionalProperties`` as a map, ``minProperties``,
``items`` / ``prefixItems`` / ``minItems`` / ``maxItems`` / ``uniqueItems``, string ``format`` /
``pattern`` / ``minLength`` / ``maxLength``, numeric bounds and ``multipleOf``, ``$ref`` (local JSON
pointers such as ``#/$defs/Address``), ``allOf`` (merged), ``anyOf`` / ``oneOf`` (one branch; for
``oneOf`` a value matching several branches is retried). Ignored: ``not``, ``if/then/else``,
``contains``, ``patternProperties``, ``dependent*`` and remote ``$ref``s; a schema that relies on them
can get values it refuses, since values are not re-validated here.
"""

from __future__ import annotations

from typing import Any

import orjson
from jsonschema import Draft202012Validator

from streammesh.schemas.generation.context import Context
from streammesh.schemas.generation.rules import FieldRule
from streammesh.schemas.generation.semantic import preferred_choice, singular
from streammesh.schemas.generation.values import (
    NumberSpec,
    StringSpec,
    item_count,
    make_bool,
    make_number,
    make_string,
    tighter,
)
from streammesh.schemas.jsonschema_format import JsonSchema

__all__ = ["JsonSchemaValues"]

_MAX_DEPTH = 8
_MERGE_LISTS = ("required",)


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Both subschemas at once (good enough for ``allOf`` and ``$ref`` siblings): b wins on conflicts."""
    out = {**a, **b}
    if "properties" in a and "properties" in b:
        out["properties"] = {**a["properties"], **b["properties"]}
    for key in _MERGE_LISTS:
        if key in a and key in b:
            out[key] = list(dict.fromkeys([*a[key], *b[key]]))
    return out


class JsonSchemaValues:
    """Builds one value at a time for a :class:`JsonSchema`."""

    def __init__(self, schema: JsonSchema, ctx: Context) -> None:
        self.root = schema.definition
        self.ctx = ctx
        self._validator = Draft202012Validator(self.root)

    def build(self) -> Any:
        return self._node(self.root, "", name="", owner=str(self.root.get("title", "")), doc="", depth=0)

    # -- schema plumbing ----------------------------------------------------------------------------
    def _pointer(self, ref: str) -> dict[str, Any]:
        if not ref.startswith("#"):
            return {}  # remote references are not fetched: generate "anything" (a string)
        node: Any = self.root
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node.get(part, {})
        return node if isinstance(node, dict) else {}

    def _flatten(self, node: Any, depth: int = 0) -> dict[str, Any]:
        """Follow ``$ref`` and merge ``allOf``, so the rest of the code sees one plain subschema."""
        if node is True or not isinstance(node, dict):
            return {}
        if depth > 16:
            return node
        if "$ref" in node:
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = _merge(self._flatten(self._pointer(node["$ref"]), depth + 1), siblings)
        if "allOf" in node:
            merged = {k: v for k, v in node.items() if k != "allOf"}
            for part in node["allOf"]:
                merged = _merge(merged, self._flatten(part, depth + 1))
            node = merged
        return node

    # -- values -------------------------------------------------------------------------------------
    def _node(self, node: Any, path: str, *, name: str, owner: str, doc: str, depth: int) -> Any:
        node = self._flatten(node)
        ctx, rule = self.ctx, self.ctx.rule(path)
        doc = str(node.get("description", doc))
        if "const" in node:
            return node["const"]
        enum = node.get("enum")
        if rule is not None and rule.enum is not None:
            enum = [v for v in rule.enum if enum is None or v in enum] or list(rule.enum)
        if enum is not None:
            return self._pick(enum, rule, name, depth)
        for key in ("oneOf", "anyOf"):
            if isinstance(node.get(key), list) and node[key]:
                return self._branch(node, key, path, name=name, owner=owner, doc=doc, depth=depth)
        types = self._types(node)
        if "null" in types and (len(types) == 1 or self._null_now(rule, depth)):
            return None
        types = [t for t in types if t != "null"] or ["string"]
        kind = ctx.pick(types)
        if kind == "object":
            return self._object(node, path, name=name, owner=owner, depth=depth)
        if kind == "array":
            return self._array(node, path, name=name, owner=owner, doc=doc, depth=depth)
        if kind in ("integer", "number"):
            return make_number(
                ctx,
                NumberSpec(
                    name=name,
                    integer=kind == "integer",
                    minimum=tighter(node.get("minimum"), rule.min if rule else None, max),
                    maximum=tighter(node.get("maximum"), rule.max if rule else None, min),
                    exclusive_minimum=node.get("exclusiveMinimum"),
                    exclusive_maximum=node.get("exclusiveMaximum"),
                    multiple_of=node.get("multipleOf"),
                ),
            )
        if kind == "boolean":
            return make_bool(ctx, name)
        patterns = tuple(p for p in (rule.pattern if rule else None, node.get("pattern")) if p)
        lo, hi = int(node.get("minLength", 0)), node.get("maxLength")
        if rule is not None:
            lo, hi = rule.lengths(lo, hi)
        return make_string(
            ctx,
            StringSpec(
                name=name,
                doc=doc,
                owner=owner,
                format=node.get("format"),
                patterns=patterns,
                min_length=lo,
                max_length=hi,
            ),
        )

    def _null_now(self, rule: FieldRule | None, depth: int) -> bool:
        if rule is not None and rule.not_null:
            return False
        return depth > _MAX_DEPTH or self.ctx.chance(self.ctx.null_rate)

    def _pick(self, enum: list[Any], rule: FieldRule | None, name: str, depth: int) -> Any:
        values = [v for v in enum if v is not None]
        if (not values or (None in enum and self._null_now(rule, depth))) and not (rule and rule.not_null):
            return None
        preferred = preferred_choice(self.ctx, name, values)
        return preferred if preferred is not None else self.ctx.pick(values or enum)

    @staticmethod
    def _types(node: dict[str, Any]) -> list[str]:
        t = node.get("type")
        if isinstance(t, str):
            return [t]
        if isinstance(t, list) and t:
            return [str(x) for x in t]
        if "properties" in node or "additionalProperties" in node or "required" in node:
            return ["object"]
        if "items" in node or "prefixItems" in node or "minItems" in node:
            return ["array"]
        if any(k in node for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
            return ["number"]
        return ["string"]

    def _branch(self, node: dict[str, Any], key: str, path: str, *, name: str, owner: str, doc: str, depth: int) -> Any:
        rest = {k: v for k, v in node.items() if k != key}
        branches = list(node[key])
        # a null branch is taken as often as any nullable field is null, not once per branch
        nulls = [b for b in branches if self._types(self._flatten(b)) == ["null"]]
        others = [b for b in branches if b not in nulls]
        if nulls and others:
            if self._null_now(self.ctx.rule(path), depth):
                return None
            branches = others
        value: Any = None
        for _ in range(10):
            branch = _merge(rest, self._flatten(self.ctx.pick(branches)))
            value = self._node(branch, path, name=name, owner=owner, doc=doc, depth=depth)
            if key == "anyOf" or sum(self._fits(b, value) for b in branches) == 1:
                return value
        return value

    def _fits(self, subschema: Any, value: Any) -> bool:
        return bool(self._validator.evolve(schema=subschema).is_valid(value))

    def _object(self, node: dict[str, Any], path: str, *, name: str, owner: str, depth: int) -> dict[str, Any]:
        ctx = self.ctx
        props: dict[str, Any] = node.get("properties") or {}
        required = set(node.get("required", []))
        owner = str(node.get("title") or name or owner)
        out: dict[str, Any] = {}
        skipped: list[str] = []
        for prop, sub in props.items():
            p = f"{path}.{prop}" if path else prop
            rule = ctx.rule(p)
            wanted = prop in required or (rule is not None and rule.required)
            if wanted or (depth <= _MAX_DEPTH and ctx.chance(ctx.optional_rate)):
                out[prop] = self._node(sub, p, name=prop, owner=owner, doc="", depth=depth + 1)
            else:
                skipped.append(prop)
        for prop in skipped[: max(0, int(node.get("minProperties", 0)) - len(out))]:
            p = f"{path}.{prop}" if path else prop
            out[prop] = self._node(props[prop], p, name=prop, owner=owner, doc="", depth=depth + 1)
        extra = node.get("additionalProperties")
        if not props and isinstance(extra, dict) and depth <= _MAX_DEPTH:
            # a map: a few entries with word keys
            for _ in range(ctx.rng.randint(max(1, int(node.get("minProperties", 1))), 3)):
                key = ctx.faker("en_US").word()
                out[key] = self._node(
                    extra, f"{path}.*" if path else "*", name=singular(name), owner=owner, doc="", depth=depth + 1
                )
        required_missing = [r for r in required if r not in out and r not in props]
        for key in required_missing:  # required names without a property schema: anything goes
            p = f"{path}.{key}" if path else key
            out[key] = self._node(
                extra if isinstance(extra, dict) else {}, p, name=key, owner=owner, doc="", depth=depth + 1
            )
        return out

    def _array(self, node: dict[str, Any], path: str, *, name: str, owner: str, doc: str, depth: int) -> list[Any]:
        rule = self.ctx.rule(path)
        lo, hi = int(node.get("minItems", 0)), node.get("maxItems")
        if rule is not None:
            lo, hi = rule.lengths(lo, hi)
        n = lo if depth > _MAX_DEPTH else item_count(self.ctx, lo, hi)
        prefix = list(node.get("prefixItems") or [])
        items = node.get("items", {})
        if prefix:  # a tuple is written whole unless maxItems forbids it
            n = max(n, len(prefix) if hi is None else min(len(prefix), int(hi)))
        if items is False:
            n = min(n, len(prefix))
        item_name = singular(name)
        out: list[Any] = []
        seen: set[bytes] = set()
        for i in range(n):
            sub = prefix[i] if i < len(prefix) else items
            for _ in range(10):
                v = self._node(sub, f"{path}[]", name=item_name, owner=owner or name, doc="", depth=depth + 1)
                key = orjson.dumps(v, option=orjson.OPT_SORT_KEYS, default=str)
                if not node.get("uniqueItems") or key not in seen:
                    break
            seen.add(key)
            out.append(v)
        return out
