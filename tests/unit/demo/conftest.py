"""Shared demo runs: generating and validating tens of thousands of events once per session keeps the
suite fast while every test still looks at a realistic, hours-long flow."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from streammesh.contracts.model import Contract
from streammesh.demo.generators import DemoEvent, DemoGenerator, load_demo_contracts

_START = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def demo_start() -> datetime:
    """Where the shared run's backlog ends and its live ticks begin."""
    return _START


@pytest.fixture(scope="session")
def contracts() -> dict[str, Contract]:
    return {c.name: c for c in load_demo_contracts()}


@pytest.fixture(scope="session")
def demo_parts() -> tuple[list[DemoEvent], list[DemoEvent]]:
    """(initial events, live events): five hours of backlog at 2.5 events/s, long enough for parcels to be
    delivered, returned and refunded, then a minute of live ticks."""
    gen = DemoGenerator(seed=11, start=_START, rate=2.5, customers=300, products=100, backlog=timedelta(hours=5))
    initial = list(gen.initial_events())
    live: list[DemoEvent] = []
    now = _START
    for _ in range(12):
        now += timedelta(seconds=5)
        live += gen.tick(now, 5)
    return initial, live


@pytest.fixture(scope="session")
def demo_events(demo_parts: tuple[list[DemoEvent], list[DemoEvent]]) -> list[DemoEvent]:
    return demo_parts[0] + demo_parts[1]


@pytest.fixture(scope="session")
def by_product(demo_events: list[DemoEvent]) -> dict[str, list[DemoEvent]]:
    out: dict[str, list[DemoEvent]] = defaultdict(list)
    for e in demo_events:
        out[e.product].append(e)
    return dict(out)
