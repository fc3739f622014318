"""The web UI in a real browser (Debian's Chromium through Playwright) over the demo organisation's mesh:
issue 5's acceptance scenarios, each page's screenshot saved under tests/e2e/artifacts/."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import date, timedelta

import pytest

from tests.factories import contract_dict

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.timeout(120)


def test_new_user_searches_opens_a_product_and_reads_schema_and_lineage(page, shot):
    page.goto("/")
    page.get_by_label("Search products").fill("orders")
    page.get_by_label("Search products").press("Enter")
    results = page.locator("#results")
    expect(results.get_by_role("link", name="sales.orders", exact=True)).to_be_visible()
    page.locator("fieldset", has_text="Domain").get_by_label(re.compile(r"^sales")).check()  # applies at once
    expect(page).to_have_url(re.compile(r"domain=sales"))
    expect(page.locator("#result-count")).to_contain_text("product(s)")
    assert all(d == "sales" for d in page.locator("#results tbody tr td:nth-child(3)").all_inner_texts())
    shot(page, "01-explore-search")

    results.get_by_role("link", name="sales.orders", exact=True).click()
    expect(page.locator("h1")).to_contain_text("sales.orders")
    schema = page.locator("#schema-table")
    expect(schema.locator("tr", has_text="order_id").first).to_contain_text("string")
    expect(schema).to_contain_text("When checkout completed")  # field docs
    expect(page.locator("dl.facts")).to_contain_text("@sales-team")
    expect(page.locator("dl.facts")).to_contain_text("tier-")
    expect(page.locator("#m-rate")).not_to_have_text("…")  # live metrics arrived
    expect(page.locator("#consumers + table, #consumers ~ table").first).to_contain_text("finance-reporting")
    graph = page.locator("#lineage-graph svg")
    expect(graph).to_be_visible()
    downstream = graph.locator("a[href='/products/analytics.orders_with_region']")
    expect(downstream).to_have_count(1)
    expect(page.locator("#consume")).to_be_visible()
    expect(page.locator("pre", has_text="schema.registry.url=")).to_be_visible()
    shot(page, "02-product-page")

    downstream.click()  # the lineage graph is clickable
    expect(page.locator("h1")).to_contain_text("analytics.orders_with_region")
    expect(page.locator("#lineage-graph svg a[href='/products/customers.profiles']")).to_have_count(1)
    page.locator("#lineage-graph svg a[href='/products/customers.profiles']").click()
    expect(page.locator("#schema-table tr", has_text="email").first).to_contain_text("pii")  # classifications


def test_live_samples_arrive_with_personal_data_masked(page, shot):
    page.goto("/products/web.page_views")
    fresh = page.locator("#sample-list pre.sample.new").first
    expect(fresh).to_be_visible(timeout=20_000)  # pushed by server-sent events while the generators run
    event = json.loads(fresh.inner_text())
    ip = event["value"]["ip_address"]
    assert "•" in ip and not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", ip), ip  # pii masked
    expect(page.locator("#m-fresh")).to_contain_text("within SLA")
    shot(page, "03-product-live-samples")


def test_create_validate_preview_and_deploy_a_derived_product(page, shot):
    page.goto("/create")
    editor = page.get_by_label(re.compile("^Statement"))
    editor.fill("CREATE STREAM sales.big_orders AS\nSELECT order_id, totl FROM sales.orders")
    page.get_by_role("button", name="Validate").click()
    problem = page.locator("#sql-problem")
    expect(problem).to_contain_text("line 2, column 18")
    expect(problem).to_contain_text("totl")
    expect(editor).to_have_attribute("aria-invalid", "true")
    shot(page, "04-create-inline-error")

    page.get_by_role("button", name="Use the sales.high_value_orders sample").click()
    expect(editor).to_have_value(re.compile("CREATE STREAM sales.high_value_orders"))
    expect(page.get_by_label("App name")).to_have_value("high-value-orders")
    page.get_by_role("button", name="Validate").click()
    card = page.locator("article[data-product='sales.high_value_orders']")
    expect(card).to_contain_text("derived SLA")
    expect(card).to_contain_text("sales.orders")
    expect(page.locator("#validate-status")).to_contain_text("Valid")
    page.get_by_role("button", name="Preview live results").click()
    expect(page.locator("#preview-summary")).to_contain_text("push query", timeout=20_000)
    page.get_by_role("button", name="Deploy as a data product").click()
    expect(page.locator("#deployed")).to_contain_text("sales.high_value_orders", timeout=30_000)
    shot(page, "05-create-deployed")

    page.goto("/?q=high+value")
    expect(page.locator("#results").get_by_role("link", name="sales.high_value_orders")).to_be_visible()
    page.goto("/mesh")
    node = page.locator("#mesh-graph svg a[href='/products/sales.high_value_orders']")
    expect(node).to_have_count(1)
    expect(page.locator("#mesh-summary")).to_contain_text("derived")
    expect(page.locator("#mesh-graph [data-node='consumer:finance-reporting']")).to_have_count(1)
    shot(page, "06-mesh-map")
    node.focus()
    page.keyboard.press("Enter")  # keyboard usable: a node is a link
    expect(page.locator("h1")).to_contain_text("sales.high_value_orders")


def test_publish_through_the_form_with_live_policy_feedback(page, shot):
    page.goto("/publish")
    page.get_by_label("Product name").fill("sales.returns")
    page.get_by_label("Title").fill("Customer returns")
    page.get_by_label("Owner team").select_option("@sales-team")
    page.get_by_label("field 1 name").fill("return_id")
    page.get_by_role("button", name="Add a field").click()
    page.get_by_label("field 2 name").fill("customer_email")
    page.get_by_label("Key", exact=True).fill("return_id")
    page.get_by_label("Tags").fill("returns, sales")
    page.get_by_label("Support channels").fill("#sales-data")
    page.get_by_label("On call", exact=True).fill("sales-oncall@larkspur.example")
    page.get_by_label(re.compile("My team commits")).check()
    page.get_by_label("Description", exact=True).fill("Returns.")
    expect(page.locator("#fb-description .violation")).to_contain_text("description")
    expect(page.locator("#fb-schema .violation")).to_contain_text("customer_email")  # personal data unclassified
    expect(page.locator("#f-description")).to_have_attribute("aria-invalid", "true")
    shot(page, "07-publish-policy-violation")

    page.get_by_label("Description", exact=True).fill(
        "Every return a customer books on the web shop or in a store, emitted "
        "once the parcel is received back at a warehouse."
    )
    page.get_by_label("field 2 classification").select_option("pii")
    expect(page.locator("#fb-description .okmark")).to_be_visible()
    expect(page.locator("#fb-schema .violation")).to_have_count(0)
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#published")).to_contain_text("Published sales.returns")
    shot(page, "08-publish-done")
    page.locator("#published a").click()
    expect(page.locator("h1")).to_contain_text("sales.returns")
    expect(page.locator("#schema-table tr", has_text="customer_email")).to_contain_text("pii")


def test_deprecate_shows_consumers_first(page, shot):
    page.goto("/products/sales.order_lines")
    page.get_by_role("link", name=re.compile("^Manage")).click()
    expect(page.locator("h1")).to_contain_text("Manage sales.order_lines")
    expect(page.locator("#consumers")).to_contain_text("merch-dashboard")
    expect(page.locator("#contract-text")).to_have_value(re.compile("name: sales.order_lines"))
    page.get_by_role("button", name="Check compatibility").click()
    expect(page.locator("#compat-verdict")).to_contain_text("Compatible")
    page.get_by_label("Sunset date").fill((date.today() + timedelta(days=60)).isoformat())
    page.get_by_label("Reason").fill("replaced by the order_items product")
    page.get_by_role("button", name="Deprecate").click()
    expect(page.locator("#lifecycle-done")).to_contain_text("deprecated")
    shot(page, "09-deprecate")
    page.goto("/products/sales.order_lines")
    expect(page.locator("h1 + p .badge").first).to_have_text("deprecated")


def test_activity_feed_shows_new_entries_live(page, base_url, shot):
    page.goto("/activity")
    expect(page.locator("#feed li").first).to_be_visible()
    body = json.dumps(contract_dict("web.e2e_feed_check", owner="@web-team")).encode()
    request = urllib.request.Request(
        f"{base_url}/api/v1/products", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
    expect(page.locator("#feed li.fresh", has_text="web.e2e_feed_check").first).to_be_visible()
    shot(page, "10-activity")
