"""End-to-end SDK throughput: validate + encode + append (produce) and read + decode (consume),
against the bare embedded log moving the same encoded bytes in the same run.

    .venv/bin/python benchmarks/sdk/bench_sdk.py --events 200000
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streammesh
from streammesh.log.base import OutgoingRecord
from tests.factories import contract_dict

AVRO = {
    "type": "record",
    "name": "Order",
    "namespace": "bench",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "customer_id", "type": "string"},
        {"name": "customer_email", "type": "string"},
        {"name": "total", "type": "double"},
        {"name": "currency", "type": {"type": "enum", "name": "Currency", "symbols": ["EUR", "USD", "GBP"]}},
        {"name": "status", "type": "string"},
        {"name": "placed_at", "type": "long"},
    ],
}


def values(n: int, avro: bool) -> list[dict]:
    rnd = random.Random(1)
    out = []
    for i in range(n):
        v = {
            "order_id": f"O{i:08d}",
            "customer_id": f"C{rnd.randrange(50_000):06d}",
            "customer_email": f"c{i}@example.com",
            "total": round(rnd.lognormvariate(3.5, 0.8), 2),
            "currency": rnd.choice(["EUR", "USD", "GBP"]),
            "status": "placed",
            "placed_at": 1_795_000_000_000 + i if avro else f"2026-11-{1 + i % 28:02d}T10:00:00Z",
        }
        out.append(v)
    return out


def run(fmt: str, n: int, root: Path) -> list[tuple[str, float, float]]:
    mesh = streammesh.connect(root / fmt)
    mesh.add_team("@sales-team", domain="sales")
    avro = fmt == "avro"
    schema = {"format": "avro", "definition": AVRO} if avro else None
    mesh.publish(contract_dict(schema=schema, timestamp_field="placed_at") if avro else contract_dict())
    data = values(n, avro)
    gc.freeze()
    producer = mesh.producer("sales.orders")
    t = time.perf_counter()
    producer.send_many(data)
    sdk_produce = n / (time.perf_counter() - t)

    # baseline: the same encoded bytes, keys and timestamps appended straight to the log
    with mesh.log.consumer(["sales.orders"]) as raw:
        records = []
        while batch := raw.poll(max_records=50_000):
            records.extend(batch)
    mesh.log.create_topic(type(mesh.log.topic_spec("sales.orders"))("bench.raw", partitions=3))
    outgoing = [OutgoingRecord(value=r.value, key=r.key, timestamp=r.timestamp, partition=r.partition) for r in records]
    t = time.perf_counter()
    for i in range(0, n, 5000):
        mesh.log.append("bench.raw", outgoing[i : i + 5000])
    raw_produce = n / (time.perf_counter() - t)

    t = time.perf_counter()
    count = sum(1 for _ in mesh.consumer("sales.orders", from_beginning=True))
    sdk_consume = count / (time.perf_counter() - t)
    t = time.perf_counter()
    with mesh.log.consumer(["bench.raw"]) as raw:
        got = 0
        while batch := raw.poll(max_records=10_000):
            got += len(batch)
    raw_consume = got / (time.perf_counter() - t)
    gc.unfreeze()
    mesh.close()
    return [
        (f"{fmt}: produce (validate, encode, append) vs append of the encoded bytes", sdk_produce, raw_produce),
        (f"{fmt}: consume (read, decode to dicts) vs read of the bytes", sdk_consume, raw_consume),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = run("json-schema", args.events, Path(tmp)) + run("avro", args.events, Path(tmp))
    print(f"| case ({args.events:,} events) | SDK (events/s) | bare log (events/s) | ratio |")
    print("|---|---:|---:|---:|")
    for name, sdk, raw in rows:
        print(f"| {name} | {sdk:,.0f} | {raw:,.0f} | {sdk / raw:.2f}x |")


if __name__ == "__main__":
    main()
