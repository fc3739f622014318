"""Worker processes for the multi-process tests of the embedded log (run as a script).

log_workers.py acked-producer ROOT TOPIC          append forever, print "ACK p base first_seq count"
log_workers.py producer ROOT TOPIC ID COUNT       append COUNT events "ID:seq" keyed by seq, then exit
log_workers.py consumer ROOT TOPIC GROUP OUT STOP consume in GROUP, write "ID:seq p offset" lines to OUT
                                                  (pausing 2 ms per poll) until the file STOP exists
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

from streammesh.log.base.records import OutgoingRecord
from streammesh.log.embedded import EmbeddedLog


def acked_producer(root: str, topic: str) -> None:
    """Append batches of up to ~2 MB as fast as possible (so that a kill often lands in the middle
    of a write); acknowledge each on stdout once ``append`` has returned: "ACK p base seq count"."""
    log = EmbeddedLog(root)
    parts = log.topic_spec(topic).partitions
    rnd = random.Random(os.getpid())
    blob = os.urandom(1 << 20)
    pool = [blob[i : i + rnd.randint(0, 8000)] for i in range(0, 3000 * 300, 300)]
    seq = 0
    while True:
        n = rnd.randint(1, 500)
        p = rnd.randrange(parts)
        first = rnd.randrange(len(pool) - n)
        values = pool[first : first + n]
        pos = log.append(
            topic,
            [
                OutgoingRecord(v, key=b"k%d" % (seq + i), headers=(("len", b"%d" % len(v)),), partition=p)
                for i, v in enumerate(values)
            ],
        )
        print(f"ACK {p} {pos[0].offset} {seq} {n}", flush=True)
        seq += n


def producer(root: str, topic: str, ident: str, count: int) -> None:
    """Append ``count`` events in small batches with short pauses, then exit."""
    log = EmbeddedLog(root)
    rnd = random.Random(ident)
    seq = 0
    while seq < count:
        n = min(rnd.randint(1, 40), count - seq)
        log.append(
            topic, [OutgoingRecord(f"{ident}:{seq + i}".encode(), key=b"key-%d" % rnd.randrange(50)) for i in range(n)]
        )
        seq += n
        time.sleep(rnd.uniform(0, 0.02))
    log.close()
    print("DONE", flush=True)


def consumer(root: str, topic: str, group: str, out: str, stop: str) -> None:
    """Consume as a group member until ``stop`` exists; one line per delivered record."""
    log = EmbeddedLog(root)
    c = log.consumer([topic], group=group, session_timeout_ms=4000)
    stop_path = Path(stop)
    with open(out, "w") as f:
        print("STARTED", flush=True)
        while not stop_path.exists():
            records = c.poll(max_records=rnd_size(), timeout=0.05)
            f.writelines(f"{r.value.decode()} {r.partition} {r.offset}\n" for r in records)
            if records:
                time.sleep(0.002)  # "processing": keeps a backlog, so rebalances happen mid-stream
        c.close()
    log.close()
    print("DONE", flush=True)


def rnd_size() -> int:
    return random.randint(1, 60)


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    if cmd == "acked-producer":
        acked_producer(*rest)
    elif cmd == "producer":
        producer(rest[0], rest[1], rest[2], int(rest[3]))
    elif cmd == "consumer":
        consumer(*rest)
    else:
        raise SystemExit(f"unknown command {cmd!r}")
