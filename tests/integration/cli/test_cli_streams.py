"""``streammesh streams``: the log's streams, and those no product publishes yet, from the command line."""

from __future__ import annotations

from pathlib import Path

import orjson
import yaml
from typer.testing import CliRunner

from streammesh.cli.main import app
from streammesh.sdk.mesh import connect
from tests.factories import contract_dict
from tests.raw_streams import raw_streams


def _run(workspace: Path, *args: str):
    result = CliRunner().invoke(app, ["-w", str(workspace), *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result


def test_streams_lists_unpublished_ones_and_publishing_adopts_one(tmp_path: Path):
    workspace = tmp_path / "ws"
    _run(workspace, "init")
    _run(workspace, "teams", "add", "@sales-team", "--domain", "sales", "--on-call", "oncall@acme.example")
    with connect(workspace) as mesh:
        raw_streams(mesh)

    table = _run(workspace, "streams", "--unpublished").output
    for name in ("sales.returns", "finance.payments", "web.legacy_log", "web.empty"):
        assert name in table
    assert "sales.orders" not in table and ".dlq" not in table and "_schemas" not in table
    assert "inferred from 30 JSON" in table and "registered avro schema id" in table and "undecodable" in table
    assert "return_id" in table  # suggested key

    assert "sales.orders" in _run(workspace, "streams").output
    listed = orjson.loads(_run(workspace, "streams", "--unpublished", "--domain", "sales", "-f", "json").stdout)
    [returns] = listed
    assert (returns["name"], returns["events"], returns["partitions"]) == ("sales.returns", 30, 2)
    assert returns["schema"]["definition"]["properties"]["lines"]["type"] == "array"

    contract = tmp_path / "returns.yaml"
    contract.write_text(
        yaml.safe_dump(
            contract_dict(
                "sales.returns",
                title="Returns",
                key=returns["suggested_key"],
                partitions=returns["partitions"],
                schema=returns["schema"],
                classifications={},
                timestamp_field="received_at",
            ),
            sort_keys=False,
        )
    )
    assert "Published sales.returns" in _run(workspace, "products", "publish", str(contract)).output
    assert "sales.returns" not in _run(workspace, "streams", "--unpublished").output
    consumed = _run(workspace, "consume", "sales.returns", "--from-beginning").stdout.splitlines()
    assert len(consumed) == 30


def test_no_streams_message(tmp_path: Path):
    workspace = tmp_path / "ws"
    _run(workspace, "init")
    assert "No streams on the log yet" in _run(workspace, "streams").output
    assert "Every stream on the log is published" in _run(workspace, "streams", "--unpublished").output
