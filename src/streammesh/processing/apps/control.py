"""Deploy streaming-SQL apps and place them on worker processes, each hosting many apps.

An app's record in the metadata store says where it runs (``worker``, default ``main``), how many instances it
has (Kafka) and what was asked of it (``desired``: ``running`` or ``stopped``). A worker
(:mod:`streammesh.processing.worker`) is a detached process (its own session, so Ctrl-C in the terminal that
started it does not stop it) that reads its assignment from the store about once a second, starts and stops its
apps to match, and reports each app's status, error and metrics there. These functions change the record,
start a worker that is not running, and notice when one died.

On Kafka an app may run as several instances: instance 0 on its worker, instance ``k`` on worker
``<worker>-k``; they share the app's partitions through consumer groups (see
:mod:`streammesh.processing.runtime.partitioned`). The embedded log runs an app as one instance.

A worker's process bookkeeping is local to the machine running it: ``workers/<name>.pid`` (its pid),
``workers/<name>.lock`` (held while it runs) and ``workers/<name>.log`` (its output, shared by its apps).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from streammesh.context import SupportsContext
from streammesh.exceptions import ConflictError, NotFoundError, ValidationError
from streammesh.governance import PolicyViolationError
from streammesh.model.catalog import App
from streammesh.processing.apps.plan import APP_NAME, check_app_name, plan_app

__all__ = [
    "ACTIVE",
    "DEFAULT_WORKER",
    "app_dir",
    "assignment",
    "check_instances",
    "check_worker_name",
    "delete",
    "deploy",
    "get_app",
    "instance_pids",
    "log_path",
    "pid_alive",
    "restart",
    "start",
    "start_worker",
    "state_dir",
    "status",
    "stop",
    "stop_worker",
    "worker_log_path",
    "worker_names",
    "worker_pid",
    "worker_pid_file",
    "workers_dir",
]

#: statuses in which the app's worker should be alive.
ACTIVE = ("starting", "running", "stopping")
DEFAULT_WORKER = "main"
WORKER_MODULE = "streammesh.processing.worker"

# workers started by this process: only their Popen can tell a zombie child from a live one
_children: dict[int, subprocess.Popen[bytes]] = {}


def app_dir(mesh: SupportsContext, name: str) -> Path:
    return mesh.context.workspace / "apps" / name


def state_dir(mesh: SupportsContext, name: str) -> Path:
    """Where the app's processors keep their checkpointed state."""
    return app_dir(mesh, name) / "state"


def workers_dir(workspace: Path) -> Path:
    return workspace / "workers"


def worker_pid_file(workspace: Path, worker: str) -> Path:
    return workers_dir(workspace) / f"{worker}.pid"


def worker_log_path(mesh: SupportsContext, worker: str) -> Path:
    """The worker's stdout and stderr (every app it hosts logs there, prefixed with its name)."""
    return workers_dir(mesh.context.workspace) / f"{worker}.log"


def log_path(mesh: SupportsContext, name: str) -> Path:
    """The log of the worker hosting app ``name`` (its first instance)."""
    return worker_log_path(mesh, get_app(mesh, name).worker)


def get_app(mesh: SupportsContext, name: str) -> App:
    """The stored app.

    Raises:
        NotFoundError: no such app; the hint lists the deployed ones.
    """
    store = mesh.context.store
    app = store.get_app(name)
    if app is None:
        names = [a.name for a in store.list_apps()]
        raise NotFoundError(
            f"no app named {name!r}",
            hint=f"deployed apps: {', '.join(names)}" if names else "deploy one with 'streammesh apps deploy app.sql'",
        )
    return app


def check_worker_name(name: str) -> str:
    """Refuse worker names that would not make a safe file name.

    Raises:
        ValidationError: the name and the rule.
    """
    if not APP_NAME.fullmatch(name):
        raise ValidationError(
            f"worker name {name!r} must be lowercase letters, digits, '-' or '_', starting with a letter "
            "(at most 63 characters)",
            hint=f"try --worker {DEFAULT_WORKER}",
        )
    return name


def worker_names(app: App) -> list[str]:
    """The workers hosting the app's instances, instance 0 first."""
    return [app.worker, *(f"{app.worker}-{k}" for k in range(1, max(1, app.instances)))]


def assignment(apps: Iterable[App], worker: str) -> dict[str, int]:
    """What worker ``worker`` should run: app name → the instance of it hosted there."""
    wanted: dict[str, int] = {}
    for app in apps:
        if app.desired != "running":
            continue
        for k, name in enumerate(worker_names(app)):
            if name == worker:
                wanted[app.name] = k
    return wanted


