"""examkit.io."""
