"""Several processes on one embedded log: crash durability and exactly-once group delivery."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from streammesh.log.base.records import OutgoingRecord, Record, TopicSpec
from streammesh.log.embedded import EmbeddedLog
from tests.integration.log.backends import embedded_only

pytestmark = embedded_only  # segment files, torn tails, kill -9 of writers: the embedded log's own disk format

ReadAll = Callable[[EmbeddedLog, str], list[Record]]
Start = Callable[..., subprocess.Popen]


def finish(proc: subprocess.Popen, timeout: float = 60) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"worker failed ({proc.returncode}):\n{err}"
    return out


def test_kill_9_right_after_an_ack_loses_nothing(log: EmbeddedLog, start_worker: Start, read_all: ReadAll) -> None:
    log.create_topic(TopicSpec("crash", partitions=3))
    rnd = random.Random(11)
    rounds: list[list[tuple[int, int, int, int]]] = []  # per run: (partition, base offset, first seq, count)
    for round_ in range(8):
        proc = start_worker("acked-producer", str(log.root), "crash")
        target = rnd.randint(2, 12)
        mine: list[tuple[int, int, int, int]] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            tag, p, base, seq, n = line.split()
            assert tag == "ACK"
            mine.append((int(p), int(base), int(seq), int(n)))
            if len(mine) >= target:
                if round_ % 2:  # odd rounds: let the next append get going, to kill it mid-write
                    time.sleep(rnd.uniform(0.0005, 0.004))
                proc.send_signal(signal.SIGKILL)  # even rounds: right after reading the acknowledgement
                break
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
        rounds.append(mine)
    records = {(r.partition, r.offset): r for r in read_all(log, "crash")}
    total = 0
    for mine in rounds:
        for p, base, seq, n in mine:
            for i in range(n):
                record = records.get((p, base + i))
                assert record is not None, f"acknowledged record {p}/{base + i} is missing"
                assert record.key == b"k%d" % (seq + i)
                assert record.headers == (("len", b"%d" % len(record.value)),)
                total += 1
    assert total > 0 and len(records) >= total
    for p in range(3):  # the log is still one contiguous, readable sequence per partition
        offsets = sorted(o for q, o in records if q == p)
        assert offsets == list(range(len(offsets)))
    assert log.end_offsets("crash") == {p: sum(1 for q, _ in records if q == p) for p in range(3)}


def test_four_producers_two_consumers_every_event_once(tmp_path: Path, log: EmbeddedLog, start_worker: Start) -> None:
    log.create_topic(TopicSpec("busy", partitions=4))
    per_producer = 4000
    stop = tmp_path / "stop"
    outs = [tmp_path / f"consumer-{i}.txt" for i in range(2)]

    def start_consumer(out: Path) -> subprocess.Popen:
        proc = start_worker("consumer", str(log.root), "busy", "grp", str(out), str(stop))
        assert proc.stdout is not None and proc.stdout.readline().strip() == "STARTED"
        return proc

    consumers = [start_consumer(outs[0])]
    t0 = time.monotonic()
    producers = [start_worker("producer", str(log.root), "busy", f"p{i}", str(per_producer)) for i in range(4)]
    time.sleep(0.8)
    consumers.append(start_consumer(outs[1]))  # joins while events flow: partitions are handed over live
    for p in producers:
        assert finish(p).strip() == "DONE"
    produced_for = time.monotonic() - t0
    ends = log.end_offsets("busy")
    assert sum(ends.values()) == 4 * per_producer
    watcher = log.consumer(["busy"], group="grp")  # never polls, so never joins: it only reads commits
    deadline = time.monotonic() + 30
    while watcher.committed() != {("busy", p): e for p, e in ends.items()} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert watcher.committed() == {("busy", p): e for p, e in ends.items()}
    stop.touch()
    for c in consumers:
        finish(c)
    lines = [line.split() for out in outs for line in out.read_text().splitlines()]
    consumed = Counter(event for event, _, _ in lines)
    duplicates = [e for e, n in consumed.items() if n > 1]
    assert not duplicates, f"{len(duplicates)} events delivered twice, e.g. {duplicates[:5]}"
    assert set(consumed) == {f"p{i}:{s}" for i in range(4) for s in range(per_producer)}
    assert all(out.read_text() for out in outs), "both group members should have consumed"
    positions = Counter((p, o) for _, p, o in lines)
    assert len(positions) == 4 * per_producer and max(positions.values()) == 1
    assert produced_for > 1.0  # the processes really overlapped for a while


def test_forked_children_append_safely_with_inherited_log(log: EmbeddedLog, read_all: ReadAll) -> None:
    # flock belongs to the open file description, which fork() shares: without fresh descriptors
    # in the child, parent and children would not exclude each other and overwrite each other's batches.
    import os

    log.create_topic(TopicSpec("forked"))
    log.append("forked", [OutgoingRecord(b"parent")])
    children = []
    for i in range(3):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child process
            try:
                for j in range(200):
                    log.append("forked", [OutgoingRecord(b"c%d-%d" % (i, j)) for _ in range(3)])
            finally:
                os._exit(0)
        children.append(pid)
    for j in range(200):
        log.append("forked", [OutgoingRecord(b"p-%d" % j)])
    for pid in children:
        assert os.waitpid(pid, 0)[1] == 0
    values = Counter(r.value for r in read_all(log, "forked"))
    assert sum(values.values()) == 1 + 3 * 200 * 3 + 200
    assert all(values[b"c%d-%d" % (i, j)] == 3 for i in range(3) for j in range(200))
