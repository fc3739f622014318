"""``streammesh demo``: build the sample retail organisation, keep its generators running, serve it."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from streammesh.catalog.producer import Producer
from streammesh.demo.generators import DemoEvent, DemoGenerator
from streammesh.demo.organisation import TEAMS, load_demo_contracts
from streammesh.exceptions import ConflictError, ValidationError
from streammesh.sdk.mesh import Mesh, init

__all__ = ["MARKER", "SAMPLE_OWNER", "GeneratorLoop", "create_demo", "deploy_samples", "stop_apps", "write_events"]

MARKER = ".streammesh-demo"
#: owns the sample derived products whose sample names no owner
SAMPLE_OWNER = "@analytics-team"


def _fresh_workspace(workspace: Path) -> None:
    """Start from an empty folder, wiping only a folder an earlier demo made."""
    if workspace.exists() and any(workspace.iterdir()):
        if not (workspace / MARKER).exists():
            raise ValidationError(
                f"{workspace} exists and is not a demo workspace; the demo will not touch it",
                hint="pick another folder with --workspace",
            )
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / MARKER).write_text("created by 'streammesh demo'; safe to delete\n")


def write_events(mesh: Mesh, events: Iterable[DemoEvent]) -> int:
    """Append demo events through one producer per product (each batches up to 10,000); returns how many.

    The events are streamed, never held all at once: the backlog is ~110,000 of them, and a process that once
    held them all keeps that memory for good (the demo's server writes the backlog).
    """
    count = 0
    with ExitStack() as stack:
        producers: dict[str, Producer] = {}
        for e in events:
            producer = producers.get(e.product)
            if producer is None:
                producer = producers[e.product] = stack.enter_context(mesh.producer(e.product, linger=10_000))
            producer.send(e.key, e.value, timestamp=e.timestamp_ms)
            count += 1
    return count


def create_demo(
    workspace: Path, *, seed: int = 7, progress: Callable[[str], None] = lambda _: None, backlog: bool = True
) -> DemoGenerator:
    """Create the sample organisation in a fresh ``workspace``: teams, products, a backlog of events
    (``backlog=False``: the caller writes ``generator.initial_events()`` later, e.g. once its server answers)."""
    _fresh_workspace(workspace)
    with init(workspace) as mesh:
        for team in TEAMS:
            try:
                mesh.add_team(
                    team.name,
                    display_name=team.display_name,
                    domain=team.domain,
                    on_call=team.on_call,
                    channel=team.channel,
                )
            except ConflictError:
                pass
        contracts = load_demo_contracts()
        for contract in contracts:
            mesh.publish(contract)
        progress(f"published {len(contracts)} data products for {len(TEAMS)} teams")
        generator = DemoGenerator(seed=seed)
        if backlog:
            count = write_events(mesh, generator.initial_events())
            progress(f"wrote a backlog of {count:,} events")
    return generator


def sample_app_name(product: str) -> str:
    """``analytics.revenue_by_category`` runs as app ``revenue-by-category``."""
    return product.rsplit(".", 1)[-1].replace("_", "-")


def deploy_samples(
    workspace: Path, *, progress: Callable[[str], None] = lambda _: None, wait: float = 30.0, worker: str = "main"
) -> list[str]:
    """Deploy every sample derived product (``processing/sql/samples.py``) as its own app, all hosted by one
    worker process, so the demo's mesh has live derived products and lineage at the memory cost of one
    process. Returns the apps that run; one that fails is reported through ``progress`` and does not stop
    the demo (nor the other apps: its worker retries it with backoff)."""
    from streammesh.processing.apps import ACTIVE, deploy, start, status, worker_pid
    from streammesh.processing.sql.samples import SAMPLES

    names: list[str] = []
    with Mesh(workspace) as mesh:
        for s in SAMPLES:
            name = sample_app_name(s.name)
            try:
                deploy(mesh, s.sql, name=name, owner=s.owner or SAMPLE_OWNER, start=False, worker=worker)
                start(mesh, name, wait=0, worker=worker)  # place them all, then wait for all at once
                names.append(name)
            except Exception as e:
                progress(f"could not deploy {s.name}: {getattr(e, 'message', e)}")
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(status(mesh, n).status == "starting" for n in names):
            time.sleep(0.2)
        running = []
        for n in names:
            app = status(mesh, n)
            if app.status in ACTIVE:
                running.append(n)
            else:
                progress(f"app {n} {app.status}: {app.error or 'no report'}")
        pid = worker_pid(mesh, worker)
    where = f"on worker {worker} (pid {pid})" if pid else f"(worker {worker} is not running)"
    progress(f"deployed {len(SAMPLES)} sample derived products; {len(running)} apps running {where}")
    return running


def stop_apps(workspace: Path) -> int:
    """Stop every app of the mesh that still runs (each finishes its batch and checkpoints); a worker left
    with nothing to host stops too."""
    from streammesh.processing.apps import ACTIVE, stop

    with Mesh(workspace) as mesh:
        apps = [a for a in mesh.store.list_apps() if a.status in ACTIVE or a.desired == "running"]
        for a in apps:
            stop(mesh, a.name)
    return len(apps)


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
        except BaseException as e:
            self.error = e

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


def wait_until(deadline: float | None) -> None:
    while deadline is None or time.monotonic() < deadline:
        time.sleep(0.5)
