"""A worker process hosting many deployed apps: ``python -m streammesh.processing.worker --workspace DIR
[--worker NAME]``.

A worker has a name (``main`` unless ``apps deploy --worker NAME`` picks another). About once a second it reads
its *assignment* from the metadata store: the apps placed on it (``App.worker``) that should run
(``App.desired == "running"``). It starts each newly assigned app as a :class:`HostedUnit` and stops the ones no
longer assigned, without touching the others. With nothing to host for :data:`IDLE_EXIT_S` it exits.

**Hosted units.** A unit is one isolated thing the worker runs: today an app (:class:`AppUnit`), later a sink or
a CDC capture (subclass :class:`HostedUnit`: ``launch`` its threads, say how to report). Each has its own
threads, state and checkpoints. A unit whose thread fails is stopped *alone* (the others keep running), shown
as ``failed`` with its error, and launched again after an exponential backoff (:class:`Backoff`: 1 s doubling
to 60 s, back to 1 s after a minute of healthy running); its restart count and next retry are in its metrics.

**Apps.** One :class:`~streammesh.processing.runtime.Processor` per CREATE statement, each in its own thread with
its own context (the log and store handles stay per thread). A processor that fails stops its whole app: the
app's outputs are exactly-once only while all of its statements are consistent, so limping on would hide the
problem. On Kafka instance ``k`` of an app runs on worker ``<worker>-k`` (``k > 0``) as a
:class:`~streammesh.processing.runtime.partitioned.PartitionedRunner` per statement: the instances join the
statement's consumer group, each writes its metrics to ``apps/<app>/instances/<k>.json`` and reports the sum
over the live instances to the store.

SIGTERM stops every unit gracefully (each processor finishes its batch and checkpoints); the apps keep
``desired == "running"``, so the next start of the worker resumes them.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import sys
import threading
import time
import traceback
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, ClassVar

from streammesh.context import MeshContext
from streammesh.processing.apps.control import (
    DEFAULT_WORKER,
    assignment,
    check_worker_name,
    state_dir,
    worker_names,
    worker_pid_file,
    workers_dir,
)
from streammesh.processing.runtime.processor import SUMMED_METRICS

__all__ = ["AppUnit", "Backoff", "HostedUnit", "ProcessorThread", "main", "run_worker", "summarise"]

METRICS_INTERVAL_S = 1.0
#: how often the worker reads its assignment from the store
POLL_S = 1.0
#: how often units are supervised (a unit that became ready shows as running this fast)
TICK_S = 0.2
#: a worker with nothing assigned for this long exits
IDLE_EXIT_S = 10.0
#: a unit's threads get this long to stop before it is reported stuck
STOP_TIMEOUT_S = 60.0
#: how long a Kafka group waits for a silent instance before handing its partitions on (env override)
SESSION_TIMEOUT_ENV = "STREAMMESH_APP_SESSION_TIMEOUT_MS"
DEFAULT_SESSION_TIMEOUT_MS = 6_000
SNAPSHOT_INTERVAL_S = 0.5


def _log(message: str) -> None:
    print(f"{datetime.now(UTC).isoformat(timespec='seconds')} {message}", flush=True)


class ProcessorThread(threading.Thread):
    """Runs one statement's processor until ``stop`` is set; keeps the error that ended it, if any."""

    def __init__(self, context: MeshContext, query: Any, *, app: str, state_dir: Path, stop: threading.Event) -> None:
        super().__init__(name=f"processor-{query.name}", daemon=True)
        self.context = context
        self.query = query
        self.app = app
        self.state_dir = state_dir
        self.stop = stop
        self.processor: Any = None
        self.ready = threading.Event()  # the processor exists: its state and offsets are restored
        self.error: str | None = None
        self._metrics: dict[str, Any] = {}
        self._snapshot_at = 0.0

    @property
    def product(self) -> str:
        return str(self.query.name)

    def run(self) -> None:
        from streammesh.processing.runtime import Processor
        from streammesh.processing.runtime.partitioned import PartitionedRunner, partitioned_mode

        ctx = self.context
        handles = ctx.fork()
        try:
            with handles:
                if partitioned_mode(handles):
                    timeout = int(os.environ.get(SESSION_TIMEOUT_ENV, DEFAULT_SESSION_TIMEOUT_MS))
                    self.processor = PartitionedRunner(
                        handles, self.query, app=self.app, state_dir=self.state_dir, session_timeout_ms=timeout
                    )
                else:
                    self.processor = Processor(handles, self.query, app=self.app, state_dir=self.state_dir)
                self._snapshot()
                self.ready.set()
                try:
                    self.processor.run(self.stop, on_step=lambda _stats: self._snapshot(throttle=True))
                finally:
                    self._snapshot()
                    self.processor.close()
        except BaseException as e:
            self.error = f"{self.product}: {type(e).__name__}: {e}"
            _log(f"app {self.app}: {self.product} failed\n{traceback.format_exc().rstrip()}")
        finally:
            self.ready.set()

    def _snapshot(self, *, throttle: bool = False) -> None:
        # taken here, between batches, because the processor's readers belong to this thread
        now = time.monotonic()
        if throttle and now - self._snapshot_at < SNAPSHOT_INTERVAL_S:
            return
        self._snapshot_at = now
        self._metrics = dict(self.processor.metrics())

    def metrics(self) -> dict[str, Any]:
        """The latest metrics snapshot (counters, events/s, lag, last checkpoint)."""
        return self._metrics


