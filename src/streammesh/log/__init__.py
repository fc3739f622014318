"""Event logs: the port in ``base`` and one adapter per backend (``embedded``, ``kafka``)."""

from streammesh.log.base import *  # noqa: F403
from streammesh.log.base import __all__  # noqa: F401
