"""The Python SDK: connect to a mesh, publish, search, produce and consume."""

from streammesh.sdk.consumer import Consumer, Event, ProductDeprecatedWarning
from streammesh.sdk.mesh import Mesh, connect, init
from streammesh.sdk.producer import Producer

__all__ = ["Consumer", "Event", "Mesh", "Producer", "ProductDeprecatedWarning", "connect", "init"]