def pid_alive(pid: int | None, worker: str | None = None) -> bool:
    """Is ``pid`` a live worker process (of worker ``worker``)? Zombies and recycled pids do not count."""
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
        stat = (proc / "stat").read_text()
        if ") Z" in stat or ") X" in stat:
            return False
        cmdline = (proc / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if WORKER_MODULE.encode() not in cmdline:
        return False
    if worker is None:
        return True
    named = cmdline[cmdline.index(b"--worker") + 1] if b"--worker" in cmdline[:-1] else DEFAULT_WORKER.encode()
    return named == worker.encode()


def _read_pid(mesh: SupportsContext, worker: str) -> int | None:
    try:
        return int(worker_pid_file(mesh.context.workspace, worker).read_text().strip())
    except (OSError, ValueError):
        return None


def worker_pid(mesh: SupportsContext, worker: str) -> int | None:
    """The pid of worker ``worker`` when it runs on this machine, else None."""
    pid = _read_pid(mesh, worker)
    return pid if pid_alive(pid, worker) else None


def instance_pids(mesh: SupportsContext, name: str) -> list[int]:
    """The pids of the workers hosting the app's instances (instance 0 first), as last started."""
    return [p for w in worker_names(get_app(mesh, name)) if (p := _read_pid(mesh, w))]


def check_instances(mesh: SupportsContext, instances: int) -> int:
    """Refuse instance counts the mesh's log cannot run.

    Raises:
        ValidationError: fewer than one, or several on the embedded log.
    """
    from streammesh.processing.runtime.partitioned import partitioned_mode

    if instances < 1:
        raise ValidationError(f"an app needs at least one instance, got {instances}", hint="use --instances 1")
    if instances > 1 and not partitioned_mode(mesh.context):
        raise ValidationError(
            f"the embedded log runs an app as one instance (its exactly-once protocol has one writer per "
            f"output stream), so --instances {instances} cannot be honoured",
            hint="run with --instances 1, or move the mesh to Kafka ('streammesh migrate --to kafka://HOST:PORT') "
            "where instances share the input partitions",
        )
    return instances


def deploy(
    mesh: SupportsContext,
    sql: str,
    *,
    name: str,
    owner: str,
    start: bool = True,
    actor: str | None = None,
    instances: int = 1,
    worker: str | None = None,
) -> App:
    """Publish the products an app's script creates, record the app and place it on ``worker`` (default: where
    it ran before, else ``main``), starting that worker if it is not running.

    Redeploying the same script under the same name is idempotent (a stopped app is started again and
    resumes from its checkpoints; ``worker`` moves it); changing a deployed app's script needs another name.

    Raises:
        SqlError: a statement does not compile.
        PolicyViolationError: a derived contract breaks a policy (nothing of the app is published then).
        ConflictError: the name runs another script, or a product belongs to another app.
    """
    ctx = mesh.context
    check_app_name(name)
    check_instances(ctx, instances)
    if worker is not None:
        check_worker_name(worker)
    existing = ctx.store.get_app(name)
    if existing is not None and existing.sql.strip() != sql.strip():
        raise ConflictError(
            f"app {name!r} is already deployed with a different script",
            hint="deploy the new script under another --name (its products get their own names), "
            f"or compare with 'streammesh apps status {name}'",
        )
    planned = plan_app(ctx, sql, owner=owner, app=name)
    # check every contract first, so a policy failure in the third statement publishes nothing
    for p in planned:
        violations = ctx.catalog.check(p.contract)
        if violations:
            raise PolicyViolationError(p.name, violations)
    for p in planned:
        ctx.catalog.publish_derived(
            p.contract, sql=p.query.sql, query=p.query, derivation=p.derivation, app=name, actor=actor or owner
        )
    if existing is None:
        ctx.store.save_app(
            App(
                name=name,
                sql=sql,
                owner=owner,
                products=[p.name for p in planned],
                worker=worker or DEFAULT_WORKER,
                instances=instances,
            )
        )
    elif worker is not None and worker != existing.worker and not start:
        ctx.store.update_app(name, worker=worker)
    return _start(ctx, name, instances=instances, worker=worker) if start else status(ctx, name)


def start(
    mesh: SupportsContext, name: str, *, wait: float = 20.0, instances: int | None = None, worker: str | None = None
) -> App:
    """Ask for the app to run (on ``worker``, default where it is placed) and start its worker(s) unless they
    run; wait up to ``wait`` seconds for the app to report in.

    ``instances`` defaults to as many as last time. An app that cannot start shows as ``failed`` with its
    error (its worker retries it with backoff); a worker that dies leaves it ``failed`` with its log's last line.
    """
    return _start(mesh.context, name, wait=wait, instances=instances, worker=worker)


def _start(
    mesh: SupportsContext, name: str, *, wait: float = 20.0, instances: int | None = None, worker: str | None = None
) -> App:
    ctx = mesh.context
    app = status(ctx, name)
    count = check_instances(ctx, instances or app.instances)
    target = check_worker_name(worker) if worker else app.worker
    before = worker_names(app)
    same_place = target == app.worker and count == app.instances
    if app.desired == "running" and same_place and all(worker_pid(ctx, w) for w in before):
        return app  # its workers run it already (or retry it after a failure)
    if app.desired == "running" and not same_place:
        # a move or a rescale: the old placement lets go of the app's state (and its file locks) first
        stop(ctx, name)
    state_dir(ctx, name).mkdir(parents=True, exist_ok=True)
    ctx.store.update_app(name, desired="running", status="starting", error="", pid=0, worker=target, instances=count)
    app = get_app(ctx, name)
    names = worker_names(app)
    for w in names:
        start_worker(ctx, w)
    _retire_idle(ctx, [w for w in before if w not in names])
    deadline = time.monotonic() + wait
    respawned = 0
    while time.monotonic() < deadline:
        app = get_app(ctx, name)
        if app.status != "starting":
            return status(ctx, name)
        dead = [w for w in names if not worker_pid(ctx, w)]
        if dead and respawned < 3:  # a worker that was just leaving (nothing to host) or lost a race for its name
            respawned += 1
            time.sleep(0.3)
            for w in dead:
                start_worker(ctx, w)
        time.sleep(0.1)
    return status(ctx, name)


def start_worker(mesh: SupportsContext, worker: str) -> int:
    """Start worker ``worker`` unless it runs; returns its pid."""
    ctx = mesh.context
    check_worker_name(worker)
    pid = worker_pid(ctx, worker)
    if pid:
        return pid
    workspace = ctx.workspace.resolve()
    workers_dir(workspace).mkdir(parents=True, exist_ok=True)
    with worker_log_path(ctx, worker).open("ab") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE, "--workspace", str(workspace), "--worker", worker],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=str(workspace),
        )
    _children[proc.pid] = proc
    worker_pid_file(workspace, worker).write_text(str(proc.pid))  # the worker writes it again once it runs
    return proc.pid


