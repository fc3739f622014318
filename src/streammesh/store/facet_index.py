"""The catalog's facet values as arrays, so a search counts facets and orders hits in a few vectorised passes.

A search needs, over its whole match set, the facet counts (each facet counted with every *other* filter
applied) and the order of the matches (best score first, then by name); the page is a slice of that
order. With products numbered in name order, the match set is an array of numbers, a facet is a pair of
arrays (product number, value number) and a facet count is one ``bincount``: about 1 ms for 10,000
matches where counting in Python took 10-30 ms. The index is built from the facet values the store
keeps until the catalog changes, and is rebuilt with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from streammesh.model.catalog import FACETS

__all__ = ["FacetIndex"]


class FacetIndex:
    """Products numbered in name order, with each facet's (product, value) pairs as integer arrays."""

    def __init__(self, values: Mapping[str, Mapping[str, Iterable[str]]]) -> None:
        self.names: list[str] = sorted(values)
        self.number: dict[str, int] = {name: i for i, name in enumerate(self.names)}
        self.size = len(self.names)
        self.values: dict[str, list[str]] = {}  # facet -> its values, sorted
        self.value_number: dict[str, dict[str, int]] = {}
        self.pairs: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # facet -> (product numbers, value numbers)
        for facet in FACETS:
            distinct = sorted({v for attrs in values.values() for v in attrs[facet]})
            numbered = {v: i for i, v in enumerate(distinct)}
            products: list[int] = []
            found: list[int] = []
            for i, name in enumerate(self.names):
                for v in values[name][facet]:
                    products.append(i)
                    found.append(numbered[v])
            self.values[facet] = distinct
            self.value_number[facet] = numbered
            self.pairs[facet] = (np.asarray(products, dtype=np.intp), np.asarray(found, dtype=np.intp))

    def numbers(self, names: Iterable[str]) -> np.ndarray:
        """Product numbers of ``names`` (-1 for a name the index does not hold)."""
        get = self.number.get
        return np.fromiter((get(n, -1) for n in names), dtype=np.intp)

    def select(
        self, matches: np.ndarray | None, filters: Mapping[str, Sequence[str]]
    ) -> tuple[dict[str, dict[str, int]], np.ndarray]:
        """Facet counts over ``matches`` (a boolean mask over products; None: all) and the numbers of
        the matches every filter lets through, in name order.

        Each facet is counted with every *other* filter applied, so a user who picked ``domain=sales``
        still sees how many hits the other domains would give.
        """
        n = self.size
        matched = np.ones(n, dtype=bool) if matches is None else matches
        failing: dict[str, np.ndarray] = {}  # facet -> products its filter excludes
        fails = np.zeros(n, dtype=np.int8)
        for facet, allowed in filters.items():
            numbered = self.value_number[facet]
            wanted = np.asarray([numbered[v] for v in set(allowed) if v in numbered], dtype=np.intp)
            products, found = self.pairs[facet]
            passes = np.zeros(n, dtype=bool)
            passes[products[np.isin(found, wanted)]] = True
            failing[facet] = ~passes
            fails += failing[facet]
        passing = matched & (fails == 0)
        counts: dict[str, dict[str, int]] = {}
        for facet in FACETS:
            counted = passing
            if facet in failing:  # also the matches that only this facet's own filter excludes
                counted = passing | (matched & (fails == 1) & failing[facet])
            products, found = self.pairs[facet]
            tally = np.bincount(found[counted[products]], minlength=len(self.values[facet]))
            present = np.flatnonzero(tally)
            # most frequent first, then by value (values are numbered in sorted order: a stable sort)
            present = present[np.argsort(-tally[present], kind="stable")]
            names = self.values[facet]
            counts[facet] = {names[i]: int(tally[i]) for i in present}
        return counts, np.flatnonzero(passing)

    @staticmethod
    def ranked(selected: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """``selected`` (product numbers in name order) best score first, ties kept in name order."""
        return selected[np.argsort(-scores[selected], kind="stable")]
