"""streammesh: a self-service data mesh on event streams.

Example:
    >>> import streammesh
    >>> mesh = streammesh.connect("my-mesh")   # doctest: +SKIP
"""

from streammesh.contracts.model import Contract as Contract
from streammesh.sdk.mesh import Mesh as Mesh
from streammesh.sdk.mesh import connect as connect
from streammesh.version import __version__ as __version__

__all__ = ["Contract", "Mesh", "__version__", "connect"]
