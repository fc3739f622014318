"""Segments on disk: rolling, persistence, torn-tail recovery, lost durable state, retention."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

from streammesh.log.base.records import OutgoingRecord, Record, TopicSpec
from streammesh.log.embedded import EmbeddedLog
from streammesh.log.embedded.batch import encode_batch
from streammesh.log.embedded.segment import list_segments, read_index, segment_path
from tests.integration.log.backends import embedded_only

pytestmark = embedded_only  # segment files, torn tails, kill -9 of writers: the embedded log's own disk format

ReadAll = Callable[[EmbeddedLog, str], list[Record]]
SMALL = {"segment.bytes": "4096", "index.interval.bytes": "512"}


def pdir(log: EmbeddedLog, topic: str, partition: int = 0) -> Path:
    return log.root / "topics" / topic / str(partition)


def fill(
    log: EmbeddedLog, topic: str, n: int, *, per_append: int = 7, size: int = 100, t0: int = 0, step: int = 10
) -> None:
    for start in range(0, n, per_append):
        log.append(
            topic,
            [
                OutgoingRecord(b"%06d:" % i + b"x" * size, key=b"k%d" % i, timestamp=t0 + i * step)
                for i in range(start, min(n, start + per_append))
            ],
        )


def test_segments_roll_and_reads_cross_them(log: EmbeddedLog, read_all: ReadAll) -> None:
    log.create_topic(TopicSpec("rolling", config=SMALL))
    fill(log, "rolling", 500)
    segs = list_segments(pdir(log, "rolling"))
    assert len(segs) > 10 and segs[0] == 0
    assert all(os.path.getsize(segment_path(pdir(log, "rolling"), s)) <= 4096 for s in segs)
    assert [int(r.value[:6]) for r in read_all(log, "rolling")] == list(range(500))
    assert len(read_index(pdir(log, "rolling") / f"{segs[3]:020d}.idx")) > 0  # sparse index written


def test_seek_by_offset_and_timestamp_across_segments(log: EmbeddedLog) -> None:
    log.create_topic(TopicSpec("rolling", config=SMALL))
    fill(log, "rolling", 400)
    for target in (0, 1, 6, 7, 8, 199, 200, 313, 399):
        with log.consumer(["rolling"]) as c:
            c.seek("rolling", 0, target)
            assert [r.offset for r in c.poll(max_records=3)] == list(range(target, min(400, target + 3)))
        assert log.offsets_for_timestamp("rolling", target * 10) == {0: target}
        assert log.offsets_for_timestamp("rolling", target * 10 - 5) == {0: max(target, 0)}
    assert log.offsets_for_timestamp("rolling", 4000) == {0: 400}


def test_timestamps_out_of_order(log: EmbeddedLog) -> None:
    log.create_topic(TopicSpec("late", config=SMALL))
    stamps = [100, 50, 300, 200, 250, 900, 10, 400] * 30
    for i in range(0, len(stamps), 4):
        log.append("late", [OutgoingRecord(b"x" * 200, timestamp=t) for t in stamps[i : i + 4]])
    for target in (0, 60, 101, 260, 301, 401, 901):
        expected = next((i for i, t in enumerate(stamps) if t >= target), len(stamps))
        assert log.offsets_for_timestamp("late", target) == {0: expected}


def test_reopen_after_close_keeps_everything(log_factory, read_all: ReadAll) -> None:
    first = log_factory()
    first.create_topic(TopicSpec("kept", partitions=3, config=SMALL))
    sent = [OutgoingRecord(b"v%d" % i, key=b"k%d" % i, headers=(("i", b"%d" % i),)) for i in range(300)]
    first.append("kept", sent)
    before = read_all(first, "kept")
    first.close()
    second = log_factory()
    assert second.topics() == ["kept"]
    assert second.topic_spec("kept").partitions == 3
    assert read_all(second, "kept") == before
    more = second.append("kept", [OutgoingRecord(b"after", key=b"k1")])
    assert more[0].offset == first_end(before, more[0].partition)


def first_end(records: list[Record], partition: int) -> int:
    return sum(1 for r in records if r.partition == partition)


def test_torn_tail_is_truncated_and_never_read(log_factory, read_all: ReadAll) -> None:
    log = log_factory()
    log.create_topic(TopicSpec("torn"))
    log.append("torn", [OutgoingRecord(b"a%d" % i) for i in range(5)])
    seg = segment_path(pdir(log, "torn"), 0)
    good_size = os.path.getsize(seg)
    enc = encode_batch([None] * 3, [b"half"] * 3, [1, 2, 3])
    torn = (enc.frame(5))[: enc.length // 2]
    with open(seg, "ab") as f:  # a writer died half way through its write
        f.write(torn + os.urandom(37))
    assert [r.value for r in read_all(log, "torn")] == [b"a%d" % i for i in range(5)]  # readers stop at the durable end
    pos = log.append("torn", [OutgoingRecord(b"next")])  # the next writer truncates, then appends
    assert pos[0].offset == 5
    assert [r.value for r in read_all(log, "torn")] == [b"a0", b"a1", b"a2", b"a3", b"a4", b"next"]
    assert os.path.getsize(seg) > good_size
    fresh = log_factory()
    assert [r.offset for r in read_all(fresh, "torn")] == list(range(6))


def test_complete_unpublished_batch_is_adopted(log_factory, read_all: ReadAll) -> None:
    log = log_factory()
    log.create_topic(TopicSpec("adopt"))
    log.append("adopt", [OutgoingRecord(b"a"), OutgoingRecord(b"b")])
    enc = encode_batch([b"k", b"k"], [b"c", b"d"], [7, 8])
    with open(segment_path(pdir(log, "adopt"), 0), "ab") as f:  # written, then the writer died before publishing
        f.write(enc.frame(2))
    assert log.end_offsets("adopt") == {0: 2}
    log.append("adopt", [OutgoingRecord(b"e")])
    assert [(r.offset, r.value) for r in read_all(log, "adopt")] == [
        (0, b"a"),
        (1, b"b"),
        (2, b"c"),
        (3, b"d"),
        (4, b"e"),
    ]


def test_opening_the_log_recovers_a_torn_tail(log_factory, read_all: ReadAll) -> None:
    log = log_factory()
    log.create_topic(TopicSpec("open"))
    log.append("open", [OutgoingRecord(b"x")])
    seg = segment_path(pdir(log, "open"), 0)
    size = os.path.getsize(seg)
    with open(seg, "ab") as f:
        f.write(b"\x00" * 100)
    log.close()
    reopened = log_factory()
    assert reopened.end_offsets("open") == {0: 1}
    assert os.path.getsize(seg) == size  # no writer active: the first to open the partition truncated it
    assert [r.value for r in read_all(reopened, "open")] == [b"x"]


def test_lost_durable_file_is_rebuilt_from_segments(log_factory, read_all: ReadAll) -> None:
    log = log_factory()
    log.create_topic(TopicSpec("lost", config=SMALL))
    fill(log, "lost", 120)
    expected = read_all(log, "lost")
    log.close()
    (pdir(log, "lost") / "durable").write_bytes(bytes(128))  # e.g. a power cut before it reached the disk
    rebuilt = log_factory()
    assert rebuilt.end_offsets("lost") == {0: 120}
    assert read_all(rebuilt, "lost") == expected
    assert rebuilt.append("lost", [OutgoingRecord(b"z")])[0].offset == 120


def test_retention_deletes_whole_old_segments(log: EmbeddedLog, read_all: ReadAll) -> None:
    log.create_topic(TopicSpec("short", retention_ms=60_000, config=SMALL))
    old = int(time.time() * 1000) - 3_600_000
    fill(log, "short", 200, t0=old)  # an hour old: beyond retention
    now = int(time.time() * 1000)
    fill(log, "short", 60, t0=now)  # rolls segments, which applies retention
    begin = log.begin_offsets("short")[0]
    assert begin > 100
    assert log.end_offsets("short") == {0: 260}
    records = read_all(log, "short")
    assert [r.offset for r in records] == list(range(begin, 260))
    assert all(r.timestamp >= now for r in records if r.offset >= 200)
    with log.consumer(["short"]) as c:
        c.seek("short", 0, 0)  # clamped to the earliest retained offset
        assert c.position() == {("short", 0): begin}


def test_reader_positioned_in_deleted_segment_continues_from_earliest(log: EmbeddedLog) -> None:
    log.create_topic(TopicSpec("gone", retention_ms=300, config=SMALL))
    fill(log, "gone", 100, t0=int(time.time() * 1000), step=0)
    first_segment_end = list_segments(pdir(log, "gone"))[1]
    with log.consumer(["gone"], fetch_max_bytes=256) as c:
        assert c.poll(max_records=1)[0].offset == 0
        time.sleep(0.4)
        fill(log, "gone", 100, t0=int(time.time() * 1000), step=0)  # rolls: the first 100 records expire
        log.enforce_retention("gone")
        begin = log.begin_offsets("gone")[0]
        offsets = [r.offset for r in c.poll(max_records=1000)]
    assert 0 < begin <= 100  # whole segments go: the one holding offset 100 stays
    assert offsets == sorted(set(offsets)) and offsets[-1] == 199
    # what the reader had already fetched (or held open) may still come; then it jumps to the earliest
    assert all(o < first_segment_end or o >= begin for o in offsets)
    assert any(b - a > 1 for a, b in pairwise(offsets))


def test_fsync_mode_round_trip(log_factory, read_all: ReadAll) -> None:
    log = log_factory(fsync=True)
    log.create_topic(TopicSpec("safe", config=SMALL))
    fill(log, "safe", 60)
    assert [int(r.value[:6]) for r in read_all(log, "safe")] == list(range(60))


def test_large_batch_bigger_than_segment_size(log: EmbeddedLog, read_all: ReadAll) -> None:
    log.create_topic(TopicSpec("big", config=SMALL))
    log.append("big", [OutgoingRecord(b"s")])
    log.append("big", [OutgoingRecord(os.urandom(3000)) for _ in range(10)])  # 30 KB in a 4 KB-segment topic
    log.append("big", [OutgoingRecord(b"t")])
    values = [r.value for r in read_all(log, "big")]
    assert len(values) == 12 and values[0] == b"s" and values[-1] == b"t"
    with log.consumer(["big"], fetch_max_bytes=100) as c:  # a fetch smaller than one batch still progresses
        assert len(c.poll(max_records=100)) >= 1


def test_unpublished_new_segment_of_a_dead_writer_is_ignored_then_removed(log: EmbeddedLog, read_all: ReadAll) -> None:
    log.create_topic(TopicSpec("orphan", config=SMALL))
    log.append("orphan", [OutgoingRecord(b"a" * 1000)])
    directory = pdir(log, "orphan")
    enc = encode_batch([None], [b"ghost"], [1])
    # A writer rolled to segment 1, wrote its batch there and died before publishing the roll.
    segment_path(directory, 1).write_bytes(enc.frame(1))
    assert log.append("orphan", [OutgoingRecord(b"b")])[0].offset == 1  # fits the published segment
    assert [r.value for r in read_all(log, "orphan")] == [b"a" * 1000, b"b"]
    with log.consumer(["orphan"]) as c:
        c.seek("orphan", 0, 1)
        assert [r.value for r in c.poll()] == [b"b"]
    fill(log, "orphan", 60)  # rolls: the orphan goes, real segments take its place
    assert not segment_path(directory, 1).exists()
    values = [r.value for r in read_all(log, "orphan")]
    assert len(values) == 62 and b"ghost" not in values
    assert [r.offset for r in read_all(log, "orphan")] == list(range(62))
    with log.consumer(["orphan"]) as c:
        for target in range(62):
            c.seek("orphan", 0, target)
            assert c.poll(max_records=1)[0].offset == target
