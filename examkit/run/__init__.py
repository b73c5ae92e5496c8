"""examkit.run."""
