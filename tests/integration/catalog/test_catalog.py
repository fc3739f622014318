"""Publishing, versioning, lifecycle and search against each real catalog store (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from streammesh.exceptions import ConflictError, NotFoundError, ValidationError
from streammesh.governance import PolicyViolationError
from tests.factories import contract_dict
from tests.stores import every_store

pytestmark = every_store


def test_publish_creates_stream_version_and_activity(mesh):
    outcome = mesh.publish(contract_dict())
    assert outcome.action == "created"
    p = mesh.product("sales.orders")
    assert p.status == "published" and p.revision == 1 and p.stream == "sales.orders"
    assert mesh.log.topic_spec("sales.orders").partitions == 3
    assert [v.version for v in mesh.store.list_versions("sales.orders")] == ["1.0.0"]
    assert mesh.store.list_activity()[0].kind == "product.published"


def test_republish_same_is_unchanged_and_changes_need_a_version_bump(mesh):
    mesh.publish(contract_dict())
    assert mesh.publish(contract_dict()).action == "unchanged"
    changed = contract_dict(tags=["orders", "revenue", "checkout"])
    with pytest.raises(ConflictError, match="bump 'version'|already published"):
        mesh.publish(changed)
    outcome = mesh.publish({**changed, "version": "1.1.0"})
    assert outcome.action == "updated" and outcome.product.revision == 2
    assert [v.version for v in mesh.store.list_versions("sales.orders")] == ["1.0.0", "1.1.0"]
    with pytest.raises(ConflictError, match="older than"):
        mesh.publish({**changed, "version": "1.0.5"})
    with pytest.raises(ConflictError, match=r"sales.orders.v2"):
        mesh.publish({**changed, "version": "2.0.0"})
    with pytest.raises(ConflictError, match="partitions cannot change"):
        mesh.publish({**changed, "version": "1.2.0", "partitions": 6})


def test_policy_barrier_reports_everything_and_publishes_nothing(mesh):
    bad = contract_dict(owner="@nobody", description="Orders.", sla={"tier": "tier-2"})
    with pytest.raises(PolicyViolationError) as info:
        mesh.publish(bad)
    policies = {v.policy for v in info.value.violations}
    assert {"owner-registered", "description-length", "sla-acknowledged"} <= policies
    assert mesh.store.get_product("sales.orders") is None
    assert "sales.orders" not in mesh.log.topics()


def test_stale_revision_is_refused(mesh):
    mesh.publish(contract_dict())
    a = mesh.product("sales.orders")
    b = mesh.product("sales.orders")
    mesh.store.save_product(a, expected_revision=a.revision)
    with pytest.raises(ConflictError, match="changed by someone else"):
        mesh.store.save_product(b, expected_revision=b.revision)


def test_lifecycle_transitions(mesh):
    mesh.publish(contract_dict())
    with pytest.raises(ConflictError, match="only a deprecated product can be retired"):
        mesh.retire("sales.orders")
    with pytest.raises(ValidationError, match="in the past"):
        mesh.deprecate("sales.orders", sunset=date.today() - timedelta(days=1))
    with pytest.raises(NotFoundError):
        mesh.deprecate("sales.orders", sunset=date.today(), replacement="sales.nope")
    mesh.deprecate("sales.orders", sunset=date.today(), reason="moved to v2")
    p = mesh.retire("sales.orders")
    assert p.status == "retired"
    with pytest.raises(ConflictError, match="retired"):
        mesh.publish({**contract_dict(), "version": "1.0.1"})
    kinds = [a.kind for a in mesh.store.list_activity(subject="sales.orders")]
    assert kinds == ["product.retired", "product.deprecated", "product.published"]


def test_unknown_product_suggests_close_names(mesh):
    mesh.publish(contract_dict())
    with pytest.raises(NotFoundError) as info:
        mesh.product("sales.order")
    assert "sales.orders" in (info.value.hint or "")


def _publish_many(mesh):
    mesh.publish(contract_dict())
    mesh.publish(
        contract_dict(
            "web.page_views",
            title="Page views",
            description="Every page a visitor opens on the shop, including orders pages; "
            "use it for funnels and product interest.",
            tags=["clickstream"],
            quality="raw",
            sla={**contract_dict()["sla"], "tier": "tier-3"},
        )
    )
    customers = contract_dict(
        "customers.profiles",
        title="Customer profiles",
        description="The current profile of each customer with contact details and region; one event per change.",
        tags=["customers", "crm"],
        quality="authoritative",
        key=["customer_id"],
        sla={**contract_dict()["sla"], "tier": "tier-1"},
    )
    mesh.publish(customers)


def test_search_ranks_name_hits_above_description_hits(mesh):
    _publish_many(mesh)
    result = mesh.search("orders")
    names = [h.product.name for h in result.hits]
    assert names[0] == "sales.orders"
    assert "web.page_views" in names  # mentioned in its description only
    assert result.hits[0].score > result.hits[-1].score


def test_search_matches_field_names_owner_and_prefixes(mesh):
    _publish_many(mesh)
    # 'email' appears only as the field name customer_email, which all three schemas have
    assert {h.product.name for h in mesh.search("email").hits} == {
        "sales.orders",
        "web.page_views",
        "customers.profiles",
    }
    assert mesh.search("@web-team").hits[0].product.name == "web.page_views"
    assert {h.product.name for h in mesh.search("custom").hits} >= {"customers.profiles"}
    assert mesh.search("nonexistentword").total == 0


def test_search_facets_count_and_filter(mesh):
    _publish_many(mesh)
    everything = mesh.search("")
    assert everything.total == 3
    assert everything.facets["domain"] == {"customers": 1, "sales": 1, "web": 1}
    assert everything.facets["tier"] == {"tier-1": 1, "tier-2": 1, "tier-3": 1}
    assert everything.facets["classification"] == {"pii": 3}
    only_sales = mesh.search("", domain="sales")
    assert [h.product.name for h in only_sales.hits] == ["sales.orders"]
    # the domain facet still shows the other domains' counts so users can switch
    assert only_sales.facets["domain"] == {"customers": 1, "sales": 1, "web": 1}
    assert only_sales.facets["quality"] == {"curated": 1}
    assert mesh.search("", tier=["tier-1", "tier-3"]).total == 2
    assert mesh.search("", tag="crm", quality="authoritative").total == 1
    with pytest.raises(ValidationError, match="unknown facet"):
        mesh.search("", colour="red")
