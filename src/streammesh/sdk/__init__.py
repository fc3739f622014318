"""The Python SDK: connect to a mesh, publish, search, produce and consume."""

from streammesh.catalog.consumer import Consumer, Event, ProductDeprecatedWarning
from streammesh.catalog.producer import Producer
from streammesh.sdk.mesh import Mesh, connect, init

__all__ = ["Consumer", "Event", "Mesh", "Producer", "ProductDeprecatedWarning", "connect", "init"]
