"""Schema commands end to end: check, evolve, generate, dead letters."""

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

    def run(*args: str, input: str | None = None, code: int = 0):
        result = runner.invoke(app, ["-w", str(workspace), *args], input=input, env={"COLUMNS": "200"})
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result

    run("init")
    run("teams", "add", "@sales-team", "--domain", "sales")
    return run


def _write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_schemas_check_explains_and_lists_consumers(cli, tmp_path):
    cli("products", "publish", str(_write(tmp_path, "v1.yaml", contract_dict())))
    cli("consume", "sales.orders", "--group", "billing", "--fields", "order_id,total")
    broken = contract_dict(version="1.1.0")
    broken["schema"]["definition"]["properties"]["total"] = {"type": "string"}
    result = cli("schemas", "check", "sales.orders", str(_write(tmp_path, "v2.yaml", broken)), code=1)
    assert "not BACKWARD compatible" in result.stderr and "total" in result.stderr
    assert "billing" in result.stderr
    schema_only = tmp_path / "orders.json"
    schema_only.write_text(orjson.dumps(contract_dict()["schema"]["definition"]).decode())
    assert "compatible" in cli("schemas", "check", "sales.orders", str(schema_only)).stdout
    listing = cli("schemas", "list").stdout
    assert "sales.orders-value" in listing and "BACKWARD" in listing


def test_products_evolve_major_release(cli, tmp_path):
    cli("products", "publish", str(_write(tmp_path, "v1.yaml", contract_dict())))
    broken = contract_dict(version="1.1.0")
    broken["schema"]["definition"]["properties"]["total"] = {"type": "string"}
    refused = cli("products", "evolve", "sales.orders", str(_write(tmp_path, "v2.yaml", broken)), code=1)
    assert "version: 2.0.0" in refused.stderr
    broken["version"] = "2.0.0"
    sunset = (date.today() + timedelta(days=60)).isoformat()
    released = cli("products", "evolve", "sales.orders", str(_write(tmp_path, "v2.yaml", broken)), "--sunset", sunset)
    assert "Released sales.orders.v2 2.0.0" in released.stdout and sunset in released.stdout
    assert "deprecated" in cli("products", "show", "sales.orders").stdout


def test_generate_prints_valid_events_and_produces(cli, tmp_path):
    cli("products", "publish", str(_write(tmp_path, "v1.yaml", contract_dict())))
    lines = cli("generate", "sales.orders", "--count", "5", "--seed", "3").stdout.splitlines()
    assert len(lines) == 5
    values = [orjson.loads(line) for line in lines]
    assert all(v.get("currency", "EUR") in ("EUR", "USD", "GBP") and v["total"] >= 0 for v in values)
    assert cli("generate", "sales.orders", "--count", "5", "--seed", "3").stdout.splitlines() == lines
    assert "Appended 200 events" in cli("generate", "sales.orders", "--count", "200", "--produce").stdout
    assert len(cli("consume", "sales.orders", "--from-beginning").stdout.splitlines()) == 200


def test_dead_letter_from_the_cli(cli, tmp_path):
    data = contract_dict(rules={"total": {"max": 100}}, on_invalid="dead-letter")
    cli("products", "publish", str(_write(tmp_path, "v1.yaml", data)))
    events = "\n".join(orjson.dumps(order(i, total=50 if i != 2 else 500)).decode() for i in range(4))
    result = cli("produce", "sales.orders", input=events)
    assert "Appended 3 events" in result.stdout and "1 invalid events went to the dead-letter" in result.stderr
    dead = [orjson.loads(line) for line in cli("consume", "sales.orders", "--dead-letter").stdout.splitlines()]
    assert len(dead) == 1 and dead[0]["value"]["order_id"] == "O000002"
    assert "above the maximum 100" in dead[0]["reason"]


def test_output_closed_early_is_not_an_error(cli, tmp_path):
    import subprocess
    import sys

    cli("products", "publish", str(_write(tmp_path, "v1.yaml", contract_dict())))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streammesh.cli.main",
            "-w",
            str(tmp_path / "ws"),
            "generate",
            "sales.orders",
            "--count",
            "200000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # like '| head -1'
    _, stderr = proc.communicate(timeout=60)
    assert orjson.loads(first)["order_id"]
    assert b"Traceback" not in stderr and b"unexpected" not in stderr
