"""The vectorised facet index gives exactly what the plain-Python counting and ordering give."""

from __future__ import annotations

import random

import numpy as np

from streammesh.model.catalog import FACETS
from streammesh.store.facet_index import FacetIndex
from tests.unit.catalog.facet_reference import facet_counts


def _catalog(rng: random.Random, n: int) -> dict[str, dict[str, set[str]]]:
    pick = {
        "domain": ["sales", "web", "finance", "ops"],
        "tag": [f"t{i}" for i in range(12)],
        "tier": ["tier-1", "tier-2", "tier-3"],
        "quality": ["raw", "curated"],
        "status": ["draft", "published", "deprecated"],
        "classification": ["pii", "confidential"],
    }
    catalog = {}
    for i in range(n):
        catalog[f"p{rng.randrange(10 * n)}.x{i}"] = {
            "domain": {rng.choice(pick["domain"])},
            "tag": set(rng.sample(pick["tag"], rng.randrange(0, 4))),
            "tier": set(rng.sample(pick["tier"], rng.randrange(0, 2))),
            "quality": set(rng.sample(pick["quality"], rng.randrange(0, 2))),
            "status": {rng.choice(pick["status"])},
            "classification": set(rng.sample(pick["classification"], rng.randrange(0, 3))),
        }
    return catalog


def test_counts_totals_and_order_match_the_plain_python_search():
    rng = random.Random(7)
    for trial in range(60):
        catalog = _catalog(rng, rng.randrange(1, 300))
        index = FacetIndex(catalog)
        names = list(catalog)
        matched_names = rng.sample(names, rng.randrange(0, len(names) + 1)) if trial % 5 else names
        # scores with ties (a few distinct values), as bm25 gives equal scores to equal documents
        scores = {n: float(rng.choice([1.0, 0.5, 0.5, 0.25, 2.0])) for n in matched_names}
        filters = {}
        for facet in rng.sample(FACETS, rng.randrange(0, 3)):
            values = [*sorted({v for a in catalog.values() for v in a[facet]}), "unknown"]
            filters[facet] = rng.sample(values, rng.randrange(1, 3))
        expected_facets, expected = facet_counts({n: catalog[n] for n in matched_names}, filters)
        expected = sorted(expected)
        expected.sort(key=scores.__getitem__, reverse=True)

        mask = np.zeros(index.size, dtype=bool)
        mask[index.numbers(matched_names)] = True
        score_array = np.zeros(index.size)
        score_array[index.numbers(scores)] = list(scores.values())
        facets, selected = index.select(mask, filters)
        ordered = [index.names[i] for i in index.ranked(selected, score_array)]
        assert facets == expected_facets
        assert list(facets) == list(FACETS)
        for facet in FACETS:  # most frequent first, then by value
            assert list(facets[facet]) == list(expected_facets[facet])
        assert ordered == expected


def test_no_match_set_means_the_whole_catalog_in_name_order():
    catalog = _catalog(random.Random(3), 50)
    index = FacetIndex(catalog)
    facets, selected = index.select(None, {})
    assert facets == facet_counts(catalog, {})[0]
    assert [index.names[i] for i in selected] == sorted(catalog)
    assert index.numbers(["nope"]).tolist() == [-1]
