"""The log's streams, and which of them are not data products yet.

A domain often already has streams on its cluster that applications write to (plain JSON from an old
producer, Confluent-framed events from a Kafka client) before anyone publishes them as products. The
Publish page lists those so their owner can adopt one: its name, partitions, event count, newest event
time, and a schema, either the one registered for the events' schema id or one inferred from sampled
events, with a suggested key when a field's value matches the records' keys.

Internal streams are never offered: dead-letter streams (``*.dlq``), ``_``-prefixed topics (Kafka's own
``__consumer_offsets``, ``_schemas``) and stream-processing state (``*-changelog``, ``*-repartition``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from streammesh.exceptions import NotFoundError
from streammesh.log.base import BaseLog, Record
from streammesh.schemas.codecs.serializer import Deserializer
from streammesh.schemas.jsonschema_format import json_type
from streammesh.schemas.registry import SchemaRegistry
from streammesh.schemas.serde import decode_key
from streammesh.schemas.wire import is_wire_format, read_header

__all__ = [
    "DEFAULT_SAMPLE",
    "StreamInfo",
    "dead_letter_stream",
    "infer_json_schema",
    "is_internal_stream",
    "stream_events",
    "stream_info",
    "stream_names",
    "suggest_key",
]

DEFAULT_SAMPLE = 100
"""Events sampled per stream to infer a schema (the newest ones)."""

_INTERNAL_SUFFIXES = (".dlq", "-changelog", "-repartition")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$")


def dead_letter_stream(stream: str) -> str:
    """Where a product's invalid events go when its contract says ``on_invalid: dead-letter``."""
    return f"{stream}.dlq"


def is_internal_stream(name: str) -> bool:
    """Dead-letter, ``_``-prefixed and stream-processing state topics: never offered as products."""
    return name.startswith("_") or name.endswith(_INTERNAL_SUFFIXES)


@dataclass(slots=True)
class StreamInfo:
    """One stream of the log and what is known about its events.

    Attributes:
        product: the data product publishing it, ``None`` if nobody has published it yet.
        encoding: ``json`` (plain JSON values), ``wire-format`` (Confluent framing, registered schema),
            ``undecodable`` (neither, or an unknown schema id; ``note`` says why) or ``empty``.
        schema: ``{"format", "definition"}`` ready for a contract: the registered schema for wire-format
            events, a JSON Schema inferred from ``sampled`` events for JSON ones, ``None`` otherwise.
        fields: the schema's top-level and nested fields (``path``, ``type``, ``required``).
        suggested_key: a field whose value equals every sampled record's key.
    """

    name: str
    domain: str
    partitions: int
    events: int
    last_event_ms: int | None
    product: str | None = None
    encoding: str = "empty"
    schema: dict[str, Any] | None = None
    schema_id: int | None = None
    fields: list[dict[str, Any]] = field(default_factory=list)
    suggested_key: list[str] = field(default_factory=list)
    sampled: int = 0
    keyed: bool = False
    note: str | None = None

    @property
    def last_event(self) -> datetime | None:
        return None if self.last_event_ms is None else datetime.fromtimestamp(self.last_event_ms / 1000, UTC)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "domain": self.domain,
            "partitions": self.partitions,
            "events": self.events,
            "last_event_ms": self.last_event_ms,
            "last_event": self.last_event.isoformat() if self.last_event else None,
            "product": self.product,
            "encoding": self.encoding,
            "schema": self.schema,
            "schema_id": self.schema_id,
            "fields": self.fields,
            "suggested_key": self.suggested_key,
            "sampled": self.sampled,
            "keyed": self.keyed,
            "note": self.note,
        }


# -- schema inference -----------------------------------------------------------------------------------------


