"""Schema change management on a real mesh: verdicts, impact, in-place and major releases."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest

from streammesh.catalog.service import SchemaEvolutionError
from streammesh.exceptions import ConflictError
from tests.factories import contract_dict, order
from tests.stores import every_store

pytestmark = every_store


def _with_schema(change, **overrides):
    data = contract_dict(**overrides)
    change(data["schema"]["definition"])
    return data


def test_compatible_change_updates_in_place(mesh):
    mesh.publish(contract_dict())
    new = _with_schema(lambda d: d["properties"].update(coupon={"type": "string"}), version="1.1.0")
    change = mesh.assess("sales.orders", new)
    assert change.compatible and change.level == "BACKWARD"
    outcome = mesh.evolve("sales.orders", new)
    assert outcome.action == "updated" and outcome.product.contract.version == "1.1.0"
    assert mesh.registry.versions("sales.orders-value") == [1, 2]


def test_incompatible_change_lists_breaks_and_impacted_consumers(mesh):
    mesh.publish(contract_dict())
    mesh.consumer("sales.orders", group="billing", fields=["order_id", "total"]).close()
    mesh.consumer("sales.orders", group="crm", fields=["customer_email"]).close()

    def breaking(d):
        d["properties"]["total"] = {"type": "string"}  # number -> string

    new = _with_schema(breaking, version="1.1.0")
    change = mesh.assess("sales.orders", new)
    assert not change.compatible
    assert "total" in change.affected_fields
    assert [(x.group, x.fields) for x in change.impacted] == [("billing", ["total"])]
    with pytest.raises(SchemaEvolutionError) as info:
        mesh.evolve("sales.orders", new)
    assert "billing (total)" in info.value.message and "version: 2.0.0" in (info.value.hint or "")
    with pytest.raises(SchemaEvolutionError):
        mesh.publish(new)  # the same barrier on plain publish
    assert mesh.product("sales.orders").contract.version == "1.0.0"


def test_major_version_is_released_as_a_new_stream(mesh):
    mesh.publish(contract_dict())
    with mesh.producer("sales.orders") as p:
        p.send(None, order(1))

    def breaking(d):
        d["properties"]["total"] = {"type": "string"}
        d["required"] = [*d["required"]]

    new = _with_schema(breaking, version="2.0.0")
    sunset = date.today() + timedelta(days=30)
    outcome = mesh.evolve("sales.orders", new, sunset=sunset)
    assert outcome.action == "new-major" and outcome.product.name == "sales.orders.v2"
    old = mesh.product("sales.orders")
    assert old.status == "deprecated" and old.contract.deprecation.replacement == "sales.orders.v2"
    assert old.contract.deprecation.sunset == sunset
    assert "sales.orders.v2" in mesh.log.topics()
    with mesh.producer("sales.orders.v2") as p:
        p.send(None, order(2, total="12.50"))
    assert [e.value["total"] for e in mesh.consumer("sales.orders.v2", from_beginning=True)] == ["12.50"]


def test_compatible_change_with_major_bump_is_refused(mesh):
    mesh.publish(contract_dict())
    new = _with_schema(lambda d: None, version="2.0.0", tags=["orders"])
    with pytest.raises(ConflictError, match="no new major version is needed"):
        mesh.evolve("sales.orders", new)


def test_compatibility_level_per_subject_is_honoured(mesh):
    mesh.publish(contract_dict())
    mesh.registry.set_compatibility("NONE", "sales.orders-value")
    new = _with_schema(lambda d: d["properties"].update(total={"type": "string"}), version="1.1.0")
    assert mesh.assess("sales.orders", new).compatible
    assert copy.deepcopy(new)["version"] == "1.1.0"


def test_derived_products_reading_affected_fields_are_listed(mesh):
    from streammesh.processing.sql import SqlCatalog, compile_sql, derive, derived_contract

    mesh.publish(contract_dict())
    mesh.add_team("@analytics-team", domain="analytics")
    sql = "CREATE STREAM sales.big_orders AS SELECT order_id, total FROM sales.orders WHERE total > 100"
    catalog = SqlCatalog.from_contracts([p.contract for p in mesh.products()])
    query = compile_sql(sql, catalog)
    derivation = derive(query, catalog)
    contract = derived_contract(query, derivation, owner="@sales-team", acknowledge_sla=True)
    mesh.catalog.publish_derived(contract, sql=sql, query=query, derivation=derivation, app="big-orders")
    assert mesh.store.upstream("sales.big_orders") == ["sales.orders"]
    assert mesh.store.downstream("sales.orders") == ["sales.big_orders"]
    kinds = {(e.input_field, e.kind) for e in mesh.store.lineage_edges("sales.big_orders") if e.input_field}
    assert ("total", "filter") in kinds and ("order_id", "identity") in kinds
    assert mesh.product("sales.big_orders").contract.derived_from.inputs == ["sales.orders"]

    breaking = _with_schema(lambda d: d["properties"].update(total={"type": "string"}), version="1.1.0")
    change = mesh.assess("sales.orders", breaking)
    assert change.derived == ["sales.big_orders"]
    unrelated = _with_schema(lambda d: d["properties"].update(customer_email={"type": "integer"}), version="1.1.0")
    assert mesh.assess("sales.orders", unrelated).derived == []
