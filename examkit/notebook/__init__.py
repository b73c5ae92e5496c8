"""examkit.notebook."""
