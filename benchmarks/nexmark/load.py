"""Load Nexmark events into a streammesh mesh: the input of the streaming SQL benchmarks.

Usage::

    .venv/bin/python benchmarks/nexmark/load.py --workspace /tmp/nexmark-mesh --events 1000000 [--seed 0]

Creates the mesh in ``--workspace`` (or opens the one there), registers ``@nexmark-team``,
publishes ``nexmark.person``, ``nexmark.auction`` and ``nexmark.bid`` from ``contracts/`` (a no-op
when already published) and appends ``--events`` events through the SDK producers
(``mesh.producer(name).send_many``: contract validation, Avro encoding in the Confluent wire
format, keyed partitioning, durable append). It continues after the events already loaded, so
repeated runs with the same seed extend one reproducible timeline.

Why generation and loading are timed apart: the benchmarks replay what is on the log, so the
generator must never be what limits them; the two rates printed show how far apart they are.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # run as a script: make `benchmarks.nexmark` importable
    sys.path.insert(0, str(_ROOT))
if importlib.util.find_spec("streammesh") is None:  # a checkout without installing
    sys.path.insert(0, str(_ROOT / "src"))

import streammesh
from benchmarks.nexmark.generator import Batch, NexmarkGenerator
from streammesh.sdk.mesh import Mesh

__all__ = ["CONTRACTS_DIR", "PRODUCTS", "TEAM", "LoadReport", "load_events", "loaded_events", "main", "prepare_mesh"]

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
TEAM = "@nexmark-team"
PRODUCTS = {"persons": "nexmark.person", "auctions": "nexmark.auction", "bids": "nexmark.bid"}


class LoadReport:
    """What one load did: events per kind and the wall-clock seconds spent generating and appending."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.counts = dict.fromkeys(PRODUCTS, 0)
        self.generate_s = 0.0
        self.load_s = 0.0

    @property
    def events(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        n = self.events
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in self.counts.items())
        return [
            f"events {self.start:,} .. {self.start + n - 1:,} ({kinds})",
            f"generated {n:,} events in {self.generate_s:.2f} s: {n / max(self.generate_s, 1e-9):,.0f} events/s",
            f"loaded    {n:,} events in {self.load_s:.2f} s: {n / max(self.load_s, 1e-9):,.0f} events/s "
            "(SDK producers: validate, Avro-encode, partition, append)",
        ]


def prepare_mesh(workspace: Path | str) -> Mesh:
    """Open (or create) the mesh, register the team and publish the three Nexmark products."""
    mesh = streammesh.connect(workspace)
    if mesh.store.get_team(TEAM) is None:
        mesh.add_team(TEAM, display_name="Nexmark benchmarks", domain="nexmark")
    for name in PRODUCTS.values():
        mesh.publish(CONTRACTS_DIR / f"{name}.yaml")
    return mesh


def loaded_events(mesh: Mesh) -> int:
    """Events already in the three products: where the next load continues the timeline."""
    return sum(mesh.stats(name)["events"] for name in PRODUCTS.values())


def load_events(mesh: Mesh, events: int, *, seed: int = 0, start: int = 0, batch_size: int = 50_000) -> LoadReport:
    """Generate events ``start .. start + events - 1`` and append them to the three products.

    Args:
        batch_size: events generated (then appended) at a time; bounds memory.
    """
    gen = NexmarkGenerator(seed)
    report = LoadReport(start)
    producers = {kind: mesh.producer(name, linger=batch_size) for kind, name in PRODUCTS.items()}
    try:
        for lo in range(start, start + events, batch_size):
            t0 = time.perf_counter()
            batch: Batch = gen.events(lo, min(batch_size, start + events - lo))
            t1 = time.perf_counter()
            for kind, producer in producers.items():
                values: list[dict[str, Any]] = getattr(batch, kind)
                if values:
                    report.counts[kind] += producer.send_many(values)
            report.generate_s += t1 - t0
            report.load_s += time.perf_counter() - t1
    finally:
        for producer in producers.values():
            producer.close()
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", required=True, type=Path, help="the mesh's folder (created when missing)")
    parser.add_argument("--events", required=True, type=int, help="how many events to append")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument(
        "--start", type=int, default=None, help="first event id (default: continue after the events already loaded)"
    )
    parser.add_argument("--batch", type=int, default=50_000, help="events generated and appended at a time")
    args = parser.parse_args(argv)
    if args.events < 0 or args.batch < 1:
        parser.error("--events must be >= 0 and --batch >= 1")
    with prepare_mesh(args.workspace) as mesh:
        start = loaded_events(mesh) if args.start is None else args.start
        report = load_events(mesh, args.events, seed=args.seed, start=start, batch_size=args.batch)
        print(f"mesh {args.workspace} (seed {args.seed})")
        for line in report.lines():
            print(line)


if __name__ == "__main__":
    main()
