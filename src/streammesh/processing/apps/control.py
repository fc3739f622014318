"""Deploy streaming-SQL apps and run each as its own worker process.

A worker is a detached process (its own session, so Ctrl-C in the terminal that started it does not stop it)
that outlives the CLI command: the app record in the metadata store is the only link between the two. The
worker reports its status and metrics there; these functions start it, signal it, and notice when it died.

On Kafka an app may run as several instances (``instances``): one worker process each, which share the
app's partitions through consumer groups (see :mod:`streammesh.processing.runtime.partitioned`). Their pids
are kept in ``apps/<app>/instances.json``; the app record's ``pid`` is the first instance's. The app counts
as alive while any instance is. The embedded log runs an app as one instance.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from streammesh.exceptions import ConflictError, NotFoundError, ValidationError
from streammesh.governance import PolicyViolationError
from streammesh.model.catalog import App
from streammesh.processing.apps.plan import check_app_name, plan_app

if TYPE_CHECKING:
    from streammesh.sdk.mesh import Mesh

__all__ = [
    "ACTIVE",
    "app_dir",
    "check_instances",
    "deploy",
    "get_app",
    "instance_pids",
    "log_path",
    "pid_alive",
    "restart",
    "start",
    "state_dir",
    "status",
    "stop",
]

#: statuses in which a worker process should be alive.
ACTIVE = ("starting", "running", "stopping")
WORKER_MODULE = "streammesh.processing.worker"

# workers started by this process: only their Popen can tell a zombie child from a live one
_children: dict[int, subprocess.Popen[bytes]] = {}


def app_dir(mesh: Mesh, name: str) -> Path:
    return mesh.workspace / "apps" / name


def state_dir(mesh: Mesh, name: str) -> Path:
    """Where the app's processors keep their checkpointed state."""
    return app_dir(mesh, name) / "state"


def log_path(mesh: Mesh, name: str) -> Path:
    """The worker's stdout and stderr."""
    return mesh.workspace / "apps" / f"{name}.log"


def get_app(mesh: Mesh, name: str) -> App:
    """The stored app.

    Raises:
        NotFoundError: no such app; the hint lists the deployed ones.
    """
    app = mesh.store.get_app(name)
    if app is None:
        names = [a.name for a in mesh.store.list_apps()]
        raise NotFoundError(
            f"no app named {name!r}",
            hint=f"deployed apps: {', '.join(names)}" if names else "deploy one with 'streammesh apps deploy app.sql'",
        )
    return app


