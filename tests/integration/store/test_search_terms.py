"""Searches ranked term by term from cached rankings give exactly what ranking the whole query in the
database gives (same hits, same scores to the bit, same totals and facets), on every store."""

from __future__ import annotations

import random

from streammesh.contracts.model import Contract
from streammesh.model.catalog import Product
from tests.factories import contract_dict
from tests.stores import every_store

pytestmark = every_store

_WORDS = [
    "alpha",
    "alphabet",
    "alpine",
    "beta",
    "betting",
    "bet",
    "gamma",
    "gamut",
    "delta",
    "deltas",
    "order",
    "orders",
    "ordering",
    "event",
    "events",
    "eventual",
    "time",
    "timer",
    "café",
    "cafeteria",
]


def _catalog(store, rng: random.Random, n: int) -> None:
    """``n`` products whose titles, descriptions and tags repeat words and share prefixes (so a prefix term
    matches several words of one column, and scores tie)."""
    for i in range(n):
        words = lambda k: " ".join(rng.choice(_WORDS) for _ in range(k))  # noqa: E731
        data = contract_dict(
            f"{rng.choice(['sales', 'web', 'ops'])}.p{i:03d}_{rng.choice(_WORDS[:6])}",
            title=words(rng.randint(0, 3)).title() or None,
            description=words(rng.randint(0, 12)),
            tags=sorted({rng.choice(_WORDS) for _ in range(rng.randint(0, 3))}),
            quality=rng.choice(["raw", "curated"]),
        )
        store.save_product(
            Product(contract=Contract.model_validate(data), status="published", stream=data["name"]),
            expected_revision=None,
        )


def _queries(rng: random.Random, count: int) -> list[tuple[str, dict[str, list[str]]]]:
    queries = [
        "alp",
        "alpha bet",
        "bet alpha",
        "event event",
        "orders order",
        "caf",
        "CAFÉ time",
        "zzz",
        "a",
        "delta alphabet gam",
        "time timer t",
    ]
    for _ in range(count):
        terms = [rng.choice(_WORDS) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.5:
            terms[-1] = terms[-1][: rng.randint(1, 4)]
        queries.append(" ".join(terms))
    return [(q, {"quality": ["raw"]} if i % 4 == 3 else {}) for i, q in enumerate(queries)]


def _answer(result):
    return ([(h.product.name, h.score) for h in result.hits], result.total, result.facets)


def test_term_by_term_ranking_equals_ranking_the_whole_query(store_factory):
    store = store_factory()
    rng = random.Random(11)
    _catalog(store, rng, 70)
    by_terms = store_factory(like=store)
    by_terms.broad_term = 1  # every query is ranked from its terms' cached rankings
    whole = store_factory(like=store)
    whole.broad_term = None  # every query is ranked by the database, as one statement
    for _ in range(2):  # the second pass is served from the cache
        for query, filters in _queries(rng, 120):
            expected = _answer(whole.search(query, filters=filters, limit=100))
            assert _answer(by_terms.search(query, filters=filters, limit=100)) == expected, (query, filters)


def test_cached_term_rankings_follow_writes(store_factory):
    reader = store_factory()
    reader.broad_term = 1
    writer = store_factory(like=reader)
    writer.save_product(
        Product(
            contract=Contract.model_validate(contract_dict(description="alpha beta")),
            status="published",
            stream="sales.orders",
        ),
        expected_revision=None,
    )
    assert [h.product.name for h in reader.search("alpha").hits] == ["sales.orders"]
    assert reader.search("beta alp").total == 1  # both terms now cached
    writer.save_product(
        Product(
            contract=Contract.model_validate(contract_dict("web.alpha", description="alphabet")),
            status="published",
            stream="web.alpha",
        ),
        expected_revision=None,
    )
    assert {h.product.name for h in reader.search("alpha").hits} == {"sales.orders", "web.alpha"}
    assert reader.search("beta alp").total == 1 and reader.search("alp").total == 2
    reader.save_product(
        Product(
            contract=Contract.model_validate(contract_dict("ops.gamma", description="alpine")),
            status="published",
            stream="ops.gamma",
        ),
        expected_revision=None,
    )
    assert reader.search("alp").total == 3  # a write through the same store shows too
