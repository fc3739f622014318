"""Where a mesh lives and which backends serve it.

A workspace is a folder holding ``mesh.yaml`` (this configuration), the policy file, and for the
embedded defaults the log (``log/``) and the catalog (``catalog.db``). Environment variables
override the file: ``STREAMMESH_LOG``, ``STREAMMESH_METADATA``, ``STREAMMESH_POLICIES``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from streammesh.exceptions import NotFoundError, ValidationError

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_WORKSPACE",
    "MeshConfig",
    "backend_name",
    "default_workspace",
    "find_workspace",
    "load_config",
    "write_config",
]


def backend_name(url: str) -> str:
    """The plug-in name of a ``log`` / ``metadata`` setting: ``kafka`` for ``kafka://host:9092``, ``sqlite`` for
    ``sqlite``."""
    return url.split("://", 1)[0] if "://" in url else url


CONFIG_FILE = "mesh.yaml"
DEFAULT_WORKSPACE = ".streammesh"


class MeshConfig(BaseModel):
    """Settings of one mesh (``mesh.yaml``).

    Attributes:
        log: ``embedded`` (files under ``<workspace>/log``) or, later, ``kafka://host:port``.
        metadata: ``sqlite`` (``<workspace>/catalog.db``) or ``postgresql://user@host:5432/database``.
        policies: the federated policy file, relative to the workspace.
        fsync: embedded log only: wait for the disk on every append (survives power loss, slower).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="mesh", description="a label for this mesh, shown in the UI")
    log: str = "embedded"
    metadata: str = "sqlite"
    policies: str = "policies.yaml"
    fsync: bool = False


def default_workspace() -> Path:
    """The mesh to use when none is named: see :func:`find_workspace`."""
    return find_workspace()


def find_workspace(explicit: Path | str | None = None, *, cwd: Path | None = None) -> Path:
    """Where the mesh is, found as git finds a repository.

    In order: ``explicit`` (``--workspace``); ``$STREAMMESH_WORKSPACE``; the nearest of the current folder and its
    parents that holds ``mesh.yaml`` (that folder) or a ``.streammesh/`` folder (that one). When none does, the
    answer is ``./.streammesh``, where ``streammesh init`` creates a mesh.
    """
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("STREAMMESH_WORKSPACE")
    if env:
        return Path(env)
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
        if (folder / DEFAULT_WORKSPACE).is_dir():
            return folder / DEFAULT_WORKSPACE
    return (cwd or Path()) / DEFAULT_WORKSPACE


def load_config(workspace: Path) -> MeshConfig:
    """Read ``<workspace>/mesh.yaml`` and apply environment overrides.

    Raises:
        NotFoundError: there is no mesh in ``workspace``.
        ValidationError: the file is malformed; the message names the setting.
    """
    path = workspace / CONFIG_FILE
    if not path.is_file():
        raise NotFoundError(
            f"no mesh in {workspace} (missing {CONFIG_FILE})",
            hint=f"create one with 'streammesh init {workspace}' or pass --workspace",
        )
    try:
        data: Any = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ValidationError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{path}: expected a mapping of settings (log, metadata, policies)")
    for key in ("log", "metadata", "policies"):
        env = os.environ.get(f"STREAMMESH_{key.upper()}")
        if env:
            data[key] = env
    try:
        return MeshConfig.model_validate(data)
    except PydanticValidationError as e:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors())
        raise ValidationError(f"{path}: {problems}") from None


def write_config(workspace: Path, config: MeshConfig) -> Path:
    workspace.mkdir(parents=True, exist_ok=True)
    path = workspace / CONFIG_FILE
    header = "# streammesh mesh configuration; see README.md#configuration\n"
    path.write_text(header + yaml.safe_dump(config.model_dump(), sort_keys=False))
    return path