def pid_alive(pid: int | None, name: str | None = None) -> bool:
    """Is ``pid`` a live worker (of app ``name``)? Zombies and recycled pids do not count."""
    if not pid:
        return False
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process: the pid was recycled
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return True  # no procfs (macOS): trust kill(0)
    try:
        if ") Z" in (proc / "stat").read_text() or ") X" in (proc / "stat").read_text():
            return False
        cmdline = (proc / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if WORKER_MODULE.encode() not in cmdline:
        return False
    return name is None or name.encode() in cmdline


def _instances_file(mesh: Mesh, name: str) -> Path:
    return app_dir(mesh, name) / "instances.json"


def instance_pids(mesh: Mesh, name: str) -> list[int]:
    """The pids of the app's instances as last started (the app record's pid alone for older apps)."""
    try:
        return [int(p) for p in json.loads(_instances_file(mesh, name).read_text())["pids"]]
    except (OSError, ValueError, KeyError):
        app = mesh.store.get_app(name)
        return [app.pid] if app is not None and app.pid else []


def check_instances(mesh: Mesh, instances: int) -> int:
    """Refuse instance counts the mesh's log cannot run.

    Raises:
        ValidationError: fewer than one, or several on the embedded log.
    """
    from streammesh.processing.runtime.partitioned import partitioned_mode

    if instances < 1:
        raise ValidationError(f"an app needs at least one instance, got {instances}", hint="use --instances 1")
    if instances > 1 and not partitioned_mode(mesh):
        raise ValidationError(
            f"the embedded log runs an app as one instance (its exactly-once protocol has one writer per "
            f"output stream), so --instances {instances} cannot be honoured",
            hint="run with --instances 1, or move the mesh to Kafka ('streammesh migrate --to kafka://HOST:PORT') "
            "where instances share the input partitions",
        )
    return instances


def deploy(
    mesh: Mesh, sql: str, *, name: str, owner: str, start: bool = True, actor: str | None = None, instances: int = 1
) -> App:
    """Publish the products an app's script creates, record the app and start its worker.

    Redeploying the same script under the same name is idempotent (a stopped app is started again and
    resumes from its checkpoints); changing a deployed app's script needs another name.

    Raises:
        SqlError: a statement does not compile.
        PolicyViolationError: a derived contract breaks a policy (nothing of the app is published then).
        ConflictError: the name runs another script, or a product belongs to another app.
    """
    check_app_name(name)
    check_instances(mesh, instances)
    existing = mesh.store.get_app(name)
    if existing is not None and existing.sql.strip() != sql.strip():
        raise ConflictError(
            f"app {name!r} is already deployed with a different script",
            hint="deploy the new script under another --name (its products get their own names), "
            f"or compare with 'streammesh apps status {name}'",
        )
    planned = plan_app(mesh, sql, owner=owner, app=name)
    # check every contract first, so a policy failure in the third statement publishes nothing
    for p in planned:
        violations = mesh.catalog.check(p.contract)
        if violations:
            raise PolicyViolationError(p.name, violations)
    for p in planned:
        mesh.catalog.publish_derived(
            p.contract, sql=p.query.sql, query=p.query, derivation=p.derivation, app=name, actor=actor or owner
        )
    if existing is None:
        mesh.store.save_app(App(name=name, sql=sql, owner=owner, products=[p.name for p in planned]))
    return _start_worker(mesh, name, instances=instances) if start else status(mesh, name)


def start(mesh: Mesh, name: str, *, wait: float = 20.0, instances: int | None = None) -> App:
    """Start the app's worker(s) unless already running; wait up to ``wait`` seconds for them to report in.

    ``instances`` defaults to as many as last time. A worker that dies while starting leaves the app
    ``failed`` with its error (or its log's last line).
    """
    return _start_worker(mesh, name, wait=wait, instances=instances)


def _start_worker(mesh: Mesh, name: str, *, wait: float = 20.0, instances: int | None = None) -> App:
    app = status(mesh, name)
    if app.status in ACTIVE:
        return app
    count = check_instances(mesh, instances or max(1, len(instance_pids(mesh, name))))
    log = log_path(mesh, name)
    state_dir(mesh, name).mkdir(parents=True, exist_ok=True)
    mesh.store.update_app(name, status="starting", error="", pid=0)
    pids = []
    with log.open("ab") as sink:
        for k in range(count):
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    WORKER_MODULE,
                    "--workspace",
                    str(mesh.workspace.resolve()),
                    "--app",
                    name,
                    "--instance",
                    str(k),
                ],
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=str(mesh.workspace.resolve()),
            )
            _children[proc.pid] = proc
            pids.append(proc.pid)
    _instances_file(mesh, name).write_text(json.dumps({"instances": count, "pids": pids}))
    mesh.store.update_app(name, pid=pids[0])
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        app = status(mesh, name)
        if app.status != "starting":
            return app
        time.sleep(0.1)
    return status(mesh, name)


def stop(mesh: Mesh, name: str, *, timeout: float = 30.0) -> App:
    """Ask the worker to stop (SIGTERM: it finishes its batch and checkpoints); kill it after ``timeout``."""
    app = get_app(mesh, name)
    pids = [p for p in {*(instance_pids(mesh, name)), *([app.pid] if app.pid else [])} if pid_alive(p, name)]
    if pids:
        if app.status != "stopping":
            mesh.store.update_app(name, status="stopping")
        for pid in pids:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while any(pid_alive(p, name) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        stuck = [p for p in pids if pid_alive(p, name)]
        for pid in stuck:
            _signal(pid, signal.SIGKILL)
            while pid_alive(pid, name):
                time.sleep(0.05)
        if stuck:
            mesh.store.update_app(name, error=f"the worker did not stop within {timeout:.0f} s and was killed")
    for pid in pids:
        _reap(pid)
    _reap(app.pid)
    mesh.store.update_app(name, status="stopped", pid=0)
    return get_app(mesh, name)


def restart(mesh: Mesh, name: str) -> App:
    """Stop the worker if it runs, then start it again; it resumes from its last checkpoint."""
    stop(mesh, name)
    return start(mesh, name)


def status(mesh: Mesh, name: str) -> App:
    """The app with its latest metrics; an app whose worker died is marked ``failed`` with its last error."""
    app = get_app(mesh, name)
    pids = [p for p in {*(instance_pids(mesh, name)), *([app.pid] if app.pid else [])} if p]
    if app.status in ACTIVE and pids and not any(pid_alive(p, name) for p in pids):
        for p in pids:
            _reap(p)
        fresh = get_app(mesh, name)  # the worker may have reported its end meanwhile
        if fresh.status in ACTIVE:
            error = fresh.error or _last_log_line(log_path(mesh, name)) or "the worker exited without a report"
            mesh.store.update_app(
                name, status="failed", error=f"worker exited unexpectedly: {error}" if not fresh.error else error, pid=0
            )
        return get_app(mesh, name)
    return app


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _reap(pid: int | None) -> None:
    child = _children.pop(pid, None) if pid else None
    if child is not None:
        child.wait()


def _last_log_line(path: Path) -> str | None:
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 4096))
            lines = [ln for ln in f.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return None
    return lines[-1].strip() if lines else None
