"""Publish: a stream already on the log that no product publishes yet is listed by domain; choosing it
prefills the contract (name, owner, partitions, inferred schema, suggested key) and publishing adopts the
stream with its events. In a real browser (Debian's Chromium)."""

from __future__ import annotations

import json
import re
import urllib.request

import orjson
import pytest

from streammesh.log.base import OutgoingRecord, TopicSpec
from streammesh.sdk.mesh import connect

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.timeout(120)


def refund(i: int) -> dict:
    return {
        "refund_id": f"RF{i:04d}",
        "order_id": f"O{i:06d}",
        "customer_email": f"c{i}@example.com",
        "amount": round(5 + i * 0.5, 2),
        "refunded_at": f"2026-11-0{1 + i % 9}T09:30:00Z",
        "reason": None if i % 2 else "late delivery",
    }


def test_publish_an_unpublished_stream_from_the_list(page, demo_workspace, base_url, shot):
    with connect(demo_workspace) as mesh:  # an application wrote plain JSON before anyone published it
        mesh.log.create_topic(TopicSpec("sales.refunds", partitions=2))
        mesh.log.append(
            "sales.refunds", [OutgoingRecord(orjson.dumps(refund(i)), f"RF{i:04d}".encode()) for i in range(40)]
        )

    page.goto("/publish")
    group = page.locator(".stream-group[data-domain='sales']")
    expect(group.locator("li[data-stream='sales.refunds']")).to_contain_text("40 events")
    expect(group.locator("li[data-stream='sales.refunds']")).to_contain_text("2 partitions")
    expect(page.locator("#stream-list")).not_to_contain_text("sales.orders.dlq")
    page.get_by_role("button", name="Use stream sales.refunds").click()

    expect(page.get_by_label("Product name")).to_have_value("sales.refunds")
    expect(page.get_by_label("Owner team")).to_have_value("@sales-team")
    expect(page.get_by_label("Partitions")).to_have_value("2")
    expect(page.get_by_label("Key", exact=True)).to_have_value("refund_id")
    names = [page.get_by_label(f"field {i} name").input_value() for i in range(1, 7)]
    assert names == ["refund_id", "order_id", "customer_email", "amount", "refunded_at", "reason"]
    expect(page.get_by_label("field 5 type")).to_have_value("date-time")
    expect(page.get_by_label("field 4 type")).to_have_value("number")
    expect(page.locator("#adopt-notice")).to_contain_text("40 events")
    expect(page.locator("#fb-schema .violation")).to_contain_text("customer_email")  # personal data to classify
    shot(page, "11-publish-unpublished-stream")

    page.get_by_label("Description", exact=True).fill(
        "Every refund the payments service grants to a customer, emitted once the money is sent back."
    )
    page.get_by_label("field 3 classification").select_option("pii")
    page.get_by_label("Tags").fill("refunds, sales")
    page.get_by_label(re.compile("My team commits")).check()
    expect(page.locator("#fb-schema .violation")).to_have_count(0)
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#published")).to_contain_text("Published sales.refunds")
    expect(page.locator("li[data-stream='sales.refunds']")).to_have_count(0)  # no longer unpublished
    shot(page, "12-publish-stream-adopted")

    with urllib.request.urlopen(f"{base_url}/api/v1/products/sales.refunds", timeout=10) as r:
        product = json.load(r)
    assert product["contract"]["partitions"] == 2 and product["contract"]["key"] == ["refund_id"]
    schema = product["contract"]["schema"]["definition"]
    assert schema["properties"]["reason"]["type"] == ["string", "null"]
    with urllib.request.urlopen(f"{base_url}/api/v1/products/sales.refunds/events?limit=100", timeout=10) as r:
        assert len([line for line in r.read().decode().splitlines() if line.strip()]) == 40  # events kept
