"""Kafka transactions as the stream tasks use them: a committed batch is read whole; a newer writer with
the same transactional id fences the older one (its appends and commits fail with FencedError); an aborted
batch is invisible to read_committed readers (not on Tansu: TANSU_GAPS["aborted_visible"])."""

from __future__ import annotations

import pytest

from streammesh.log.base import FencedError, TopicSpec
from streammesh.log.base.records import OutgoingRecord
from streammesh.log.embedded import EmbeddedLog
from streammesh.log.kafka import KafkaEventLog
from streammesh.log.kafka.transactions import KafkaTransaction
from tests.brokers import TANSU_GAPS
from tests.integration.log.backends import take, unique

pytestmark = pytest.mark.parametrize("backend", ["kafka"])


def _records(prefix: str, n: int) -> list[OutgoingRecord]:
    return [OutgoingRecord(f"{prefix}{i}".encode(), b"k", (("sm.src", b"t:1"),)) for i in range(n)]


def _values(log: KafkaEventLog, topic: str, n: int) -> list[bytes]:
    with log.consumer([topic], auto_offset_reset="earliest") as c:
        return [r.value for r in take(c, n, seconds=5.0)]


def test_a_committed_transaction_is_read_whole_and_a_newer_writer_fences_the_older(log: KafkaEventLog) -> None:
    topic = unique("txn")
    log.create_topic(TopicSpec(topic, partitions=2))
    old = log.transactional(f"{topic}.task")
    assert old is not None
    old.begin()
    old.append(topic, _records("a", 3))
    old.commit()
    new = log.transactional(f"{topic}.task")  # the task's next owner
    assert new is not None
    with pytest.raises(FencedError, match="newer writer"):
        old.begin()
        old.append(topic, _records("zombie", 1))
        old.commit()
    new.begin()
    new.append(topic, _records("b", 2))
    new.commit()
    assert sorted(_values(log, topic, 5)) == [b"a0", b"a1", b"a2", b"b0", b"b1"]
    # a reader ends up past each transaction's commit marker, at the end offsets: no phantom lag
    ends = log.end_offsets(topic)
    with log.consumer([topic], auto_offset_reset="earliest") as c:
        take(c, 5, seconds=5.0)
        for _ in range(25):
            if all(c.position()[(topic, p)] == e for p, e in ends.items()):
                break
            c.poll(timeout=0.2)
        assert {p: c.position()[(topic, p)] for p in ends} == ends
        assert set(c.lag().values()) == {0}
    old.close()
    new.close()


@pytest.mark.xfail(strict=True, reason=TANSU_GAPS["aborted_visible"])
def test_an_aborted_transaction_is_invisible_to_read_committed_readers(log: KafkaEventLog) -> None:
    topic = unique("txn")
    log.create_topic(TopicSpec(topic, partitions=1))
    txn = log.transactional(f"{topic}.task")
    assert isinstance(txn, KafkaTransaction)
    txn.begin()
    txn.append(topic, _records("dropped", 2))
    txn.producer.flush(5)  # on the broker, not just queued (an abort would drop queued records client-side)
    txn.abort()
    txn.begin()
    txn.append(topic, _records("kept", 1))
    txn.commit()
    txn.close()
    with log.consumer([topic], auto_offset_reset="earliest") as c:
        got = [r.value for r in take(c, 3, seconds=3.0)]
    assert got == [b"kept0"]


def test_the_embedded_log_has_no_transactions(tmp_path, backend: str) -> None:
    # its apps have one writer per output stream and an exactly-once protocol of their own
    with EmbeddedLog(tmp_path / "log") as log:
        assert log.transactional("x") is None
