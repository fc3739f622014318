"""Consumer groups on every backend (members in one process; multi-process in test_log_processes)."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from streammesh.log.base.exceptions import GroupError
from streammesh.log.base.log import BaseLog, BaseLogConsumer
from streammesh.log.base.records import OutgoingRecord, Record
from tests.integration.log.backends import SESSION_MS, embedded_only, take, unique


def produce(log: BaseLog, topic: str, partitions: int, per_partition: int) -> None:
    for p in range(partitions):
        log.append(topic, [OutgoingRecord(b"%d:%d" % (p, i), partition=p) for i in range(per_partition)])


def drain(
    consumers: list[BaseLogConsumer], until: int, got: list[Record], *, max_records: int = 7, seconds: float = 20.0
) -> None:
    deadline = time.monotonic() + seconds
    while len(got) < until and time.monotonic() < deadline:
        for c in consumers:
            got += c.poll(max_records=max_records, timeout=0.01)


def settle(consumers: list[BaseLogConsumer], got: list[Record], ready, *, seconds: float = 20.0) -> None:
    """Poll every member until ``ready()`` (a rebalance has settled), keeping what they return."""
    deadline = time.monotonic() + seconds
    while not ready() and time.monotonic() < deadline:
        for c in consumers:
            got += c.poll(max_records=7, timeout=0.01)


def test_group_resumes_after_restart(log: BaseLog, topic_factory) -> None:
    topic, group = topic_factory(partitions=2), unique("billing")
    produce(log, topic, 2, 50)
    c = log.consumer([topic], group=group, session_timeout_ms=SESSION_MS)
    first = take(c, 30) + take(c, 15)
    assert len(first) == 45
    c.close()  # auto-commit: the positions of everything returned
    with log.consumer([topic], group=group, session_timeout_ms=SESSION_MS) as reader:
        assert reader.committed() == {(topic, p): n for p, n in Counter(r.partition for r in first).items()} | {
            (topic, p): 0 for p in (0, 1) if p not in {r.partition for r in first}
        }
    c2 = log.consumer([topic], group=group, session_timeout_ms=SESSION_MS)
    rest: list[Record] = []
    drain([c2], 55, rest)
    c2.close()
    seen = sorted((r.partition, r.offset) for r in first + rest)
    assert seen == [(p, o) for p in (0, 1) for o in range(50)]  # every record once, none skipped


def test_manual_commit_and_redelivery(log: BaseLog, topic_factory) -> None:
    topic, group = topic_factory(), unique("manual")
    produce(log, topic, 1, 20)
    c = log.consumer([topic], group=group, auto_commit=False, session_timeout_ms=SESSION_MS)
    assert len(take(c, 10)) == 10
    c.commit({(topic, 0): 4})
    assert c.committed() == {(topic, 0): 4}
    c.close()  # no auto-commit: the group continues from 4
    c = log.consumer([topic], group=group, auto_commit=False, session_timeout_ms=SESSION_MS)
    assert take(c, 1)[0].offset == 4
    c.commit()
    assert c.committed() == {(topic, 0): 5}
    c.close()


def test_rebalance_between_two_members_loses_and_repeats_nothing(log: BaseLog, topic_factory) -> None:
    topic, group = topic_factory(partitions=4), unique("g")
    produce(log, topic, 4, 100)
    a = log.consumer([topic], group=group, session_timeout_ms=SESSION_MS)
    got = take(a, 30)
    assert len(a.assignment()) == 4 and len(got) == 30
    b = log.consumer([topic], group=group, session_timeout_ms=SESSION_MS)
    before = len(got)
    settle([b, a], got, lambda: len(a.assignment()) == len(b.assignment()) == 2)
    drain([b, a], 400, got)
    assert sorted(len(c.assignment()) for c in (a, b)) == [2, 2]
    assert set(a.assignment()).isdisjoint(b.assignment())
    assert sorted((r.partition, r.offset) for r in got) == [(p, o) for p in range(4) for o in range(100)]
    assert len(got) > before
    # new records go to whoever owns the partition now, still exactly once
    produce(log, topic, 4, 10)
    drain([a, b], 440, got)
    assert Counter((r.partition, r.offset) for r in got).most_common(1)[0][1] == 1 and len(got) == 440
    a.close()  # leaving moves a's partitions to b at once, from a's committed positions
    produce(log, topic, 4, 5)
    settle([b], got, lambda: len(b.assignment()) == 4)
    drain([b], 460, got)
    assert len(b.assignment()) == 4
    assert sorted((r.partition, r.offset) for r in got) == [(p, o) for p in range(4) for o in range(115)]
    b.close()


def test_commit_of_a_partition_owned_by_another_member_raises(log: BaseLog, topic_factory) -> None:
    topic, group = topic_factory(partitions=2), unique("g")
    produce(log, topic, 2, 10)
    a = log.consumer([topic], group=group, session_timeout_ms=SESSION_MS)
    take(a, 1)
    b = log.consumer([topic], group=group, session_timeout_ms=SESSION_MS)
    settle([b, a], [], lambda: len(a.assignment()) == len(b.assignment()) == 1)
    (taken,) = b.assignment()
    with pytest.raises(GroupError, match=rf"cannot commit {taken[0]}\[{taken[1]}\] .* no longer owns"):
        a.commit({taken: 3})
    assert b.committed().get(taken) != 3
    a.close()
    b.close()


@embedded_only  # embedded members heartbeat from poll; librdkafka heartbeats from a background thread
def test_dead_member_partitions_are_taken_after_session_timeout(log: BaseLog, topic_factory) -> None:
    topic = topic_factory(partitions=2)
    produce(log, topic, 2, 10)
    dead = log.consumer([topic], group="g", session_timeout_ms=300)
    assert len(dead.poll(max_records=3, timeout=1)) == 3  # owns both partitions, then goes silent
    (last,) = dead.poll(max_records=1)  # commits the 3 it was given; this one it never commits
    live = log.consumer([topic], group="g", session_timeout_ms=300)
    assert live.poll(timeout=0.1) == []  # the silent member still holds the partitions
    time.sleep(0.4)
    got = live.poll(max_records=100, timeout=1)
    got += live.poll(max_records=100, timeout=0.2)
    assert len(live.assignment()) == 2
    assert len(got) == 17  # 20 minus the 3 the dead member committed
    assert (last.partition, last.offset) in {(r.partition, r.offset) for r in got}  # at-least-once
    dead.poll(timeout=0.05)  # it comes back: notices it lost its partitions, commits nothing for them
    assert len(dead.assignment()) <= 1
    dead.close()
    live.close()


def test_groups_are_independent(log: BaseLog, topic_factory) -> None:
    topic, one, two = topic_factory(), unique("one"), unique("two")
    produce(log, topic, 1, 5)
    for group in (one, two):
        with log.consumer([topic], group=group, session_timeout_ms=SESSION_MS) as c:
            assert len(take(c, 5)) == 5
    with log.consumer([topic], group=one, session_timeout_ms=SESSION_MS) as c:
        late: list[Record] = []
        settle([c], late, lambda: bool(c.assignment()))
        assert late + c.poll(timeout=0.3) == [] and c.position() == {(topic, 0): 5}


def test_member_subscribed_to_two_topics(log: BaseLog, topic_factory) -> None:
    t1, t2, group = topic_factory(partitions=2), topic_factory(partitions=1), unique("multi")
    produce(log, t1, 2, 3)
    produce(log, t2, 1, 4)
    with log.consumer([t1, t2], group=group, session_timeout_ms=SESSION_MS) as c:
        got = take(c, 10)
        assert sorted(c.assignment()) == sorted([(t1, 0), (t1, 1), (t2, 0)])
        assert len(got) == 10
        assert c.lag() == {(t1, 0): 0, (t1, 1): 0, (t2, 0): 0}
