"""From log records to column lists: the fields a query reads, plus the record's position and key.

Why columns: the engine hands each micro-batch to DuckDB in one call (see :mod:`.ingest`), so decoding
fills one column per needed field instead of building a dict per event. Four paths:

* **Avro, vectorised** (:mod:`.avro_vector`): batches of 32 records or more of flat writer schemas are
  decoded with numpy into Arrow arrays, no Python object per record; on the embedded log straight from
  the value column's bytes on disk (positions and timestamps too), when one writer schema wrote them all;
* **Avro, per record**, through a decoder generated per writer schema id (:mod:`.avro_columns`): only the
  needed fields, logical timestamps left as integers for DuckDB to convert;
* **JSON Schema** through ``orjson`` and a generated field extractor;
* anything else (Protobuf, Avro shapes the generator does not cover) through the SDK's
  :func:`~streammesh.schemas.decoding.value_decoder` and the same extractor.

A record that cannot be decoded is not dropped: it is returned in :attr:`DecodedBatch.errors` and the
processor writes it to the dead-letter stream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, cast

import numpy as np
import orjson
import pyarrow as pa

from streammesh.exceptions import StreammeshError
from streammesh.log.base import RecordColumns
from streammesh.processing.runtime.avro_columns import (
    ColumnDecoder,
    RawKind,
    compile_decoder,
)
from streammesh.processing.runtime.avro_vector import VectorDecoder, compile_vector_decoder, wire_head
from streammesh.processing.sql.plan import InputColumn
from streammesh.schemas import Schema
from streammesh.schemas.decoding import value_decoder
from streammesh.schemas.registry import SchemaRegistry

__all__ = ["DecodedBatch", "SourceDecoder", "extractor"]

_HEAD = itemgetter(slice(0, 5))


@dataclass
class DecodedBatch:
    """One source's records of a micro-batch, column by column (all lists have one item per row)."""

    #: one column per needed field: a list, or an Arrow array when decoded vectorised
    columns: list[list[Any] | pa.Array]
    raw: list[RawKind]
    #: lists, or numpy / Arrow arrays on the columnar path
    partitions: Sequence[int] | np.ndarray = field(default_factory=list)
    offsets: Sequence[int] | np.ndarray = field(default_factory=list)
    timestamps: Sequence[int] | pa.Array = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)
    deleted: Sequence[bool] | np.ndarray = field(default_factory=list)
    #: (partition, offset, timestamp, key, reason, value bytes) of records that could not be decoded
    errors: list[tuple[int, int, int, str | None, str, bytes | None]] = field(default_factory=list)
    #: the records' value bytes by (partition, offset), and a decoder of whole values (for dead letters)
    originals: _Originals | dict[tuple[int, int], bytes | None] = field(default_factory=dict)
    full: Callable[[bytes | None], Any] | None = None

    def __len__(self) -> int:
        return len(self.offsets)

    def original(self, partition: int, offset: int) -> Any:
        """The whole decoded value of the record at ``partition``/``offset`` of this batch."""
        data = self.originals.get((partition, offset))
        return self.full(data) if self.full is not None and data is not None else None


