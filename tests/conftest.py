"""Shared fixtures: real meshes in temporary folders (embedded log on disk, SQLite catalog)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import streammesh
from streammesh.sdk.mesh import Mesh


@pytest.fixture
def mesh_factory(tmp_path: Path) -> Callable[..., Mesh]:
    """Build meshes in fresh folders; teams for the given domains are registered."""
    opened: list[Mesh] = []

    def make(*domains: str, name: str = "mesh") -> Mesh:
        m = streammesh.connect(tmp_path / name)
        for d in domains or ("sales",):
            if m.store.get_team(f"@{d}-team") is None:
                m.add_team(f"@{d}-team", domain=d)
        opened.append(m)
        return m

    yield make
    for m in opened:
        m.close()


@pytest.fixture
def mesh(mesh_factory: Callable[..., Mesh]) -> Mesh:
    return mesh_factory("sales", "web", "customers")
