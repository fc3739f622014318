"""Avro payloads of one writer schema decoded a whole micro-batch at a time, into Arrow arrays.

Why: the per-record decoder of :mod:`.avro_columns` spends ≈ 0.2 µs of Python per field and record, which
made decoding the largest share of a stateless query's CPU time. Here every step of the writer's schema
runs once per *batch* over numpy arrays: ``pos`` holds one read position per record, a varint step reads
byte ``k`` of every record's varint in one gather until no record continues, a string step records
``(start, length)`` per record and advances ``pos`` by the lengths, and only the needed strings are copied,
at the end, with one gather into an Arrow string array. No Python object is created per record.

Covered writer schemas: flat or nested records of null, boolean, int, long (and their date / timestamp
logical types, left as integers), float, double, string, enum, fixed (skipped), and ``[null, X]`` unions of
those. Anything else (arrays, maps, wider unions, bytes or decimals, a needed record taken whole) makes
:func:`compile_vector_decoder` return ``None`` and the caller uses the per-record decoder. A batch where any
record does not end exactly at its last byte, holds a bad union branch, enum index or length, or invalid
UTF-8, is refused as a whole (``decode`` returns ``None``), so the per-record decoder can name the bad record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from streammesh.processing.runtime.avro_columns import RawKind

__all__ = ["VectorDecoder", "compile_vector_decoder", "wire_head"]

_RAW = {
    "timestamp-millis": "ms",
    "local-timestamp-millis": "ms",
    "timestamp-micros": "us",
    "local-timestamp-micros": "us",
    "date": "days",
}
_PRIMITIVE = {"null", "boolean", "int", "long", "float", "double", "string", "bytes"}
#: which SQL column types each Avro kind may fill without a conversion the per-record path would make
_FITS = {"long": {"int"}, "boolean": {"boolean"}, "double": {"double"}, "string": {"string", "timestamp", "date"}}
_PAD = 16  # zero bytes after the data, so that gathers past a torn record stay in bounds


class _Unsupported(Exception):
    pass


@dataclass
class _Step:
    """One value in the writer's byte order: ``kind`` (varint, boolean, float, double, string, fixed, null,
    union), the wanted column it fills (``None``: skipped) and, for unions, the steps of the non-null branch."""

    kind: str
    column: int | None = None
    size: int = 0
    symbols: list[str] | None = None
    null_branch: int = 0
    value_branch: int = 1
    inner: list[_Step] = field(default_factory=list)


class _Columns:
    """Per wanted column: values (numeric) or ``(start, length)`` (strings) and a validity mask."""

    def __init__(self, n: int, kinds: list[str | None]) -> None:
        self.n = n
        self.kinds = kinds
        self.values: list[np.ndarray | None] = [None] * len(kinds)
        self.lengths: list[np.ndarray | None] = [None] * len(kinds)
        self.valid: list[np.ndarray | None] = [None] * len(kinds)

    def put(self, col: int, sel: np.ndarray | None, values: np.ndarray, lengths: np.ndarray | None = None) -> None:
        if sel is None:
            self.values[col], self.lengths[col] = values, lengths
            return
        if self.values[col] is None:
            self.values[col] = np.zeros(self.n, dtype=values.dtype)
            self.valid[col] = np.zeros(self.n, dtype=bool)
            if lengths is not None:
                self.lengths[col] = np.zeros(self.n, dtype=np.int64)
        self.values[col][sel] = values  # type: ignore[index]
        self.valid[col][sel] = True  # type: ignore[index]
        if lengths is not None:
            self.lengths[col][sel] = lengths  # type: ignore[index]


def _varint(buf: np.ndarray, pos: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Zig-zag varints at ``pos``: their values and byte lengths (0 for a varint longer than ``limit``)."""
    top = len(buf) - 1
    b = buf[pos]
    value = (b & 0x7F).astype(np.uint64)
    more = b >= 0x80
    length = np.ones(len(pos), dtype=np.int64)
    k = 1
    while k < limit and more.any():
        b = buf[np.minimum(pos + k, top)]
        value |= np.where(more, (b & 0x7F).astype(np.uint64) << np.uint64(7 * k), np.uint64(0))
        length += more
        more &= b >= 0x80
        k += 1
    if more.any():
        length[more] = 0
    signed = (value >> np.uint64(1)).astype(np.int64) ^ -(value & np.uint64(1)).astype(np.int64)
    return signed, length


