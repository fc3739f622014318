"""Nexmark on streammesh: the published auction workload (people, auctions, bids) as three data
products, generated reproducibly and loaded through the SDK, for the streaming SQL benchmarks."""

from benchmarks.nexmark.config import GeneratorConfig
from benchmarks.nexmark.generator import Batch, NexmarkGenerator

__all__ = ["Batch", "GeneratorConfig", "NexmarkGenerator"]
