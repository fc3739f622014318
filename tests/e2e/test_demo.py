"""``streammesh demo`` as a user runs it: a real process, a real HTTP server, live generators."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import orjson
import pytest

import streammesh


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def _apps_running(port: int) -> bool:
    apps = orjson.loads(_get(f"http://127.0.0.1:{port}/api/v1/apps"))["items"]
    return len(apps) >= 4 and all(a["status"] == "running" for a in apps)


@pytest.mark.timeout(180)
def test_demo_serves_catalog_and_keeps_generating(tmp_path: Path):
    port = _free_port()
    workspace = tmp_path / "demo"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streammesh.cli.main",
            "demo",
            "--port",
            str(port),
            "--demo-workspace",
            str(workspace),
            "--duration",
            "120",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        deadline = time.monotonic() + 90
        page = ""
        while time.monotonic() < deadline:
            try:
                page = _get(f"http://127.0.0.1:{port}/?q=orders")
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else "demo exited"
                time.sleep(0.5)
        assert "/products/sales.orders" in page
        product = _get(f"http://127.0.0.1:{port}/products/customers.profiles")
        assert "pii" in product and "Latest events" in product

        # the page answers first; the backlog, the sample apps and the generators start behind it
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not _apps_running(port):
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else "demo exited"
            time.sleep(0.5)
        time.sleep(1.5)  # the generators start right after the apps
        mesh = streammesh.connect(workspace, create=False)
        try:
            published = mesh.products(status="published")
            assert len([p for p in published if p.contract.derived_from is None]) == 11
            assert len([p for p in published if p.contract.derived_from is not None]) >= 4  # the sample apps
            before = mesh.stats("web.page_views")["events"]
            assert before > 1000  # the backlog
            time.sleep(4)
            assert mesh.stats("web.page_views")["events"] > before  # the generators keep going
        finally:
            mesh.close()
    finally:
        proc.send_signal(signal.SIGTERM)  # as a service manager or `timeout` stops it; Ctrl-C takes the same path
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert "Catalog: http://127.0.0.1:" in out
    assert "Traceback" not in out
    # the sample apps' workers were stopped with it, not left running
    assert "Stopped" in out and "app workers." in out
    from streammesh.processing.apps import instance_pids, pid_alive

    mesh = streammesh.connect(workspace, create=False)
    try:
        apps = mesh.store.list_apps()
        assert apps and all(a.status == "stopped" for a in apps)
        assert {a.worker for a in apps} == {"main"}  # every sample app in one worker process
        assert not any(pid_alive(p) for a in apps for p in instance_pids(mesh, a.name))
    finally:
        mesh.close()
