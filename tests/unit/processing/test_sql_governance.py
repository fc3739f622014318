"""Classification propagation, SLA and quality derivation, and the declared-SLA check."""

from __future__ import annotations

from datetime import timedelta

import pytest

from streammesh.contracts.model import Sla
from streammesh.processing.sql import (
    ProductInfo,
    SlaTooStrongError,
    SqlCatalog,
    check_declared_sla,
    compile_sql,
    derive,
    derive_classifications,
    derived_contract,
)
from streammesh.processing.sql.catalog import FieldInfo


def classes(
    catalog: SqlCatalog, select: str, source: str = "customers.profiles c", **kw: object
) -> dict[str, str | None]:
    q = compile_sql(f"CREATE STREAM analytics.x AS SELECT {select} FROM {source}", catalog)
    return {c.field: c.classification for c in derive_classifications(q, catalog, **kw)}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("select", "expected"),
    [
        ("c.email", "pii"),  # identity
        ("UPPER(c.email) AS e", "pii"),  # a transformation keeps it
        ("CONCAT(c.first_name, ' ', c.last_name) AS full", "pii"),
        ("c.address.city AS city", "pii"),  # classified nested field
        ("c.address.country AS addr_country", "pii"),  # inside a PII record
        ("c.address", "pii"),  # a record holding PII
        ("CASE WHEN c.region = 'DACH' THEN c.phone END AS p", "pii"),
        ("HASH(c.email) AS email_hash", None),  # de-identified
        ("MASK(c.phone) AS phone_mask", None),
        ("LENGTH(c.email) AS n", "pii"),  # still derived from the value
        ("c.region", None),
        ("c.customer_id", None),
    ],
)
def test_classification_propagates_unless_deidentified(catalog: SqlCatalog, select: str, expected: str | None) -> None:
    (got,) = classes(catalog, select).values()
    assert got == expected


def test_counting_pii_is_not_pii_but_keeping_its_values_is(catalog: SqlCatalog) -> None:
    q = compile_sql(
        """CREATE TABLE analytics.by_region AS SELECT region, COUNT(email) AS with_email,
        COUNT_DISTINCT(phone) AS phones, MAX(last_name) AS last, TOPK(first_name, 3) AS names
        FROM customers.profiles GROUP BY region""",
        catalog,
    )
    d = derive(q, catalog)
    assert d.classifications == {"last": "pii", "names": "pii"}
    assert ("customers.profiles", "email", "with_email", "aggregation") in {
        (e.product, e.field, e.output, e.kind) for e in d.edges
    }


def test_deidentified_fields_can_take_a_policy_class(catalog: SqlCatalog) -> None:
    q = compile_sql(
        "CREATE STREAM web.views AS SELECT view_id, HASH(ip_address) AS ip_hash, MASK(user_agent) AS ua, "
        "user_agent FROM web.page_views",
        catalog,
    )
    d = derive(q, catalog, deidentified_class="internal")
    assert d.classifications == {"ip_hash": "internal", "ua": "internal", "user_agent": "confidential"}
    ip = next(c for c in d.field_classes if c.field == "ip_hash")
    assert ip.deidentified and ip.sources == ()


def test_filtering_on_pii_does_not_classify_the_output(catalog: SqlCatalog) -> None:
    assert classes(catalog, "c.customer_id", "customers.profiles c WHERE c.email LIKE '%@example.com'") == {
        "customer_id": None
    }


def test_strongest_classification_wins() -> None:
    a = ProductInfo(
        "x.a",
        (FieldInfo("s", "string", False), FieldInfo("p", "string", False), FieldInfo("k", "string", False)),
        key=("k",),
        classifications={"s": "restricted", "p": "pii"},
        sla=Sla(tier="tier-1"),
    )
    cat = SqlCatalog([a])
    q = compile_sql("CREATE STREAM x.b AS SELECT CONCAT(p, s) AS both, CONCAT(p, k) AS one FROM x.a", cat)
    assert derive(q, cat).classifications == {"both": "restricted", "one": "pii"}


