"""The plain-Python statement of facet counting, for the tests to check the vectorised index against."""

from __future__ import annotations

from streammesh.model.catalog import FACETS

__all__ = ["facet_counts"]


def facet_counts(
    values: dict[str, dict[str, set[str]]], filters: dict[str, list[str]]
) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Count facet values over the matches; each facet is counted with every *other* filter applied,
    so a user who picked ``domain=sales`` still sees how many hits the other domains would give.

    What :meth:`streammesh.store.facet_index.FacetIndex.select` computes (searches use that, not this):
    the tests compare the two, so this stays the simplest, obviously right version."""
    wanted = {k: set(v) for k, v in filters.items()}

    def passes(attrs: dict[str, set[str]], skip: str | None) -> bool:
        return all(attrs[f] & allowed for f, allowed in wanted.items() if f != skip)

    counts: dict[str, dict[str, int]] = {f: {} for f in FACETS}
    for attrs in values.values():
        for facet in FACETS:
            if passes(attrs, facet):
                for v in attrs[facet]:
                    counts[facet][v] = counts[facet].get(v, 0) + 1
    matched = [name for name, attrs in values.items() if passes(attrs, None)]
    ordered = {f: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for f, c in counts.items()}
    return ordered, matched
