"""The rebuilt ``ts_rank`` of multi-term queries (streammesh.store.postgresql.ranking) against PostgreSQL's own."""

from __future__ import annotations

import random

import numpy as np
import psycopg
import pytest
from sqlalchemy import make_url

from streammesh.store.postgresql.ranking import SINGLE, column_ranks, weighted_sum

_LEXEMES = ["ab", "abc", "abd", "abcd", "b", "bc", "c", "ca", "cab", "ä", "äb"]


@pytest.fixture(scope="module")
def pg(postgres_admin: str):
    conninfo = make_url(postgres_admin).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        yield conn


def _rank(pg, vector: str, query: str) -> np.float32:
    return np.float32(pg.execute("SELECT ts_rank(%s::tsvector, %s::tsquery)", (vector, query)).fetchone()[0])


def _query(terms: list[tuple[str, bool]]) -> str:
    return " | ".join(f"'{t}'" + (":*" if prefix else "") for t, prefix in terms)


def test_one_entry_ranks_tell_the_positions_apart(pg):
    for n in [*range(1, 40), 100, 255, 256, 300]:  # PostgreSQL keeps 256 positions at most
        vector = " ".join(f"'a':{i}" for i in range(1, n + 1))
        assert _rank(pg, vector, "'a'") == SINGLE[min(n, 256)], n


def test_rebuilt_ranks_equal_postgresql_or_are_left_to_it(pg):
    """Random vectors with several positions per lexeme and lexemes sharing prefixes (a prefix term then
    matches several entries); multi-byte lexemes check the byte order of the terms."""
    rng = random.Random(5)
    decided = undecided = 0
    for _ in range(400):
        positions = iter(range(1, 10_000))
        vector = " ".join(
            f"'{w}':" + ",".join(str(next(positions)) for _ in range(rng.randint(1, 5)))
            for w in rng.sample(_LEXEMES, rng.randint(1, 7))
        )
        words = rng.sample(_LEXEMES, rng.randint(1, 3))
        terms = [(w, i == len(words) - 1 and rng.random() < 0.7) for i, w in enumerate(words)]
        alone = [np.array([[_rank(pg, vector, _query([t]))]], dtype=np.float32) for t in terms]
        rebuilt = column_ranks(terms, alone)
        assert rebuilt is not None
        ranks, unsure = rebuilt
        if unsure[0]:
            undecided += 1
            continue
        decided += 1
        assert ranks[0, 0] == _rank(pg, vector, _query(terms)), (vector, terms)
    assert decided > 300 and undecided > 0


def test_a_repeated_term_is_left_to_postgresql():
    r = np.zeros((1, 1), dtype=np.float32)
    assert column_ranks([("ab", False), ("ab", True)], [r, r]) is None


def test_weighted_sum_is_postgresqls_double_precision_sum(pg):
    rng = random.Random(9)
    for _ in range(50):
        ranks = np.array([[rng.choice(SINGLE[1:20]) * rng.randint(1, 3)] for _ in range(7)], dtype=np.float32)
        weights = (10.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0)
        expression = " + ".join(f"{w} * %s::real" for w in weights)
        expected = pg.execute(f"SELECT {expression}", [float(r[0]) for r in ranks]).fetchone()[0]
        assert weighted_sum(ranks, weights)[0] == expected