def test_sla_is_the_weakest_input_and_names_who_limits_it(catalog: SqlCatalog) -> None:
    q = compile_sql(
        """CREATE STREAM analytics.paid_views AS SELECT v.view_id, p.payment_id
        FROM web.page_views v JOIN payments.payments p WITHIN 1 HOUR ON v.customer_id = p.customer_id""",
        catalog,
    )
    s = derive(q, catalog).sla
    assert (s.tier, s.availability, s.freshness, s.time_to_restore) == (
        "tier-3",
        99.0,
        timedelta(minutes=5),
        timedelta(days=1),
    )
    assert dict(s.limited_by) == {
        "tier": ("web.page_views",),
        "availability": ("web.page_views",),
        "freshness": ("web.page_views",),
        "time_to_restore": ("web.page_views",),
    }
    assert s.to_sla() == Sla(tier="tier-3", availability=99.0, freshness="5m", time_to_restore="1d")
    assert derive(q, catalog).quality == "raw"


def test_a_declared_sla_may_be_weaker_never_stronger(catalog: SqlCatalog) -> None:
    q = compile_sql(
        "CREATE STREAM analytics.o AS SELECT o.order_id, c.region FROM sales.orders o "
        "JOIN customers.profiles c ON o.customer_id = c.customer_id",
        catalog,
    )
    derived = derive(q, catalog).sla  # tier-1, 99.9, 5m, 4h
    check_declared_sla(Sla(tier="tier-2", availability=99.0, freshness="15m", time_to_restore="1d"), derived)
    check_declared_sla(Sla(), derived)
    with pytest.raises(SlaTooStrongError) as info:
        check_declared_sla(Sla(tier="tier-1", availability=99.99, freshness="1m", time_to_restore="2h"), derived)
    assert info.value.message == (
        "the declared SLA promises more than its inputs allow: "
        "availability 99.99 is stronger than the derived 99.9 (limited by sales.orders, customers.profiles); "
        "freshness 1m is stronger than the derived 5m (limited by customers.profiles); "
        "time to restore 2h is stronger than the derived 4h (limited by customers.profiles)"
    )
    with pytest.raises(SlaTooStrongError):
        derived_contract(q, derive(q, catalog), owner="@analytics-team", declared_sla=Sla(freshness="1m"))


def test_window_wait_is_named_when_freshness_is_too_strong(catalog: SqlCatalog) -> None:
    q = compile_sql(
        """CREATE TABLE analytics.daily AS SELECT category, COUNT(*) AS n FROM sales.order_lines
        WINDOW TUMBLING (SIZE 1 DAY) GROUP BY category EMIT FINAL""",
        catalog,
    )
    derived = derive(q, catalog).sla
    assert derived.freshness == timedelta(days=1, minutes=1)
    with pytest.raises(
        SlaTooStrongError,
        match=r"freshness 1h is stronger than the derived 1d1m "
        r"\(limited by sales.order_lines plus the 1d window wait\)",
    ):
        check_declared_sla(Sla(freshness="1h"), derived)


def test_an_input_without_an_sla_leaves_the_derived_one_open() -> None:
    bare = ProductInfo("x.bare", (FieldInfo("k", "string", False),), key=("k",), quality="curated")
    rich = ProductInfo(
        "x.rich",
        (FieldInfo("k", "string", False),),
        key=("k",),
        table_like=True,
        quality=None,
        sla=Sla(tier="tier-1", availability=99.9),
    )
    cat = SqlCatalog([bare, rich])
    q = compile_sql("CREATE STREAM x.out AS SELECT b.k FROM x.bare b JOIN x.rich r ON b.k = r.k", cat)
    d = derive(q, cat)
    assert (d.sla.tier, d.sla.availability, d.quality) == (None, None, None)
    assert d.sla.limited_by["tier"] == ("x.bare",)
    with pytest.raises(
        SlaTooStrongError, match=r"tier tier-2 is stronger than the derived none \(x.bare promises no tier\)"
    ):
        check_declared_sla(Sla(tier="tier-2"), d.sla)
