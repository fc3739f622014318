"""Values for Avro schemas, in the shape fastavro writes (dicts for records, str for enums).

Supported: every primitive, records (nested, and named types reused by name), enums, arrays (1-4 items),
maps (1-3 entries), fixed, unions (``null`` taken at the null rate, otherwise one other branch), and the
logical types decimal (``Decimal`` at the declared scale, within precision), uuid, date (days since
epoch), time-millis/micros, timestamp-millis/micros/nanos and their local-timestamp forms (recent epoch
values). Avro has no "absent": a field with a default is always written, nullable fields are sometimes null.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from streammesh.schemas.avro_format import AvroSchema
from streammesh.schemas.generation.context import EPOCH_DAY_MS, Context
from streammesh.schemas.generation.rules import FieldRule
from streammesh.schemas.generation.semantic import (
    instant_ms,
    preferred_choice,
    singular,
)
from streammesh.schemas.generation.values import (
    NumberSpec,
    item_count,
    make_bool,
    make_bytes,
    make_number,
    make_string,
    string_spec,
    tighter,
)

__all__ = ["AvroValues"]

_MAX_DEPTH = 8
_INT_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_TIMESTAMP_SCALE = {
    "timestamp-millis": 1,
    "local-timestamp-millis": 1,
    "timestamp-micros": 1000,
    "local-timestamp-micros": 1000,
    "timestamp-nanos": 1_000_000,
    "local-timestamp-nanos": 1_000_000,
}


def _collect_named(t: Any, out: dict[str, Any]) -> None:
    """Index every named type by full name: fastavro writes later uses of a type as its name only."""
    if isinstance(t, list):
        for b in t:
            _collect_named(b, out)
    elif isinstance(t, dict):
        if t.get("type") in ("record", "error", "enum", "fixed") and "name" in t:
            out.setdefault(t["name"], t)
        for f in t.get("fields", []):
            _collect_named(f.get("type"), out)
        for key in ("items", "values"):
            if key in t:
                _collect_named(t[key], out)


class AvroValues:
    """Builds one value at a time for an :class:`AvroSchema`."""

    def __init__(self, schema: AvroSchema, ctx: Context) -> None:
        self.parsed = schema.parsed
        self.ctx = ctx
        self.named: dict[str, Any] = {}
        _collect_named(self.parsed, self.named)

    def build(self) -> Any:
        return self._value(self.parsed, "", name="", doc="", owner="", depth=0)

    def _lookup(self, t: Any) -> Any:
        if isinstance(t, str) and t in self.named:
            return self.named[t]
        return t

    def _value(self, t: Any, path: str, *, name: str, doc: str, owner: str, depth: int) -> Any:
        t = self._lookup(t)
        ctx, rule = self.ctx, self.ctx.rule(path)
        if isinstance(t, list):
            return self._union(t, path, rule, name=name, doc=doc, owner=owner, depth=depth)
        kind = t.get("type") if isinstance(t, dict) else t
        if isinstance(kind, dict | list):  # {"type": {"type": "string"}} nests a full schema
            return self._value(kind, path, name=name, doc=doc, owner=owner, depth=depth)
        logical = t.get("logicalType") if isinstance(t, dict) else None
        if rule is not None and rule.non_null_enum and kind not in ("record", "array", "map"):
            return ctx.pick(rule.non_null_enum)
        if logical is not None and (made := self._logical(t, kind, logical, rule, name)) is not None:
            return made
        if kind == "record" or kind == "error":
            short = str(t.get("name", "")).rsplit(".", 1)[-1]
            out = {}
            for f in t.get("fields", []):
                p = f"{path}.{f['name']}" if path else f["name"]
                out[f["name"]] = self._value(
                    f["type"], p, name=f["name"], doc=str(f.get("doc", "")), owner=short, depth=depth + 1
                )
            return out
        if kind == "enum":
            preferred = preferred_choice(ctx, name, t["symbols"])
            return preferred if preferred is not None else ctx.pick(t["symbols"])
        if kind == "array":
            n = 0 if depth > _MAX_DEPTH else item_count(ctx, *(rule.lengths(0, None) if rule else (0, None)))
            return [
                self._value(t["items"], f"{path}[]", name=singular(name), doc="", owner=owner or name, depth=depth + 1)
                for _ in range(n)
            ]
        if kind == "map":
            n = 0 if depth > _MAX_DEPTH else ctx.rng.randint(1, 3)
            return {
                ctx.faker("en_US").word() + str(i): self._value(
                    t["values"], f"{path}.*", name=singular(name), doc="", owner=owner, depth=depth + 1
                )
                for i in range(n)
            }
        if kind == "fixed":
            return make_bytes(ctx, int(t["size"]))
        return self._primitive(str(kind), rule, name=name, doc=doc, owner=owner)

    def _union(
        self, branches: list[Any], path: str, rule: FieldRule | None, *, name: str, doc: str, owner: str, depth: int
    ) -> Any:
        others = [b for b in branches if b != "null"]
        if "null" in branches and (
            not others or (not (rule and rule.not_null) and (depth > _MAX_DEPTH or self.ctx.chance(self.ctx.null_rate)))
        ):
            return None
        return self._value(self.ctx.pick(others), path, name=name, doc=doc, owner=owner, depth=depth)

    def _primitive(self, kind: str, rule: FieldRule | None, *, name: str, doc: str, owner: str) -> Any:
        ctx = self.ctx
        if kind == "null":
            return None
        if kind == "boolean":
            return make_bool(ctx, name)
        if kind in _INT_RANGES or kind in ("float", "double"):
            lo, hi = _INT_RANGES.get(kind, (None, None))
            return make_number(
                ctx,
                NumberSpec(
                    name=name,
                    integer=kind in _INT_RANGES,
                    minimum=tighter(lo, rule.min if rule else None, max),
                    maximum=tighter(hi, rule.max if rule else None, min),
                ),
            )
        if kind == "bytes":
            return make_bytes(ctx)
        return make_string(ctx, string_spec(rule, name=name, doc=doc, owner=owner))

    def _logical(self, t: dict[str, Any], kind: Any, logical: str, rule: FieldRule | None, name: str) -> Any:
        """A value for a logical type, or None to fall back to the underlying type."""
        ctx = self.ctx
        bounded = rule is not None and (rule.min is not None or rule.max is not None)
        if logical in _TIMESTAMP_SCALE and kind == "long" and not bounded:
            scale = _TIMESTAMP_SCALE[logical]
            return instant_ms(ctx, name) * scale + ctx.rng.randrange(scale)
        if logical == "date" and kind == "int" and not bounded:
            return instant_ms(ctx, name) // EPOCH_DAY_MS
        if logical == "time-millis" and kind == "int" and not bounded:
            return ctx.rng.randrange(EPOCH_DAY_MS)
        if logical == "time-micros" and kind == "long" and not bounded:
            return ctx.rng.randrange(EPOCH_DAY_MS * 1000)
        if logical == "uuid" and kind == "string":
            return ctx.uuid4()
        if logical == "decimal" and kind in ("bytes", "fixed"):
            return self._decimal(t, rule, name)
        return None

    def _decimal(self, t: dict[str, Any], rule: FieldRule | None, name: str) -> Decimal:
        precision, scale = int(t.get("precision", 10)), int(t.get("scale", 0))
        limit = (10**precision - 1) / 10**scale  # the largest magnitude the precision allows
        if t.get("type") == "fixed":  # and what the fixed size can hold, as a two's-complement integer
            limit = min(limit, (2 ** (8 * int(t["size"]) - 1) - 1) / 10**scale)
        number = make_number(
            self.ctx,
            NumberSpec(
                name=name,
                minimum=tighter(-limit, rule.min if rule else None, max),
                maximum=tighter(limit, rule.max if rule else None, min),
            ),
        )
        quantum = Decimal(1).scaleb(-scale)
        value = Decimal(repr(float(number))).quantize(quantum)
        max_value = Decimal(10**precision - 1) * quantum
        return max(min(value, max_value), -max_value)
