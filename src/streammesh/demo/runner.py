"""``streammesh demo``: build the sample retail organisation, keep its generators running, serve it."""

from __future__ import annotations

import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from streammesh.demo.generators import DemoEvent, DemoGenerator
from streammesh.demo.organisation import TEAMS, load_demo_contracts
from streammesh.exceptions import ConflictError, ValidationError
from streammesh.sdk.mesh import Mesh, init

__all__ = ["create_demo", "write_events", "GeneratorLoop", "MARKER"]

MARKER = ".streammesh-demo"


def _fresh_workspace(workspace: Path) -> None:
    """Start from an empty folder, wiping only a folder an earlier demo made."""
    if workspace.exists() and any(workspace.iterdir()):
        if not (workspace / MARKER).exists():
            raise ValidationError(f"{workspace} exists and is not a demo workspace; the demo will not touch it",
                                  hint="pick another folder with --workspace")
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / MARKER).write_text("created by 'streammesh demo'; safe to delete\n")


def write_events(mesh: Mesh, events: Iterable[DemoEvent]) -> int:
    """Append demo events, batched per product; returns how many."""
    by_product: dict[str, list[DemoEvent]] = defaultdict(list)
    for e in events:
        by_product[e.product].append(e)
    count = 0
    for name, batch in by_product.items():
        with mesh.producer(name, linger=10_000) as producer:
            for e in batch:
                producer.send(e.key, e.value, timestamp=e.timestamp_ms)
        count += len(batch)
    return count


def create_demo(workspace: Path, *, seed: int = 7, progress: Callable[[str], None] = lambda _: None) -> DemoGenerator:
    """Create the sample organisation in a fresh ``workspace``: teams, products, a backlog of events."""
    _fresh_workspace(workspace)
    with init(workspace) as mesh:
        for team in TEAMS:
            try:
                mesh.add_team(team.name, display_name=team.display_name, domain=team.domain,
                              on_call=team.on_call, channel=team.channel)
            except ConflictError:
                pass
        contracts = load_demo_contracts()
        for contract in contracts:
            mesh.publish(contract)
        progress(f"published {len(contracts)} data products for {len(TEAMS)} teams")
        generator = DemoGenerator(seed=seed)
        count = write_events(mesh, generator.initial_events())
        progress(f"wrote a backlog of {count:,} events")
    return generator


class GeneratorLoop(threading.Thread):
    """Keeps the sample products live: every ``interval`` seconds, appends what happened meanwhile."""

    def __init__(self, workspace: Path, generator: DemoGenerator, *, interval: float = 1.0) -> None:
        super().__init__(name="streammesh-demo-generators", daemon=True)
        self.workspace = workspace
        self.generator = generator
        self.interval = interval
        self.stopped = threading.Event()
        self.written = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with Mesh(self.workspace) as mesh:
                while not self.stopped.wait(self.interval):
                    self.written += write_events(mesh, self.generator.tick(datetime.now(UTC), self.interval))
        except BaseException as e:  # noqa: BLE001 - reported by the caller, the server keeps serving
            self.error = e

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


def wait_until(deadline: float | None) -> None:
    while deadline is None or time.monotonic() < deadline:
        time.sleep(0.5)
