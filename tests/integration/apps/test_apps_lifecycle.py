"""Apps as a user runs them: deploy a sample, a real worker process catches up on the backlog, then
stop, restart, crash and resume, with the derived product exactly equal to the batch answer."""

from __future__ import annotations

import os
import signal
import time

import pytest

from streammesh.processing.apps import log_path, pid_alive, state_dir, status
from tests.integration.apps.conftest import (
    HIGH_VALUE,
    is_high_value,
    read_all,
    wait_for,
)
from tests.stores import every_store

pytestmark = pytest.mark.timeout(240)


def _expected(mesh) -> int:
    return sum(1 for e in read_all(mesh, "sales.orders") if is_high_value(e.value))


def _count(mesh, product: str = "sales.high_value_orders") -> int:
    return mesh.stats(product)["events"]


def _more_orders(mesh, n: int, *, start: int) -> int:
    """Append ``n`` orders (every other one high-value) copied from a real one; returns how many qualify."""
    template = read_all(mesh, "sales.orders")[0].value
    qualifying = 0
    with mesh.producer("sales.orders") as producer:
        for i in range(n):
            order = {
                **template,
                "order_id": f"O{90_000_000 + start + i}",
                "status": "placed",
                "total": 5000.0 if i % 2 == 0 else 10.0,
                "item_count": 1,
            }
            qualifying += is_high_value(order)
            producer.send(order["order_id"], order)
    return qualifying


@every_store
def test_deploy_runs_backlog_then_stop_and_restart_resume_without_duplicates(cli, mesh, script, workspace):
    expected = _expected(mesh)
    assert expected > 0

    result = cli("apps", "deploy", str(script(HIGH_VALUE)), "--name", "high-value", "--owner", "@sales-team")
    assert "Deployed app high-value" in result.output and "sales.high_value_orders" in result.output
    app = status(mesh, "high-value")
    assert app.status == "running" and pid_alive(app.pid, "main") and app.worker == "main"
    assert mesh.product("sales.high_value_orders").contract.derived_from.app == "high-value"

    wait_for(lambda: _count(mesh) == expected, what=f"{expected} high-value orders")
    inputs = mesh.stats("sales.orders")["events"]
    wait_for(lambda: status(mesh, "high-value").metrics.get("processed", 0) >= inputs, what="metrics")
    metrics = status(mesh, "high-value").metrics
    assert metrics["emitted"] >= expected and metrics["errors"] == 0
    assert "sales.high_value_orders" in metrics["products"]

    listing = cli("apps", "list").output
    assert "high-value" in listing and "running" in listing and "sales.high_value_orders" in listing
    detail = cli("apps", "status", "high-value").output
    assert "running" in detail and f"{inputs:,}" in detail and str(log_path(mesh, "high-value")) in detail
    assert "guarantee exactly-once" in detail  # the embedded log's single-writer protocol

    pid = app.pid
    assert "Stopped app high-value" in cli("apps", "stop", "high-value").output
    assert not pid_alive(pid) and status(mesh, "high-value").status == "stopped"
    assert "stopped" in cli("apps", "list").output
    assert any(state_dir(mesh, "high-value").rglob("*")), "the worker keeps its state on disk"

    added = _more_orders(mesh, 10, start=1)
    assert _count(mesh) == expected  # nothing runs while stopped
    result = cli("apps", "restart", "high-value")
    assert "running" in result.output
    wait_for(lambda: _count(mesh) == expected + added, what="the orders added while stopped")
    time.sleep(2)  # a duplicate would show up now
    out = read_all(mesh, "sales.high_value_orders")
    assert len(out) == expected + added
    assert len({(e.value["order_id"], e.value["placed_at"], e.partition, e.offset) for e in out}) == len(out)


def test_killed_worker_is_reported_failed_and_resumes_exactly_once(cli, mesh, script):
    expected = _expected(mesh)
    cli("apps", "deploy", str(script(HIGH_VALUE)), "--name", "hv", "--owner", "@sales-team")
    wait_for(lambda: _count(mesh) >= expected // 2, what="some progress")
    os.kill(status(mesh, "hv").pid, signal.SIGKILL)
    wait_for(lambda: status(mesh, "hv").status == "failed", timeout=10, what="the failure to show")
    failed = cli("apps", "status", "hv").output
    assert "failed" in failed and "exited unexpectedly" in failed

    cli("apps", "restart", "hv")
    wait_for(lambda: _count(mesh) == expected, what="the backlog")
    time.sleep(2)
    assert _count(mesh) == expected  # no duplicates from the batch the kill interrupted


@every_store
def test_redeploy_and_conflicts(cli, mesh, script):
    path = script(HIGH_VALUE)
    cli("apps", "deploy", str(path), "--name", "hv", "--owner", "@sales-team", "--no-start")
    assert status(mesh, "hv").status == "stopped"
    # the same script again is fine (idempotent), a different one under the same name is not
    cli("apps", "deploy", str(path), "--name", "hv", "--owner", "@sales-team", "--no-start")
    changed = script(HIGH_VALUE.replace(">= 1000", ">= 2000"), "changed.sql")
    result = cli("apps", "deploy", str(changed), "--name", "hv", "--owner", "@sales-team", ok=False)
    assert result.exit_code == 1 and "already deployed with a different script" in result.stderr
    # another app cannot take over the product
    result = cli("apps", "deploy", str(path), "--name", "other", "--owner", "@sales-team", ok=False)
    assert result.exit_code == 1 and "already defined by app 'hv'" in result.stderr
    # a plain SELECT defines nothing to deploy
    select = script("SELECT order_id FROM sales.orders;", "select.sql")
    result = cli("apps", "deploy", str(select), "--owner", "@sales-team", ok=False)
    assert result.exit_code == 1 and "defines no product" in result.stderr and "line 1" in result.stderr
    # unknown app
    result = cli("apps", "status", "nope", ok=False)
    assert result.exit_code == 1 and "no app named 'nope'" in result.stderr and "hv" in result.stderr


def test_demo_deploys_the_samples_and_stops_them(workspace):
    from streammesh.demo.runner import deploy_samples, stop_apps
    from streammesh.processing.sql.samples import SAMPLES
    from streammesh.sdk.mesh import Mesh

    messages: list[str] = []
    running = deploy_samples(workspace, progress=messages.append)
    try:
        assert len(running) == len(SAMPLES), messages  # every sample runs, the shrinkage watch as two statements
        with Mesh(workspace) as mesh:
            products = {p for a in mesh.store.list_apps() for p in a.products}
            assert products == {s.name for s in SAMPLES} | {"analytics.dispatches_invoiced"}
            wait_for(lambda: _count(mesh, "analytics.orders_with_region") > 0, what="enriched orders")
    finally:
        assert stop_apps(workspace) == len(running)
    with Mesh(workspace) as mesh:
        assert all(a.status == "stopped" and not pid_alive(a.pid) for a in mesh.store.list_apps())
