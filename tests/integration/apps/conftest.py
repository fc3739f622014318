"""Apps fixtures: a real demo mesh (teams, contracts, a backlog) copied per test, the CLI on it, and a
guard that stops every app and worker a test started, even when the test fails. Tests marked with
``tests.stores.every_store`` also run with the catalog in PostgreSQL (the demo's database is cloned
per test, as its folder is copied)."""

from __future__ import annotations

import os
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from sqlalchemy import make_url
from typer.testing import CliRunner

import streammesh
from streammesh.cli.main import app
from streammesh.config import CONFIG_FILE
from streammesh.demo.runner import create_demo
from streammesh.sdk.mesh import Mesh

HIGH_VALUE = """CREATE STREAM sales.high_value_orders AS
SELECT order_id, customer_id, channel, currency, total, item_count, delivery_country, placed_at
FROM sales.orders
WHERE status = 'placed' AND (total >= 1000 OR item_count >= 20);
"""


def is_high_value(order: dict[str, Any]) -> bool:
    """The sample's WHERE clause in Python: the batch answer the worker's output must equal."""
    return order["status"] == "placed" and (order["total"] >= 1000 or order["item_count"] >= 20)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo organisation with its backlog, built once; tests work on copies."""
    workspace = tmp_path_factory.mktemp("apps-template") / "demo"
    create_demo(workspace, seed=11)
    return workspace


@pytest.fixture(scope="session")
def postgresql_demo_template(tmp_path_factory: pytest.TempPathFactory, postgres_admin: str) -> Iterator[Path]:
    """The demo organisation with its catalog in a PostgreSQL database of its own, built once."""
    url = make_url(postgres_admin).set(database=f"sm_test_demo_{uuid.uuid4().hex[:8]}")
    _admin(postgres_admin, f'CREATE DATABASE "{url.database}"')
    workspace = tmp_path_factory.mktemp("apps-template-pg") / "demo"
    os.environ["STREAMMESH_METADATA"] = url.render_as_string(hide_password=False)
    try:
        create_demo(workspace, seed=11)
    finally:
        del os.environ["STREAMMESH_METADATA"]
    _set_metadata(workspace, url.render_as_string(hide_password=False))
    yield workspace
    _admin(postgres_admin, f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


def _admin(admin_url: str, statement: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(statement)


def _set_metadata(workspace: Path, metadata: str) -> None:
    path = workspace / CONFIG_FILE
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), "metadata": metadata}, sort_keys=False))


@pytest.fixture
def workspace(tmp_path: Path, store_backend: str, request: pytest.FixtureRequest) -> Iterator[Path]:
    target = tmp_path / "demo"
    if store_backend == "postgresql":
        template = request.getfixturevalue("postgresql_demo_template")
        admin = request.getfixturevalue("postgres_admin")
        source = make_url(yaml.safe_load((template / CONFIG_FILE).read_text())["metadata"])
        clone = source.set(database=f"sm_test_demo_{uuid.uuid4().hex[:8]}")
        _admin(admin, f'CREATE DATABASE "{clone.database}" TEMPLATE "{source.database}"')
        shutil.copytree(template, target)
        _set_metadata(target, clone.render_as_string(hide_password=False))
        yield target
        _stop_workers(target)
        _admin(admin, f'DROP DATABASE IF EXISTS "{clone.database}" WITH (FORCE)')
        return
    shutil.copytree(request.getfixturevalue("demo_template"), target)
    yield target
    _stop_workers(target)


def _stop_workers(workspace: Path) -> None:
    """Stop what a test left running: gracefully through the app API, then every worker, by pid as a last
    resort."""
    from streammesh.processing.apps import pid_alive, stop, stop_worker, worker_pid_file, workers_dir

    with Mesh(workspace) as mesh:
        for a in mesh.store.list_apps():
            if a.desired == "running" or pid_alive(a.pid):
                try:
                    stop(mesh, a.name, timeout=15)
                except Exception:
                    pass
        for pid_file in workers_dir(workspace).glob("*.pid"):
            try:
                stop_worker(mesh, pid_file.stem, timeout=15)
            except Exception:
                pass
            try:
                pid = int(worker_pid_file(workspace, pid_file.stem).read_text())
            except (OSError, ValueError):
                continue
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def mesh(workspace: Path) -> Iterator[Mesh]:
    m = streammesh.connect(workspace, create=False)
    yield m
    m.close()


@pytest.fixture
def cli(workspace: Path) -> Callable[..., Any]:
    """Run a CLI command on the workspace; by default assert it succeeded."""
    runner = CliRunner()

    def run(*args: str, ok: bool = True, input: str | None = None) -> Any:
        result = runner.invoke(app, ["-w", str(workspace), *args], input=input, env={"COLUMNS": "200"})
        if ok:
            assert result.exit_code == 0, result.output + (result.stderr if result.stderr_bytes else "")
        assert "Traceback" not in result.output
        return result

    return run


@pytest.fixture
def script(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write an app script to a file."""

    def write(text: str, name: str = "high_value.sql") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def wait_for(check: Callable[[], Any], *, timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def read_all(mesh: Mesh, product: str) -> list[Any]:
    """Every event of ``product`` from the beginning (no consumer group)."""
    events: list[Any] = []
    with mesh.consumer(product, from_beginning=True) as consumer:
        while True:
            batch = consumer.poll(timeout=0.2)
            if not batch:
                return events
            events.extend(batch)