def infer_json_schema(samples: Sequence[Any]) -> dict[str, Any]:
    """A JSON Schema describing every value in ``samples``.

    Types are unioned across samples (an integer field that is sometimes a float is a ``number``; a field
    that is sometimes ``null`` is ``["string", "null"]``); nested objects and arrays are described
    recursively; strings that are all ISO-8601 timestamps get ``format: date-time``; an object's
    ``required`` lists the properties present in every sample of it. An empty ``samples`` gives ``{}``.

    Example:
        >>> infer_json_schema([{"id": 1, "at": "2026-01-02T03:04:05Z"}, {"id": 2, "at": None}])["properties"]
        {'id': {'type': 'integer'}, 'at': {'type': ['string', 'null'], 'format': 'date-time'}}
    """
    if not samples:
        return {}
    kinds = {json_type(v) for v in samples}
    if "integer" in kinds and "number" in kinds:
        kinds.discard("integer")
    order = ["object", "array", "string", "number", "integer", "boolean", "null"]
    types = [k for k in order if k in kinds]
    schema: dict[str, Any] = {"type": types[0] if len(types) == 1 else types}
    strings = [v for v in samples if isinstance(v, str)]
    if strings and all(_DATE_TIME.match(s) for s in strings):
        schema["format"] = "date-time"
    objects = [v for v in samples if isinstance(v, dict)]
    if objects:
        names: dict[str, None] = {}
        for o in objects:
            names.update(dict.fromkeys(o))
        schema["properties"] = {n: infer_json_schema([o[n] for o in objects if n in o]) for n in names}
        required = [n for n in names if all(n in o for o in objects)]
        if required:
            schema["required"] = required
    arrays = [v for v in samples if isinstance(v, list)]
    if arrays:
        items = [x for a in arrays for x in a]
        schema["items"] = infer_json_schema(items) if items else {}
    return schema


def _fields(schema: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """Flattened fields of an inferred JSON Schema, as the product page shows them."""
    out: list[dict[str, Any]] = []
    required = set(schema.get("required", []))
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}{name}"
        types = sub.get("type", [])
        types = [types] if isinstance(types, str) else list(types)
        shown = "/".join(t for t in types if t != "null") or "null"
        if sub.get("format") == "date-time":
            shown = "date-time"
        out.append({"path": path, "type": shown + ("?" if "null" in types else ""), "required": name in required})
        if "properties" in sub:
            out.extend(_fields(sub, f"{path}."))
        items = sub.get("items") or {}
        if "properties" in items:
            out.extend(_fields(items, f"{path}[]."))
    return out


def suggest_key(values: Sequence[Any], keys: Sequence[str | None]) -> list[str]:
    """Top-level fields whose value equals the record's key in every keyed sample (best match first:
    a field named like ``*id``/``key`` before others); empty when records have no keys or nothing matches."""
    pairs = [(v, k) for v, k in zip(values, keys) if k is not None and isinstance(v, dict)]
    if not pairs:
        return []
    names: list[str] = [n for n in pairs[0][0] if not isinstance(pairs[0][0][n], (dict, list))]
    matches = [n for n in names if all(n in v and _key_text(v[n]) == k for v, k in pairs)]
    matches.sort(key=lambda n: (not (n.endswith("id") or n == "key"), names.index(n)))
    return matches[:1]


def _key_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return orjson.dumps(value).decode()
    return str(value)


# -- reading the log ------------------------------------------------------------------------------------------


