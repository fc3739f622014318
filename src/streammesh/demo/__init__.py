"""The sample retail organisation behind ``streammesh demo``."""
