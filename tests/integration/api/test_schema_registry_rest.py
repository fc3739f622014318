"""The schema-registry routes against Confluent's own client and serializers, over real HTTP."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from tests.servers import serve
from tests.stores import every_store

pytestmark = every_store

ORDER_V1 = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [{"name": "order_id", "type": "string"}, {"name": "total", "type": "double"}],
}
ORDER_V2 = {**ORDER_V1, "fields": [*ORDER_V1["fields"], {"name": "note", "type": ["null", "string"], "default": None}]}
ORDER_BAD = {**ORDER_V1, "fields": [*ORDER_V1["fields"], {"name": "coupon", "type": "string"}]}  # no default


@pytest.fixture
def client(mesh):
    with serve(mesh.workspace) as url:
        yield SchemaRegistryClient({"url": url})


def test_register_lookup_versions_and_ids(client):
    first = client.register_schema("orders-value", Schema(json.dumps(ORDER_V1), "AVRO"))
    again = client.register_schema("orders-value", Schema(json.dumps(ORDER_V1), "AVRO"))
    assert first == again
    second = client.register_schema("orders-value", Schema(json.dumps(ORDER_V2), "AVRO"))
    assert second != first
    assert client.get_subjects() == ["orders-value"]
    assert client.get_versions("orders-value") == [1, 2]
    latest = client.get_latest_version("orders-value")
    assert (latest.version, latest.schema_id) == (2, second)
    assert json.loads(client.get_schema(first).schema_str) == ORDER_V1
    found = client.lookup_schema("orders-value", Schema(json.dumps(ORDER_V1), "AVRO"))
    assert (found.version, found.schema_id) == (1, first)
    # the same schema under another subject keeps its global id
    assert client.register_schema("archive-value", Schema(json.dumps(ORDER_V1), "AVRO")) == first
    assert sorted(client.get_schema_types()) == ["AVRO", "JSON", "PROTOBUF"]


def test_compatibility_is_enforced_and_explained(client):
    client.register_schema("orders-value", Schema(json.dumps(ORDER_V1), "AVRO"))
    assert client.get_compatibility() == "BACKWARD"
    assert client.test_compatibility("orders-value", Schema(json.dumps(ORDER_V2), "AVRO")) is True
    assert client.test_compatibility("orders-value", Schema(json.dumps(ORDER_BAD), "AVRO")) is False
    with pytest.raises(SchemaRegistryError) as info:
        client.register_schema("orders-value", Schema(json.dumps(ORDER_BAD), "AVRO"))
    assert info.value.http_status_code == 409 and "coupon" in info.value.error_message
    client.set_compatibility("orders-value", "NONE")
    assert client.get_compatibility("orders-value") == "NONE"
    assert client.register_schema("orders-value", Schema(json.dumps(ORDER_BAD), "AVRO")) > 0


def test_errors_use_the_registry_codes(client):
    with pytest.raises(SchemaRegistryError) as info:
        client.get_latest_version("nothing-value")
    assert (info.value.http_status_code, info.value.error_code) == (404, 40401)
    client.register_schema("orders-value", Schema(json.dumps(ORDER_V1), "AVRO"))
    with pytest.raises(SchemaRegistryError) as info:
        client.get_version("orders-value", 7)
    assert info.value.error_code == 40402
    with pytest.raises(SchemaRegistryError) as info:
        client.get_schema(999)
    assert info.value.error_code == 40403
    with pytest.raises(SchemaRegistryError) as info:
        client.register_schema("orders-value", Schema('{"type": "record", "name": "X"', "AVRO"))
    assert info.value.error_code == 42201
    with pytest.raises(SchemaRegistryError) as info:
        client.set_compatibility(level="SIDEWAYS")
    assert info.value.error_code == 42203


def test_delete_subject(client):
    client.register_schema("orders-value", Schema(json.dumps(ORDER_V1), "AVRO"))
    assert client.delete_subject("orders-value") == [1]
    assert client.get_subjects() == []


def test_products_register_their_schema_on_publish(mesh, client):
    from tests.factories import contract_dict

    mesh.publish(contract_dict())
    latest = client.get_latest_version("sales.orders-value")
    assert latest.schema.schema_type == "JSON"
    assert json.loads(latest.schema.schema_str)["properties"]["order_id"] == {
        "type": "string",
        "description": "Order identifier",
    }


def test_avro_references_resolve_across_subjects(mesh, client):
    from confluent_kafka.schema_registry import SchemaReference

    address = {
        "type": "record",
        "name": "Address",
        "namespace": "shop",
        "fields": [{"name": "city", "type": "string"}, {"name": "country", "type": "string"}],
    }
    client.register_schema("address-value", Schema(json.dumps(address), "AVRO"))
    order = {
        "type": "record",
        "name": "Order",
        "namespace": "shop",
        "fields": [
            {"name": "order_id", "type": "string"},
            {"name": "ship_to", "type": "shop.Address"},
            {"name": "bill_to", "type": ["null", "Address"], "default": None},
        ],
    }
    refs = [SchemaReference("shop.Address", "address-value", 1)]
    schema_id = client.register_schema("orders-value", Schema(json.dumps(order), "AVRO", refs))
    served = client.get_schema(schema_id)
    assert [r.subject for r in served.references] == ["address-value"]
    parsed = mesh.registry.schema_object(schema_id)
    assert {"ship_to.city", "bill_to.country"} <= {f.path for f in parsed.fields}
    assert parsed.validate({"order_id": "O1", "ship_to": {"city": "Lyon", "country": "FR"}, "bill_to": None}) == []
    with pytest.raises(SchemaRegistryError) as info:  # a reference to nothing
        client.register_schema(
            "other-value", Schema(json.dumps(order), "AVRO", [SchemaReference("shop.Address", "missing-value", 1)])
        )
    assert info.value.error_code == 42201 and "missing-value" in info.value.error_message
