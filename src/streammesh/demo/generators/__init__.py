"""Live event generators for the sample organisation (see :mod:`streammesh.demo.organisation`).

Example:
    >>> from streammesh.demo.generators import DemoGenerator
    >>> gen = DemoGenerator(seed=7)
    >>> first = next(iter(gen.initial_events()))
"""

from streammesh.demo.generators.events import DEMO_PRODUCTS, DemoEvent
from streammesh.demo.generators.generator import DemoGenerator
from streammesh.demo.organisation import load_demo_contracts

__all__ = ["DEMO_PRODUCTS", "DemoEvent", "DemoGenerator", "load_demo_contracts"]
