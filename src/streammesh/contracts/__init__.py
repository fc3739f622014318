"""Contracts: the model, YAML loading with located errors, and dumping."""

from streammesh.contracts.model import Contract, Deprecation, SchemaSpec, Sla, Support

__all__ = ["Contract", "Deprecation", "SchemaSpec", "Sla", "Support"]
