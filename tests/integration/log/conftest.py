"""Fixtures for the log tests: every registered backend (embedded folders under ``tmp_path``, Kafka on
a Tansu broker started once per session), topics, helpers to run worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streammesh.log.base.log import BaseLog
from streammesh.log.base.records import Record, TopicSpec
from streammesh.log.embedded import EmbeddedLog
from streammesh.plugins import log_backends
from tests.integration.log.backends import read_all as _read_all
from tests.integration.log.backends import unique
from tests.kafka_broker import kafka_bootstrap  # noqa: F401 - the session fixture, used through request

WORKERS = Path(__file__).with_name("log_workers.py")

# Tansu advances the high watermark by one per record *batch* (TANSU_GAPS["batched_high_watermark"]):
# one record per produce batch keeps end offsets exact, so the other tests measure the adapter, not
# that gap; test_end_offsets_after_a_batched_append covers the default batching and is marked.
KAFKA_TEST_SETTINGS = {"producer.batch.num.messages": 1}


@pytest.fixture(params=log_backends.names())
def backend(request: pytest.FixtureRequest) -> str:
    """Name of the log backend under test; embedded-only tests override it with ``embedded_only``."""
    return request.param


@pytest.fixture
def log_factory(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., BaseLog]]:
    """Open logs of the backend under test; instances of one test share the same folder / cluster."""
    opened: list[BaseLog] = []

    def make(**options: object) -> BaseLog:
        if backend == "embedded":
            log: BaseLog = EmbeddedLog(tmp_path / "log", **options)  # type: ignore[arg-type]
        elif backend == "kafka":
            from streammesh.log.kafka import KafkaEventLog

            bootstrap = request.getfixturevalue("kafka_bootstrap")
            config = {**KAFKA_TEST_SETTINGS, **options.pop("config", {})}  # type: ignore[dict-item]
            log = KafkaEventLog(f"kafka://{bootstrap}", config=config, **options)  # type: ignore[arg-type]
        else:
            pytest.fail(f"no test factory for log backend {backend!r}: add one to tests/integration/log/conftest.py")
        opened.append(log)
        return log

    yield make
    for log in opened:
        log.close()


@pytest.fixture
def log(log_factory: Callable[..., BaseLog]) -> BaseLog:
    return log_factory()


@pytest.fixture
def topic_factory(log: BaseLog) -> Callable[..., str]:
    """Create a topic with a name unique across tests (they share one Kafka broker) and return it."""

    def make(partitions: int = 1, **kw: object) -> str:
        name = unique("topic")
        log.create_topic(TopicSpec(name, partitions=partitions, **kw))  # type: ignore[arg-type]
        return name

    return make


@pytest.fixture
def read_all() -> Callable[[BaseLog, str], list[Record]]:
    """``read_all(log, topic)``: every record of the topic (no group), sorted by (partition, offset)."""
    return _read_all


@pytest.fixture
def start_worker() -> Iterator[Callable[..., subprocess.Popen]]:
    """Run ``log_workers.py`` with the given args in a new interpreter; killed at teardown if alive."""
    procs: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = subprocess.Popen(
            [sys.executable, str(WORKERS), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