def _sample(log: BaseLog, topic: str, n: int) -> list[Record]:
    """Up to ``n`` newest records of ``topic`` (plus each partition's last one), newest first."""
    begin, end = log.begin_offsets(topic), log.end_offsets(topic)
    live = {p: e for p, e in end.items() if e > begin.get(p, 0)}
    if not live or n <= 0:
        return []
    per = max(1, -(-n // len(live)))
    records: list[Record] = []
    with log.consumer([topic], auto_offset_reset="latest") as consumer:
        for p, last in live.items():
            consumer.seek(topic, p, max(begin.get(p, 0), last - per))
        wanted = sum(min(per, e - begin.get(p, 0)) for p, e in live.items())
        idle = 0
        while len(records) < wanted and idle < 3:
            batch = consumer.poll(max_records=1000, timeout=0.2)
            idle = 0 if batch else idle + 1
            records.extend(batch)
    records.sort(key=lambda r: (r.timestamp, r.partition, r.offset), reverse=True)
    return records


def _decode(info: StreamInfo, records: list[Record], registry: SchemaRegistry, n: int) -> None:
    values = [r for r in records if r.value is not None]
    if not values:
        info.encoding = "empty" if not records else "undecodable"
        info.note = None if not records else "only tombstones (null values) were sampled"
        return
    framed = [r for r in values if is_wire_format(r.value)]
    if framed:
        newest_id = read_header(framed[0].value)  # type: ignore[arg-type]
        try:
            stored = registry.by_id(newest_id)
        except NotFoundError:
            info.encoding = "undecodable"
            info.schema_id = newest_id
            info.note = (
                f"events are in the Confluent wire format with schema id {newest_id}, which this mesh's "
                "registry does not know; register the producer's schema, or describe it by hand"
            )
            return
        info.encoding, info.schema_id = "wire-format", stored.id
        definition: Any = stored.text if stored.format == "protobuf" else orjson.loads(stored.text)
        info.schema = {"format": stored.format, "definition": definition}
        decoder = Deserializer(registry.schema_object)
        decoded, keys = [], []
        for r in framed[:n]:
            try:
                decoded.append(decoder.deserialize(r.value))
                keys.append(decode_key(r.key))
            except Exception:
                continue
        info.sampled = len(decoded)
        try:
            info.fields = [
                {"path": f.path, "type": f.type, "required": f.required}
                for f in registry.schema_object(stored.id).fields
            ]
        except Exception:
            info.fields = []
        info.suggested_key = suggest_key(decoded, keys)
        return
    parsed, keys, bad = [], [], 0
    for r in values[:n]:
        try:
            parsed.append(orjson.loads(r.value))  # type: ignore[arg-type]
            keys.append(decode_key(r.key))
        except orjson.JSONDecodeError:
            bad += 1
    if not parsed:
        info.encoding = "undecodable"
        info.note = (
            f"none of the {bad} sampled events is JSON or Confluent wire format (Avro, Protobuf or JSON "
            "with a schema id); describe the schema by hand"
        )
        return
    info.encoding, info.sampled = "json", len(parsed)
    schema = infer_json_schema(parsed)
    info.schema = {"format": "json-schema", "definition": schema}
    info.fields = _fields(schema)
    info.suggested_key = suggest_key(parsed, keys)
    if bad:
        info.note = f"{bad} of {bad + len(parsed)} sampled events are not JSON and were left out of the inference"


def stream_events(log: BaseLog, topic: str) -> int:
    """Events ``topic`` retains: end minus begin offset, summed over its partitions."""
    begin, end = log.begin_offsets(topic), log.end_offsets(topic)
    return sum(e - begin.get(p, 0) for p, e in end.items())


def stream_info(
    log: BaseLog, registry: SchemaRegistry, topic: str, *, product: str | None = None, sample: int = DEFAULT_SAMPLE
) -> StreamInfo:
    """Partitions, event count, newest event time and (sampling up to ``sample`` events) the schema of
    ``topic``. Raises TopicNotFoundError for an unknown topic."""
    spec = log.topic_spec(topic)
    events = stream_events(log, topic)
    records = _sample(log, topic, sample) if events else []
    info = StreamInfo(
        name=topic,
        domain=topic.split(".", 1)[0] if "." in topic else "",
        partitions=spec.partitions,
        events=events,
        last_event_ms=records[0].timestamp if records else None,
        product=product,
    )
    info.keyed = any(r.key is not None for r in records)
    _decode(info, records, registry, sample)
    return info


def stream_names(
    log: BaseLog, claimed: dict[str, str], *, unpublished: bool = False, domain: str | None = None
) -> list[str]:
    """The log's stream names, sorted, internal ones left out.

    Args:
        claimed: stream name → product name for every product's stream (draft, published, deprecated or
            retired: a retired product still owns its stream).
        unpublished: only streams no product claims (the candidates for publishing).
        domain: only streams whose name starts with ``<domain>.``.
    """
    return [
        t
        for t in sorted(log.topics())
        if not is_internal_stream(t)
        and not (unpublished and t in claimed)
        and not (domain and not t.startswith(f"{domain}."))
    ]
