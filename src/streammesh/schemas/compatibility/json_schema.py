"""JSON Schema compatibility with Confluent Schema Registry's semantics: can the reader accept every
document the writer accepts?

Confluent compares JSON Schemas structurally (its ``SchemaDiff``); the outcomes reduce to one question,
asked keyword by keyword: does the reader schema accept every document valid under the writer schema?

* Content models. An *open* object (``additionalProperties`` absent or true) lets documents carry any
  extra property, so a reader that *adds* a typed property to an open writer may meet it with any value
  (``json.property-added-to-open-content-model``); removing a property from an open reader is fine.
  A *closed* object (``additionalProperties: false``) is the mirror image: adding an optional property
  is fine, removing one is not (``json.property-removed-from-closed-content-model``). A *partially open*
  object (``additionalProperties`` is a schema) checks the property against that schema.
* ``required`` added (without a ``default``) breaks; removed is fine.
* types: narrowed or changed breaks; widened is fine, and ``integer`` -> ``number`` is widening.
* ``enum``: values removed (or an enum added) breaks; values added is fine.
* ``minimum``/``maximum``/``exclusive*``/``multipleOf``/``minLength``/``maxLength``/``pattern``/
  ``minItems``/``maxItems``/``uniqueItems``/``minProperties``/``maxProperties``: tightened or added breaks.
* ``items``, ``prefixItems``, ``properties``, ``anyOf``/``oneOf`` branches and local ``$ref`` are compared recursively.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

import orjson

from streammesh.schemas.base import Schema
from streammesh.schemas.compatibility._json_keywords import (
    ALL_TYPES,
    KEYWORD_TYPES,
    LOWER_BOUNDS,
    RULES,
    UNANALYSED,
    UPPER_BOUNDS,
    accepts,
    canon,
    describe,
    enum_values,
    is_any,
    merge_all_of,
    pointer,
    property_schema,
    types_of,
)
from streammesh.schemas.compatibility.result import Direction, Incompatibility, PairContext, join_path

__all__ = ["can_read"]


class _Checker:
    """Walks reader and writer schemas together, recording where the reader rejects writer documents."""

    def __init__(self, reader_root: Any, writer_root: Any, ctx: PairContext) -> None:
        self.r_root, self.w_root, self.ctx = reader_root, writer_root, ctx

    def _resolve(self, node: Any, root: Any) -> Any:
        for _ in range(32):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#")):
                return node
            try:
                target = pointer(root, node["$ref"])
            except (KeyError, IndexError, ValueError, TypeError):
                return node
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **siblings} if siblings and isinstance(target, dict) else target
        return node

    def _try(self, r: Any, w: Any, path: str) -> bool:
        scratch = _Checker(self.r_root, self.w_root, self.ctx.fork())
        scratch.check(r, w, path)
        return not scratch.ctx.issues

    def _rule(self, key: str) -> str:
        return RULES[key][0 if self.ctx.direction == "backward" else 1]

    def _add(self, path: str, key: str, msg: str, r: Any, w: Any) -> None:
        self.ctx.add(path, self._rule(key), msg, reader=describe(r), writer=describe(w))

    def check(self, r: Any, w: Any, path: str) -> None:
        r, w = self._resolve(r, self.r_root), self._resolve(w, self.w_root)
        if w is False or is_any(r):
            return
        if r is False:
            msg = f"the new schema accepts no value here; {self.ctx.breaks}"
            self._add(path, "type-narrowed", msg, r, w)
            return
        w = {} if w is True else w
        key = (id(r), id(w))
        if key in self.ctx.in_progress or len(self.ctx.in_progress) > 64:
            return  # a recursive $ref already being compared on this path (or absurd depth)
        self.ctx.in_progress.add(key)
        try:
            self._check_node(r, w, path)
        finally:
            self.ctx.in_progress.discard(key)

    def _check_node(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        for combo in ("anyOf", "oneOf"):
            if isinstance(w.get(combo), list):  # every writer branch (with its siblings) must be readable
                rest = {k: v for k, v in w.items() if k != combo}
                for branch in w[combo]:
                    b = self._resolve(branch, self.w_root)
                    self.check(r, {**rest, **b} if isinstance(b, dict) else b, path)
                return
        if isinstance(w.get("allOf"), list):
            w = merge_all_of(w, [self._resolve(s, self.w_root) for s in w["allOf"]])
        if isinstance(r.get("allOf"), list):
            for sub in r["allOf"]:
                self.check(sub, w, path)
            r = {k: v for k, v in r.items() if k != "allOf"}
        for combo in ("anyOf", "oneOf"):
            if isinstance(r.get(combo), list):
                self._reader_combo(r, combo, w, path)
                return
        for kw in UNANALYSED:
            if kw in r and (kw not in w or canon(r[kw]) != canon(w[kw])):
                self._tightened(path, kw, r, w)
        active = self._types(r, w, path)
        if not active:
            return
        self._enum(r, w, path)
        for kw, kind in KEYWORD_TYPES.items():
            if accepts(active, kind) or (kind == "number" and "integer" in active):
                self._keyword(kw, r, w, path)
        if "array" in active:
            self._array(r, w, path)
        if "object" in active:
            self._object(r, w, path)

    def _reader_combo(self, r: dict[str, Any], combo: str, w: dict[str, Any], path: str) -> None:
        rest = {k: v for k, v in r.items() if k != combo}
        branches = [self._resolve(b, self.r_root) for b in r[combo]]
        merged = [{**rest, **b} if isinstance(b, dict) else b for b in branches]
        if any(self._try(b, w, path) for b in merged):
            return
        wt = types_of(w)
        near = [b for b in merged if isinstance(b, dict) and wt and (types_of(b) or set()) & wt]
        if len(near) == 1:
            self.check(near[0], w, path)
            return
        msg = (
            f"none of the new schema's {combo} branches accepts the old {describe(w)} values"
            if self.ctx.direction == "backward"
            else f"the old schema's {combo} has no branch for the new {describe(w)} values"
        )
        self._add(path, "combined", f"{msg}; {self.ctx.breaks}; keep a matching branch", r, w)

    def _types(self, r: dict[str, Any], w: dict[str, Any], path: str) -> set[str]:
        """Report narrowed/changed types; return the writer types the reader still accepts."""
        rt, wt = types_of(r), types_of(w)
        writer_types = set(wt) if wt is not None else set(ALL_TYPES)
        if rt is None:
            return writer_types
        kept = {t for t in writer_types if accepts(rt, t)}
        lost = sorted(writer_types - kept)
        if "number" in lost and "integer" in rt:
            kept.add("integer")  # the writer's whole numbers still fit the reader's integer
        if lost:
            old, new = self.ctx.old_new(describe({"type": sorted(rt)}), describe({"type": sorted(writer_types)}))
            rule = "type-narrowed" if kept else "type-changed"
            what = f"{', '.join(lost)} values valid under the {'old' if self.ctx.direction == 'backward' else 'new'}"
            msg = (
                f"type changed from {old} to {new}: {what} schema are rejected; {self.ctx.breaks}. "
                "Keep the old type or widen it (e.g. integer -> number, or add the type to a list)"
            )
            self._add(path, rule, msg, r, w)
        return kept

    def _enum(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        allowed = enum_values(r)
        if allowed is None:
            return
        allowed_keys = {canon(v) for v in allowed}
        written = enum_values(w)
        if written is None:
            msg = (
                f"an enum {describe(r)} now restricts values that were free before; {self.ctx.breaks}. "
                "Drop the enum or list every value the data holds"
            )
        else:
            missing = [v for v in written if canon(v) not in allowed_keys]
            if not missing:
                return
            shown = ", ".join(orjson.dumps(v).decode() for v in missing)
            verb = "were removed" if self.ctx.direction == "backward" else "were added"
            msg = f"enum values {shown} {verb}; {self.ctx.breaks}. Keep every value the data may hold"
        self._add(path, "enum", msg, r, w)

    def _keyword(self, kw: str, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        if kw not in r or (isinstance(r[kw], bool) and kw != "uniqueItems"):
            return
        rv, wv = r[kw], w.get(kw)
        if kw in LOWER_BOUNDS:
            tighter = wv is None or isinstance(wv, bool) or rv > wv
        elif kw in UPPER_BOUNDS:
            tighter = wv is None or isinstance(wv, bool) or rv < wv
        elif kw == "multipleOf":
            tighter = wv is None or (wv / rv) != int(wv / rv)
        elif kw == "uniqueItems":
            tighter = rv is True and wv is not True
        else:  # pattern: we cannot compare regular expressions, only notice a new or different one
            tighter = wv != rv
        if tighter:
            self._tightened(path, kw, r, w)

    def _tightened(self, path: str, kw: str, r: dict[str, Any], w: dict[str, Any]) -> None:
        rv = orjson.dumps(r[kw]).decode() if kw in r else None
        wv = orjson.dumps(w[kw]).decode() if kw in w else None
        rd, wd = (f"{kw}: {rv}" if rv else None), (f"{kw}: {wv}" if wv else None)
        old, new = self.ctx.old_new(rv, wv)
        msg = (
            f"'{kw}' changed from {old or 'none'} to {new or 'none'}, which rejects values the "
            f"{'old' if self.ctx.direction == 'backward' else 'new'} schema allows; {self.ctx.breaks}. "
            f"Keep the old '{kw}'"
        )
        self.ctx.add(path, self._rule("constraint"), msg, reader=rd, writer=wd)

    def _array(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        r_prefix, w_prefix = r.get("prefixItems") or [], w.get("prefixItems") or []
        w_items = w.get("items", True)
        for i, sub in enumerate(r_prefix):
            self.check(sub, w_prefix[i] if i < len(w_prefix) else w_items, f"{path}[{i}]")
        if "items" in r:
            self.check(r["items"], w_items, f"{path}[]")

    def _object(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        r_props, w_props = r.get("properties") or {}, w.get("properties") or {}
        for name in [*w_props, *(n for n in r_props if n not in w_props)]:
            ws, rs = property_schema(w, name), property_schema(r, name)
            ws_res, rs_res = self._resolve(ws, self.w_root), self._resolve(rs, self.r_root)
            where = join_path(path, name)
            if ws_res is False:
                continue
            if name in r_props and name not in w_props and is_any(ws_res) and not is_any(rs_res):
                self._open_model(where, name, rs_res, ws_res)
            elif name in w_props and name not in r_props and rs_res is False:
                self._closed_model(where, name, rs_res, ws_res)
            else:
                self.check(rs, ws, where)
        r_extra, w_extra = r.get("additionalProperties", True), w.get("additionalProperties", True)
        if self._resolve(w_extra, self.w_root) is not False and not is_any(self._resolve(r_extra, self.r_root)):
            if is_any(self._resolve(w_extra, self.w_root)):
                if self.ctx.direction == "backward":
                    msg = (
                        "the new schema closes the content model (additionalProperties) but old data may hold "
                        "other properties; keep additionalProperties open"
                    )
                else:
                    msg = (
                        "the new schema opens the content model: new data may hold properties the old schema "
                        "rejects (additionalProperties); keep it as closed as before"
                    )
                self._add(path, "additional", msg, r_extra, w_extra)
            else:
                self.check(r_extra, w_extra, f"{path}{{}}")
        self._required(r, w, r_props, path)

    def _open_model(self, where: str, name: str, rs: Any, ws: Any) -> None:
        if self.ctx.direction == "backward":
            msg = (
                f"property '{name}' was added, but the old schema is open (additionalProperties is not false), "
                f"so old data may already hold '{name}' with any value; declare schemas closed "
                f"(\"additionalProperties\": false) from their first version, or give '{name}' an empty schema {{}}"
            )
        else:
            msg = (
                f"property '{name}' was removed while the new schema stays open: new data may carry '{name}' "
                f"with any value, which consumers on the old schema ({describe(rs)}) reject; keep '{name}'"
            )
        self._add(where, "open-model", msg, rs, ws)

    def _closed_model(self, where: str, name: str, rs: Any, ws: Any) -> None:
        if self.ctx.direction == "backward":
            msg = (
                f"property '{name}' was removed from a closed schema (additionalProperties: false): old data "
                f"holding '{name}' is now rejected; keep '{name}' as an optional property"
            )
        else:
            msg = (
                f"property '{name}' was added, but the old schema is closed (additionalProperties: false): "
                f"consumers on the old schema reject data holding '{name}'; a closed schema cannot gain "
                "properties forward-compatibly"
            )
        self._add(where, "closed-model", msg, rs, ws)

    def _required(self, r: dict[str, Any], w: dict[str, Any], r_props: dict[str, Any], path: str) -> None:
        w_required = set(w.get("required") or [])
        for name in r.get("required") or []:
            sub = self._resolve(r_props.get(name), self.r_root)
            if name in w_required or (isinstance(sub, dict) and "default" in sub):
                continue
            if self.ctx.direction == "backward":
                msg = f"property '{name}' is now required but old data may lack it; keep it optional or give it a \"default\""
            else:
                msg = (
                    f"property '{name}' is no longer required: new data may lack it, which consumers on the old "
                    "schema reject; keep it required"
                )
            old, new = self.ctx.old_new("required", "optional")
            self.ctx.issues.append(
                Incompatibility(join_path(path, name), old, new, self._rule("required"), msg, self.ctx.direction)
            )


class _DefinedSchema(Protocol):
    """A schema that keeps its definition document (``json-schema`` and ``avro`` schemas do)."""

    definition: Any


def can_read(reader: Schema, writer: Schema, *, direction: Direction = "backward") -> list[Incompatibility]:
    """Why a consumer validating with ``reader`` would reject documents valid under ``writer`` (empty: none).

    Args:
        reader: the schema the consumer validates with.
        writer: the schema the data was written with.
        direction: ``backward`` when the reader is the new schema, ``forward`` when it is an old one.
    """
    if reader.format != "json-schema" or writer.format != "json-schema":
        raise ValueError(f"json_schema.can_read needs JSON Schemas, got {reader.format!r} and {writer.format!r}")
    # the format check above vouches for .definition
    r_def, w_def = cast(_DefinedSchema, reader).definition, cast(_DefinedSchema, writer).definition
    ctx = PairContext(direction)
    _Checker(r_def, w_def, ctx).check(r_def, w_def, "$")
    return ctx.issues
