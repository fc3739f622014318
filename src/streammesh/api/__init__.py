"""The REST API (FastAPI): routes translate HTTP to the context's services and back."""
