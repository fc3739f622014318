"""PostgreSQL's ``ts_rank`` for multi-term queries, rebuilt from the ranks of each term alone, bit for bit.

The store ranks a product by ``sum(weight * ts_rank(column_vector, 't1' | 't2' | 't3':*))`` over its seven
column vectors (see :mod:`streammesh.store.postgresql.store`). For such an OR query ``ts_rank`` (PostgreSQL's
``calc_rank_or``, default weights, no normalisation) does, per column vector::

    acc = 0.0f                                      # a float (single precision)
    for each query term, sorted by its bytes, duplicates removed:
        for each lexeme of the vector the term matches (a prefix term may match several), in byte order:
            acc = (float) ((double) acc + D(n))    # n: the lexeme's positions in the vector (at most 256)
    rank = acc / number_of_terms                    # in single precision

where ``D(n)`` depends on ``n`` only (the store's vectors carry no weights, so every position weighs 0.1).
A query of one term alone gives that term's ``acc`` per column. For a term matching one lexeme in a column
``acc`` is ``(float) D(n)``, and the ``n`` it came from can be read back (the 256 single-entry values are
distinct, and two entries or more add up to more than any of them), so its exact ``D(n)`` re-enters the
accumulation. A prefix term matching several lexemes of a column is exact only when it comes first in
that column's accumulation; elsewhere the product is ranked by PostgreSQL itself (``undecided``).

The test suite checks these values against PostgreSQL's own, on random vectors and on real searches.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SINGLE", "D", "column_ranks", "weighted_sum"]

_f32 = np.float32
_MAX_POSITIONS = 256  # PostgreSQL keeps at most 256 positions per lexeme (MAXNUMPOS)


def _d(n: int) -> float:
    """``calc_rank_or``'s contribution of one lexeme with ``n`` positions of weight D (0.1), as a double."""
    resj = _f32(0.0)
    for j in range(n):
        resj = _f32(resj + _f32(_f32(0.1) / _f32((j + 1) * (j + 1))))
    wjm = _f32(0.1)  # the largest position weight, at position 0
    return float(_f32(_f32(wjm + resj) - _f32(wjm / _f32(1.0)))) / 1.64493406685


#: D[n] for n = 0 (no entry: adds nothing) .. 256, as doubles
D = np.array([0.0] + [_d(n) for n in range(1, _MAX_POSITIONS + 1)], dtype=np.float64)
#: the ranks a column gets from one entry, as PostgreSQL returns them (float4), increasing with n
SINGLE = D.astype(_f32)
assert len(np.unique(SINGLE)) == len(SINGLE), "one-entry ranks must tell n apart"


def _entry(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For float4 ranks of a one-term query: ``D(n)`` where the rank comes from one entry (or none: 0), and
    a mask of the other ranks (a prefix term matching several lexemes of the column)."""
    n = np.minimum(np.searchsorted(SINGLE, ranks), len(SINGLE) - 1)
    single = SINGLE[n] == ranks
    return np.where(single, D[n], 0.0), ~single


def column_ranks(terms: list[tuple[str, bool]], ranks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """``ts_rank`` of each column vector for the OR query of ``terms`` ((lexeme, is_prefix), query order).

    Args:
        terms: the query's terms.
        ranks: for each term, float32 ranks of shape (columns, products): ``ts_rank`` of a query of that
            term alone (0 where the column does not hold it), over the products to rank.

    Returns:
        The float32 ranks (columns, products) and a mask of the products whose ranks could not be
        rebuilt (PostgreSQL must rank those); None when the query repeats a term (PostgreSQL then drops
        duplicates in an order this does not follow).
    """
    lexemes = [lexeme for lexeme, _ in terms]
    if len(set(lexemes)) != len(lexemes):
        return None
    order = sorted(range(len(terms)), key=lambda i: lexemes[i].encode())  # PostgreSQL compares bytes
    acc = np.zeros(ranks[0].shape, dtype=_f32)
    undecided = np.zeros(ranks[0].shape, dtype=bool)
    for i in order:
        r = ranks[i]
        d, several = _entry(r)
        added = (acc.astype(np.float64) + d).astype(_f32)
        if terms[i][1]:  # a prefix: several entries are exact only where nothing was added before (acc = 0)
            first = acc == 0
            undecided |= several & ~first
            acc = np.where(first, r, added)
        else:
            undecided |= several  # not expected: a whole word matches one lexeme
            acc = added
    return acc / _f32(len(terms)), np.any(undecided, axis=0)  # an array (numpy types .any(axis=) as maybe a scalar)


def weighted_sum(ranks: np.ndarray, weights: tuple[float, ...]) -> np.ndarray:
    """``w1 * rank1 + w2 * rank2 + ...`` as PostgreSQL evaluates it: double precision, left to right."""
    total = weights[0] * ranks[0].astype(np.float64)
    for w, r in zip(weights[1:], ranks[1:], strict=True):
        total = total + w * r.astype(np.float64)
    return total
