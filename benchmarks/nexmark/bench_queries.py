"""Nexmark q0, q1, q2, q3 and q5 on streammesh's streaming SQL engine, end to end, on one core.

Usage::

    .venv/bin/python benchmarks/nexmark/bench_queries.py [--events 1000000] [--queries q0,q1,q2,q3,q5]
                                                         [--batch 10000] [--workspace DIR] [--no-baseline]

Loads ``--events`` Nexmark events (1 person : 3 auctions : 46 bids) into a mesh (``benchmarks/nexmark/load.py``;
``nexmark.person`` is published compacted so that q3 joins it as a table), then, per query, deploys the
query from ``queries/`` as a derived product and runs a :class:`~streammesh.processing.runtime.Processor`
until it has caught up: read from the embedded log, decode (Avro), compute in DuckDB, encode (JSON Schema
wire format), append, checkpoint. Rates are events read per second of **CPU time** of the process (all
threads), i.e. per core. In the same run, the same computation as a **Bytewax** dataflow on the same log
(``bytewax_flows.py``: one worker in-process, a source per log partition decoding with the SDK decoder,
Bytewax operators, a sink appending orjson + wire header): the comparison of the ratio. Its output is
checked against the engine's (counts; for q5 the windows the engine closes, see ``bytewax_flows.py``).
(Quix Streams would be the natural comparison but needs a Kafka broker, which this machine does not run.)
A plain Python loop doing the same work (SDK decoder to dicts, the computation in Python, orjson + wire
header, append) gives the floor of Python overhead. ``--no-baseline`` skips both.
The second table says where the engine's time goes.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))
if importlib.util.find_spec("streammesh") is None:
    sys.path.insert(0, str(_ROOT / "src"))

import orjson

import streammesh
from benchmarks.nexmark.bytewax_flows import (
    BYTEWAX_VERSION,
    closed_by_watermark,
    run_flow,
)
from benchmarks.nexmark.load import (
    CONTRACTS_DIR,
    PRODUCTS,
    TEAM,
    load_events,
    loaded_events,
)
from streammesh.contracts.loader import load_contract
from streammesh.log.base import OutgoingRecord, TopicSpec
from streammesh.processing.runtime import Processor
from streammesh.processing.runtime import engine as engine_module
from streammesh.processing.sql import SqlCatalog, compile_sql, derive, derived_contract
from streammesh.schemas import load_schema
from streammesh.schemas.decoding import value_decoder
from streammesh.schemas.wire import wire_header
from streammesh.sdk.mesh import Mesh

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
KINDS = {"q0": "stateless", "q1": "stateless", "q2": "stateless", "q3": "join", "q5": "windowed aggregation"}


def prepare(workspace: Path, events: int) -> Mesh:
    """The benchmark mesh with at least ``events`` Nexmark events (persons compacted, for q3's table join)."""
    mesh = streammesh.connect(workspace)
    if mesh.store.get_team(TEAM) is None:
        mesh.add_team(TEAM, display_name="Nexmark benchmarks", domain="nexmark")
    for name in PRODUCTS.values():
        contract = load_contract(CONTRACTS_DIR / f"{name}.yaml")
        if name == "nexmark.person":
            contract = contract.model_copy(update={"compacted": True})
        mesh.publish(contract)
    have = loaded_events(mesh)
    if have < events:
        for line in load_events(mesh, events - have, start=have).lines():
            print(f"  {line}")
    return mesh


class Phases:
    """CPU seconds spent in wrapped functions (inclusive of what they call)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, owner: Any, name: str, label: str) -> None:
        inner = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.process_time() - t

        setattr(owner, name, timed)


def run_engine(mesh: Mesh, name: str, run_id: str, batch: int, state: Path) -> dict[str, Any]:
    sql = (QUERIES_DIR / f"{name}.sql").read_text()
    sql = sql.replace(f"nexmark.{name} AS", f"nexmark.{name}_{run_id} AS")
    catalog = SqlCatalog.from_contracts([p.contract for p in mesh.products() if p.name in PRODUCTS.values()])
    query = compile_sql(sql, catalog)
    mesh.publish(derived_contract(query, derive(query, catalog), owner=TEAM, acknowledge_sla=True))
    proc = Processor(mesh, query, app=f"bench-{name}", state_dir=state / name, batch_size=batch)
    phases = Phases()
    for r in proc.readers.values():
        phases.wrap(r, "read", "read")
        phases.wrap(r, "read_all", "read")
    for d in proc.decoders.values():
        phases.wrap(d, "decode", "decode (Avro → columns)")
    ingest = engine_module.ingest
    phases.wrap(engine_module, "ingest", "batch → DuckDB (Arrow)")
    phases.wrap(proc.engine, "process", "DuckDB: compute + render JSON")
    phases.wrap(mesh.log, "append_columns", "append to the log")
    phases.wrap(mesh.log, "append", "append to the log")  # dead letters
    phases.wrap(proc.state, "commit", "checkpoint commit")
    gc.collect()
    read = emitted = 0
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        while True:
            stats = proc.step(timeout=0.0)
            if stats.read == 0:
                break
            read += stats.read
            emitted += stats.emitted
    finally:
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        engine_module.ingest = ingest
        del mesh.log.append, mesh.log.append_columns  # the wrappers were set on the instance
        proc.close()
    seconds = dict(phases.seconds)
    seconds["DuckDB: compute + render JSON"] -= seconds.get("batch → DuckDB (Arrow)", 0.0)
    seconds["other (placement, intent, Python glue)"] = cpu - sum(seconds.values())
    return {"read": read, "emitted": emitted, "cpu": cpu, "wall": wall, "phases": seconds}


# -- the floor: the same computations as a plain Python loop over decoded dicts -------------------------------
def _reader(mesh: Mesh, product: str) -> tuple[Any, Callable[[bytes | None], Any]]:
    p = mesh.product(product)
    return mesh.log.consumer([p.stream]), value_decoder(mesh.registry, load_schema(p.contract.schema_))


def _iso(dt: Any) -> str:
    return dt.isoformat(timespec="milliseconds")[:-6] + "Z"  # aware UTC datetime → 2024-01-01T00:00:00.000Z


def run_baseline(mesh: Mesh, name: str, run_id: str, batch: int) -> dict[str, Any]:
    topic = f"bench.baseline.{name}.{run_id}"
    mesh.log.create_topic(TopicSpec(topic, partitions=3))
    header = wire_header(1)
    dumps = orjson.dumps
    read = emitted = 0
    cpu, wall = time.process_time(), time.perf_counter()
    persons: dict[int, dict] = {}
    if name == "q3":
        consumer, decode = _reader(mesh, "nexmark.person")
        while views := consumer.poll_batches(max_records=batch):
            for v in views:
                for value in v.values:
                    person = decode(value)
                    persons[person["id"]] = person
                    read += 1
        consumer.close()
    consumer, decode = _reader(mesh, "nexmark.auction" if name == "q3" else "nexmark.bid")
    windows: dict[tuple[int, int], int] = {}
    max_ts: dict[int, int] = {}
    while views := consumer.poll_batches(max_records=batch):
        out: list[OutgoingRecord] = []
        for v in views:
            part = v.partition
            for value in v.values:
                e = decode(value)
                read += 1
                if name in ("q0", "q1"):
                    row = {
                        "auction": e["auction"],
                        "bidder": e["bidder"],
                        "price": e["price"] * 908 / 1000 if name == "q1" else e["price"],
                    }  # DuckDB: DECIMAL
                    if name == "q0":
                        row.update(channel=e["channel"], url=e["url"])
                    row.update(date_time=_iso(e["date_time"]), extra=e["extra"])
                    out.append(OutgoingRecord(header + dumps(row), str(e["auction"]).encode()))
                elif name == "q2":
                    if e["auction"] % 123 == 0:
                        out.append(
                            OutgoingRecord(
                                header + dumps({"auction": e["auction"], "price": e["price"]}),
                                str(e["auction"]).encode(),
                            )
                        )
                elif name == "q3":
                    p = persons.get(e["seller"])  # as of the auction's time (1 version per person)
                    if (
                        p is not None
                        and e["category"] == 10
                        and p["state"] in ("OR", "ID", "CA")
                        and p["date_time"] <= e["date_time"]
                    ):
                        row = {"name": p["name"], "city": p["city"], "state": p["state"], "id": e["id"]}
                        out.append(OutgoingRecord(header + dumps(row), str(e["id"]).encode()))
                else:  # q5: hopping 10 s / 2 s, per-partition watermark, EMIT FINAL
                    t = int(e["date_time"].timestamp() * 1000)
                    wm = max_ts.get(part, -1)
                    last = t - t % 2000
                    for ws in range(last - 8000, last + 1, 2000):
                        if ws + 10000 > wm:
                            windows[(e["auction"], ws)] = windows.get((e["auction"], ws), 0) + 1
                    if t > wm:
                        max_ts[part] = t
        if name == "q5" and len(max_ts) == 4:
            wm = min(max_ts.values())
            for auction, ws in [k for k in windows if k[1] + 10000 <= wm]:
                start = _iso(datetime.fromtimestamp(ws / 1000, UTC))  # as the engine renders it
                row = {
                    "auction": auction,
                    "num": windows.pop((auction, ws)),
                    "starttime": start,
                    "endtime": _iso(datetime.fromtimestamp((ws + 10000) / 1000, UTC)),
                }
                out.append(OutgoingRecord(header + dumps(row), dumps([auction, start])))
        if out:
            mesh.log.append(topic, out)
            emitted += len(out)
    consumer.close()
    return {"read": read, "emitted": emitted, "cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="Nexmark events in the mesh (default 1M)")
    parser.add_argument("--queries", default="q0,q1,q2,q3,q5")
    parser.add_argument("--batch", type=int, default=10_000, help="records per micro-batch (default 10,000)")
    parser.add_argument("--workspace", type=Path, default=Path(tempfile.gettempdir()) / "streammesh-nexmark-bench")
    parser.add_argument("--no-baseline", action="store_true", help="skip the Bytewax flows and the plain Python loop")
    args = parser.parse_args(argv)
    print(f"preparing {args.workspace} with {args.events:,} events")
    mesh = prepare(args.workspace, args.events)
    run_id = f"r{int(time.time())}"
    state = Path(tempfile.mkdtemp(prefix="sm-bench-state-"))
    rows, phase_rows, check_rows, mismatches = [], [], [], []
    try:
        for name in args.queries.split(","):
            res = run_engine(mesh, name, run_id, args.batch, state)
            flow = None if args.no_baseline else run_flow(mesh, name, run_id, args.batch)
            base = None if args.no_baseline else run_baseline(mesh, name, run_id, args.batch)
            rate = res["read"] / res["cpu"]
            flow_rate = flow["read"] / flow["cpu"] if flow else None
            base_rate = base["read"] / base["cpu"] if base else None
            rows.append(
                f"| {name} ({KINDS[name]}) | {res['read']:,} | {res['emitted']:,} | {rate:,.0f} | "
                + (f"{flow_rate:,.0f} | {rate / flow_rate:.2f}x | " if flow_rate else "– | – | ")
                + (f"{base_rate:,.0f} | {rate / base_rate:.2f}x |" if base_rate else "– | – |")
            )
            check = check_outputs(mesh, name, res, flow) if flow else ""
            if flow:
                check_rows.append(
                    f"| {name} | {res['read']:,} | {flow['read']:,} | {res['emitted']:,} | "
                    f"{flow['emitted']:,} | {check} |"
                )
                if check.startswith("MISMATCH"):
                    mismatches.append(name)
            total = sum(res["phases"].values())
            phase_rows.append(
                f"| {name} | "
                + " | ".join(
                    f"{res['phases'].get(k, 0.0) / res['read'] * 1e6:.2f} ({res['phases'].get(k, 0.0) / total:.0%})"
                    for k in PHASES
                )
                + " |"
            )
            print(
                f"{name}: {res['read']:,} events in {res['cpu']:.2f} s CPU ({res['wall']:.2f} s wall): {rate:,.0f}/s"
                + (f"; Bytewax {flow_rate:,.0f}/s ({check})" if flow_rate else "")
                + (f"; plain loop {base_rate:,.0f}/s" if base_rate else "")
            )
    finally:
        shutil.rmtree(state, ignore_errors=True)
        mesh.close()
    print(f"\n`.venv/bin/python benchmarks/nexmark/bench_queries.py --events {args.events} --batch {args.batch}`\n")
    print(
        f"| query | events read | events out | streammesh (events/s per core) | Bytewax {BYTEWAX_VERSION} "
        "| ratio (streammesh / Bytewax) | plain Python loop | ratio (streammesh / loop) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    if check_rows:
        print("\nOutputs, streammesh against Bytewax:\n")
        print("| query | read (streammesh) | read (Bytewax) | out (streammesh) | out (Bytewax) | check |")
        print("|---|---:|---:|---:|---:|---|")
        print("\n".join(check_rows))
    print("\nµs per event read (share of CPU time):\n")
    print("| query | " + " | ".join(PHASES) + " |")
    print("|---|" + "---:|" * len(PHASES))
    print("\n".join(phase_rows))
    if mismatches:
        sys.exit(f"Bytewax and streammesh disagree on {', '.join(mismatches)} (see the outputs table)")


def check_outputs(mesh: Mesh, name: str, res: dict[str, Any], flow: dict[str, Any]) -> str:
    """Whether the Bytewax flow read and wrote what the engine did. q5: Bytewax also writes, at EOF, the windows
    still open at the end of the log; those ending at or before the engine's watermark must be its rows."""
    if flow["read"] != res["read"]:
        return f"MISMATCH: read {flow['read']:,} vs {res['read']:,}"
    if name != "q5":
        return "same count" if flow["emitted"] == res["emitted"] else "MISMATCH"
    closed = closed_by_watermark(mesh, flow)
    late = f"; {flow['late']:,} late" if flow["late"] else ""
    verdict = "same count" if closed == res["emitted"] else "MISMATCH"
    return (
        f"{verdict}: {closed:,} windows end by streammesh's final watermark + {flow['emitted'] - closed:,} "
        f"still open, flushed at EOF{late}"
    )


PHASES = (
    "read",
    "decode (Avro → columns)",
    "batch → DuckDB (Arrow)",
    "DuckDB: compute + render JSON",
    "append to the log",
    "checkpoint commit",
    "other (placement, intent, Python glue)",
)

if __name__ == "__main__":
    main()
