"""``products show`` reports the product page's health (``GET …/metrics``): same service, same numbers."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from streammesh.api.app import create_app
from streammesh.cli.main import app
from tests.factories import contract_dict, order


def _show(workspace: str, name: str) -> str:
    result = CliRunner().invoke(app, ["-w", workspace, "products", "show", name], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    return result.output


def _row(text: str, label: str) -> str:
    found = re.search(rf"^{re.escape(label)}\s{{2,}}(.+?)\s*$", text, re.MULTILINE)
    assert found, f"no {label!r} row in:\n{text}"
    return found.group(1)


def test_products_show_reports_the_same_health_as_rest(mesh):
    mesh.publish(contract_dict(on_invalid="dead-letter"))  # SLA freshness 5m
    now = int(time.time() * 1000)
    with mesh.producer("sales.orders") as p:  # 3 valid events stamped now, 5 refused: more dead than valid
        for i in range(3):
            p.send(None, order(i), timestamp=now)
        for i in range(5):
            p.send(None, {"order_id": f"bad-{i}"}, timestamp=now)
    with TestClient(create_app(mesh.workspace)) as client:
        rest = client.get("/api/v1/products/sales.orders/metrics").json()
    shown = _show(str(mesh.workspace), "sales.orders")
    assert rest["events"] == 3 and rest["dead_letters"] == 5 and rest["invalid_rate"] == 0.625  # 5 of 8, not 5 / 3
    assert _row(shown, "events") == f"{rest['events']:,} retained in the stream"
    assert _row(shown, "events / s") == f"{rest['events_per_second']:.2f} over the last 60 s"
    assert rest["events_per_second"] == 0.05
    assert _row(shown, "dead letters") == str(rest["dead_letters"])
    assert _row(shown, "invalid rate") == f"{rest['invalid_rate'] * 100:.2f} % (dead letters / all events)"
    assert rest["fresh"] is True and _row(shown, "freshness") == "SLA freshness 5 min: within SLA"
    assert _row(shown, "last event").endswith(" s ago")


def test_products_show_health_of_a_draft(mesh):
    mesh.publish(contract_dict(sla={"tier": "tier-3", "acknowledged": True}), draft=True)
    with TestClient(create_app(mesh.workspace)) as client:
        rest = client.get("/api/v1/products/sales.orders/metrics").json()
    shown = _show(str(mesh.workspace), "sales.orders")
    assert (rest["events"], rest["dead_letters"], rest["invalid_rate"], rest["fresh"]) == (0, 0, 0.0, None)
    assert _row(shown, "events") == "0 retained in the stream" and _row(shown, "last event") == "none yet"
    assert _row(shown, "freshness") == "no freshness promise" and _row(shown, "invalid rate").startswith("0.00 %")