@dataclass(slots=True)
class Backoff:
    """How long a failed unit waits before its next launch: ``first_s`` doubling to ``cap_s``; a unit that ran
    healthily for ``healthy_after_s`` before failing starts again from ``first_s`` (a rare crash is not
    punished like a crash loop)."""

    first_s: float = 1.0
    cap_s: float = 60.0
    healthy_after_s: float = 60.0
    failures: int = 0  # consecutive ones

    def next_delay(self, ran_for: float) -> float:
        if ran_for >= self.healthy_after_s:
            self.failures = 0
        delay = min(self.cap_s, self.first_s * 2**self.failures)
        self.failures += 1
        return delay


class HostedUnit(ABC):
    """One isolated thing a worker hosts (an app; later a sink or a CDC capture): its threads, its failures
    and restarts are its own.

    The worker calls :meth:`tick` every :data:`TICK_S`; the unit moves through ``idle → starting → running``,
    on a thread's error ``→ failing`` (its other threads stop) ``→ waiting`` (for the backoff) ``→ starting``,
    and on :meth:`request_stop` ``→ stopping → stopped``. Subclasses start their threads in :meth:`launch` and
    say what to report in the ``on_*`` hooks (each called on the worker's main thread).
    """

    kind: ClassVar[str] = "unit"

    def __init__(self, name: str, *, backoff: Backoff | None = None) -> None:
        self.name = name
        self.backoff = backoff or Backoff()
        self.state = "idle"
        self.error: str | None = None
        self.restarts = 0
        self.retry_in: float | None = None
        self.next_retry_at: datetime | None = None
        self._threads: list[Any] = []
        self._stop = threading.Event()
        self._launched_at = 0.0
        self._since = 0.0  # when the current state began (failing, stopping)
        self._retry_at = 0.0
        self._reported_at = 0.0

    # -- what a kind of unit provides ---------------------------------------------------------------
    @abstractmethod
    def launch(self, stop: threading.Event) -> list[Any]:
        """Start the unit's threads (each with ``ready``, ``error`` and ``is_alive()``); raise if it cannot."""

    @abstractmethod
    def on_running(self) -> None:
        """Every thread is ready."""

    @abstractmethod
    def on_metrics(self) -> None:
        """About once a second while running."""

    @abstractmethod
    def on_failed(self, error: str) -> None:
        """The unit failed and waits ``self.retry_in`` seconds for its next launch."""

    @abstractmethod
    def on_stopped(self, error: str | None) -> None:
        """The unit stopped (``error``: why it could not stop cleanly)."""

    # -- supervision -------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.state == "stopped"

    @property
    def stopping(self) -> bool:
        return self.state in ("stopping", "stopped")

    def request_stop(self, now: float | None = None) -> None:
        """Stop the unit's threads after their current batch (a unit waiting for a retry stops at once)."""
        if self.stopping:
            return
        self._stop.set()
        if self.state in ("idle", "waiting") or not self._alive():
            self.state = "stopped"
            self._call(self.on_stopped, None)
            return
        self.state, self._since = "stopping", time.monotonic() if now is None else now

    def tick(self, now: float) -> None:
        """Advance the unit's state machine (never raises: a unit's trouble stays the unit's)."""
        try:
            self._tick(now)
        except Exception as e:  # a bug in a hook must not take the worker down
            _log(f"{self.kind} {self.name}: supervision error: {type(e).__name__}: {e}")

    def _tick(self, now: float) -> None:
        if self.state == "idle" or (self.state == "waiting" and now >= self._retry_at):
            self._launch(now)
        elif self.state == "starting":
            if error := self._thread_error():
                self._fail(now, error)
            elif all(t.ready.is_set() for t in self._threads):
                self.state, self.error = "running", None
                self._call(self.on_running)
        elif self.state == "running":
            error = self._thread_error() or (None if self._alive() else "its threads ended without an error")
            if error:
                self._fail(now, error)
            elif now - self._reported_at >= METRICS_INTERVAL_S:
                self._reported_at = now
                self._call(self.on_metrics)
        elif self.state == "failing":
            if not self._alive() or now - self._since > STOP_TIMEOUT_S:
                self.retry_in = self.backoff.next_delay(self._since - self._launched_at)
                self._retry_at = now + self.retry_in
                self.next_retry_at = datetime.now(UTC) + timedelta(seconds=self.retry_in)
                self.state = "waiting"
                _log(f"{self.kind} {self.name} failed: {self.error}; next attempt in {self.retry_in:.0f} s")
                self._call(self.on_failed, self.error or "failed")
        elif self.state == "stopping":
            stuck = [t.name for t in self._threads if t.is_alive()]
            if not stuck or now - self._since > STOP_TIMEOUT_S:
                self.state = "stopped"
                message = f"did not stop within {STOP_TIMEOUT_S:.0f} s: {', '.join(stuck)}" if stuck else None
                self._call(self.on_stopped, message)

    def _launch(self, now: float) -> None:
        if self.state == "waiting":
            self.restarts += 1
        self._stop = threading.Event()
        self._launched_at, self.state = now, "starting"
        self.retry_in = self.next_retry_at = None
        try:
            self._threads = self.launch(self._stop)
        except Exception as e:
            self._threads = []
            self._fail(now, getattr(e, "message", None) or f"{type(e).__name__}: {e}")

    def _fail(self, now: float, error: str) -> None:
        self._stop.set()
        self.state, self.error, self._since = "failing", error, now

    def _thread_error(self) -> str | None:
        return next((t.error for t in self._threads if t.error), None)

    def _alive(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def _call(self, hook: Any, *args: Any) -> None:
        try:
            hook(*args)
        except Exception as e:
            _log(f"{self.kind} {self.name}: could not report: {type(e).__name__}: {e}")


class AppUnit(HostedUnit):
    """A deployed app (instance ``instance`` of it) hosted by worker ``worker``: one processor thread per
    statement, compiled again at each launch so it runs against the catalog as it is."""

    kind = "app"

    def __init__(self, context: MeshContext, app: str, *, instance: int = 0, worker: str = DEFAULT_WORKER) -> None:
        super().__init__(app)
        from streammesh.processing.runtime.partitioned import guarantee, partitioned_mode

        self.context = context
        self.instance = instance
        self.worker = worker
        self.shared = partitioned_mode(context)  # Kafka: instances merge their metrics through files
        self.guarantee = guarantee(context)
        self._threads: list[ProcessorThread] = []

    def launch(self, stop: threading.Event) -> list[Any]:
        from streammesh.processing.apps import plan_app

        app = self.context.store.get_app(self.name)
        if app is None:
            raise LookupError(f"app {self.name!r} is no longer deployed")
        try:
            planned = plan_app(self.context, app.sql, owner=app.owner, app=self.name)
        except Exception as e:
            raise RuntimeError(f"the app no longer compiles: {getattr(e, 'message', e)}") from e
        root = state_dir(self.context, self.name)
        threads = [
            ProcessorThread(self.context.fork(), p.query, app=self.name, state_dir=root / p.name, stop=stop)
            for p in planned
        ]
        for t in threads:
            t.start()
        return threads

    def _where(self) -> dict[str, Any]:
        """Where it runs and how it fares, added to its metrics."""
        extra: dict[str, Any] = {"worker": self.worker, "worker_pid": os.getpid(), "restarts": self.restarts}
        if self.retry_in is not None and self.next_retry_at is not None:
            extra["retry_in_s"] = self.retry_in
            extra["next_retry_at"] = self.next_retry_at.isoformat(timespec="seconds")
        return extra

    def _report(self, **changes: Any) -> None:
        _report(
            self.context.store,
            self.name,
            self._threads,
            workspace=self.context.workspace if self.shared else None,
            instance=self.instance,
            guarantee=self.guarantee,
            extra=self._where(),
            **changes,
        )

    def on_running(self) -> None:
        mine = {"pid": os.getpid()} if self.instance == 0 else {}
        self._report(status="running", error="", **mine)
        products = ", ".join(t.product for t in self._threads)
        _log(
            f"app {self.name} running: {products} (worker {self.worker}, pid {os.getpid()}, instance "
            f"{self.instance}; {self.guarantee})"
        )

    def on_metrics(self) -> None:
        self._report()

    def on_failed(self, error: str) -> None:
        # the pid stays: the app is still hosted here, waiting for its next attempt
        self._report(status="failed", error=error, **({"pid": os.getpid()} if self.instance == 0 else {}))

    def on_stopped(self, error: str | None) -> None:
        if self.shared:
            _instance_file(self.context.workspace, self.name, self.instance).unlink(missing_ok=True)
        app = self.context.store.get_app(self.name)
        if app is None:
            _log(f"app {self.name} stopped and deleted")
            return
        if app.desired == "running" and self.worker not in worker_names(app):
            _log(f"app {self.name} stopped here: it moved to worker {app.worker}")
            return  # the new worker reports it
        mine = {"status": "stopped", "pid": 0} if self.instance == 0 or not self.shared else {}
        self._report(**mine, **({"error": error} if error else {}))
        _log(f"app {self.name} stopped" + (f": {error}" if error else ""))


def summarise(per_product: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """App-level metrics: counters, throughput and lag summed over its products, plus each product's own."""
    total: dict[str, Any] = dict.fromkeys(SUMMED_METRICS, 0)
    checkpoints = []
    for m in per_product.values():
        for k in SUMMED_METRICS:
            v = m.get(k)
            if isinstance(v, int | float):
                total[k] += v
        if m.get("last_checkpoint") is not None:
            checkpoints.append(m["last_checkpoint"])
    total["events_per_s"] = round(float(total["events_per_s"]), 1)
    total["last_checkpoint"] = max(checkpoints, default=None, key=str)
    total["reported_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    total["products"] = {name: _jsonable(m) for name, m in per_product.items()}
    return total


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _instance_file(workspace: Path, name: str, instance: int) -> Path:
    return workspace / "apps" / name / "instances" / f"{instance}.json"


def _merged(
    workspace: Path, name: str, instance: int, mine: dict[str, dict[str, Any]], guarantee: str
) -> dict[str, Any]:
    """This instance's metrics, written to its file, summed with the other live instances' files."""
    import orjson

    path = _instance_file(workspace, name, instance)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps({"pid": os.getpid(), "at": time.time(), "products": _jsonable(mine)}))
    os.replace(tmp, path)
    instances: dict[str, Any] = {}
    per_product: dict[str, dict[str, Any]] = {}
    for f in sorted(path.parent.glob("*.json")):
        try:
            data = orjson.loads(f.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue
        if time.time() - data.get("at", 0) > 10 * METRICS_INTERVAL_S:
            continue  # a dead instance's last words
        instances[f.stem] = {
            "pid": data.get("pid"),
            "partitions": {p: m.get("partitions") for p, m in data.get("products", {}).items()},
        }
        for product, m in data.get("products", {}).items():
            into = per_product.setdefault(product, {})
            for k, v in m.items():
                if k in SUMMED_METRICS and isinstance(v, int | float):
                    into[k] = into.get(k, 0) + v
                elif k == "last_checkpoint" and v is not None:
                    into[k] = max(into.get(k) or "", v)
                elif k in ("partitions", "tasks"):
                    into[k] = sorted({*into.get(k, []), *(v or [])}, key=str)
                else:
                    into.setdefault(k, v)
    total = summarise(per_product)
    total["instances"] = instances
    total["guarantee"] = _in_force(per_product, guarantee)
    return total


def _in_force(per_product: dict[str, dict[str, Any]], aimed: str) -> str:
    """The guarantee the products' runners report (the weaker, when some fell back to idempotent output
    because the cluster refused transactions), else the mesh's aim."""
    from streammesh.processing.runtime.partitioned import GUARANTEES

    reported = {m["guarantee"] for m in per_product.values() if m.get("guarantee")}
    if GUARANTEES["partitioned"] in reported:
        return GUARANTEES["partitioned"]
    return next(iter(reported), aimed)


def _report(
    store: Any,
    name: str,
    threads: list[ProcessorThread],
    *,
    workspace: Path | None = None,
    instance: int = 0,
    guarantee: str = "",
    extra: dict[str, Any] | None = None,
    **changes: Any,
) -> None:
    try:
        mine = {t.product: t.metrics() for t in threads}
        metrics = (
            _merged(workspace, name, instance, mine, guarantee)
            if workspace is not None
            else {**summarise(mine), "guarantee": _in_force(mine, guarantee)}
        )
        store.update_app(name, metrics={**metrics, **(extra or {})}, **changes)
    except Exception as e:
        _log(f"app {name}: could not report: {type(e).__name__}: {e}")


def _claim(workspace: Path, worker: str) -> IO[str] | None:
    """Hold the worker's lock for the life of the process; None when another process holds it (one worker of a
    name per workspace, however many ``apps deploy`` raced to start it)."""
    folder = workers_dir(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    handle = (folder / f"{worker}.lock").open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def run_worker(workspace: Path, name: str, stop: threading.Event) -> int:
    """Host the apps assigned to worker ``name`` until ``stop`` is set or nothing is assigned for a while;
    returns the process exit code."""
    check_worker_name(name)
    lock = _claim(workspace, name)
    if lock is None:
        _log(f"worker {name} already runs in {workspace}; this one ({os.getpid()}) exits")
        return 0
    pid_file = worker_pid_file(workspace, name)
    try:
        pid_file.write_text(str(os.getpid()))
        with MeshContext(workspace) as ctx:
            _log(f"worker {name} started (pid {os.getpid()})")
            _supervise(ctx, name, stop)
    finally:
        try:
            if pid_file.read_text().strip() == str(os.getpid()):
                pid_file.unlink()
        except OSError:
            pass
        lock.close()
    _log(f"worker {name} stopped")
    return 0


def _supervise(ctx: MeshContext, name: str, stop: threading.Event) -> None:
    units: dict[tuple[str, int], AppUnit] = {}
    wanted: dict[str, int] = {}
    next_poll = 0.0
    busy_at = time.monotonic()
    while not stop.is_set():
        now = time.monotonic()
        if now >= next_poll:
            next_poll = now + POLL_S
            try:
                wanted = assignment(ctx.store.list_apps(), name)
            except Exception as e:  # the store is away for a moment: keep running what runs
                _log(f"worker {name}: could not read its assignment: {type(e).__name__}: {e}")
            else:
                _reconcile(ctx, name, units, wanted, now)
        for unit in units.values():
            unit.tick(now)
        for key in [k for k, u in units.items() if u.done]:
            del units[key]
        if units or wanted:
            busy_at = now
        elif now - busy_at > IDLE_EXIT_S:
            _log(f"worker {name}: nothing to host for {IDLE_EXIT_S:.0f} s")
            break
        stop.wait(TICK_S)
    deadline = time.monotonic() + STOP_TIMEOUT_S + 5
    for unit in units.values():
        unit.request_stop()
    while units and time.monotonic() < deadline:
        now = time.monotonic()
        for key, unit in list(units.items()):
            unit.tick(now)
            if unit.done:
                del units[key]
        time.sleep(0.05)


def _reconcile(
    ctx: MeshContext, name: str, units: dict[tuple[str, int], AppUnit], wanted: dict[str, int], now: float
) -> None:
    """Stop the units no longer assigned; start the newly assigned ones (once an earlier unit of the same app
    has let go of its state)."""
    for (app, instance), unit in units.items():
        if wanted.get(app) != instance:
            unit.request_stop(now)
    for app, instance in wanted.items():
        if (app, instance) in units or any(a == app for a, _ in units):
            continue
        units[(app, instance)] = AppUnit(ctx, app, instance=instance, worker=name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m streammesh.processing.worker",
        description="Host the streaming-SQL apps placed on a worker (started by 'apps deploy').",
    )
    parser.add_argument("--workspace", required=True, type=Path, help="the mesh's folder")
    parser.add_argument("--worker", default=DEFAULT_WORKER, help=f"the worker's name (default {DEFAULT_WORKER})")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        return run_worker(args.workspace, args.worker, stop)
    except Exception:
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
