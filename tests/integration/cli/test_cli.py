"""The CLI end to end on a real workspace: exit codes, messages and data."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from streammesh.cli.main import app
from tests.factories import contract_dict, order


@pytest.fixture
def cli(tmp_path: Path):
    runner = CliRunner()
    workspace = tmp_path / "ws"

    def run(*args: str, input: str | None = None, ok: bool = True):
        result = runner.invoke(app, ["-w", str(workspace), *args], input=input)
        if ok:
            assert result.exit_code == 0, result.output + (result.stderr if result.stderr_bytes else "")
        return result

    run("init")
    run("teams", "add", "@sales-team", "--domain", "sales", "--on-call", "oncall@acme.example")
    return run


def _write_contract(tmp_path: Path, **overrides) -> Path:
    path = tmp_path / "orders.yaml"
    path.write_text(yaml.safe_dump(contract_dict(**overrides), sort_keys=False))
    return path


def _no_traceback(result) -> None:
    assert "Traceback" not in result.output and "Traceback" not in result.stderr


def test_publish_search_show_produce_consume(cli, tmp_path):
    result = cli("products", "publish", str(_write_contract(tmp_path)))
    assert "Published sales.orders 1.0.0" in result.output
    assert "sales.orders" in cli("products", "list").output

    hits = orjson.loads(cli("products", "search", "email", "--format", "json").stdout)
    assert hits["total"] == 1 and hits["hits"][0]["name"] == "sales.orders"
    assert hits["facets"]["domain"] == {"sales": 1}

    events = tmp_path / "orders.jsonl"
    events.write_text("\n".join(orjson.dumps(order(i)).decode() for i in range(25)) + "\n")
    assert "Appended 25 events" in cli("produce", "sales.orders", "--file", str(events)).output
    more = "\n".join(orjson.dumps(order(i)).decode() for i in range(25, 30))
    assert "Appended 5 events" in cli("produce", "sales.orders", input=more).output

    out = cli("consume", "sales.orders", "--from-beginning", "--fields", "order_id,total").stdout
    rows = [orjson.loads(line) for line in out.splitlines()]
    assert len(rows) == 30
    assert {r["value"]["order_id"] for r in rows} == {f"O{i:06d}" for i in range(30)}
    assert all(set(r["value"]) == {"order_id", "total"} for r in rows)

    limited = cli("consume", "sales.orders", "--from-beginning", "--limit", "7").stdout.splitlines()
    assert len(limited) == 7

    table = cli(
        "consume", "sales.orders", "--from-beginning", "--limit", "3", "--format", "table", "--fields", "order_id"
    ).output
    assert "3 events" in table and "order_id" in table

    shown = cli("products", "show", "sales.orders").output
    assert "customer_email" in shown and "pii" in shown and "30" in shown
    assert "schema registry: sales.orders-value: version 1" in shown
    assert "sales.orders" in cli("products", "show", "sales.orders", "--format", "yaml").output
    domains = cli("domains").output
    assert "sales" in domains and "1 domains" in domains


def test_consume_with_group_resumes(cli, tmp_path):
    cli("products", "publish", str(_write_contract(tmp_path)))
    cli("produce", "sales.orders", input="\n".join(orjson.dumps(order(i)).decode() for i in range(10)))
    first = cli("consume", "sales.orders", "--group", "g1", "--from-beginning", "--limit", "4").stdout.splitlines()
    rest = cli("consume", "sales.orders", "--group", "g1", "--from-beginning").stdout.splitlines()
    assert len(first) == 4 and len(rest) == 6
    offsets = {(orjson.loads(x)["partition"], orjson.loads(x)["offset"]) for x in first + rest}
    assert len(offsets) == 10


def test_policy_violations_are_listed_and_nothing_is_published(cli, tmp_path):
    path = _write_contract(tmp_path, owner="@ghosts", description="Orders.")
    result = cli("products", "publish", str(path), ok=False)
    assert result.exit_code == 1
    text = result.output + result.stderr
    assert "owner-registered" in text and "description-length" in text and "was not published" in text
    _no_traceback(result)
    assert "No products yet" in cli("products", "list").output


def test_bad_contract_file_gives_located_error(cli, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(
        "name: sales.orders\ndomain: sales\nowner: '@sales-team'\nsla:\n  tier: tier-9\n"
        "schema: {format: json-schema, definition: {type: object}}\n"
    )
    result = cli("products", "publish", str(path), ok=False)
    assert result.exit_code == 1
    assert "broken.yaml:5" in result.stderr and "sla.tier" in result.stderr
    _no_traceback(result)


def test_invalid_event_file_writes_nothing(cli, tmp_path):
    cli("products", "publish", str(_write_contract(tmp_path)))
    events = tmp_path / "bad.jsonl"
    lines = [orjson.dumps(order(1)).decode(), orjson.dumps(order(2, total=-5)).decode(), "{not json"]
    events.write_text("\n".join(lines[:2]) + "\n")
    result = cli("produce", "sales.orders", "--file", str(events), ok=False)
    assert result.exit_code == 1 and "bad.jsonl:2" in result.stderr and "nothing was written" in result.stderr
    events.write_text("\n".join([lines[0], lines[2]]) + "\n")
    result = cli("produce", "sales.orders", "--file", str(events), ok=False)
    assert "bad.jsonl:2: not valid JSON" in result.stderr
    _no_traceback(result)
    assert cli("consume", "sales.orders", "--from-beginning").stdout == ""


def test_errors_are_one_clear_line(cli, tmp_path):
    result = cli("products", "show", "sales.nothing", ok=False)
    assert result.exit_code == 1 and "no data product named 'sales.nothing'" in result.stderr
    _no_traceback(result)
    result = cli("consume", "sales.nothing", ok=False)
    assert result.exit_code == 1
    result = cli("teams", "add", "Sales Team", ok=False)
    assert result.exit_code == 1 and "@sales-team" in result.stderr
    result = cli("produce", "sales.orders", "--file", str(tmp_path / "missing.jsonl"), ok=False)
    assert result.exit_code == 1
    _no_traceback(result)


def test_no_mesh_says_how_to_create_one(tmp_path):
    result = CliRunner().invoke(app, ["-w", str(tmp_path / "nowhere"), "teams", "list"])
    assert result.exit_code == 1 and "streammesh init" in result.stderr


def test_deprecate_and_retire(cli, tmp_path):
    cli("products", "publish", str(_write_contract(tmp_path)))
    sunset = (date.today() + timedelta(days=90)).isoformat()
    assert "Deprecated sales.orders" in cli("products", "deprecate", "sales.orders", "--sunset", sunset).output
    result = cli("consume", "sales.orders", "--from-beginning")
    assert f"deprecated (sunset {sunset})" in result.stderr
    assert cli("products", "retire", "sales.orders", ok=False).exit_code == 1
    assert "Retired" in cli("products", "retire", "sales.orders", "--force").output
    result = cli("produce", "sales.orders", input=orjson.dumps(order(1)).decode(), ok=False)
    assert result.exit_code == 1 and "retired" in result.stderr
    bad_date = cli("products", "deprecate", "sales.orders", "--sunset", "soon", ok=False)
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.stderr and "unexpected" not in bad_date.stderr
