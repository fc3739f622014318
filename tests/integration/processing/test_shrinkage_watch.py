"""The shrinkage-watch sample, a script of two statements (a stream-stream join feeding a windowed
aggregation with another stream-stream join), run incrementally over generated warehouse and finance
events: each product equals its batch reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streammesh
from streammesh.demo.generators import DemoGenerator
from streammesh.demo.organisation import TEAMS, load_demo_contracts
from streammesh.processing.sql import compile_script
from streammesh.processing.sql.samples import sample
from tests.integration.processing.helpers import assert_matches_batch, catalog_of, deploy, produce, run

INPUTS = ("warehouse.goods_dispatched", "finance.accounts_receivable", "warehouse.goods_received")


def test_both_statements_equal_the_batch_reference(tmp_path):
    mesh = streammesh.connect(tmp_path / "mesh")
    try:
        for t in TEAMS:
            mesh.add_team(t.name, domain=t.domain)
        for c in load_demo_contracts():
            if c.name in INPUTS:
                mesh.publish(c)
        gen = DemoGenerator(
            seed=5, start=datetime(2024, 5, 1, 12, tzinfo=UTC), backlog=timedelta(hours=6), rate=6, seasonality=False
        )
        by_product: dict[str, list] = {}
        for e in gen.initial_events():
            if e.product in INPUTS:
                by_product.setdefault(e.product, []).append((e.key, e.value))
        assert all(by_product.get(p) for p in INPUTS), "the generator should feed every input"
        for product, items in by_product.items():
            produce(mesh, product, items)
        statements = compile_script(sample("analytics.shrinkage_watch").sql, catalog_of(mesh))
        for statement in statements:  # deployed in order: the second reads the first's product
            query = deploy(mesh, statement.sql)
            run(mesh, query, tmp_path / "state" / query.name, batch_size=200)
            rows = assert_matches_batch(mesh, query)
            assert rows, f"{query.name} should hold rows"
        totals = {k: sum(r[k] for r in rows) for k in ("units_dispatched", "units_not_invoiced", "units_written_off")}
        assert totals["units_dispatched"] >= totals["units_not_invoiced"] + totals["units_written_off"]
    finally:
        mesh.close()
