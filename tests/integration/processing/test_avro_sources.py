"""Avro sources through the vectorised decoder: micro-batches mixing two writer schemas (a field added with a
default mid-stream), a damaged record among good ones, all equal to the batch reference."""

from __future__ import annotations

import copy
import io
import random

from fastavro import parse_schema, schemaless_writer

from streammesh.log.base import OutgoingRecord
from tests.factories import contract_dict
from tests.integration.processing.helpers import (
    BASE_MS,
    assert_matches_batch,
    deploy,
    produce,
    run,
)

READINGS = {
    "type": "record",
    "name": "Reading",
    "namespace": "plant",
    "fields": [
        {"name": "sensor", "type": "string"},
        {"name": "value", "type": "double"},
        {"name": "ok", "type": "boolean"},
        {"name": "unit", "type": {"type": "enum", "name": "Unit", "symbols": ["C", "F"]}},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}


def _contract(version: str, schema: dict) -> dict:
    return contract_dict(
        "plant.readings",
        title="Sensor readings",
        key=["sensor"],
        timestamp_field="at",
        partitions=2,
        classifications={},
        version=version,
        schema={"format": "avro", "definition": schema},
    )


def _readings(start: int, count: int, rng: random.Random, *, site: bool) -> list[tuple[str, dict]]:
    out = []
    for i in range(start, start + count):
        value = {
            "sensor": f"s{rng.randrange(7)}",
            "value": rng.uniform(-20, 40),
            "ok": rng.random() < 0.9,
            "unit": rng.choice("CF"),
            "note": rng.choice([None, "recalibrated", "é"]),
            "at": BASE_MS + i * 1000,
        }
        if site:
            value["site"] = rng.choice(["north", "south"])
        out.append((value["sensor"], value))
    return out


def test_two_writer_schemas_and_a_damaged_record(mesh_factory, state):
    mesh = mesh_factory("plant", "analytics")
    mesh.publish(_contract("1.0.0", READINGS))
    rng = random.Random(8)
    produce(mesh, "plant.readings", _readings(0, 130, rng, site=False))
    v2 = copy.deepcopy(READINGS)
    v2["fields"].append({"name": "site", "type": "string", "default": "unknown"})
    mesh.evolve("plant.readings", _contract("1.1.0", v2))
    produce(mesh, "plant.readings", _readings(130, 130, rng, site=True))
    # a record whose body is cut short, under the current schema id: the batch falls back to the per-record
    # decoder, which sends exactly this record to the dead-letter stream
    good = io.BytesIO()
    schemaless_writer(good, parse_schema(v2), _readings(260, 1, rng, site=True)[0][1])
    schema_id = mesh.registry.register_contract_schema(mesh.product("plant.readings")).schema.id
    mesh.log.append(
        mesh.product("plant.readings").stream,
        [OutgoingRecord(b"\x00" + schema_id.to_bytes(4, "big") + good.getvalue()[:-4], b"s1")],
    )
    produce(mesh, "plant.readings", _readings(261, 100, rng, site=True))
    query = deploy(
        mesh,
        "CREATE STREAM analytics.warm AS SELECT sensor, value, unit, note, site, at "
        "FROM plant.readings WHERE ok AND value > 10",
    )
    run(mesh, query, state(), batch_size=100)
    rows = assert_matches_batch(mesh, query)
    sites = {r["site"] for r in rows}
    assert {"unknown", "north", "south"} <= sites, "old records read the new field's default"
    assert {r["unit"] for r in rows} == {"C", "F"}
    dead = mesh.dead_letters("analytics.warm")
    assert len(dead) == 1 and "not valid Avro" in str(dead[0])