class VectorDecoder:
    """Decodes wire-format events (5-byte header, then the Avro body) of one writer schema into one Arrow
    array per wanted path; ``raw`` says how each column holds its values (as :mod:`.avro_columns`)."""

    def __init__(
        self,
        steps: list[_Step],
        wanted: list[str],
        kinds: list[str | None],
        raw: tuple[RawKind, ...],
        defaults: dict[str, Any],
    ) -> None:
        self.steps, self.wanted, self.kinds, self.raw = steps, wanted, kinds, raw
        self.defaults = defaults

    def decode(self, values: Sequence[bytes]) -> list[pa.Array] | None:
        """One array per wanted path, or ``None`` when a record is not valid for this writer schema."""
        n = len(values)
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=n)
        ends = np.cumsum(lengths)
        buf = np.frombuffer(b"".join(values) + bytes(_PAD), dtype=np.uint8)
        return self._decode(buf, ends - lengths + 5, ends)

    def decode_array(self, values: pa.Array) -> list[pa.Array] | None:
        """The same from a binary Arrow array without nulls (the log's value column, as it is on disk)."""
        buf, starts, ends = _flat(values)
        return self._decode(buf, starts + 5, ends)

    def _decode(self, buf: np.ndarray, pos: np.ndarray, ends: np.ndarray) -> list[pa.Array] | None:
        n = len(pos)
        if (pos > ends).any():
            return None
        cols = _Columns(n, self.kinds)
        self._bad = False
        pos = self._run(self.steps, buf, pos, None, cols)
        if self._bad or not np.array_equal(pos, ends):
            return None
        out = []
        for j, kind in enumerate(self.kinds):
            if kind is None:
                default = self.defaults.get(self.wanted[j])
                out.append(pa.nulls(n) if default is None else pa.array([default] * n))
                continue
            array = self._array(j, kind, buf, cols)
            if array is None:
                return None
            out.append(array)
        return out

    # -- steps -----------------------------------------------------------------------------------------
    def _varints(
        self, buf: np.ndarray, pos: np.ndarray, low: int | None, high: int | None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The varints at ``pos`` and the positions after them; ``None`` (the batch is bad) when one is too
        long or outside ``low <= v < high`` (lengths are never negative, enum indexes within the symbols)."""
        v, width = _varint(buf, pos, 10)
        if not width.all() or (low is not None and (v < low).any()) or (high is not None and (v >= high).any()):
            self._bad = True
            return None
        return v, pos + width

    def _run(
        self, steps: list[_Step], buf: np.ndarray, pos: np.ndarray, sel: np.ndarray | None, cols: _Columns
    ) -> np.ndarray:
        top = len(buf) - _PAD
        for s in steps:
            if s.kind in ("varint", "enum"):
                read = self._varints(buf, pos, 0 if s.kind == "enum" else None, len(s.symbols or ()) or None)
                if read is None:
                    return pos
                v, pos = read
                if s.column is not None:
                    cols.put(s.column, sel, v)
            elif s.kind == "boolean":
                if s.column is not None:
                    cols.put(s.column, sel, buf[np.minimum(pos, top)] != 0)
                pos = pos + 1
            elif s.kind in ("float", "double"):
                width = 4 if s.kind == "float" else 8
                if s.column is not None:
                    raw = buf[np.minimum(pos[:, None] + np.arange(width), top + _PAD - 1)]
                    cols.put(s.column, sel, raw.view("<f4" if width == 4 else "<f8").ravel().astype(np.float64))
                pos = pos + width
            elif s.kind == "string":
                read = self._varints(buf, pos, 0, None)
                if read is None:
                    return pos
                ln, start = read
                if s.column is not None:
                    cols.put(s.column, sel, start, ln)
                pos = start + ln
            elif s.kind == "fixed":
                pos = pos + s.size
            elif s.kind == "union":
                branch, w = _varint(buf, pos, 10)
                if not w.all() or not np.isin(branch, (s.null_branch, s.value_branch)).all():
                    self._bad = True
                    return pos
                pos = pos + w
                present = np.flatnonzero(branch == s.value_branch)
                if len(present):
                    inner_sel = present if sel is None else sel[present]
                    moved = self._run(s.inner, buf, pos[present], inner_sel, cols)
                    if self._bad:
                        return pos
                    pos = pos.copy()
                    pos[present] = moved
                for c in _columns_of(s.inner):  # a union never taken still makes its columns nullable
                    if cols.values[c] is None:
                        cols.put(
                            c,
                            np.empty(0, dtype=np.int64),
                            np.empty(0, dtype=_dtype(cols.kinds[c])),
                            np.empty(0, dtype=np.int64) if cols.kinds[c] == "string" else None,
                        )
            # "null": nothing to read
            if (pos > top).any():  # ran past the data: a torn or foreign record
                self._bad = True
                return pos
        return pos

    def _array(self, j: int, kind: str, buf: np.ndarray, cols: _Columns) -> pa.Array | None:
        values, valid = cols.values[j], cols.valid[j]
        mask = None if valid is None else ~valid
        if kind == "string":
            lengths = cols.lengths[j]
            assert values is not None and lengths is not None
            if valid is not None:
                lengths = np.where(valid, lengths, 0)
            return _string_view(buf, values, lengths, valid)
        if kind == "enum":
            return pa.array(self._symbols[j]).take(pa.array(values, mask=mask))
        return pa.array(values, mask=mask)

    @property
    def _symbols(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}

        def walk(steps: list[_Step]) -> None:
            for s in steps:
                if s.kind == "enum" and s.column is not None:
                    out[s.column] = s.symbols or []
                walk(s.inner)

        walk(self.steps)
        return out


def _string_view(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray, valid: np.ndarray | None) -> pa.Array | None:
    """Strings as an Arrow ``string_view`` array over ``buf`` itself: a 16-byte view per string (its length
    and, up to 12 bytes, the string inline, else a 4-byte prefix and its offset in ``buf``), so no string
    byte is copied; DuckDB scans views natively. ``None`` when a string is not valid UTF-8."""
    n = len(starts)
    if len(buf) >= 2**31:
        return None
    views = np.zeros((n, 4), dtype=np.int32)
    views[:, 0] = lengths
    raw = views.view(np.uint8)
    short = np.flatnonzero(lengths <= 12)
    if len(short):
        inline = buf[np.minimum(starts[short, None] + np.arange(12), len(buf) - 1)]
        inline[np.arange(12) >= lengths[short, None]] = 0
        raw[short, 4:16] = inline
    long_ = np.flatnonzero(lengths > 12)
    if len(long_):
        raw[long_, 4:8] = buf[starts[long_, None] + np.arange(4)]
        views[long_, 3] = starts[long_]
    bitmap = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    array = pa.Array.from_buffers(pa.string_view(), n, [bitmap, pa.py_buffer(views), pa.py_buffer(buf)])
    try:
        array.validate(full=True)  # UTF-8
    except pa.ArrowInvalid:
        return None
    return array


def _flat(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A binary array's bytes (zero-padded, for gathers past a torn record) and each value's start and end."""
    n = len(values)
    _validity, offsets_buf, data_buf = values.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32, count=n + 1, offset=4 * values.offset).astype(np.int64)
    lo, hi = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(data_buf, dtype=np.uint8)[lo:hi] if data_buf is not None else np.empty(0, np.uint8)
    buf = np.concatenate([data, np.zeros(_PAD, dtype=np.uint8)])
    offsets -= lo
    return buf, offsets[:-1], offsets[1:]


