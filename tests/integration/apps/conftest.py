"""Apps fixtures: a real demo mesh (teams, contracts, a backlog) copied per test, the CLI on it, and a
guard that stops every worker a test started, even when the test fails."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import streammesh
from streammesh.cli.main import app
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


@pytest.fixture
def workspace(demo_template: Path, tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "demo"
    shutil.copytree(demo_template, target)
    yield target
    _stop_workers(target)


def _stop_workers(workspace: Path) -> None:
    """Stop what a test left running: gracefully through the app API, then by pid as a last resort."""
    from streammesh.processing.apps import pid_alive, stop

    with Mesh(workspace) as mesh:
        for a in mesh.store.list_apps():
            if pid_alive(a.pid, a.name):
                try:
                    stop(mesh, a.name, timeout=15)
                except Exception:  # noqa: BLE001,S110 - fall through to the kill below
                    pass
            if pid_alive(a.pid, a.name):
                os.kill(a.pid, signal.SIGKILL)


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
