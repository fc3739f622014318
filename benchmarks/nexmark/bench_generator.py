"""How fast the Nexmark generator makes events on one core (it must not limit the query benchmarks).

Usage::

    .venv/bin/python benchmarks/nexmark/bench_generator.py [--events 1000000] [--batch 50000] [--repeat 3]

Times ``NexmarkGenerator.events(start, batch)`` over consecutive batches in CPU time
(``time.process_time``, so a busy machine does not skew it) and prints the best of ``--repeat``
runs in events/s, overall and per kind. The first run includes building the seed's text pools and
numbered channels (one-off costs of a few tens of milliseconds), the later ones do not.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Sequence
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # run as a script: make `benchmarks.nexmark` importable
    sys.path.insert(0, str(_ROOT))

from benchmarks.nexmark.generator import NexmarkGenerator

__all__ = ["main", "measure"]


def measure(events: int, *, batch: int = 50_000, seed: int = 0, repeat: int = 3) -> tuple[float, list[float]]:
    """(events/s of the best run, CPU seconds of every run) for generating ``events`` events."""
    gen = NexmarkGenerator(seed)
    runs = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.process_time()
        for lo in range(0, events, batch):
            gen.events(lo, min(batch, events - lo))  # dropped at once, as a loader would after appending
        runs.append(time.process_time() - t0)
    return events / min(runs), runs


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000, help="events per events() call")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    args = parser.parse_args(argv)
    rate, runs = measure(args.events, batch=args.batch, seed=args.seed, repeat=args.repeat)
    print(
        f"generated {args.events:,} events (1:3:46) per run, batches of {args.batch:,}: "
        f"best {rate:,.0f} events/s on one core (CPU s per run: {', '.join(f'{r:.2f}' for r in runs)})"
    )


if __name__ == "__main__":
    main()
