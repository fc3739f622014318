"""Benchmark of the embedded log against a raw-file baseline run in the same invocation.

Usage::

    .venv/bin/python benchmarks/log/bench_log.py --events 1000000 --single-events 50000

Prints a markdown table: events/s of the embedded log and of the raw baseline for the same rows,
and their ratio. The baseline is the least a durable append-only log must do in Python:

* append: for each row (timestamp, key, value) taken from the same ``OutgoingRecord`` objects,
  ``struct.pack("<qii", ts, len(key), len(value)) + key + value``, joined and written to one plain
  file with the same number of ``os.write`` calls as the log makes (one per batch of ``--batch``
  rows, or one per row) and the same fsync policy.
* replay: read that file back in 1 MiB chunks and build per-row timestamp, key and value lists
  with ``struct.unpack_from`` and slicing.

The input records are generated up front and frozen out of the cyclic GC's view (``gc.freeze``);
the replay cases run in a fresh process that reads the files the append phase wrote.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from machine import machine

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from streammesh.log.base.records import OutgoingRecord, TopicSpec
from streammesh.log.embedded import EmbeddedLog

ROW = struct.Struct("<qii")
CHUNK = 1 << 20


def make_records(n: int, value_size: int, seed: int = 7) -> list[OutgoingRecord]:
    """``n`` records: 10-byte keys over 100k customers, values of value_size ± 10% random bytes."""
    rnd = random.Random(seed)
    pool = os.urandom(1 << 20)
    out = []
    for _i in range(n):
        size = rnd.randint(int(value_size * 0.9), int(value_size * 1.1))
        start = rnd.randrange(0, len(pool) - size)
        out.append(OutgoingRecord(pool[start : start + size], key=b"cust-%05d" % rnd.randrange(100_000)))
    return out


def chunks(records: list[OutgoingRecord], size: int) -> list[list[OutgoingRecord]]:
    return [records[i : i + size] for i in range(0, len(records), size)]


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = fn()
    return time.perf_counter() - t0, n


# -- raw baseline ---------------------------------------------------------------------------------
def raw_append(path: Path, groups: list[list[OutgoingRecord]], fsync: bool) -> int:
    pack = ROW.pack
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    n = 0
    try:
        for group in groups:
            ts = int(time.time() * 1000)
            parts: list[bytes] = []
            for r in group:
                k, v = r.key, r.value
                parts += (pack(ts, len(k), len(v)), k, v)
            os.write(fd, b"".join(parts))
            if fsync:
                os.fdatasync(fd)
            n += len(group)
    finally:
        os.close(fd)
    return n


def raw_replay(path: Path) -> int:
    unpack, size = ROW.unpack_from, ROW.size
    stamps: list[int] = []
    keys: list[bytes] = []
    values: list[bytes] = []
    with open(path, "rb") as f:
        rest = b""
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            buf = rest + chunk
            pos, end = 0, len(buf)
            while end - pos >= size:
                ts, kl, vl = unpack(buf, pos)
                stop = pos + size + kl + vl
                if stop > end:
                    break
                k = pos + size + kl
                stamps.append(ts)
                keys.append(buf[pos + size : k])
                values.append(buf[k:stop])
                pos = stop
            rest = buf[pos:]
    return len(values)


# -- embedded log ---------------------------------------------------------------------------------
def log_append(log: EmbeddedLog, topic: str, groups: list[list[OutgoingRecord]]) -> int:
    append = log.append
    n = 0
    for group in groups:
        append(topic, group)
        n += len(group)
    return n


def log_replay_records(log: EmbeddedLog, topic: str, total: int) -> int:
    n = 0
    with log.consumer([topic]) as c:
        while n < total:
            recs = c.poll(max_records=10_000)
            if not recs:
                break
            n += len(recs)
    return n


def log_replay_batches(log: EmbeddedLog, topic: str, total: int) -> int:
    n = 0
    with log.consumer([topic]) as c:
        while n < total:
            views = c.poll_batches(max_records=100_000)
            if not views:
                break
            for v in views:
                v.timestamps, v.keys, v.values  # noqa: B018  (build the columns)
                n += v.count
    return n


def measure_append(
    args: argparse.Namespace, base: Path, groups: list[list[OutgoingRecord]], partitions: int
) -> tuple[float, float, int]:
    """Best-of-``repeat`` seconds for the log and for the raw baseline, each on fresh files."""
    log_times, raw_times = [], []
    n = sum(map(len, groups))
    for _ in range(args.repeat):
        fresh(base)
        log = EmbeddedLog(base / "log", fsync=args.fsync)
        log.create_topic(TopicSpec("bench", partitions=partitions))
        log_times.append(timed(lambda: log_append(log, "bench", groups))[0])  # noqa: B023 (called at once)
        log.close()
        fresh(base)
        raw_times.append(timed(lambda: raw_append(base / "raw.bin", groups, args.fsync))[0])
    return min(log_times), min(raw_times), n


def fresh(base: Path) -> None:
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)


def run(args: argparse.Namespace) -> list[tuple[str, float, float, int]]:
    base = Path(args.dir or tempfile.mkdtemp(prefix="bench-log-"))
    records = make_records(args.events, args.value_size)
    singles = records[: args.single_events]
    # Keep the cyclic GC from re-scanning the million pre-built input objects on every collection
    # (which would bill the benchmark's own data to whichever side allocates tracked objects).
    gc.collect()
    gc.freeze()
    rows: list[tuple[str, float, float, int]] = []
    cases = [  # the keyed case is informational: the baseline has no partitioning to do
        (f"append, batched ({args.batch}/append)", chunks(records, args.batch), 1),
        ("append, one by one", [[r] for r in singles], 1),
        (f"append, batched, keyed over 4 partitions ({args.batch}/append)", chunks(records, args.batch), 4),
    ]
    for label, groups, partitions in cases:
        t_log, t_raw, n = measure_append(args, base, groups, partitions)
        rows.append((label, n / t_log, n / t_raw, n))

    # replay: write once, then read in a fresh process (as a replaying consumer would be), so the
    # million input objects and the allocator churn of the append runs do not slow either side
    fresh(base)
    log = EmbeddedLog(base / "log")
    for topic, groups in (("bench", chunks(records, args.batch)), ("singles", chunks(singles, 1))):
        log.create_topic(TopicSpec(topic))
        log_append(log, topic, groups)
        raw_append(base / f"{topic}.bin", groups, False)
    log.close()
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--replay-only",
            str(base),
            "--events",
            str(args.events),
            "--single-events",
            str(len(singles)),
            "--repeat",
            str(args.repeat),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        label, log_rate, raw_rate, n = json.loads(line)
        rows.append((label, log_rate, raw_rate, n))
    if not args.dir:
        shutil.rmtree(base, ignore_errors=True)
    return rows


def replay_only(base: Path, events: int, singles: int, repeat: int) -> None:
    """The replay half, run in its own process by :func:`run`; prints one JSON row per case."""
    log = EmbeddedLog(base / "log")
    cases = [
        ("bench", events, "replay, poll() -> Record objects", log_replay_records),
        ("bench", events, "replay, poll_batches() -> columns", log_replay_batches),
        ("singles", singles, "replay of one-by-one appends, poll()", log_replay_records),
    ]
    for topic, total, label, fn in cases:
        t_raw, n_raw = min(timed(lambda: raw_replay(base / f"{topic}.bin")) for _ in range(repeat))  # noqa: B023
        t_log, n = min(timed(lambda: fn(log, topic, total)) for _ in range(repeat))  # noqa: B023
        assert n == total == n_raw, (n, n_raw)
        print(json.dumps([label, n / t_log, n_raw / t_raw, n]))
    log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events for batched append and replay")
    parser.add_argument("--single-events", type=int, default=50_000, help="events for one-by-one append")
    parser.add_argument("--batch", type=int, default=1000, help="records per append in the batched case")
    parser.add_argument("--value-size", type=int, default=100, help="mean value size in bytes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is reported")
    parser.add_argument("--fsync", action="store_true", help="fdatasync every append (log and baseline)")
    parser.add_argument("--dir", help="work directory (default: a fresh temporary directory)")
    parser.add_argument("--replay-only", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replay_only:
        replay_only(Path(args.replay_only), args.events, args.single_events, args.repeat)
        return
    rows = run(args)
    print(f"machine: {machine()}; fsync={'on' if args.fsync else 'off'}\n")
    print("| case | events | embedded log (events/s) | raw baseline (events/s) | ratio |")
    print("|---|---:|---:|---:|---:|")
    for label, log_rate, raw_rate, n in rows:
        print(f"| {label} | {n:,} | {log_rate:,.0f} | {raw_rate:,.0f} | {log_rate / raw_rate:.2f}x |")


if __name__ == "__main__":
    main()
