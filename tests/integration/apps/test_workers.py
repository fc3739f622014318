"""The process model (issue 11): one worker process hosts many apps, each isolated. An app that fails on every
batch is shown ``failed`` with its error and retried with backoff, while the other apps of the same worker keep
their outputs complete and equal to the batch answer; stopping, restarting or deleting one app leaves the others
running; ``--worker`` places an app on a worker of its own."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from streammesh.processing.apps import (
    delete,
    deploy,
    plan_app,
    restart,
    status,
    stop,
    worker_pid,
    workers_dir,
)
from streammesh.processing.runtime import batch_result
from tests.integration.apps.conftest import HIGH_VALUE, read_all, wait_for
from tests.integration.processing.helpers import assert_same, output_rows
from tests.stores import every_store

pytestmark = pytest.mark.timeout(300)

PER_CHANNEL = """CREATE TABLE sales.orders_per_channel AS
SELECT channel, COUNT(*) AS orders, SUM(total) AS revenue
FROM sales.orders
GROUP BY channel;
"""
#: fails at run time on every batch: no order id is a date (DuckDB's strptime raises on the first row)
ORDER_DAYS = """CREATE STREAM sales.order_days AS
SELECT order_id, PARSE_TIMESTAMP(order_id, '%Y-%m-%d') AS day
FROM sales.orders;
"""


def _query(mesh: Any, sql: str, app: str) -> Any:
    return plan_app(mesh, sql, owner="@sales-team", app=app)[0].query


def _matches(mesh: Any, query: Any) -> bool:
    try:
        assert_same(output_rows(mesh, query), batch_result(mesh, query))
    except AssertionError:
        return False
    return True


def _more_orders(mesh: Any, n: int, *, start: int) -> None:
    template = read_all(mesh, "sales.orders")[0].value
    with mesh.producer("sales.orders") as producer:
        for i in range(n):
            order = {**template, "order_id": f"O{70_000_000 + start + i}", "status": "placed", "total": 1500.0}
            producer.send(order["order_id"], order)


@every_store
def test_a_failing_app_is_retried_with_backoff_and_the_others_in_its_worker_stay_exact(cli, mesh, workspace):
    high_value = deploy(mesh, HIGH_VALUE, name="high-value", owner="@sales-team")
    assert high_value.status == "running", high_value.error
    assert high_value.worker == "main"
    deploy(mesh, ORDER_DAYS, name="order-days", owner="@sales-team")
    per_channel = deploy(mesh, PER_CHANNEL, name="per-channel", owner="@sales-team")
    assert per_channel.status == "running", per_channel.error
    pid = worker_pid(mesh, "main")
    assert pid and {status(mesh, n).pid for n in ("high-value", "per-channel")} == {pid}
    assert [p.stem for p in workers_dir(workspace).glob("*.pid")] == ["main"]  # one process for all three

    # the failing app: failed with its error, restarted again and again, further apart each time
    failed = wait_for(
        lambda: (a := status(mesh, "order-days")).status == "failed" and a.metrics.get("restarts", 0) >= 2 and a,
        timeout=60,
        what="order-days to fail and be restarted twice",
    )
    assert "Could not parse string" in failed.error and "sales.order_days" in failed.error
    assert failed.pid == pid and failed.worker == "main"  # still hosted there, waiting for its next attempt
    assert failed.metrics["retry_in_s"] >= 4 and failed.metrics["next_retry_at"]
    shown = cli("apps", "status", "order-days").output
    assert "failed" in shown and f"worker main (pid {pid})" in shown and "next attempt at" in shown
    assert "Could not parse string" in shown
    listing = cli("apps", "list").output
    assert "order-days" in listing and "failed" in listing and "main" in listing

    # meanwhile the other two apps of the same process keep up, exactly
    _more_orders(mesh, 40, start=0)
    queries = [_query(mesh, HIGH_VALUE, "high-value"), _query(mesh, PER_CHANNEL, "per-channel")]
    for q in queries:
        wait_for(lambda q=q: _matches(mesh, q), timeout=60, what=f"{q.name} to equal its batch result")
    assert all(status(mesh, n).status == "running" for n in ("high-value", "per-channel"))
    assert worker_pid(mesh, "main") == pid

    # stopping, restarting and deleting one app leaves the others (and their process) alone
    assert stop(mesh, "per-channel").status == "stopped"
    assert worker_pid(mesh, "main") == pid and status(mesh, "high-value").status == "running"
    _more_orders(mesh, 10, start=100)
    wait_for(lambda: _matches(mesh, queries[0]), timeout=60, what="high-value to go on while per-channel is stopped")
    again = restart(mesh, "per-channel")
    assert again.status == "running" and again.pid == pid
    wait_for(lambda: _matches(mesh, queries[1]), timeout=60, what="per-channel to catch up after its restart")
    gone = delete(mesh, "order-days")
    assert gone.name == "order-days" and mesh.store.get_app("order-days") is None
    assert mesh.store.get_product("sales.order_days") is not None  # its product stays published
    assert worker_pid(mesh, "main") == pid and status(mesh, "high-value").status == "running"

    # the last app stopped takes its worker down with it
    stop(mesh, "per-channel")
    stop(mesh, "high-value")
    assert worker_pid(mesh, "main") is None


def test_apps_placed_on_another_worker_run_in_a_process_of_their_own(cli, mesh, script):
    result = cli("apps", "deploy", str(script(HIGH_VALUE)), "--name", "hv", "--owner", "@sales-team")
    assert "on worker main" in result.output
    result = cli(
        "apps",
        "deploy",
        str(script(PER_CHANNEL, "per.sql")),
        "--name",
        "per",
        "--owner",
        "@sales-team",
        "--worker",
        "etl",
    )
    assert "on worker etl" in result.output, result.output
    main, etl = worker_pid(mesh, "main"), worker_pid(mesh, "etl")
    assert main and etl and main != etl
    assert (status(mesh, "hv").pid, status(mesh, "per").pid) == (main, etl)
    assert f"worker etl (pid {etl})" in cli("apps", "status", "per").output

    # a redeploy with another --worker moves the app; the worker left with nothing exits
    cli(
        "apps",
        "deploy",
        str(script(PER_CHANNEL, "per.sql")),
        "--name",
        "per",
        "--owner",
        "@sales-team",
        "--worker",
        "main",
    )
    moved = wait_for(lambda: (a := status(mesh, "per")).status == "running" and a.worker == "main" and a, what="move")
    assert moved.pid == main
    wait_for(lambda: worker_pid(mesh, "etl") is None, timeout=30, what="the idle worker etl to exit")
    assert status(mesh, "hv").status == "running" and worker_pid(mesh, "main") == main

    # a worker that is not running is started by the next deploy onto it, and resumes its apps
    os.kill(main, 9)
    wait_for(lambda: status(mesh, "hv").status == "failed", timeout=10, what="the dead worker to show")
    assert "worker main exited unexpectedly" in status(mesh, "hv").error
    cli("apps", "restart", "hv")
    assert status(mesh, "hv").status == "running"
    wait_for(lambda: status(mesh, "per").status == "running", timeout=30, what="per to resume with its worker")
    time.sleep(0.5)
    assert status(mesh, "per").pid == status(mesh, "hv").pid == worker_pid(mesh, "main")

    result = cli("apps", "delete", "per", "--yes")
    assert "Deleted app per" in result.output and "sales.orders_per_channel" in result.output
    assert mesh.store.get_app("per") is None and status(mesh, "hv").status == "running"