def stop_worker(mesh: SupportsContext, worker: str, *, timeout: float = 30.0) -> bool:
    """Stop worker ``worker`` (SIGTERM: every app it hosts finishes its batch and checkpoints); kill it after
    ``timeout``. Its apps keep ``desired == "running"`` and resume when it starts again. Returns whether it had
    to be killed."""
    pid = worker_pid(mesh, worker)
    if not pid:
        return False
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid, worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = pid_alive(pid, worker)
    if killed:
        _signal(pid, signal.SIGKILL)
        while pid_alive(pid, worker):
            time.sleep(0.05)
    _reap(pid)
    return killed


def _retire_idle(mesh: SupportsContext, workers: Iterable[str], *, timeout: float = 30.0) -> list[str]:
    """Stop those of ``workers`` that have nothing left to host; returns the ones that had to be killed."""
    apps = mesh.context.store.list_apps()
    return [w for w in workers if not assignment(apps, w) and stop_worker(mesh, w, timeout=timeout)]


def stop(mesh: SupportsContext, name: str, *, timeout: float = 30.0) -> App:
    """Stop the app (its worker stops its processors after their batch and a checkpoint; the worker's other
    apps go on). A worker left with nothing to host stops too."""
    ctx = mesh.context
    app = get_app(ctx, name)
    ctx.store.update_app(name, desired="stopped", status="stopping" if app.status in ACTIVE else None)
    names = worker_names(app)
    live = [w for w in names if worker_pid(ctx, w)]
    deadline = time.monotonic() + timeout
    while live and time.monotonic() < deadline:
        current = get_app(ctx, name)
        if current.status == "stopped" or not any(worker_pid(ctx, w) for w in live):
            break
        time.sleep(0.05)
    stuck = bool(live) and get_app(ctx, name).status != "stopped" and any(worker_pid(ctx, w) for w in live)
    killed = _retire_idle(ctx, live, timeout=max(1.0, deadline - time.monotonic()))
    error: dict[str, Any] = {}
    if killed:
        error["error"] = f"the worker did not stop within {timeout:.0f} s and was killed"
    elif stuck:
        error["error"] = f"the app did not stop within {timeout:.0f} s; its worker {app.worker} goes on"
    for pid in instance_pids(ctx, name):
        if not pid_alive(pid):
            _reap(pid)
    ctx.store.update_app(name, status="stopped", pid=0, **error)
    return get_app(ctx, name)


def restart(mesh: SupportsContext, name: str) -> App:
    """Stop the app if it runs, then start it again; it resumes from its last checkpoint."""
    stop(mesh, name)
    return start(mesh, name)


def delete(mesh: SupportsContext, name: str) -> App:
    """Stop the app and forget it: its record, its checkpoints and task state. Its products stay published (a
    redeploy under the same name feeds them again, from the start). Returns the app as it was."""
    ctx = mesh.context
    app = stop(ctx, name)
    ctx.store.delete_task_state(name)
    ctx.store.delete_app(name)
    shutil.rmtree(app_dir(ctx, name), ignore_errors=True)
    return app


def status(mesh: SupportsContext, name: str) -> App:
    """The app with its latest metrics; an app whose worker died is marked ``failed`` with its last error."""
    ctx = mesh.context
    app = get_app(ctx, name)
    if app.status in ACTIVE and not any(worker_pid(ctx, w) for w in worker_names(app)):
        for p in instance_pids(ctx, name):
            _reap(p)
        fresh = get_app(ctx, name)  # the worker may have reported its end meanwhile
        if fresh.status in ACTIVE:
            last = _last_log_line(worker_log_path(ctx, fresh.worker))
            error = fresh.error or f"worker {fresh.worker} exited unexpectedly: {last or 'no report'}"
            ctx.store.update_app(name, status="failed", error=error, pid=0)
        return get_app(ctx, name)
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