def extractor(paths: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A function taking a decoded value (a dict) to the tuple of its ``paths`` (null where absent)."""
    parts = []
    for p in paths:
        steps = p.split(".")
        expr = f"d.get({steps[0]!r})"
        for s in steps[1:]:
            expr = f"(lambda x: x.get({s!r}) if isinstance(x, dict) else None)({expr})"
        parts.append(expr)
    src = f"lambda d: ({', '.join(parts)},)" if parts else "lambda d: ()"
    return eval(src)


def _key_text(key: bytes | None) -> str | None:
    return None if key is None else key.decode("utf-8", "replace")


class _Originals:
    """``(partition, offset) -> value bytes``, indexed only when asked (dead letters are rare)."""

    def __init__(
        self,
        parts: Sequence[int] | np.ndarray,
        offsets: Sequence[int] | np.ndarray,
        values: list[bytes | None] | pa.Array,
    ) -> None:
        self._cols: tuple[Any, Any, Any] = (parts, offsets, values)
        self._index: dict[tuple[int, int], bytes | None] | None = None

    def get(self, key: tuple[int, int]) -> bytes | None:
        if self._index is None:
            parts, offsets, values = (
                c.tolist() if isinstance(c, np.ndarray) else c.to_pylist() if isinstance(c, pa.Array) else c
                for c in self._cols
            )
            self._index = dict(zip(zip(parts, offsets), values))
        return self._index.get(key)


_MIN_VECTOR = 32  # below this, numpy's per-call overhead exceeds the per-record decoder's cost


def _concat(arrays: list[pa.Array]) -> pa.Array:
    """One column from the parts decoded per writer schema (a part is all-null where its writer lacks the
    field and the reader has no default)."""
    target = next((a.type for a in arrays if not pa.types.is_null(a.type)), pa.null())
    return pa.concat_arrays([a if a.type == target else a.cast(target) for a in arrays])


class SourceDecoder:
    """Decodes one source's records into the columns of its :class:`InputColumn` list.

    Args:
        registry: the mesh's schema registry (writer schemas by id).
        reader: the product's contract schema.
        columns: the fields to decode.
        keys: also return record keys (table sources need them for tombstones).
    """

    def __init__(
        self, registry: SchemaRegistry, reader: Schema, columns: Sequence[InputColumn], *, keys: bool = False
    ) -> None:
        self.registry = registry
        self.reader = reader
        self.paths = [c.path for c in columns]
        self.types: list[str] = [c.type for c in columns]
        self.want_keys = keys
        self._extract = extractor(self.paths)
        self._general = value_decoder(registry, reader)
        self._avro: dict[bytes, ColumnDecoder | None] = {}
        self._vector: dict[bytes, VectorDecoder | None] = {}
        self._defaults = self._reader_defaults()

    def _reader_defaults(self) -> dict[str, Any]:
        parsed = getattr(self.reader, "parsed", None)
        if not isinstance(parsed, dict):
            return {}
        return {f["name"]: f.get("default") for f in parsed.get("fields", []) if "default" in f}

    def _avro_decoder(self, head: bytes) -> ColumnDecoder | None:
        if head not in self._avro:
            self._avro[head] = self._vector[head] = None
            try:
                writer = self.registry.schema_object(int.from_bytes(head[1:5], "big"))
            except StreammeshError:
                return None
            if writer.format == "avro":
                parsed = getattr(writer, "parsed", None)
                self._avro[head] = compile_decoder(parsed, self.paths, self._defaults)
                self._vector[head] = compile_vector_decoder(parsed, self.paths, self.types, self._defaults)
        return self._avro[head]

    def decode(self, views: Sequence[RecordColumns]) -> DecodedBatch:
        """Decode a read's column views (:class:`~streammesh.log.base.RecordColumns`) into one
        :class:`DecodedBatch`."""
        # canonical order (partition, offset): a replay reads the same ranges in any interleaving
        ordered = sorted(views, key=lambda v: (v.partition, v.base_offset))
        columnar = self._columnar(ordered)
        if columnar is not None:
            return columnar
        values: list[bytes | None] = []
        parts: list[int] = []
        offsets: list[int] = []
        stamps: list[int] = []
        keys: list[bytes | None] = []
        for v in ordered:
            values += v.values
            parts += [v.partition] * v.count
            offsets += v.offsets
            stamps += v.timestamps
            if self.want_keys:
                keys += v.keys
        out = DecodedBatch([[] for _ in self.paths], ["value"] * len(self.paths), full=self._general)
        if not values:
            return out
        out.originals = _Originals(parts, offsets, values)
        fast = self._fast(values, out) if self.reader.format == "avro" else None
        if fast is None:
            fast = self._dicts(values, out)
        good, bad = fast
        if not bad and len(good) == len(values) and good == list(range(len(values))):
            out.partitions, out.offsets, out.timestamps = parts, offsets, stamps
            out.keys = [_key_text(k) for k in keys] if self.want_keys else []
            out.deleted = [False] * len(values)
            return out
        # rows in the order the columns were filled: decoded values first, then tombstones
        order = good + [i for i, v in enumerate(values) if v is None]
        for i, reason in bad:
            out.errors.append(
                (parts[i], offsets[i], stamps[i], _key_text(keys[i]) if keys else None, reason, values[i])
            )
        tomb = len(order) - len(good)
        for j, col in enumerate(out.columns):
            if isinstance(col, list):
                col.extend([None] * tomb)
            elif tomb:
                out.columns[j] = pa.concat_arrays([col, pa.nulls(tomb, col.type)])
        out.partitions = [parts[i] for i in order]
        out.offsets = [offsets[i] for i in order]
        out.timestamps = [stamps[i] for i in order]
        out.keys = [_key_text(keys[i]) for i in order] if self.want_keys else []
        out.deleted = [False] * len(good) + [True] * tomb
        return out

    def _columnar(self, views: Sequence[RecordColumns]) -> DecodedBatch | None:
        """Avro records of one writer schema decoded from the views' value columns (zero-copy on the embedded
        log, built from the records elsewhere), with positions and timestamps as arrays; ``None`` when another
        path is needed."""
        if self.want_keys or self.reader.format != "avro" or not views:
            return None
        arrays = [v.value_array() for v in views]
        values = arrays[0] if len(arrays) == 1 else pa.concat_arrays(arrays)
        if len(values) < _MIN_VECTOR:
            return None
        head = wire_head(values)
        if head is None or self._avro_decoder(head) is None or self._vector.get(head) is None:
            return None
        vector = self._vector[head]
        columns = vector.decode_array(values)  # type: ignore[union-attr]
        if columns is None:
            return None
        stamps = [v.timestamp_array() for v in views]
        out = DecodedBatch(list(columns), list(vector.raw), full=self._general)  # type: ignore[union-attr]
        out.partitions = np.repeat(np.array([v.partition for v in views], dtype=np.int32), [v.count for v in views])
        out.offsets = np.concatenate([np.arange(v.base_offset, v.next_offset, dtype=np.int64) for v in views])
        out.timestamps = stamps[0] if len(stamps) == 1 else pa.concat_arrays(stamps)
        out.deleted = np.zeros(len(values), dtype=bool)
        out.originals = _Originals(out.partitions, out.offsets, values)
        return out

    def _fast(self, values: list[bytes | None], out: DecodedBatch) -> tuple[list[int], list[tuple[int, str]]] | None:
        """Avro through generated decoders; ``None`` when a batch needs the general path."""
        present = [i for i, v in enumerate(values) if v is not None] if None in values else None
        # no tombstones left in data
        data = cast("list[bytes]", [values[i] for i in present] if present is not None else values)
        heads: dict[bytes, list[int]] = {}
        distinct = set(map(_HEAD, data))  # wire header: magic byte and schema id
        if len(distinct) == 1:
            heads[distinct.pop()] = list(range(len(data)))
        else:
            for i, d in enumerate(data):
                heads.setdefault(d[:5], []).append(i)
        decoders = {h: self._avro_decoder(h) for h in heads}
        if any(d is None for d in decoders.values()) or len({d.raw for d in decoders.values()}) > 1:  # type: ignore[union-attr]
            return None
        vectorised = self._vectorised(data, heads, out)
        if vectorised is not None:
            return (vectorised if present is None else [present[i] for i in vectorised]), []
        good: list[int] = []
        bad: list[tuple[int, str]] = []
        for head, idx in heads.items():
            dec = decoders[head]
            errors: list[tuple[int, str]] = []
            batch = data if len(heads) == 1 else [data[i] for i in idx]
            dec.decode(batch, out.columns, errors)  # type: ignore[union-attr]
            failed = {i for i, _ in errors}
            good += [i for j, i in enumerate(idx) if j not in failed] if failed else idx
            bad += [(idx[j], reason) for j, reason in errors]
            out.raw = list(dec.raw)  # type: ignore[union-attr]
        if present is not None:
            good = [present[i] for i in good]
            bad = [(present[i], r) for i, r in bad]
        elif len(heads) == 1 and not bad:
            return list(range(len(values))), []
        return good, bad

    def _vectorised(self, data: Sequence[bytes], heads: dict[bytes, list[int]], out: DecodedBatch) -> list[int] | None:
        """Rows decoded (in the columns' order) when every writer has a vectorised decoder and every record
        decodes; ``None`` otherwise (the per-record path then names the bad records)."""
        vectors = [self._vector.get(h) for h in heads]
        if len(data) < _MIN_VECTOR or any(v is None or v.raw != vectors[0].raw for v in vectors):  # type: ignore[union-attr]
            return None
        parts: list[list[pa.Array]] = []
        for vector, idx in zip(vectors, heads.values()):
            arrays = vector.decode(data if len(heads) == 1 else [data[i] for i in idx])  # type: ignore[union-attr]
            if arrays is None:
                return None
            parts.append(arrays)
        if len(parts) == 1:
            out.columns = list(parts[0])
        else:
            out.columns = [_concat([p[j] for p in parts]) for j in range(len(self.paths))]
        out.raw = list(vectors[0].raw)  # type: ignore[union-attr]
        return list(range(len(data))) if len(heads) == 1 else [i for idx in heads.values() for i in idx]

    def _dicts(self, values: list[bytes | None], out: DecodedBatch) -> tuple[list[int], list[tuple[int, str]]]:
        """JSON (orjson) or the SDK's general decoder, then the field extractor."""
        extract = self._extract
        columns = out.columns
        appends = [c.append for c in columns]
        rows: list[tuple[Any, ...]] = []
        good: list[int] = []
        bad: list[tuple[int, str]] = []
        decode = self._json if self.reader.format == "json-schema" else self._general
        for i, v in enumerate(values):
            if v is None:
                continue
            try:
                d = decode(v)
            except (ValueError, StreammeshError) as e:
                bad.append((i, f"cannot be decoded: {e}"))
                continue
            rows.append(extract(d) if isinstance(d, dict) else (None,) * len(appends))
            good.append(i)
        if rows and appends:
            for j, col in enumerate(zip(*rows)):
                columns[j].extend(col)
        out.raw = ["value"] * len(self.types)
        return good, bad

    @staticmethod
    def _json(data: bytes) -> Any:
        return orjson.loads(data[5:] if data[:1] == b"\x00" else data)
