"""One ``Mesh`` per server thread: FastAPI runs sync routes in a thread pool, and a mesh's log
and store handles are not shared between threads."""

from __future__ import annotations

import threading
from pathlib import Path

from streammesh.sdk.mesh import Mesh

__all__ = ["MeshProvider"]


class MeshProvider:
    """Opens the workspace's mesh lazily, once per thread; ``close()`` closes them all."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self._local = threading.local()
        self._opened: list[Mesh] = []
        self._lock = threading.Lock()

    def __call__(self) -> Mesh:
        mesh = getattr(self._local, "mesh", None)
        if mesh is None:
            mesh = Mesh(self.workspace)
            self._local.mesh = mesh
            with self._lock:
                self._opened.append(mesh)
        return mesh

    def close(self) -> None:
        with self._lock:
            for mesh in self._opened:
                mesh.close()
            self._opened.clear()
