"""Shared fixtures: real meshes in temporary folders (embedded log on disk; SQLite catalog, or each store
for tests marked with ``tests.stores.every_store``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from streammesh.config import CONFIG_FILE, MeshConfig
from streammesh.sdk.mesh import Mesh, init

pytest_plugins = ["tests.stores"]


@pytest.fixture
def mesh_factory(tmp_path: Path, metadata_factory: Callable[[], str]) -> Callable[..., Mesh]:
    """Build meshes in fresh folders (a new catalog each) or reopen one by name; teams for the given
    domains are registered."""
    opened: list[Mesh] = []

    def make(*domains: str, name: str = "mesh") -> Mesh:
        path = tmp_path / name
        m = init(path, config=None if (path / CONFIG_FILE).exists() else MeshConfig(metadata=metadata_factory()))
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
