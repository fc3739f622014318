"""The audit chain detects an edited, a deleted and a reordered entry (pure logic)."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from streammesh.governance.audit import GENESIS, AuditEntry, next_entry, verify

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _chain(n: int = 5) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for i in range(n):
        entries.append(
            next_entry(
                entries[-1] if entries else None,
                actor=f"user{i}@example.com",
                action="data.read" if i % 2 else "product.publish",
                target="sales.orders",
                interface="rest",
                outcome="denied" if i == 3 else "allowed",
                details={"fields": ["email"], "n": i},
                at=T0 + timedelta(seconds=i),
            )
        )
    return entries


def test_an_untouched_chain_verifies_and_links_from_genesis():
    chain = _chain()
    assert verify(chain, head=(5, chain[-1].hash)) == []
    assert chain[0].prev_hash == GENESIS and [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))


@pytest.mark.parametrize(
    "change",
    [
        {"actor": "mallory@example.com"},
        {"outcome": "denied"},
        {"details": {"fields": [], "n": 2}},
        {"at": T0 + timedelta(days=1)},
    ],
)
def test_an_edited_entry_is_detected(change):
    chain = _chain()
    chain[2] = dataclasses.replace(chain[2], **change)
    breaks = verify(chain)
    assert [b.seq for b in breaks] == [3] and "edited" in breaks[0].problem


def test_a_deleted_entry_is_detected():
    chain = _chain()
    del chain[1]
    breaks = verify(chain)
    assert {b.seq for b in breaks} == {3}
    assert any("missing" in b.problem for b in breaks) and any("link" in b.problem for b in breaks)


def test_reordered_entries_are_detected():
    chain = _chain()
    chain[1], chain[2] = chain[2], chain[1]
    breaks = verify(chain)
    assert {b.seq for b in breaks} == {2, 3, 4}  # each entry out of place, and the one after them


def test_a_chain_cut_at_its_end_is_caught_only_with_its_head():
    chain = _chain()
    head = (5, chain[-1].hash)
    cut = chain[:-2]
    assert verify(cut) == []  # consistent on its own
    breaks = verify(cut, head=head)
    assert len(breaks) == 1 and "ends at entry 3" in breaks[0].problem and "head is entry 5" in breaks[0].problem
    assert verify([], head=head)[0].problem.startswith("the chain is empty")


def test_an_edit_that_recomputes_its_own_hash_still_breaks_the_next_link():
    chain = _chain()
    forged = next_entry(chain[0], actor="mallory", action="data.read", target="sales.orders", interface="rest", at=T0)
    chain[1] = forged
    breaks = verify(chain)
    assert [b.seq for b in breaks] == [3] and "link" in breaks[0].problem


def test_details_that_json_cannot_hold_are_refused_when_written():
    with pytest.raises(TypeError):
        next_entry(None, actor="a", action="x.y", target="t", interface="cli", details={"when": object()})
