"""examkit.core."""
