"""The process that runs one deployed app: ``python -m streammesh.processing.worker --workspace DIR --app NAME``.

One :class:`~streammesh.processing.runtime.Processor` per CREATE statement, each in its own thread with its
own mesh connection (the log and store handles stay per thread). The main thread publishes the app's
metrics to the metadata store about once a second, so ``apps list`` in another process sees lag and
throughput, and turns SIGTERM into a graceful stop: every processor finishes its batch and checkpoints.
A processor that fails stops the whole app (status ``failed`` with the error): its outputs are
exactly-once only while every statement of the app is consistent, so limping on would hide the problem.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["ProcessorThread", "main", "summarise"]

METRICS_INTERVAL_S = 1.0
SNAPSHOT_INTERVAL_S = 0.5
_SUMMED = ("processed", "emitted", "late", "errors", "events_per_s", "lag")


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
            from streammesh.sdk.mesh import Mesh

            with Mesh(self.workspace) as mesh:
                self.processor = Processor(mesh, self.query, app=self.app, state_dir=self.state_dir)
                self._snapshot()
                self.ready.set()
                try:
                    self.processor.run(self.stop, on_step=lambda _stats: self._snapshot(throttle=True))
                finally:
                    self._snapshot()
                    self.processor.close()
        except BaseException as e:  # noqa: BLE001 - reported through the app record
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
    total: dict[str, Any] = {k: 0 for k in _SUMMED}
    checkpoints = []
    for m in per_product.values():
        for k in _SUMMED:
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


def _report(store: Any, name: str, threads: list[ProcessorThread], **changes: Any) -> None:
    try:
        store.update_app(name, metrics=summarise({t.product: t.metrics() for t in threads}), **changes)
    except Exception as e:  # noqa: BLE001 - a busy catalog must not stop the processing
        _log(f"could not report metrics: {type(e).__name__}: {e}")


def run_app(workspace: Path, name: str, stop: threading.Event) -> int:
    """Run app ``name`` until ``stop`` is set or a processor fails; returns the process exit code."""
    import os

    from streammesh.processing.apps import plan_app, state_dir
    from streammesh.sdk.mesh import Mesh

    with Mesh(workspace) as mesh:
        app = mesh.store.get_app(name)
        if app is None:
            _log(f"no app named {name!r} in {workspace}")
            return 2
        try:
            planned = plan_app(mesh, app.sql, owner=app.owner, app=name)
        except Exception as e:  # noqa: BLE001 - e.g. an input product was retired since the deploy
            message = f"the app no longer compiles: {e}"
            _log(message)
            mesh.store.update_app(name, status="failed", error=message, pid=0)
            return 1
        root = state_dir(mesh, name)
        threads = [ProcessorThread(workspace, p.query, app=name, state_dir=root / p.name, stop=stop)
                   for p in planned]
        for t in threads:
            t.start()
        mesh.store.update_app(name, pid=os.getpid())
        # report "running" only once every processor has restored its state, so a broken start shows as failed
        while not stop.is_set() and not all(t.ready.wait(0.1) or not t.is_alive() for t in threads):
            pass
        failed: str | None = next((t.error for t in threads if t.error), None)
        if not failed and not stop.is_set():
            mesh.store.update_app(name, status="running", error="")
            _log(f"app {name} running: {', '.join(t.product for t in threads)} (pid {os.getpid()})")
        while not failed and not stop.wait(METRICS_INTERVAL_S):
            failed = next((t.error for t in threads if t.error), None)
            if failed or not any(t.is_alive() for t in threads):
                break
            _report(mesh.store, name, threads)
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
            _report(mesh.store, name, threads, status="failed", error=failed, pid=0)
            return 1
        _report(mesh.store, name, threads, status="stopped", pid=0)
        _log(f"app {name} stopped")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streammesh.processing.worker",
                                     description="Run one deployed streaming-SQL app (started by 'apps deploy').")
    parser.add_argument("--workspace", required=True, type=Path, help="the mesh's folder")
    parser.add_argument("--app", required=True, help="the app's name")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        return run_app(args.workspace, args.app, stop)
    except Exception:  # noqa: BLE001 - the log is where an operator looks
        traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
