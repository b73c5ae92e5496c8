"""examkit.store."""
