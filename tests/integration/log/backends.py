"""Helpers for log tests that run on every backend (``embedded`` and ``kafka``).

A Kafka consumer fetches in the background and a group forms over the network, so a neutral test
never expects records from one ``poll`` with no wait: it polls until it has what it expects
(:func:`take`) or until the consumer has caught up with the end (:func:`read_all`). On the embedded
log those helpers return at the first poll, so they cost nothing there.
"""

from __future__ import annotations

import time
import uuid

import pytest

from streammesh.log.base.log import BaseLog, BaseLogConsumer
from streammesh.log.base.records import Record
from streammesh.plugins import log_backends
from tests.brokers import TANSU_GAPS

__all__ = ["SESSION_MS", "embedded_only", "read_all", "take", "tansu_gap", "unique"]

#: Group session timeout for tests: Tansu forms a group after about half of it.
SESSION_MS = 2_000

#: Direct parametrisation overrides the ``backend`` fixture: for behaviour only the embedded log has.
embedded_only = pytest.mark.parametrize("backend", ["embedded"])


def tansu_gap(gap: str) -> pytest.MarkDecorator:
    """Run on every backend, the Kafka one marked xfail(strict) for a documented Tansu shortcoming."""
    reason = TANSU_GAPS[gap]
    return pytest.mark.parametrize(
        "backend",
        [
            pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason)) if name == "kafka" else name
            for name in log_backends.names()
        ],
    )


def unique(prefix: str) -> str:
    """A topic or group name no other test (or earlier run on the same broker) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def take(consumer: BaseLogConsumer, n: int, *, seconds: float = 15.0, max_records: int = 10_000) -> list[Record]:
    """Poll until ``n`` records arrived (never asking for more than ``n``); fewer only at the deadline."""
    got: list[Record] = []
    deadline = time.monotonic() + seconds
    while len(got) < n and time.monotonic() < deadline:
        got += consumer.poll(max_records=min(max_records, n - len(got)), timeout=0.2)
    return got


def read_all(log: BaseLog, topic: str, *, seconds: float = 15.0) -> list[Record]:
    """Every record of ``topic`` (no group), sorted by (partition, offset)."""
    ends = log.end_offsets(topic)
    out: list[Record] = []
    deadline = time.monotonic() + seconds
    with log.consumer([topic]) as c:
        while time.monotonic() < deadline:
            out += c.poll(max_records=10_000, timeout=0.1)
            if all(c.position().get((topic, p), 0) >= e for p, e in ends.items()):
                out += c.poll(max_records=10_000)
                break
    return sorted(out, key=lambda r: (r.partition, r.offset))
