"""The process that runs one deployed app: ``python -m streammesh.processing.worker --workspace DIR --app NAME
[--instance K]``.

On the embedded log an app is one process running one exactly-once processor per statement. On Kafka each of
the app's instances (``apps deploy --instances N`` starts N of these processes) runs a
:class:`~streammesh.processing.runtime.partitioned.PartitionedRunner` per statement: the instances join the
statement's consumer group and each runs the partition tasks it is assigned. Every instance writes its own
metrics to ``apps/<app>/instances/<K>.json`` and reports the sum over the live instances to the store.

One :class:`~streammesh.processing.runtime.Processor` per CREATE statement, each in its own thread with its
own mesh connection (the log and store handles stay per thread). The main thread publishes the app's
metrics to the metadata store about once a second, so ``apps list`` in another process sees lag and
throughput, and turns SIGTERM into a graceful stop: every processor finishes its batch and checkpoints.
A processor that fails stops the whole app (status ``failed`` with the error): its outputs are
exactly-once only while every statement of the app is consistent, so limping on would hide the problem.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streammesh.processing.runtime.processor import SUMMED_METRICS

__all__ = ["ProcessorThread", "main", "summarise"]

METRICS_INTERVAL_S = 1.0
#: how long a Kafka group waits for a silent instance before handing its partitions on (env override)
SESSION_TIMEOUT_ENV = "STREAMMESH_APP_SESSION_TIMEOUT_MS"
DEFAULT_SESSION_TIMEOUT_MS = 6_000
SNAPSHOT_INTERVAL_S = 0.5


def _log(message: str) -> None:
    print(f"{datetime.now(UTC).isoformat(timespec='seconds')} {message}", flush=True)


class ProcessorThread(threading.Thread):
    """Runs one statement's processor until ``stop`` is set; keeps the error that ended it, if any."""

    def __init__(self, workspace: Path, query: Any, *, app: str, state_dir: Path, stop: threading.Event) -> None:
        super().__init__(name=f"processor-{query.name}", daemon=True)
        self.workspace = workspace
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
        try:
            from streammesh.processing.runtime import Processor
            from streammesh.processing.runtime.partitioned import PartitionedRunner, partitioned_mode
            from streammesh.sdk.mesh import Mesh

            with Mesh(self.workspace) as mesh:
                if partitioned_mode(mesh):
                    timeout = int(os.environ.get(SESSION_TIMEOUT_ENV, DEFAULT_SESSION_TIMEOUT_MS))
                    self.processor = PartitionedRunner(
                        mesh, self.query, app=self.app, state_dir=self.state_dir, session_timeout_ms=timeout
                    )
                else:
                    self.processor = Processor(mesh, self.query, app=self.app, state_dir=self.state_dir)
                self._snapshot()
                self.ready.set()
                try:
                    self.processor.run(self.stop, on_step=lambda _stats: self._snapshot(throttle=True))
                finally:
                    self._snapshot()
                    self.processor.close()
        except BaseException as e:
            self.error = f"{self.product}: {type(e).__name__}: {e}"
            traceback.print_exc()
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
    **changes: Any,
) -> None:
    try:
        mine = {t.product: t.metrics() for t in threads}
        metrics = (
            _merged(workspace, name, instance, mine, guarantee)
            if workspace is not None
            else {**summarise(mine), "guarantee": _in_force(mine, guarantee)}
        )
        store.update_app(name, metrics=metrics, **changes)
    except Exception as e:
        _log(f"could not report metrics: {type(e).__name__}: {e}")


def run_app(workspace: Path, name: str, stop: threading.Event, *, instance: int = 0) -> int:
    """Run app ``name`` (instance ``instance``) until ``stop`` is set or a processor fails; returns the process
    exit code."""
    from streammesh.processing.apps import plan_app, state_dir
    from streammesh.processing.runtime.partitioned import guarantee, partitioned_mode
    from streammesh.sdk.mesh import Mesh

    with Mesh(workspace) as mesh:
        app = mesh.store.get_app(name)
        if app is None:
            _log(f"no app named {name!r} in {workspace}")
            return 2
        try:
            planned = plan_app(mesh, app.sql, owner=app.owner, app=name)
        except Exception as e:
            message = f"the app no longer compiles: {e}"
            _log(message)
            mesh.store.update_app(name, status="failed", error=message, pid=0)
            return 1
        root = state_dir(mesh, name)
        threads = [ProcessorThread(workspace, p.query, app=name, state_dir=root / p.name, stop=stop) for p in planned]
        for t in threads:
            t.start()
        shared = partitioned_mode(mesh)
        promise = guarantee(mesh)
        report = {"workspace": workspace if shared else None, "instance": instance, "guarantee": promise}
        if instance == 0:
            mesh.store.update_app(name, pid=os.getpid())
        # report "running" only once every processor has restored its state, so a broken start shows as failed
        while not stop.is_set() and not all(t.ready.wait(0.1) or not t.is_alive() for t in threads):
            pass
        failed: str | None = next((t.error for t in threads if t.error), None)
        if not failed and not stop.is_set():
            mesh.store.update_app(name, status="running", error="")
            _log(
                f"app {name} running: {', '.join(t.product for t in threads)} (pid {os.getpid()}, instance "
                f"{instance}; {promise})"
            )
        while not failed and not stop.wait(METRICS_INTERVAL_S):
            failed = next((t.error for t in threads if t.error), None)
            if failed or not any(t.is_alive() for t in threads):
                break
            _report(mesh.store, name, threads, **report)
        stop.set()
        deadline = time.monotonic() + 60
        for t in threads:
            t.join(timeout=max(0.1, deadline - time.monotonic()))
        failed = failed or next((t.error for t in threads if t.error), None)
        stuck = [t.product for t in threads if t.is_alive()]
        if stuck and not failed:
            failed = f"processors did not stop within 60 s: {', '.join(stuck)}"
        if failed:
            _log(f"app {name} failed: {failed}")
            _report(mesh.store, name, threads, status="failed", error=failed, pid=0, **report)
            return 1
        if shared:
            _instance_file(workspace, name, instance).unlink(missing_ok=True)
        _report(
            mesh.store,
            name,
            threads,
            **report,
            **({"status": "stopped", "pid": 0} if instance == 0 or not shared else {}),
        )
        _log(f"app {name} stopped")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m streammesh.processing.worker",
        description="Run one deployed streaming-SQL app (started by 'apps deploy').",
    )
    parser.add_argument("--workspace", required=True, type=Path, help="the mesh's folder")
    parser.add_argument("--app", required=True, help="the app's name")
    parser.add_argument("--instance", type=int, default=0, help="which of the app's instances this is (Kafka)")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        return run_app(args.workspace, args.app, stop, instance=args.instance)
    except Exception:
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
