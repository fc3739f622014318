"""Partition files: the two-slot durable file, the sparse index, and how long waiting for nothing takes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streammesh.log.base.records import OutgoingRecord, TopicSpec
from streammesh.log.embedded import EmbeddedLog
from streammesh.log.embedded.groups import round_robin_assign
from streammesh.log.embedded.segment import (
    MIN_TIMESTAMP,
    DurableFile,
    DurableState,
    IndexEntry,
    append_index,
    list_segments,
    read_index,
    segment_path,
)


def test_durable_file_round_trip_and_newest_slot_wins(tmp_path: Path) -> None:
    path = tmp_path / "durable"
    DurableFile.initial(path)
    df = DurableFile(path)
    assert df.read() == DurableState(1, 0, 0, 0, MIN_TIMESTAMP, 0)
    df.write(DurableState(2, 10, 800, 0, 99, 0))
    df.write(DurableState(3, 12, 960, 0, 100, 0))
    assert df.read() == DurableState(3, 12, 960, 0, 100, 0)
    df.close()
    assert DurableFile(path).read().next_offset == 12  # persisted


def test_durable_file_falls_back_to_other_slot_when_one_is_torn(tmp_path: Path) -> None:
    path = tmp_path / "durable"
    DurableFile.initial(path)
    df = DurableFile(path)
    df.write(DurableState(2, 10, 800, 0, 99, 0))  # slot 0
    df.write(DurableState(3, 12, 960, 0, 100, 0))  # slot 1
    raw = bytearray(path.read_bytes())
    raw[64 + 9] ^= 0xFF  # tear the newest slot (a writer stopped half way)
    path.write_bytes(bytes(raw))
    assert DurableFile(path).read() == DurableState(2, 10, 800, 0, 99, 0)
    path.write_bytes(bytes(128))  # both slots lost (power cut before they reached the disk)
    assert DurableFile(path).read() is None


def test_index_ignores_a_torn_last_entry(tmp_path: Path) -> None:
    path = tmp_path / "x.idx"
    append_index(path, IndexEntry(0, 0, MIN_TIMESTAMP))
    append_index(path, IndexEntry(10, 4096, 55))
    with open(path, "ab") as f:
        f.write(b"\x01\x02\x03")
    assert read_index(path) == [IndexEntry(0, 0, MIN_TIMESTAMP), IndexEntry(10, 4096, 55)]
    assert read_index(path, 24) == [IndexEntry(10, 4096, 55)]
    assert read_index(tmp_path / "missing.idx") == []


def test_segments_sort_by_offset(tmp_path: Path) -> None:
    for base in (0, 1000, 99, 12_345_678_901):
        segment_path(tmp_path, base).touch()
    (tmp_path / "durable").touch()
    assert list_segments(tmp_path) == [0, 99, 1000, 12_345_678_901]


def test_round_robin_assignment_is_deterministic_and_fair() -> None:
    members = {"b": ["orders"], "a": ["orders", "payments"], "c": ["orders"]}
    out = round_robin_assign(members, {"orders": 4, "payments": 2})
    assert out == round_robin_assign(dict(reversed(list(members.items()))), {"orders": 4, "payments": 2})
    # Kafka's RoundRobinAssignor: deal sorted partitions to sorted members, skipping unsubscribed ones.
    assert out == {
        "a": [("orders", 0), ("orders", 3), ("payments", 0), ("payments", 1)],
        "b": [("orders", 1)],
        "c": [("orders", 2)],
    }
    even = round_robin_assign({"m2": ["t"], "m1": ["t"]}, {"t": 5})
    assert even == {"m1": [("t", 0), ("t", 2), ("t", 4)], "m2": [("t", 1), ("t", 3)]}
    assert round_robin_assign({"m": ["gone"]}, {}) == {"m": []}


def test_poll_of_nothing_waits_about_the_timeout(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path)
    log.create_topic(TopicSpec("quiet", partitions=2))
    with log.consumer(["quiet"]) as c:
        t0 = time.monotonic()
        assert c.poll(timeout=0) == []
        assert time.monotonic() - t0 < 0.05
        t0 = time.monotonic()
        assert c.poll(timeout=0.3) == []
        waited = time.monotonic() - t0
        assert 0.29 <= waited < 0.5
        assert c.poll_batches(timeout=0.1) == []
    log.close()


def test_poll_returns_as_soon_as_data_arrives(tmp_path: Path) -> None:
    import threading

    log = EmbeddedLog(tmp_path)
    log.create_topic(TopicSpec("soon"))
    with log.consumer(["soon"]) as c:
        timer = threading.Timer(0.15, lambda: log.append("soon", [OutgoingRecord(b"hello")]))
        timer.start()
        t0 = time.monotonic()
        recs = c.poll(timeout=5)
        waited = time.monotonic() - t0
        timer.join()
    assert [r.value for r in recs] == [b"hello"]
    assert 0.1 <= waited < 1.0
    log.close()


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "x" * 250, "sales orders", "é"])
def test_invalid_topic_names_are_rejected(tmp_path: Path, bad: str) -> None:
    from streammesh.exceptions import ValidationError
    from streammesh.log.base.exceptions import LogError

    log = EmbeddedLog(tmp_path)
    with pytest.raises(LogError) as err:
        log.create_topic(TopicSpec(bad))
    assert isinstance(err.value, ValidationError)
    log.create_topic(TopicSpec("ok.Name_with-249" + "x" * 233))  # exactly 249 characters is fine
    log.close()
