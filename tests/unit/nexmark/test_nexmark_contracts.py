"""The three Nexmark products: contracts that pass the default policies, events that fit them, and
the loader that appends a generated run through the SDK producers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from benchmarks.nexmark import Batch
from benchmarks.nexmark.load import CONTRACTS_DIR, PRODUCTS, load_events, loaded_events, main, prepare_mesh
from streammesh.contracts.loader import load_contract
from streammesh.contracts.model import Contract
from streammesh.schemas import load_schema
from streammesh.sdk.mesh import Mesh

KINDS = {"persons": "nexmark.person", "auctions": "nexmark.auction", "bids": "nexmark.bid"}


@pytest.fixture(scope="module")
def contracts() -> dict[str, Contract]:
    return {kind: load_contract(CONTRACTS_DIR / f"{name}.yaml") for kind, name in KINDS.items()}


def test_contracts_declare_what_the_benchmarks_rely_on(contracts: dict[str, Contract]):
    assert PRODUCTS == KINDS
    assert [c.key for c in contracts.values()] == [["id"], ["id"], ["auction"]]
    for c in contracts.values():
        assert (c.owner, c.domain, c.quality, c.partitions, c.timestamp_field) == (
            "@nexmark-team",
            "nexmark",
            "raw",
            4,
            "date_time",
        )
        assert c.schema_.format == "avro" and c.sla.acknowledged
    assert {"name", "email_address", "credit_card", "city", "state"} <= set(contracts["persons"].classifications)


def test_contracts_pass_the_default_policies(mesh_factory: Callable[..., Mesh], contracts: dict[str, Contract]):
    mesh = mesh_factory("nexmark")
    for c in contracts.values():
        assert mesh.check(c) == [], c.name


def test_every_generated_event_fits_its_schema(batch: Batch, contracts: dict[str, Contract]):
    for kind, contract in contracts.items():
        schema = load_schema(contract.schema_)
        values = getattr(batch, kind)
        assert values and all(schema.validate(v) == [] for v in values), kind
        fields = [f["name"] for f in contract.schema_.definition["fields"]]  # type: ignore[index]
        assert all(list(v) == fields for v in values[:100]), "field names and order as in the schema"


def test_load_appends_the_run_and_continues_after_it(tmp_path, batch: Batch):
    with prepare_mesh(tmp_path / "mesh") as mesh:
        report = load_events(mesh, 1_000, seed=3, batch_size=400)
        assert report.counts == {"persons": 20, "auctions": 60, "bids": 920} and loaded_events(mesh) == 1_000
        with mesh.consumer("nexmark.bid", from_beginning=True) as consumer:
            got = sorted(
                (e.value for e in consumer.poll(max_records=2_000, timeout=1.0)),
                key=lambda v: (v["date_time"], v["auction"], v["bidder"], v["price"]),
            )
        want = sorted(batch.bids[:920], key=lambda v: (v["date_time"], v["auction"], v["bidder"], v["price"]))
        assert len(got) == 920
        assert got[0]["date_time"] == datetime.fromtimestamp(want[0]["date_time"] / 1000, UTC)
        assert [(v["auction"], v["price"], v["extra"]) for v in got] == [
            (v["auction"], v["price"], v["extra"]) for v in want
        ]
    main(["--workspace", str(tmp_path / "mesh"), "--events", "100", "--seed", "3"])  # reopens, continues
    with prepare_mesh(tmp_path / "mesh") as mesh:
        assert loaded_events(mesh) == 1_100
        assert mesh.stats("nexmark.person")["events"] == 22
