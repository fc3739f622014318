"""The command line (Typer + Rich): commands translate arguments to the context's services and print results."""
