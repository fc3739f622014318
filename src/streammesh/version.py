"""The package version, importable without importing the SDK (the REST API and the CLI report it)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
