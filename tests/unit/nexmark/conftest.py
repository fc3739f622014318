"""One shared Nexmark run per session: 25,000 events (500 cycles of 50) are enough to see every rule,
including ids past the hot-batch boundaries (person 1100, auction 1300), and cheap to make."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.nexmark import Batch, GeneratorConfig, NexmarkGenerator
from benchmarks.nexmark.config import kind_of

SEED = 3
EVENTS = 25_000


@pytest.fixture(scope="session")
def generator() -> NexmarkGenerator:
    return NexmarkGenerator(SEED)


@pytest.fixture(scope="session")
def batch(generator: NexmarkGenerator) -> Batch:
    return generator.events(0, EVENTS)


@pytest.fixture(scope="session")
def by_id(batch: Batch) -> list[tuple[int, str, dict[str, Any]]]:
    """Every event of the shared run as (event id, kind, value), in event-id order."""
    queues = {"person": iter(batch.persons), "auction": iter(batch.auctions), "bid": iter(batch.bids)}
    out = []
    for eid in range(EVENTS):
        kind = kind_of(eid)
        out.append((eid, kind, next(queues[kind])))
    return out


@pytest.fixture(scope="session")
def config() -> GeneratorConfig:
    return GeneratorConfig()
