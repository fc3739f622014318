"""The mesh map stays readable at scale: 64 products in 8 domains (source-aligned and derived at two depths,
some across domains) plus consumer groups; every product node is drawn, visible, a link to its page, and no
two nodes overlap. In a real browser (Debian's Chromium); the screenshot is saved as an artefact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streammesh.processing.apps import deploy
from streammesh.sdk.mesh import init
from tests.factories import contract_dict
from tests.servers import serve

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.timeout(180)

DOMAINS = ["sales", "web", "customers", "finance", "logistics", "marketing", "support", "inventory"]
SOURCES = ["orders", "payments", "shipments", "reviews", "tickets"]


def _products() -> list[str]:
    out = []
    for d in DOMAINS:
        out += [f"{d}.{s}" for s in SOURCES]
        out += [f"{d}.large_orders", f"{d}.priority_payments", f"{d}.top_large_orders"]
    return out


@pytest.fixture(scope="module")
def big_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workspace: Path = tmp_path_factory.mktemp("mesh-map") / "mesh"
    with init(workspace) as mesh:
        for d in DOMAINS:
            mesh.add_team(f"@{d}-team", domain=d, on_call=f"{d}-oncall@acme.example")
            for s in SOURCES:
                mesh.publish(contract_dict(f"{d}.{s}", title=s.title()))
        for i, d in enumerate(DOMAINS):
            other = DOMAINS[(i + 1) % len(DOMAINS)]  # derived across domains too
            sql = (
                f"CREATE STREAM {d}.large_orders AS SELECT order_id, total FROM {d}.orders WHERE total > 100;\n"
                f"CREATE STREAM {d}.priority_payments AS SELECT order_id, total, status FROM {other}.payments "
                f"WHERE status = 'paid';\n"
                f"CREATE STREAM {d}.top_large_orders AS SELECT order_id, total FROM {d}.large_orders "
                f"WHERE total > 1000"
            )
            deploy(mesh, sql, name=f"{d}-derived", owner=f"@{d}-team", start=False)
        for d in DOMAINS[:4]:
            with mesh.consumer(f"{d}.orders", group=f"{d}-dashboard", fields=["order_id"]) as c:
                c.poll(max_records=1, timeout=0.1)
        assert len(mesh.products()) == 64
    with serve(workspace) as url:
        yield url


def test_mesh_map_with_64_products_is_readable(browser, big_mesh, shot):
    context = browser.new_context(base_url=big_mesh, viewport={"width": 1600, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto("/mesh")
        expect(page.locator("#mesh-summary")).to_contain_text("64 products in 8 domains")
        svg = page.locator("#mesh-graph svg")
        expect(svg).to_be_visible()
        for name in _products():
            link = svg.locator(f"a[href='/products/{name}']")
            expect(link).to_have_count(1)
            expect(link).to_be_visible()
        boxes = page.evaluate("""() => [...document.querySelectorAll('#mesh-graph svg [data-node]')].map((g) => {
            const r = g.querySelector('rect').getBoundingClientRect();
            return {id: g.dataset.node, x: r.x, y: r.y, w: r.width, h: r.height,
                    font: parseFloat(getComputedStyle(g.querySelector('text')).fontSize) *
                          (r.width / g.querySelector('rect').width.baseVal.value)};
        })""")
        assert len(boxes) >= 64 + 4  # products and consumer groups
        for i, a in enumerate(boxes):
            assert a["w"] > 0 and a["h"] > 0, a
            assert a["font"] >= 11, f"{a['id']}: label drawn at {a['font']:.1f}px, too small to read"
            for b in boxes[i + 1 :]:
                overlap = (
                    a["x"] < b["x"] + b["w"]
                    and b["x"] < a["x"] + a["w"]
                    and a["y"] < b["y"] + b["h"]
                    and b["y"] < a["y"] + a["h"]
                )
                assert not overlap, f"nodes {a['id']} and {b['id']} overlap: {a} {b}"
        bands = page.locator("#mesh-graph svg [data-band]")
        expect(bands).to_have_count(8)  # one band per domain, holding that domain's products
        expect(bands.first).to_contain_text("CUSTOMERS · 8 products, 1 consumer group(s)")
        for name in ("web.orders", "web.large_orders", "web.top_large_orders"):
            band = page.locator("#mesh-graph svg [data-band='web'] rect").bounding_box()
            node = svg.locator(f"a[href='/products/{name}'] rect").bounding_box()
            assert band["y"] <= node["y"] and node["y"] + node["height"] <= band["y"] + band["height"], name
        shot(page, "13-mesh-map-64-products")
        svg.locator("a[href='/products/finance.top_large_orders']").click()  # each node links to its page
        expect(page.locator("h1")).to_contain_text("finance.top_large_orders")
    finally:
        context.close()
    assert not errors, f"script errors in the page: {errors}"
