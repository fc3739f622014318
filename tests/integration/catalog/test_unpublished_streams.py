"""Streams on the log that no product publishes yet: listing them with their (registered or inferred)
schema, and publishing one, which adopts the stream with its events."""

from __future__ import annotations

import pytest

from streammesh.exceptions import ConflictError
from streammesh.log.base import OutgoingRecord, TopicSpec
from streammesh.sdk.mesh import Mesh
from tests.factories import contract_dict
from tests.raw_streams import raw_streams, returns


def test_lists_unpublished_streams_with_their_schema(mesh: Mesh):
    raw_streams(mesh)
    found = {s.name: s for s in mesh.streams(unpublished=True)}
    assert sorted(found) == ["finance.payments", "sales.returns", "web.empty", "web.legacy_log"]

    r = found["sales.returns"]
    assert (r.domain, r.partitions, r.events, r.encoding, r.sampled) == ("sales", 2, 30, "json", 30)
    assert r.last_event_ms == 1_790_000_000_029 and r.product is None and r.keyed
    props = r.schema["definition"]["properties"]
    assert r.schema["format"] == "json-schema"
    assert props["received_at"] == {"type": "string", "format": "date-time"}
    assert props["reason"]["type"] == ["string", "null"]
    assert props["lines"]["items"]["properties"]["qty"] == {"type": "integer"}
    assert "note" not in r.schema["definition"]["required"] and "return_id" in r.schema["definition"]["required"]
    assert r.suggested_key == ["return_id"]

    p = found["finance.payments"]
    assert (p.encoding, p.schema["format"], p.events, p.suggested_key) == ("wire-format", "avro", 5, ["payment_id"])
    assert p.schema["definition"]["name"] == "Payment" and [f["path"] for f in p.fields] == ["payment_id", "amount"]

    assert found["web.legacy_log"].encoding == "undecodable" and "JSON" in found["web.legacy_log"].note
    assert found["web.empty"].encoding == "empty" and found["web.empty"].events == 0

    everything = {s.name: s.product for s in mesh.streams()}
    assert everything["sales.orders"] == "sales.orders" and "sales.returns.dlq" not in everything
    assert [s.name for s in mesh.streams(unpublished=True, domain="web")] == ["web.empty", "web.legacy_log"]


def test_an_unknown_schema_id_is_reported_not_guessed(mesh: Mesh):
    mesh.log.create_topic(TopicSpec("sales.framed", partitions=1))
    mesh.log.append("sales.framed", [OutgoingRecord(b"\x00\x00\x00\x30\x39payload")])
    [s] = mesh.streams(unpublished=True)
    assert s.encoding == "undecodable" and s.schema_id == 12345 and "12345" in s.note


def test_publishing_an_existing_stream_adopts_it_with_its_events(mesh: Mesh):
    raw_streams(mesh)
    [info] = [s for s in mesh.streams(unpublished=True) if s.name == "sales.returns"]
    contract = contract_dict(
        "sales.returns",
        title="Returns",
        key=info.suggested_key,
        partitions=info.partitions,
        schema=info.schema,
        classifications={},
        timestamp_field="received_at",
    )
    outcome = mesh.publish(contract)
    assert outcome.action == "created"
    assert mesh.stats("sales.returns")["events"] == 30
    with mesh.consumer("sales.returns", from_beginning=True) as c:
        values = [e.value for e in c.poll(max_records=100, timeout=1.0)]
    assert sorted(v["return_id"] for v in values) == [f"R{i:04d}" for i in range(30)]
    with mesh.producer("sales.returns") as p:  # new events go through the contract, beside the old ones
        p.send_many([returns(99)])
    assert mesh.stats("sales.returns")["events"] == 31
    assert "sales.returns" not in {s.name for s in mesh.streams(unpublished=True)}
    [entry] = [a for a in mesh.store.list_activity(limit=10) if a.subject == "sales.returns"]
    assert entry.details["adopted_events"] == 30


def test_adopting_with_other_partitions_is_refused_before_anything_is_written(mesh: Mesh):
    raw_streams(mesh)
    with pytest.raises(ConflictError, match="already exists on the log with 2 partition") as e:
        mesh.publish(contract_dict("sales.returns", partitions=3))
    assert e.value.hint == "set 'partitions: 2' in the contract"
    assert mesh.store.get_product("sales.returns") is None
    assert mesh.registry.subjects() == ["finance.payments-value", "sales.orders-value"]