def wire_head(values: pa.Array) -> bytes | None:
    """The 5-byte wire-format header (magic byte, schema id) shared by every value of a binary array, or
    ``None`` when they differ, are null or are too short (the caller then groups them one by one)."""
    if not len(values) or values.null_count:
        return None
    buf, starts, ends = _flat(values)
    if (ends - starts < 5).any():
        return None
    heads = buf[starts[:, None] + np.arange(5)]
    if not (heads == heads[0]).all():
        return None
    return heads[0].tobytes()


def _columns_of(steps: list[_Step]) -> list[int]:
    out = []
    for s in steps:
        if s.column is not None:
            out.append(s.column)
        out += _columns_of(s.inner)
    return out


def _dtype(kind: str | None) -> Any:
    return {"long": np.int64, "boolean": np.bool_, "double": np.float64, "string": np.int64, "enum": np.int64}.get(
        kind or "", np.int64
    )


class _Compiler:
    def __init__(self, wanted: list[str], types: list[str]) -> None:
        self.wanted = {p: i for i, p in enumerate(wanted)}
        self.types = types
        self.kinds: list[str | None] = [None] * len(wanted)
        self.raw: list[RawKind] = ["value"] * len(wanted)
        self.named: dict[str, Any] = {}

    def resolve(self, schema: Any) -> Any:
        if isinstance(schema, str) and schema not in _PRIMITIVE:
            if schema not in self.named:
                raise _Unsupported(schema)
            return self.named[schema]
        if isinstance(schema, dict) and schema.get("type") in ("record", "enum", "fixed") and "name" in schema:
            self.named.setdefault(schema["name"], schema)
        return schema

    def want(self, path: str, kind: str, raw: RawKind = "value") -> int | None:
        col = self.wanted.get(path)
        if col is None:
            return None
        sql = self.types[col]
        fits = _FITS.get("string" if kind == "enum" else kind, set())
        if raw != "value":
            fits = {"timestamp"} if raw in ("ms", "us") else {"date"}
        if sql not in fits:
            raise _Unsupported(f"{path}: {kind} into {sql}")
        self.kinds[col], self.raw[col] = kind, raw
        return col

    def steps(self, schema: Any, path: str) -> list[_Step]:
        schema = self.resolve(schema)
        if isinstance(schema, list):
            branches = [self.resolve(b) for b in schema]
            nulls = [i for i, b in enumerate(branches) if b == "null"]
            others = [i for i, b in enumerate(branches) if b != "null"]
            if len(nulls) != 1 or len(others) != 1:
                raise _Unsupported("a union other than [null, X]")
            return [
                _Step(
                    "union", null_branch=nulls[0], value_branch=others[0], inner=self.steps(branches[others[0]], path)
                )
            ]
        t = schema if isinstance(schema, str) else schema.get("type")
        if isinstance(t, (dict, list)):
            return self.steps(t, path)
        logical = schema.get("logicalType") if isinstance(schema, dict) else None
        if t == "record":
            if path in self.wanted:
                raise _Unsupported("a whole record is needed")
            out = []
            for f in schema["fields"]:
                out += self.steps(f["type"], f"{path}.{f['name']}" if path else f["name"])
            return out
        if logical == "decimal":
            raise _Unsupported("decimal")
        if t == "null":
            return [_Step("null")]
        if t == "boolean":
            return [_Step("boolean", self.want(path, "boolean"))]
        if t in ("int", "long"):
            return [_Step("varint", self.want(path, "long", _RAW.get(logical or "", "value")))]
        if t in ("float", "double"):
            return [_Step(t, self.want(path, "double"))]
        if t == "string":
            return [_Step("string", self.want(path, "string"))]
        if t == "enum":
            return [_Step("enum", self.want(path, "enum"), symbols=list(schema["symbols"]))]
        if t == "fixed" and path not in self.wanted:
            return [_Step("fixed", size=int(schema["size"]))]
        raise _Unsupported(f"type {t!r}")


def compile_vector_decoder(
    writer: Any, wanted: list[str], types: list[str], defaults: dict[str, Any] | None = None
) -> VectorDecoder | None:
    """A batch decoder for events written with the parsed Avro schema ``writer``, yielding ``wanted`` paths
    (of SQL types ``types``); paths the writer lacks get ``defaults[path]`` (else null).

    Returns ``None`` when the schema or a wanted field needs the per-record decoder (see the module docstring).
    """
    if not (isinstance(writer, dict) and writer.get("type") == "record"):
        return None
    comp = _Compiler(wanted, types)
    try:
        steps = comp.steps(writer, "")
    except (_Unsupported, KeyError, TypeError):
        return None
    return VectorDecoder(steps, wanted, comp.kinds, tuple(comp.raw), defaults or {})
