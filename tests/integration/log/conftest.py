"""Fixtures for the embedded log: real folders under ``tmp_path``, helpers to run worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streammesh.log.base.records import Record, TopicSpec
from streammesh.log.embedded import EmbeddedLog

WORKERS = Path(__file__).with_name("log_workers.py")


@pytest.fixture
def log_factory(tmp_path: Path) -> Iterator[Callable[..., EmbeddedLog]]:
    """Open ``EmbeddedLog`` instances on ``tmp_path/log`` (several may share the folder)."""
    opened: list[EmbeddedLog] = []

    def make(**options: object) -> EmbeddedLog:
        log = EmbeddedLog(tmp_path / "log", **options)  # type: ignore[arg-type]
        opened.append(log)
        return log

    yield make
    for log in opened:
        log.close()


@pytest.fixture
def log(log_factory: Callable[..., EmbeddedLog]) -> EmbeddedLog:
    return log_factory()


@pytest.fixture
def topic_factory(log: EmbeddedLog) -> Callable[..., str]:
    """Create a topic and return its name."""
    counter = iter(range(1_000_000))

    def make(partitions: int = 1, **kw: object) -> str:
        name = f"topic-{next(counter)}"
        log.create_topic(TopicSpec(name, partitions=partitions, **kw))  # type: ignore[arg-type]
        return name

    return make


def _read_all(log: EmbeddedLog, topic: str) -> list[Record]:
    out: list[Record] = []
    with log.consumer([topic]) as c:
        while batch := c.poll(max_records=10_000):
            out += batch
    return sorted(out, key=lambda r: (r.partition, r.offset))


@pytest.fixture
def read_all() -> Callable[[EmbeddedLog, str], list[Record]]:
    """``read_all(log, topic)``: every record of the topic (no group), sorted by (partition, offset)."""
    return _read_all


@pytest.fixture
def start_worker() -> Iterator[Callable[..., subprocess.Popen]]:
    """Run ``log_workers.py`` with the given args in a new interpreter; killed at teardown if alive."""
    procs: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = subprocess.Popen([sys.executable, str(WORKERS), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
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
