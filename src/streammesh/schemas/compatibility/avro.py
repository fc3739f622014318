"""Avro compatibility: the Avro specification's schema-resolution rules, reader against writer.

Implemented here (rather than by trying a decode) so that every failure comes back with a field path,
the old and new types and a fix. The rules are those of "Schema Resolution" in the Avro specification,
as Confluent Schema Registry applies them through Avro's ``SchemaCompatibility``:

* records, enums and fixed match by unqualified name, or when the reader lists the writer's name as an alias;
* reader fields match writer fields by name or by one of the reader field's aliases; a writer field the
  reader lacks is skipped; a reader field the writer lacks must have a ``default``;
* promotions: int -> long, float, double; long -> float, double; float -> double; string <-> bytes;
* enums: a writer symbol the reader lacks is an error unless the reader enum has a ``default``;
* unions: every writer branch must be readable by the reader (a union reader: by some branch);
* arrays and maps resolve their items / values; fixed must keep its size.

Logical types are resolved by their underlying type, as Avro's own checker does.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from fastavro import parse_schema

from streammesh.schemas.base import Schema
from streammesh.schemas.compatibility.result import Direction, Incompatibility, PairContext, join_path

__all__ = ["PROMOTIONS", "can_read"]

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAMED = frozenset({"record", "error", "enum", "fixed"})
PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}
"""Writer type -> the reader types it may be promoted to (Avro specification, "Schema Resolution")."""


class _Side:
    """One schema's named types by full name, so that references (``"com.acme.Address"``) resolve."""

    def __init__(self, parsed: Any) -> None:
        self.root = parsed
        self.named: dict[str, dict[str, Any]] = {}
        self._collect(parsed, 0)

    def _collect(self, t: Any, depth: int) -> None:
        if depth > 64:
            return
        if isinstance(t, list):
            for branch in t:
                self._collect(branch, depth + 1)
        elif isinstance(t, dict):
            kind = t.get("type")
            if kind in _NAMED and isinstance(t.get("name"), str):
                self.named.setdefault(t["name"], t)
            for f in t.get("fields", []) if kind in ("record", "error") else []:
                self._collect(f.get("type"), depth + 1)
            for key in ("items", "values"):
                if key in t:
                    self._collect(t[key], depth + 1)
            if isinstance(kind, (dict, list)):
                self._collect(kind, depth + 1)

    def resolve(self, t: Any) -> Any:
        """A primitive name, a union list, or a dict whose ``type`` is record/enum/fixed/array/map."""
        for _ in range(64):
            if isinstance(t, str):
                if t in _PRIMITIVES or t not in self.named:
                    return t
                return self.named[t]
            if isinstance(t, dict) and t.get("type") not in _NAMED | {"array", "map"}:
                t = t.get("type")  # {"type": "int", "logicalType": "date"} or {"type": "string"}
                continue
            return t
        return t


def _kind(t: Any) -> str:
    if isinstance(t, list):
        return "union"
    if isinstance(t, dict):
        return "record" if t["type"] == "error" else str(t["type"])
    return str(t)


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _describe(side: _Side, t: Any, depth: int = 0) -> str:
    """A compact type description for messages: ``string``, ``record Address``, ``union[null, long]``."""
    t = side.resolve(t)
    kind = _kind(t)
    if depth > 2:
        return kind
    if kind == "union":
        return "union[" + ", ".join(_describe(side, b, depth + 1) for b in t) + "]"
    if kind == "array":
        return f"array<{_describe(side, t['items'], depth + 1)}>"
    if kind == "map":
        return f"map<{_describe(side, t['values'], depth + 1)}>"
    if kind == "fixed":
        return f"fixed {_short(t['name'])}({t.get('size')})"
    if kind in ("record", "enum"):
        return f"{kind} {_short(t['name'])}"
    return kind


def _names_match(reader: dict[str, Any], writer: dict[str, Any]) -> bool:
    """Unqualified names equal, or the writer's name is among the reader's aliases (spec: "Aliases")."""
    if _short(reader["name"]) == _short(writer["name"]):
        return True
    namespace = reader["name"].rpartition(".")[0]
    aliases = {a if "." in a or not namespace else f"{namespace}.{a}" for a in reader.get("aliases") or []}
    return writer["name"] in aliases or _short(writer["name"]) in {_short(a) for a in aliases}


