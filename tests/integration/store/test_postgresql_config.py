"""Choosing the PostgreSQL store from configuration, and what a user sees when it cannot be reached."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import make_url
from typer.testing import CliRunner

from streammesh.cli.main import app
from streammesh.config import CONFIG_FILE
from streammesh.exceptions import ValidationError
from streammesh.sdk.mesh import Mesh, init
from streammesh.store.exceptions import StoreUnavailableError
from streammesh.store.postgresql import PostgresqlCatalogStore
from streammesh.store.sqlite import SqliteCatalogStore
from tests.servers import free_port


def _init(workspace: Path, metadata: str):
    return CliRunner().invoke(app, ["-w", str(workspace), "init", "--metadata", metadata])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://127.0.0.1:5432", "names no database"),
        ("mysql://root@127.0.0.1/mesh", "not a PostgreSQL URL"),
        ("postgresql://[::1:5432/x", "not a URL"),
    ],
)
def test_malformed_urls_name_the_value_and_the_form(url, message):
    with pytest.raises(ValidationError, match=message) as info:
        PostgresqlCatalogStore(url)
    assert "postgresql://USER" in str(info.value)


def test_unreachable_server_is_one_line_naming_the_url_without_its_password():
    port = free_port()
    with pytest.raises(StoreUnavailableError) as info:
        PostgresqlCatalogStore(f"postgresql://mesh:s3cret@127.0.0.1:{port}/mesh")
    error = info.value
    assert f"postgresql://mesh:***@127.0.0.1:{port}/mesh" in error.message and "\n" not in error.message
    assert "s3cret" not in str(error) and f"start PostgreSQL on 127.0.0.1:{port}" in (error.hint or "")


def test_init_with_a_missing_database_fails_in_one_line_and_writes_nothing(postgres_admin, tmp_path):
    url = make_url(postgres_admin).set(database=f"sm_missing_{uuid.uuid4().hex[:8]}").render_as_string(False)
    result = _init(tmp_path / "ws", url)
    assert result.exit_code == 1
    first, *rest = result.stderr.strip().splitlines()
    assert first.startswith("error: cannot open the PostgreSQL catalog") and "does not exist" in first
    assert url.rsplit("/", 1)[1] in first and "createdb" in " ".join(rest)
    assert "Traceback" not in result.output + result.stderr
    assert not (tmp_path / "ws" / CONFIG_FILE).exists()


def test_init_then_every_process_finds_the_catalog_through_mesh_yaml(postgres_database, tmp_path):
    result = _init(tmp_path / "ws", postgres_database)
    assert result.exit_code == 0, result.output + result.stderr
    with Mesh(tmp_path / "ws") as mesh:
        assert isinstance(mesh.store, PostgresqlCatalogStore)
        mesh.add_team("@sales-team", domain="sales")
    with Mesh(tmp_path / "ws") as mesh:
        assert [team.name for team in mesh.teams()] == ["@sales-team"]


def test_streammesh_metadata_overrides_the_file(postgres_database, tmp_path, monkeypatch):
    init(tmp_path / "ws").close()  # a default (SQLite) mesh
    with Mesh(tmp_path / "ws") as mesh:
        assert isinstance(mesh.store, SqliteCatalogStore)
    monkeypatch.setenv("STREAMMESH_METADATA", postgres_database)
    with Mesh(tmp_path / "ws") as mesh:
        assert isinstance(mesh.store, PostgresqlCatalogStore)
        assert mesh.store.url == make_url(postgres_database).render_as_string(hide_password=True)
