"""Catalog search as every interface asks for it: words, plus facet filters read from repeated parameters.

The REST search route and the Explore page both take facet filters as repeated query parameters
(``?domain=sales&domain=web&tier=tier-1``); reading them here keeps the two in step and keeps the web
pages from depending on the REST routes.
"""

from __future__ import annotations

from collections.abc import Iterable

from streammesh.model.catalog import FACETS

__all__ = ["facet_filters"]


def facet_filters(params: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Facet → chosen values, in :data:`FACETS` order, from ``(name, value)`` pairs (other names ignored).

    Args:
        params: e.g. a request's ``query_params.multi_items()``; a facet repeated keeps every value in order.
    """
    chosen: dict[str, list[str]] = {}
    for key, value in params:
        if key in FACETS:
            chosen.setdefault(key, []).append(value)
    return {f: chosen[f] for f in FACETS if f in chosen}
