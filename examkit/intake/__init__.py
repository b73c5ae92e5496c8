"""examkit.intake."""
