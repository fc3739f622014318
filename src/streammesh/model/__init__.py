"""The mesh's record types (products, teams, apps, schemas as stored), shared by every layer.

They depend on nothing above :mod:`streammesh.contracts`, so the catalog, the metadata store and the schema
registry can all use them without importing each other.
"""
