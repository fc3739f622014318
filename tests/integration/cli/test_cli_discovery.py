"""How the CLI finds its mesh: --workspace, then $STREAMMESH_WORKSPACE, then the nearest mesh of the
current folder and its parents (as git finds a repository), else a helpful error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streammesh.cli.main import app
from streammesh.plugins import MissingExtraError, Registry


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run the CLI in-process from a folder, without a $STREAMMESH_WORKSPACE of the caller's."""
    monkeypatch.delenv("STREAMMESH_WORKSPACE", raising=False)
    runner = CliRunner()

    def invoke(cwd: Path, *args: str, ok: bool = True):
        monkeypatch.chdir(cwd)
        result = runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, result.output + result.stderr
        return result

    return invoke


def _add_team(run, cwd: Path, name: str, *extra: str) -> None:
    run(cwd, *extra, "teams", "add", name, "--domain", name.strip("@").split("-")[0])


def test_init_dot_then_commands_in_the_same_folder(run, tmp_path: Path) -> None:
    run(tmp_path, "init", ".")
    assert (tmp_path / "mesh.yaml").is_file()
    _add_team(run, tmp_path, "@sales-team")
    assert "@sales-team" in run(tmp_path, "teams", "list").output


def test_commands_in_a_subfolder_find_the_mesh_above(run, tmp_path: Path) -> None:
    run(tmp_path, "init")  # no path: ./.streammesh
    assert (tmp_path / ".streammesh" / "mesh.yaml").is_file()
    _add_team(run, tmp_path, "@sales-team")
    deeper = tmp_path / "src" / "pipelines"
    deeper.mkdir(parents=True)
    assert "@sales-team" in run(deeper, "teams", "list").output


def test_init_without_path_in_a_subfolder_makes_a_new_mesh_there(run, tmp_path: Path) -> None:
    run(tmp_path, "init", ".")
    sub = tmp_path / "team-b"
    sub.mkdir()
    result = run(sub, "init")
    assert "Created a mesh" in result.output
    assert (sub / ".streammesh" / "mesh.yaml").is_file()


def test_environment_variable_wins_over_the_folder(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    run(here, "init", ".")
    run(tmp_path, "init", str(there))
    _add_team(run, tmp_path, "@there-team", "-w", str(there))
    monkeypatch.setenv("STREAMMESH_WORKSPACE", str(there))
    assert "@there-team" in run(here, "teams", "list").output


def test_workspace_option_wins_over_everything(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here, env, named = tmp_path / "here", tmp_path / "env", tmp_path / "named"
    here.mkdir()
    run(here, "init", ".")
    run(tmp_path, "init", str(env))
    run(tmp_path, "init", str(named))
    _add_team(run, tmp_path, "@named-team", "-w", str(named))
    monkeypatch.setenv("STREAMMESH_WORKSPACE", str(env))
    result = run(here, "-w", str(named), "teams", "list")
    assert "@named-team" in result.output
    assert "@named-team" not in run(here, "teams", "list").output  # the variable's mesh is empty


def test_outside_any_mesh_the_error_says_how_to_make_one(run, tmp_path: Path) -> None:
    result = run(tmp_path, "products", "list", ok=False)
    assert result.exit_code == 1
    assert "no mesh here" in result.stderr
    assert "streammesh init" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / ".streammesh").exists()  # a read never creates a mesh


def test_init_ignores_the_data_of_a_new_folder_but_not_an_existing_project(run, tmp_path: Path) -> None:
    run(tmp_path, "init", "mesh")
    ignored = (tmp_path / "mesh" / ".gitignore").read_text().split()
    assert {"log/", "catalog.db", "apps/"} <= set(ignored)
    project = tmp_path / "project"
    project.mkdir()
    (project / "README.md").write_text("mine\n")
    result = run(project, "init", ".")
    assert not (project / ".gitignore").exists()
    assert "ignore these" in result.output


def test_a_missing_extra_names_the_pip_command() -> None:
    registry: Registry = Registry("log_backends")
    registry.register_lazy("nope", "streammesh.plugins:Registry", extra="nope", requires=("no_such_module_xyz",))
    with pytest.raises(MissingExtraError) as caught:
        registry.get("nope")
    assert caught.value.hint == "pip install 'streammesh[nope]'"
    assert isinstance(caught.value, ImportError)


def test_discovery_from_a_subfolder_in_a_real_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "STREAMMESH_WORKSPACE"}
    cli = [sys.executable, "-m", "streammesh.cli.main"]
    subprocess.run([*cli, "init", "."], cwd=tmp_path, env=env, check=True, capture_output=True)
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    done = subprocess.run([*cli, "products", "list"], cwd=sub, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "No products yet" in done.stdout
