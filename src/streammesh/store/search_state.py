"""What searches of one catalog database keep between calls, shared by every store object of the process.

A search needs the catalog's facet values (a :class:`FacetIndex`) and the ranking of each query term over the
whole catalog. Both change only when a product is saved, so they are kept until the catalog's marker changes
(see :meth:`SqlCatalogStore._catalog_marker`) and shared by every store opened on the same database in this
process: the REST server opens one store per worker thread, and each would otherwise build its own copy.

A term's ranking is what the database computes for a query of that term alone (its match set and its
scores, or per-column ranks); the stores combine cached terms into the exact scores of multi-term queries
(see ``combine_terms`` in each store). Only broad terms are kept: a narrow one is cheap to rank again.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from streammesh.store.facet_index import FacetIndex

__all__ = ["BROAD_TERM", "SearchState", "TermKey", "TermRanks", "share_state", "shared_state"]

#: a term (or query) matching at least this many products is worth keeping / ranking term by term; below it
#: ranking it again costs about a millisecond
BROAD_TERM = 1_000
_MAX_BYTES = 48 << 20  # per database: ~170 broad terms on PostgreSQL, ~600 on SQLite, for 10,000 products

TermKey = tuple[str, bool]
"""One query term as the stores rank it: (word or lexeme, is_prefix)."""


@dataclass(frozen=True, slots=True)
class TermRanks:
    """One term's ranking over the catalog: ``matched`` (a boolean mask over the index's products) and the
    store's own score data for it (``values``, read-only arrays), as its ``combine_terms`` expects."""

    matched: np.ndarray
    values: np.ndarray
    count: int = 0

    @property
    def nbytes(self) -> int:
        return int(self.matched.nbytes + self.values.nbytes)


class SearchState:
    """The facet index and the cached term rankings of one catalog state (one marker)."""

    def __init__(self, marker: tuple[Any, ...], index: FacetIndex) -> None:
        self.marker = marker
        self.index = index
        self._terms: OrderedDict[Hashable, TermRanks] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def term(self, key: Hashable) -> TermRanks | None:
        with self._lock:
            ranks = self._terms.get(key)
            if ranks is not None:
                self._terms.move_to_end(key)
            return ranks

    def keep(self, key: Hashable, ranks: TermRanks) -> None:
        """Keep a term's ranking (least recently used terms go first past the memory budget)."""
        if ranks.nbytes > _MAX_BYTES:
            return
        ranks.matched.flags.writeable = False
        ranks.values.flags.writeable = False
        with self._lock:
            old = self._terms.pop(key, None)
            self._bytes -= old.nbytes if old is not None else 0
            self._terms[key] = ranks
            self._bytes += ranks.nbytes
            while self._bytes > _MAX_BYTES:
                _, dropped = self._terms.popitem(last=False)
                self._bytes -= dropped.nbytes


# database -> its current state, while some store of this process holds it (stores keep the state they use)
_states: weakref.WeakValueDictionary[str, SearchState] = weakref.WeakValueDictionary()
_states_lock = threading.Lock()


def shared_state(database: str, marker: tuple[Any, ...]) -> SearchState | None:
    """The state another store of this process keeps for ``database``, if it is of ``marker``."""
    with _states_lock:
        state = _states.get(database)
    return state if state is not None and state.marker == marker else None


def share_state(database: str, state: SearchState) -> SearchState:
    """Offer ``state`` to the other stores of this process opened on ``database``; returns it."""
    with _states_lock:
        _states[database] = state
    return state