class _Checker:
    """Walks a reader and a writer schema together, recording why the reader could not resolve the writer."""

    def __init__(self, reader: _Side, writer: _Side, ctx: PairContext) -> None:
        self.r, self.w, self.ctx = reader, writer, ctx

    def _try(self, r: Any, w: Any, path: str) -> bool:
        """Whether ``r`` reads ``w`` with no issue, recording nothing (to pick a union branch)."""
        scratch = _Checker(self.r, self.w, self.ctx.fork())
        scratch.check(r, w, path)
        return not scratch.ctx.issues

    def _shallow(self, r: Any, w: Any) -> bool:
        """The specification's "schemas match" test: same kind (and name), or a permitted promotion."""
        r, w = self.r.resolve(r), self.w.resolve(w)
        rk, wk = _kind(r), _kind(w)
        if rk != wk:
            return rk in PROMOTIONS.get(wk, ())
        return _names_match(r, w) if rk in ("record", "enum", "fixed") else True

    def check(self, r: Any, w: Any, path: str) -> None:
        r, w = self.r.resolve(r), self.w.resolve(w)
        rk, wk = _kind(r), _kind(w)
        if wk == "union":
            for branch in w:
                self._writer_branch(r, branch, w, path)
        elif rk == "union":
            if any(self._try(b, w, path) for b in r):
                return
            near = next((b for b in r if self._shallow(b, w)), None)
            if near is not None:
                self.check(near, w, path)
            else:
                self._missing_from_union(r, w, path)
        elif rk != wk:
            if rk not in PROMOTIONS.get(wk, ()):
                self._type_changed(r, w, path)
        elif rk == "record":
            self._record(r, w, path)
        elif rk == "enum":
            self._enum(r, w, path)
        elif rk == "fixed":
            self._fixed(r, w, path)
        elif rk == "array":
            self.check(r["items"], w["items"], f"{path}[]")
        elif rk == "map":
            self.check(r["values"], w["values"], f"{path}{{}}")

    def _writer_branch(self, r: Any, branch: Any, union: list[Any], path: str) -> None:
        candidates = r if _kind(r) == "union" else [r]
        if any(self._try(c, branch, path) for c in candidates):
            return
        near = next((c for c in candidates if self._shallow(c, branch)), None)
        if near is not None:
            self.check(near, branch, path)
            return
        b, rd = _describe(self.w, branch), _describe(self.r, r)
        if b == "null" and self.ctx.direction == "backward":
            msg = 'old data may hold null here but the new schema does not allow null; keep "null" in the union'
        elif b == "null":
            msg = (
                "the new schema makes this nullable: consumers still on the old schema cannot read null; "
                "keep it non-null, or release the old readers with a nullable type first"
            )
        elif self.ctx.direction == "backward":
            msg = f"old data may hold {b} values here, which the new type {rd} cannot read; keep {b} in the union"
        else:
            msg = (
                f"the new schema allows {b} values here, which consumers on the old schema ({rd}) cannot read; "
                f"do not add {b} to the union"
            )
        self.ctx.add(path, "avro.union-branch-unreadable", msg, reader=rd, writer=_describe(self.w, union))

    def _missing_from_union(self, r: Any, w: Any, path: str) -> None:
        wd, rd = _describe(self.w, w), _describe(self.r, r)
        if self.ctx.direction == "backward":
            msg = f"the new union {rd} has no branch that reads the old type {wd}; add {wd} to the union"
        else:
            msg = f"the new type {wd} is not among the old union's branches {rd}; {self.ctx.breaks}"
        self.ctx.add(path, "avro.type-missing-from-union", msg, reader=rd, writer=wd)

    def _type_changed(self, r: Any, w: Any, path: str) -> None:
        rd, wd = _describe(self.r, r), _describe(self.w, w)
        old, new = self.ctx.old_new(rd, wd)
        if _kind(r) in _PRIMITIVES and _kind(w) in _PRIMITIVES:
            fix = (
                "keep the old type or widen it along those promotions"
                if self.ctx.direction == "backward"
                else f"consumers on the old schema need a type that promotes to {rd}: keep {old}"
            )
            msg = (
                f"type changed from {old} to {new}: a {wd} value cannot be read as {rd} (Avro promotes only "
                f"int->long->float->double and string<->bytes); {fix}"
            )
            self.ctx.add(path, "avro.type-not-promotable", msg, reader=rd, writer=wd)
        else:
            msg = (
                f"type changed from {old} to {new}: Avro cannot resolve a {wd} as a {rd}; {self.ctx.breaks}. "
                "Keep the old type, or add a new field (with a default) for the new shape"
            )
            self.ctx.add(path, "avro.type-mismatch", msg, reader=rd, writer=wd)

    def _name_changed(self, r: dict[str, Any], w: dict[str, Any], path: str) -> bool:
        if _names_match(r, w):
            return False
        kind = _kind(r)
        old, new = self.ctx.old_new(r["name"], w["name"])
        if self.ctx.direction == "backward":
            fix = f'add "aliases": ["{old}"] to the new {kind}'
        else:
            fix = f"consumers on the old schema look for '{old}': keep that name (aliases only help readers)"
        msg = f"{kind} name changed from '{old}' to '{new}': Avro matches named types by name; {fix}"
        self.ctx.add(path, "avro.name-mismatch", msg, reader=f"{kind} {r['name']}", writer=f"{kind} {w['name']}")
        return True

    def _record(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        key = (r["name"], w["name"])
        if key in self.ctx.in_progress or self._name_changed(r, w, path):
            return  # a recursive type already being resolved on this path resolves if the rest does
        self.ctx.in_progress.add(key)
        by_name = {f["name"]: f for f in w.get("fields", [])}
        for rf in r.get("fields", []):
            wf = by_name.get(rf["name"])
            for alias in rf.get("aliases") or []:
                wf = wf or by_name.get(alias)
            field_path = join_path(path, rf["name"])
            if wf is not None:
                self.check(rf["type"], wf["type"], field_path)
            elif "default" not in rf:
                self._missing_default(rf, field_path)
        self.ctx.in_progress.discard(key)

    def _missing_default(self, rf: dict[str, Any], path: str) -> None:
        name, rd = rf["name"], _describe(self.r, rf["type"])
        if self.ctx.direction == "backward":
            rule = "avro.field-added-without-default"
            msg = (
                f"field '{name}' was added without a default: data written with the old schema has no value "
                f'for it; add a "default" (e.g. type ["null", ...] with "default": null)'
            )
        else:
            rule = "avro.field-removed-without-default"
            msg = (
                f"field '{name}' was removed but has no default in the old schema: consumers still on the old "
                "schema have no value to fill in; keep the field, or first release a version giving it a default"
            )
        self.ctx.add(path, rule, msg, reader=rd, writer=None)

    def _enum(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        if self._name_changed(r, w, path):
            return
        missing = [s for s in w.get("symbols", []) if s not in set(r.get("symbols", []))]
        if not missing or "default" in r:
            return
        shown = ", ".join(missing)
        if self.ctx.direction == "backward":
            msg = (
                f"enum symbols {shown} were removed: old data may contain them; keep them, or give the new enum "
                'a "default" symbol to read unknown ones as'
            )
        else:
            msg = (
                f'enum symbols {shown} were added, but the old enum has no "default": consumers on the old schema '
                "cannot read them; an enum can only grow forward-compatibly once readers have a default"
            )
        rd = f"enum {_short(r['name'])} [{', '.join(r.get('symbols', []))}]"
        wd = f"enum {_short(w['name'])} [{', '.join(w.get('symbols', []))}]"
        rule = "avro.enum-symbol-removed" if self.ctx.direction == "backward" else "avro.enum-symbol-added"
        self.ctx.add(path, rule, msg, reader=rd, writer=wd)

    def _fixed(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        if self._name_changed(r, w, path) or r.get("size") == w.get("size"):
            return
        old, new = self.ctx.old_new(str(r.get("size")), str(w.get("size")))
        msg = f"fixed size changed from {old} to {new} bytes: a fixed value keeps its size; use a new field instead"
        self.ctx.add(path, "avro.fixed-size-mismatch", msg, reader=_describe(self.r, r), writer=_describe(self.w, w))


class _DefinedSchema(Protocol):
    """An ``avro`` format schema keeps its definition document (``AvroSchema`` also its parsed form)."""

    definition: Any


def _parsed(schema: Schema) -> Any:
    if schema.format != "avro":
        raise ValueError(f"avro.can_read needs Avro schemas, got {schema.format!r}")
    parsed = getattr(schema, "parsed", None)
    return parsed if parsed is not None else parse_schema(cast(_DefinedSchema, schema).definition)


def can_read(reader: Schema, writer: Schema, *, direction: Direction = "backward") -> list[Incompatibility]:
    """Why a consumer using ``reader`` could not decode data written with ``writer`` (empty: it can).

    Args:
        reader: the schema the consumer decodes with.
        writer: the schema the data was written with.
        direction: ``backward`` when the reader is the new schema, ``forward`` when it is an old one;
            it decides which side is reported as ``old``/``new`` and how messages are worded.
    """
    ctx = PairContext(direction)
    r, w = _Side(_parsed(reader)), _Side(_parsed(writer))
    _Checker(r, w, ctx).check(r.root, w.root, "$")
    return ctx.issues
