"""Browser-test fixtures: the demo organisation's mesh served by a real HTTP server, and Debian's Chromium
driven by Playwright (never a downloaded browser).

Locally a missing Chromium or Playwright skips these tests with the reason; under ``CI=true`` it fails them,
so the suite cannot go green by testing less. Screenshots go to ``tests/e2e/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from streammesh.demo.generators import DemoGenerator
from streammesh.demo.organisation import TEAMS, load_demo_contracts
from streammesh.demo.runner import GeneratorLoop, sample_app_name, stop_apps, write_events
from streammesh.processing.apps import deploy
from streammesh.processing.sql.samples import SAMPLES
from streammesh.sdk.mesh import init
from tests.servers import serve

CHROMIUM = os.environ.get("STREAMMESH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true: browser tests must run; `make test` installs Debian's chromium)")
    pytest.skip(f"{reason}; install it with: apt-get install -y chromium, pip install -e '.[test]'")


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo organisation (its teams and contracts) with a few minutes of events, kept live by the demo's
    generators while the tests run; app workers deployed by tests are stopped at the end."""
    workspace = tmp_path_factory.mktemp("e2e") / "mesh"
    generator = DemoGenerator(seed=11, backlog=timedelta(minutes=2), customers=80, products=40)
    with init(workspace) as mesh:
        for t in TEAMS:
            mesh.add_team(t.name, display_name=t.display_name, domain=t.domain, on_call=t.on_call, channel=t.channel)
        for contract in load_demo_contracts():
            mesh.publish(contract)
        write_events(mesh, generator.initial_events())
        for product, group, fields in (
            ("sales.orders", "finance-reporting", ["order_id", "total"]),
            ("sales.order_lines", "merch-dashboard", ["sku", "quantity"]),
        ):
            with mesh.consumer(product, group=group, fields=fields) as c:  # consumers for the pages to show
                c.poll(max_records=10, timeout=0.5)
        for s in SAMPLES:  # lineage for the pages; the create test deploys the high-value orders itself
            if s.name != "sales.high_value_orders":
                deploy(mesh, s.sql, name=sample_app_name(s.name), owner=s.owner, start=False)
    loop = GeneratorLoop(workspace, generator, interval=1.0)
    loop.start()
    try:
        yield workspace
    finally:
        loop.stop()
        stop_apps(workspace)


@pytest.fixture(scope="session")
def base_url(demo_workspace: Path) -> Iterator[str]:
    with serve(demo_workspace) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        _unavailable(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"script errors in the page: {errors}"


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """Save a full-page screenshot as a test artefact; returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(pg: Any, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    return take
